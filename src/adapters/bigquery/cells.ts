// Cells of a getQueryResults row as the client library hands them over: DATE, TIMESTAMP, INT64
// and friends come wrapped (BigQueryDate, BigQueryTimestamp, BigQueryInt keep the wire value in
// `.value`), TIMESTAMPs as microseconds since the epoch (formatOptions.useInt64Timestamp) or as
// ISO text. Readers of bqcost's own tables decode with these, then check the result with zod.

export function unwrap(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && 'value' in value) {
    return (value as { value: unknown }).value;
  }
  return value;
}

/** A cell as text; NULL stays null. */
export function cellString(value: unknown): string | null {
  const v = unwrap(value);
  return v === null || v === undefined ? null : String(v);
}

/** A TIMESTAMP cell as a Date (an invalid Date when the text is no timestamp); NULL stays null. */
export function cellTimestamp(value: unknown): Date | null {
  const raw = unwrap(value);
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Date) return raw;
  const text = String(raw);
  return /^-?\d+$/.test(text) ? new Date(Number(BigInt(text) / 1000n)) : new Date(text);
}
