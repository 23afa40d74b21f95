import { readFileSync } from 'node:fs';

// The SQL catalogue: each query is written once, in the subset of GoogleSQL that DuckDB also
// runs, and rendered per dialect. Why not a transpiler: the candidates either need Node 22
// (@polyglot-sql/sdk) or pull a parser far bigger than the three rewrites we need, and a
// transpiler's output would be SQL nobody reviewed. The rewrites are small and tested:
//   - `{{view}}` table placeholders → the real INFORMATION_SCHEMA path or the local table;
//   - `@param` → `$param` (DuckDB's named parameter sigil);
//   - `UNNEST(x) AS a` → `UNNEST(x) AS a_(a)` (DuckDB names the unnested struct column).
// GoogleSQL functions DuckDB lacks are DuckDB macros of the same name and result (schema.ts:
// APPROX_QUANTILES); MAX_BY, IFNULL, STARTS_WITH, ROW_NUMBER … exist in both.
// Every query runs for real on DuckDB in the tests; the BigQuery adapter's tests assert the
// exact rendered text and parameters that go over the wire.

export const queryNames = [
  'cost-facts',
  'table-storage',
  'reservation-capacity',
  'data-range',
  'query-patterns',
  'pattern-tables',
  'table-usage',
  'bytes-distribution',
  'script-samples',
  'job-by-id',
] as const;
export type QueryName = (typeof queryNames)[number];
export type Dialect = 'bigquery' | 'duckdb';
export type SourceView = 'jobs' | 'table_storage' | 'schemata_options' | 'reservations_timeline';

const cache = new Map<QueryName, string>();

export function querySource(name: QueryName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./${name}.sql`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

export interface RenderOptions {
  dialect: Dialect;
  /** Fully qualified source for each view, already validated/quoted by the adapter. */
  tables: Readonly<Record<SourceView, string>>;
}

export function renderQuery(name: QueryName, options: RenderOptions): string {
  return renderSql(querySource(name), options);
}

/**
 * `{{> name}}` includes src/queries/fragments/<name>.sql: a rule written once (what on-demand
 * bills, what a reservation's slots are) and shared by every query that applies it.
 */
export function expandFragments(sql: string, depth = 0): string {
  if (depth > 5) throw new Error('SQL fragments nest more than 5 deep');
  return sql.replace(/\{\{>\s*([\w-]+)\s*\}\}/g, (_match, name: string) => {
    let text = fragmentCache.get(name);
    if (text === undefined) {
      try {
        text = readFileSync(new URL(`./fragments/${name}.sql`, import.meta.url), 'utf8').trim();
      } catch {
        throw new Error(`query includes unknown fragment {{> ${name}}}`);
      }
      fragmentCache.set(name, text);
    }
    return expandFragments(text, depth + 1);
  });
}

const fragmentCache = new Map<string, string>();

export function renderSql(sql: string, options: RenderOptions): string {
  let out = expandFragments(sql).replace(/\{\{\s*(\w+)\s*\}\}/g, (_match, view: string) => {
    const table = options.tables[view as SourceView];
    if (!table) throw new Error(`query references unknown view {{${view}}}`);
    return table;
  });
  if (options.dialect === 'duckdb') {
    out = mapCode(out, (code) =>
      code
        .replace(/@([A-Za-z_]\w*)/g, '$$$1')
        .replace(/\bUNNEST\(([^()]*)\)\s+AS\s+([A-Za-z_]\w*)/gi, 'UNNEST($1) AS $2_($2)'),
    );
  }
  return out;
}

/** Applies `fn` to the SQL outside string literals, quoted identifiers and comments. */
function mapCode(sql: string, fn: (code: string) => string): string {
  const parts: string[] = [];
  let code = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (ch === "'" || ch === '"' || ch === '`') end = closingQuote(sql, i, ch);
    else if (ch === '-' && next === '-') end = lineEnd(sql, i);
    else if (ch === '#') end = lineEnd(sql, i);
    else if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close === -1 ? sql.length : close + 2;
    }
    if (end === -1) {
      code += ch;
      i += 1;
    } else {
      parts.push(fn(code), sql.slice(i, end));
      code = '';
      i = end;
    }
  }
  parts.push(fn(code));
  return parts.join('');
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === '\\') i += 2;
    else if (sql[i] === quote) return i + 1;
    else i += 1;
  }
  return sql.length;
}

function lineEnd(sql: string, start: number): number {
  const nl = sql.indexOf('\n', start);
  return nl === -1 ? sql.length : nl;
}
