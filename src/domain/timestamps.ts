// Every timestamp shape the exports use: `2026-10-02 03:04:05.123456 UTC` (EXPORT DATA / bq
// extract), RFC 3339 with Z or an offset, and the REST API's float epoch seconds (as a number
// or a string like "1.759374245123E9").

const epochPattern = /^-?\d+(\.\d*)?([eE][+-]?\d+)?$/;
const utcSuffixPattern = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(\.\d+)?) UTC$/;
const rfc3339Pattern =
  /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$/i;

/** Parses an export timestamp to a Date (millisecond precision), or null when it is not one. */
export function parseBqTimestamp(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value * 1000) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (epochPattern.test(text)) return new Date(Number(text) * 1000);
  const utc = utcSuffixPattern.exec(text);
  if (utc) return validDate(`${utc[1]}T${utc[2]}Z`);
  if (rfc3339Pattern.test(text)) {
    const iso = text.replace(' ', 'T');
    return validDate(/(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  }
  return null;
}

function validDate(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `2026-10-02 03:04:05.123456 UTC`, the shape BigQuery exports use. */
export function formatBqTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23).replace('T', ' ')}000 UTC`;
}

export const msPerDay = 86_400_000;

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function startOfUtcDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / msPerDay) * msPerDay);
}
