import { describe, expect, it } from 'vitest';
import {
  expandFragments,
  queryNames,
  querySource,
  renderQuery,
  renderSql,
} from '../../src/queries/index.js';

const tables = {
  jobs: 'J',
  table_storage: 'TS',
  schemata_options: 'SO',
  reservations_timeline: 'RT',
};

describe('SQL catalogue rendering', () => {
  it('leaves BigQuery SQL as written apart from the view placeholders', () => {
    const sql = renderQuery('cost-facts', { dialect: 'bigquery', tables });
    expect(sql).toBe(expandFragments(querySource('cost-facts')).replaceAll('{{jobs}}', 'J'));
    expect(sql).toContain('@start');
    expect(sql).not.toContain('{{');
  });

  it('rewrites parameters and UNNEST aliases for DuckDB, outside strings and comments', () => {
    const sql = renderSql(
      `SELECT '@start' AS s, "x@y" AS q, \`a@b\` -- @end\nFROM t CROSS JOIN UNNEST(t.labels) AS l WHERE a >= @start /* @no */ AND b < @end_time`,
      { dialect: 'duckdb', tables },
    );
    expect(sql).toBe(
      `SELECT '@start' AS s, "x@y" AS q, \`a@b\` -- @end\nFROM t CROSS JOIN UNNEST(t.labels) AS l_(l) WHERE a >= $start /* @no */ AND b < $end_time`,
    );
  });

  it('rewrites the array-parameter UNNEST of pattern-tables for DuckDB, and only for DuckDB', () => {
    const inList = 'IN (SELECT h FROM UNNEST(@hashes) AS h)';
    expect(renderQuery('pattern-tables', { dialect: 'bigquery', tables })).toContain(inList);
    expect(renderQuery('pattern-tables', { dialect: 'duckdb', tables })).toContain(
      'IN (SELECT h FROM UNNEST($hashes) AS h_(h))',
    );
  });

  it('includes shared fragments, nested, so a billing rule is written once', () => {
    const sql = renderQuery('cost-facts', { dialect: 'bigquery', tables });
    expect(sql).not.toContain('{{>');
    expect(sql).toContain("WHEN reservation_id IS NULL\n      AND IFNULL(state, 'DONE') = 'DONE'");
    for (const name of ['query-patterns', 'table-usage', 'bytes-distribution'] as const) {
      expect(renderQuery(name, { dialect: 'bigquery', tables })).toContain(
        'AND NOT IFNULL(cache_hit, FALSE)',
      );
    }
    expect(() => expandFragments('SELECT {{> no-such-rule}}')).toThrow(
      'unknown fragment {{> no-such-rule}}',
    );
  });

  it('rejects a placeholder for a view it does not know', () => {
    expect(() => renderSql('SELECT * FROM {{nope}}', { dialect: 'duckdb', tables })).toThrow(
      'unknown view {{nope}}',
    );
  });

  it('every catalogue query renders with no placeholder left', () => {
    for (const name of queryNames) {
      for (const dialect of ['bigquery', 'duckdb'] as const) {
        expect(renderQuery(name, { dialect, tables })).not.toMatch(/\{\{|\}\}/);
      }
    }
  });
});
