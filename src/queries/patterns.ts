import type { QueryPatternFact } from '../domain/context.js';

/** pattern-tables.sql keeps at most this many tables per pattern (`@tables_per_pattern`). */
export const tablesPerPattern = 100;

/** `limit` of query-patterns.sql: per ordering, so up to twice as many patterns come back. */
export function checkPatternLimit(limit: number): void {
  checkLimit('pattern limit', limit);
}

/** `limit` of script-samples.sql. */
export function checkScriptLimit(limit: number): void {
  checkLimit('script limit', limit);
}

function checkLimit(name: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`${name} must be a whole number ≥ 1, got ${limit}`);
}

export interface PatternTableRow {
  hash: string;
  table: string;
  runs: number;
}

/** Gives each pattern (query-patterns.sql) the tables it reads (pattern-tables.sql), most read first. */
export function withReferencedTables(
  patterns: readonly Omit<QueryPatternFact, 'referencedTables'>[],
  rows: readonly PatternTableRow[],
): QueryPatternFact[] {
  const byHash = new Map<string, PatternTableRow[]>();
  for (const row of rows) {
    const list = byHash.get(row.hash) ?? [];
    list.push(row);
    byHash.set(row.hash, list);
  }
  return patterns.map((pattern) => ({
    ...pattern,
    referencedTables: (byHash.get(pattern.hash) ?? [])
      .sort((a, b) => b.runs - a.runs || (a.table < b.table ? -1 : a.table > b.table ? 1 : 0))
      .map(({ table, runs }) => ({ table, runs })),
  }));
}
