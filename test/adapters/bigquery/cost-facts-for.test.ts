import { readFileSync } from 'node:fs';
import { dateValue } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import type { FactDimension } from '../../../src/domain/facts.js';
import {
  apiError,
  bq,
  costFactFields,
  expectInsert,
  expectResults,
  harness,
  type InsertBody,
  installNockGuards,
  page,
  param,
  paramsOf,
  rejection,
} from '../../helpers/bigquery-rest.js';

// BigQueryWarehouse.costFactsFor over REST (nock): the stored-facts SQL with a dimension filter
// (cost_facts is clustered by dimension), DATE and ARRAY<STRING> parameters, row checks; and the
// same SQL run for real on DuckDB over a cost_facts table.

const factsTable = '`acme-analytics`.`bqcost`.cost_facts';
const sqlText = readFileSync(
  new URL('../../../src/adapters/bigquery/stored-cost-facts-for.sql', import.meta.url),
  'utf8',
);
const window = { start: new Date('2026-10-30T00:00:00Z'), end: new Date('2026-11-28T00:00:00Z') };

installNockGuards();

describe('BigQueryWarehouse.costFactsFor', () => {
  it('sends the stored-facts SQL with DATE days and the dimensions as ARRAY<STRING>', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_stored_cost_facts_for_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(
      scope,
      jobId,
      page(jobId, costFactFields, [
        ['2026-11-27', 'total', '', null, null, '40', '8796093022208', '0', '1000'],
        [
          '2026-11-27',
          'project',
          'proj-c',
          'admin:US.etl',
          'ENTERPRISE',
          '1',
          '0',
          '36000000',
          '0',
        ],
      ]),
    );

    const facts = await warehouse.costFactsFor(window, ['total', 'project', 'total']);
    scope.done();

    const body = bodies[0]!;
    expect(body.configuration.query.query).toBe(sqlText.replace('{{cost_facts}}', factsTable));
    expect(body.configuration.query.query).toContain('AND dimension IN UNNEST(@dimensions)');
    expect(body.configuration.labels).toEqual({
      app: 'bqcost',
      bqcost_query: 'stored-cost-facts-for',
    });
    expect(paramsOf(body)).toEqual({
      start_day: param('DATE', '2026-10-30'),
      end_day: param('DATE', '2026-11-28'),
      dimensions: {
        parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
        parameterValue: { arrayValues: [{ value: 'total' }, { value: 'project' }] },
      },
    });
    expect(facts).toEqual([
      {
        day: '2026-11-27',
        dimension: 'total',
        key: '',
        reservationId: null,
        edition: null,
        jobs: 40,
        onDemandBytesBilled: 8 * 2 ** 40,
        reservationSlotMs: 0,
        onDemandSlotMs: 1000,
      },
      {
        day: '2026-11-27',
        dimension: 'project',
        key: 'proj-c',
        reservationId: 'admin:US.etl',
        edition: 'ENTERPRISE',
        jobs: 1,
        onDemandBytesBilled: 0,
        reservationSlotMs: 36_000_000,
        onDemandSlotMs: 0,
      },
    ]);
  });

  it('sends no query for no dimensions or a window without a whole day', async () => {
    const { warehouse } = harness();
    await expect(warehouse.costFactsFor(window, [])).resolves.toEqual([]);
    await expect(
      warehouse.costFactsFor(
        { start: new Date('2026-11-27T01:00:00Z'), end: new Date('2026-11-27T23:00:00Z') },
        ['total'],
      ),
    ).resolves.toEqual([]);
  });

  it('refuses an unknown dimension before sending anything', async () => {
    const { warehouse } = harness();
    const error = await rejection(warehouse.costFactsFor(window, ['planet' as FactDimension]));
    expect(error.code).toBe('warehouse.invalidDimension');
  });

  it('rejects a row of a dimension it did not ask for', async () => {
    const { warehouse } = harness();
    const jobId = 'job_stored_cost_facts_for_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(
      scope,
      jobId,
      page(jobId, costFactFields, [
        ['2026-11-27', 'table', 'p.d.t', null, null, '1', '0', '0', '0'],
      ]),
    );
    const error = await rejection(warehouse.costFactsFor(window, ['total']));
    scope.done();
    expect(error.code).toBe('warehouse.badRow');
  });

  it('retries a 503 with the same job id, then maps the answer', async () => {
    const { warehouse, sleeps } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_stored_cost_facts_for_1';
    const scope = expectInsert(bq(), jobId, bodies, [
      503,
      apiError(503, 'backendError', 'try again'),
    ]);
    expectInsert(scope, jobId, bodies);
    expectResults(scope, jobId, page(jobId, costFactFields, []));
    await expect(warehouse.costFactsFor(window, ['user'])).resolves.toEqual([]);
    scope.done();
    expect(sleeps).toHaveLength(1);
  });
});

describe('stored-cost-facts-for.sql on DuckDB', () => {
  it('sums the refresh windows of each day and keeps only the asked dimensions', async () => {
    const w = await DuckDbWarehouse.open(':memory:');
    try {
      await w.sql(`CREATE TABLE cost_facts (day DATE, dimension VARCHAR, key VARCHAR, reservation_id VARCHAR, edition VARCHAR,
        jobs BIGINT, on_demand_bytes_billed HUGEINT, reservation_slot_ms HUGEINT, on_demand_slot_ms HUGEINT)`);
      // Two refreshes split 2026-11-27; one row before the window, one of another dimension.
      await w.sql(`INSERT INTO cost_facts VALUES
        ('2026-11-27', 'total', '', NULL, NULL, 3, 100, 0, 5),
        ('2026-11-27', 'total', '', NULL, NULL, 2, 50, 0, 1),
        ('2026-11-27', 'user', 'ana@example.com', NULL, NULL, 1, 7, 0, 0),
        ('2026-11-27', 'table', 'p.d.t', NULL, NULL, 9, 999, 0, 0),
        ('2026-10-29', 'total', '', NULL, NULL, 9, 999, 0, 0)`);
      // The one GoogleSQL form DuckDB spells differently: IN UNNEST(array) → IN (SELECT UNNEST(…)),
      // with the array written in (the DuckDB client cannot bind an untyped list).
      const sql = sqlText
        .replace('{{cost_facts}}', 'cost_facts')
        .replace('IN UNNEST(@dimensions)', "IN (SELECT UNNEST(['total', 'user']))")
        .replace(/@(start_day|end_day)/g, '$$$1');
      expect(sql).not.toContain('@');
      const rows = await w.sql(`${sql} ORDER BY dimension`, {
        start_day: dateValue(Date.parse('2026-10-30') / 86_400_000),
        end_day: dateValue(Date.parse('2026-11-28') / 86_400_000),
      });
      expect(
        rows.map((r) => [r.dimension, r.key, Number(r.jobs), Number(r.on_demand_bytes_billed)]),
      ).toEqual([
        ['total', '', 5, 150],
        ['user', 'ana@example.com', 1, 7],
      ]);
    } finally {
      await w.close();
    }
  });
});
