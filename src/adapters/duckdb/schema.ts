import type { ColumnSpec, ColumnType, ExportView } from '../../domain/columns.js';
import { exportViews } from '../../domain/columns.js';

// The embedded tables mirror the INFORMATION_SCHEMA views column for column, so the catalogue
// SQL runs unchanged. Like BigQuery, no keys or NOT NULL constraints: tests must not pass on a
// guarantee production lacks. Two provenance columns say where each row came from.

const tableRef = 'STRUCT(project_id VARCHAR, dataset_id VARCHAR, table_id VARCHAR)';

export const duckTypes: Record<ColumnType, string> = {
  string: 'VARCHAR',
  int64: 'BIGINT',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  table_ref: tableRef,
  table_refs: `${tableRef}[]`,
  labels: 'STRUCT(key VARCHAR, value VARCHAR)[]',
  error_result: 'STRUCT(reason VARCHAR, location VARCHAR, message VARCHAR)',
  query_info: 'STRUCT(query_hashes STRUCT(normalized_literals VARCHAR))',
  autoscale: 'STRUCT(current_slots BIGINT, max_slots BIGINT)',
};

/** Types used to read export files before validation: scalars as text, nested as parsed. */
export const rawTypes: Record<ColumnType, string> = {
  ...duckTypes,
  int64: 'VARCHAR',
  float64: 'VARCHAR',
  bool: 'VARCHAR',
  timestamp: 'VARCHAR',
  autoscale: 'STRUCT(current_slots VARCHAR, max_slots VARCHAR)',
};

export const provenanceColumns = ['_source', '_line', '_import_error'] as const;

export function createTableSql(view: ExportView): string {
  const columns = exportViews[view].map((c) => `${quoteIdent(c.name)} ${duckTypes[c.type]}`);
  // _import_error is set only while an import validates a file; such rows are then removed.
  columns.push('_source VARCHAR', '_line BIGINT', '_import_error VARCHAR');
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(view)} (${columns.join(', ')})`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** BigQuery-compatible helpers the import SQL and the catalogue need. */
export const macrosSql = [
  // GoogleSQL's APPROX_QUANTILES(x, n): an array of n + 1 values, p0 (min) … p100 (max) for n = 100.
  // Exact here (quantile_disc returns input values, as BigQuery's approximation does).
  `CREATE OR REPLACE MACRO approx_quantiles(x, n) AS
     quantile_disc(x, list_transform(range(0, n + 1), i -> i / n))`,
  // Every export timestamp shape: `… UTC`, epoch seconds, RFC 3339 with an offset, or naive.
  // Casting to TIMESTAMPTZ is slow (ICU), so it is only used where an offset must be applied.
  `CREATE OR REPLACE MACRO bq_ts(v) AS CASE
     WHEN v IS NULL THEN NULL
     WHEN suffix(v, ' UTC') THEN try_cast(v[1:-5] AS TIMESTAMP)
     WHEN regexp_full_match(v, '-?[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?')
       THEN make_timestamp(CAST(round(CAST(v AS DOUBLE) * 1e6) AS BIGINT))
     WHEN regexp_matches(v, '[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?\\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$')
       THEN CAST(try_cast(v AS TIMESTAMPTZ) AS TIMESTAMP)
     ELSE try_cast(v AS TIMESTAMP)
   END`,
  `CREATE OR REPLACE MACRO bq_bool(v) AS CASE lower(trim(v))
     WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE ELSE NULL END`,
];

export function columnsOf(view: ExportView): readonly ColumnSpec[] {
  return exportViews[view];
}
