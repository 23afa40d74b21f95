import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { tableDdl } from '../../../src/adapters/duckdb/table-ddl.js';
import { bqcostTables, type TableSpec } from '../../../src/domain/tables.js';

describe('tableDdl', () => {
  it('creates every bqcost table on DuckDB with the spec columns, in order, no constraints', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const spec of bqcostTables) {
        await connection.run(tableDdl(spec));
        await connection.run(tableDdl(spec)); // IF NOT EXISTS: reopening a database is fine
        const reader = await connection.runAndReadAll(
          `SELECT column_name, data_type, is_nullable FROM information_schema.columns
           WHERE table_name = $t ORDER BY ordinal_position`,
          { t: spec.name },
        );
        const rows = reader.getRowObjectsJS();
        expect(rows.map((r) => r.column_name)).toEqual(spec.columns.map((c) => c.name));
        expect(rows.every((r) => r.is_nullable === 'YES')).toBe(true);
        const constraints = await connection.runAndReadAll(
          `SELECT count(*)::INT AS n FROM duckdb_constraints() WHERE table_name = $t`,
          { t: spec.name },
        );
        expect(constraints.getRowObjectsJS()[0]?.n).toBe(0);
      }
      const types = await connection.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns
         WHERE table_name = 'recommendations' AND column_name IN
           ('monthly_savings_usd', 'evidence', 'owner_slack_ids', 'found_at')
         ORDER BY column_name`,
      );
      expect(types.getRowObjectsJS()).toEqual([
        { column_name: 'evidence', data_type: 'JSON' },
        { column_name: 'found_at', data_type: 'TIMESTAMP' },
        { column_name: 'monthly_savings_usd', data_type: 'DOUBLE' },
        { column_name: 'owner_slack_ids', data_type: 'VARCHAR[]' },
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('refuses a name that is not a plain identifier', () => {
    const bad: TableSpec = {
      name: 'x; DROP TABLE y',
      description: '',
      partitionBy: 'a',
      clusterBy: [],
      columns: [],
    };
    expect(() => tableDdl(bad)).toThrow(/identifier/);
  });
});
