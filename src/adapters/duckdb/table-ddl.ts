import type { BigQueryType, TableSpec } from '../../domain/tables.js';

// The embedded copy of a bqcost table, generated from its TableSpec (the one source of truth).
// Deliberately as loose as BigQuery: no PRIMARY KEY, UNIQUE or NOT NULL, so nothing passes a
// test here on a guarantee production lacks (REQUIRED is checked by the writers' schemas).

const duckDbTypes: Record<BigQueryType, string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  BOOL: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMP',
  DATE: 'DATE',
  JSON: 'JSON',
};

const identifier = /^[a-z_][a-z0-9_]*$/;

export function tableDdl(spec: TableSpec): string {
  for (const name of [spec.name, ...spec.columns.map((c) => c.name)]) {
    if (!identifier.test(name)) throw new Error(`not a plain identifier: ${name}`);
  }
  const columns = spec.columns.map((c) => {
    const type = duckDbTypes[c.type];
    return `  ${c.name} ${c.mode === 'REPEATED' ? `${type}[]` : type}`;
  });
  return `CREATE TABLE IF NOT EXISTS ${spec.name} (\n${columns.join(',\n')}\n)`;
}
