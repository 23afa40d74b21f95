// BigQuery identifiers cannot be query parameters, so every one that reaches SQL is checked
// against the documented character sets first.

/** Project ids: 6–30 chars, lowercase letters, digits, hyphens (and legacy domain-scoped `a.com:p`). */
export const projectIdPattern = /^(?:[a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** Dataset ids: letters, digits and underscores, up to 1024 chars. */
export const datasetIdPattern = /^[A-Za-z0-9_]{1,1024}$/;
/** Location qualifiers as INFORMATION_SCHEMA takes them: `us`, `eu`, `europe-west2`, … */
export const regionPattern = /^(?!region-)[a-z]+(?:-[a-z]+[0-9]*)?$/;

export function isProjectId(value: string): boolean {
  return projectIdPattern.test(value);
}
export function isDatasetId(value: string): boolean {
  return datasetIdPattern.test(value);
}
export function isRegion(value: string): boolean {
  return regionPattern.test(value);
}
