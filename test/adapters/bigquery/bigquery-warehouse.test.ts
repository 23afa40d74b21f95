import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BigQueryWarehouse,
  bigQueryTables,
  classifyBigQueryError,
  createBigQueryWarehouse,
  parseBigQuerySettings,
} from '../../../src/adapters/bigquery/bigquery-warehouse.js';
import { AppError } from '../../../src/errors.js';
import {
  apiError,
  authClient,
  bq,
  catalogue,
  costFactFields,
  expectedViews,
  expectInsert,
  expectResults,
  harness,
  type InsertBody,
  installNockGuards,
  jobResource,
  micros,
  notComplete,
  page,
  param,
  paramsOf,
  projectId,
  rejection,
  testClient,
  token,
} from '../../helpers/bigquery-rest.js';

// The warehouse adapter over REST (nock): settings, the SQL and parameters each method sends, paging,
// retries and error classification. Requests and replies are built in test/helpers/bigquery-rest.ts.

const factsTable = '`acme-analytics`.`bqcost`.cost_facts';
const runsTable = '`acme-analytics`.`bqcost`.cost_fact_runs';

function ownSql(file: string, costFactsQuery?: string): string {
  const text = readFileSync(
    new URL(`../../../src/adapters/bigquery/${file}`, import.meta.url),
    'utf8',
  )
    .replaceAll('{{cost_facts}}', factsTable)
    .replaceAll('{{cost_fact_runs}}', runsTable);
  return costFactsQuery === undefined ? text : text.replace('{{cost_facts_query}}', costFactsQuery);
}

installNockGuards();

const storageFields = {
  project_id: 'STRING',
  dataset_id: 'STRING',
  table_id: 'STRING',
  table_type: 'STRING',
  creation_time: 'TIMESTAMP',
  storage_last_modified_time: 'TIMESTAMP',
  total_rows: 'INTEGER',
  total_partitions: 'INTEGER',
  total_logical_bytes: 'INTEGER',
  active_logical_bytes: 'INTEGER',
  long_term_logical_bytes: 'INTEGER',
  total_physical_bytes: 'INTEGER',
  active_physical_bytes: 'INTEGER',
  long_term_physical_bytes: 'INTEGER',
  time_travel_physical_bytes: 'INTEGER',
  fail_safe_physical_bytes: 'INTEGER',
  storage_billing_model: 'STRING',
};
const storageRow = (
  table: string,
  model: string | null,
  created: string | null = micros('2025-10-02T03:04:05.123Z'),
) => [
  projectId,
  'sales',
  table,
  'BASE TABLE',
  created,
  micros('2026-09-30T00:00:00Z'),
  '1000',
  '3',
  '5000000000000',
  '4000000000000',
  '1000000000000',
  '900000000000',
  '700000000000',
  '200000000000',
  '50000000000',
  '10000000000',
  model,
];

// ---------------------------------------------------------------------------------------------

describe('settings and identifiers', () => {
  it('applies the documented defaults', () => {
    const settings = parseBigQuerySettings({ projectId, region: 'us' });
    expect(settings).toMatchObject({
      dataset: 'bqcost',
      lookbackDays: 30,
      maxRetries: 4,
      pageSize: 10_000,
    });
  });

  it('qualifies every INFORMATION_SCHEMA view with the region and quotes identifiers', () => {
    expect(bigQueryTables({ projectId, region: 'us', dataset: 'bqcost' })).toEqual({
      views: expectedViews,
      costFacts: factsTable,
      costFactRuns: runsTable,
    });
    expect(
      bigQueryTables({ projectId, region: 'europe-west2', dataset: 'finops' }).views.jobs,
    ).toBe('`acme-analytics`.`region-europe-west2`.INFORMATION_SCHEMA.JOBS_BY_PROJECT');
  });

  it.each([
    ['region with a statement', { region: 'us; DROP TABLE x' }, 'region'],
    ['region with a backtick', { region: 'us`' }, 'region'],
    ['region given with its prefix', { region: 'region-us' }, 'region'],
    ['project with a backtick', { projectId: 'acme-analytics`.`x' }, 'projectId'],
    ['project with a statement', { projectId: 'acme; DROP' }, 'projectId'],
    ['dataset with a backtick', { dataset: 'bqcost`; DROP TABLE x; --' }, 'dataset'],
    ['dataset with a dot', { dataset: 'other.bqcost' }, 'dataset'],
    ['dataset with a hyphen', { dataset: 'bq-cost' }, 'dataset'],
    ['location with a statement', { location: 'US; DROP' }, 'location'],
    ['lookback beyond JOBS retention', { lookbackDays: 181 }, 'lookbackDays'],
  ])('rejects %s before any request', (_label, override, field) => {
    let thrown: unknown;
    try {
      createBigQueryWarehouse({ projectId, region: 'us', client: testClient(), ...override });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('warehouse.invalidSettings');
    expect((thrown as AppError).userMessage).toContain(field);
    // afterEach fails the test if any request left the process.
  });

  it('re-checks identifiers when building table paths (defence in depth)', () => {
    expect(() => bigQueryTables({ projectId: 'acme`x', region: 'us', dataset: 'bqcost' })).toThrow(
      AppError,
    );
    expect(() => bigQueryTables({ projectId, region: 'us`;', dataset: 'bqcost' })).toThrow(
      AppError,
    );
    expect(() => bigQueryTables({ projectId, region: 'us', dataset: 'a`b' })).toThrow(AppError);
  });
});

describe('tableStorage', () => {
  it('sends the catalogue SQL, reads three pages with pageToken and maps the rows', async () => {
    const { warehouse } = harness({ pageSize: 2 });
    const bodies: InsertBody[] = [];
    const jobId = 'job_table_storage_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(
      scope,
      jobId,
      page(jobId, storageFields, [storageRow('a', null), storageRow('b', '"PHYSICAL"')], 'p2'),
      {
        maxResults: 2,
      },
    );
    expectResults(
      scope,
      jobId,
      page(jobId, storageFields, [storageRow('c', null, null), storageRow('d', null)], 'p3'),
      {
        maxResults: 2,
        pageToken: 'p2',
      },
    );
    expectResults(scope, jobId, page(jobId, storageFields, [storageRow('e', 'LOGICAL')]), {
      maxResults: 2,
      pageToken: 'p3',
    });

    const facts = await warehouse.tableStorage();
    scope.done();

    expect(bodies).toHaveLength(1);
    const body = bodies[0]!;
    expect(body.configuration.query.query).toBe(catalogue('table-storage'));
    expect(body.configuration.query.query).toContain(expectedViews.table_storage);
    expect(body.configuration.query.query).toContain(expectedViews.schemata_options);
    expect(body.configuration.query.useLegacySql).toBe(false);
    expect(body.configuration.query.queryParameters).toBeUndefined();
    expect(body.jobReference).toEqual({ projectId, jobId, location: 'US' });
    expect(body.configuration.labels).toEqual({ app: 'bqcost', bqcost_query: 'table-storage' });

    expect(facts.map((f) => f.tableId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(facts[0]).toEqual({
      projectId,
      datasetId: 'sales',
      tableId: 'a',
      tableType: 'BASE TABLE',
      creationTime: new Date('2025-10-02T03:04:05.123Z'),
      storageLastModifiedTime: new Date('2026-09-30T00:00:00Z'),
      totalRows: 1000,
      totalPartitions: 3,
      totalLogicalBytes: 5e12,
      activeLogicalBytes: 4e12,
      longTermLogicalBytes: 1e12,
      totalPhysicalBytes: 9e11,
      activePhysicalBytes: 7e11,
      longTermPhysicalBytes: 2e11,
      timeTravelPhysicalBytes: 5e10,
      failSafePhysicalBytes: 1e10,
      storageBillingModelOption: null,
    });
    expect(facts[1]!.storageBillingModelOption).toBe('"PHYSICAL"');
    expect(facts[2]!.creationTime).toBeNull();
  });

  it('uses the configured region for the qualifier and the job location', async () => {
    const { warehouse } = harness({ region: 'europe-west2' });
    const bodies: InsertBody[] = [];
    const jobId = 'job_table_storage_1';
    const scope = expectInsert(bq(), jobId, bodies, [200, jobResource(jobId, 'europe-west2')]);
    expectResults(scope, jobId, page(jobId, storageFields, []), { location: 'europe-west2' });

    await expect(warehouse.tableStorage()).resolves.toEqual([]);
    scope.done();
    expect(bodies[0]!.jobReference.location).toBe('europe-west2');
    expect(bodies[0]!.configuration.query.query).toContain(
      '`acme-analytics`.`region-europe-west2`.INFORMATION_SCHEMA.TABLE_STORAGE',
    );
    expect(bodies[0]!.configuration.query.query).not.toContain('`region-us`');
  });
});

describe('costFacts', () => {
  it('reads stored facts for the window days with DATE parameters, waiting for the job', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_stored_cost_facts_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(scope, jobId, notComplete(jobId));
    expectResults(
      scope,
      jobId,
      page(jobId, costFactFields, [
        ['2026-09-02', 'total', '', null, null, '12', '5000000000000', '0', '360000'],
        [
          '2026-09-03',
          'user',
          'ana@acme.com',
          'acme-admin:US.prod',
          'ENTERPRISE',
          '3',
          '0',
          '7200000',
          '0',
        ],
      ]),
    );

    const facts = await warehouse.costFacts({
      start: new Date('2026-09-02T00:00:00Z'),
      end: new Date('2026-10-02T00:00:00Z'),
    });
    scope.done();

    const body = bodies[0]!;
    expect(body.configuration.query.query).toBe(ownSql('stored-cost-facts.sql'));
    expect(body.configuration.query.query).toContain(`FROM ${factsTable}`);
    expect(body.configuration.query.parameterMode?.toUpperCase()).toBe('NAMED');
    expect(paramsOf(body)).toEqual({
      start_day: param('DATE', '2026-09-02'),
      end_day: param('DATE', '2026-10-02'),
    });
    expect(facts).toEqual([
      {
        day: '2026-09-02',
        dimension: 'total',
        key: '',
        reservationId: null,
        edition: null,
        jobs: 12,
        onDemandBytesBilled: 5e12,
        reservationSlotMs: 0,
        onDemandSlotMs: 360_000,
      },
      {
        day: '2026-09-03',
        dimension: 'user',
        key: 'ana@acme.com',
        reservationId: 'acme-admin:US.prod',
        edition: 'ENTERPRISE',
        jobs: 3,
        onDemandBytesBilled: 0,
        reservationSlotMs: 7_200_000,
        onDemandSlotMs: 0,
      },
    ]);
  });

  it('takes the days whose UTC midnight lies inside an unaligned window', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_stored_cost_facts_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(scope, jobId, page(jobId, costFactFields, []));

    await warehouse.costFacts({
      start: new Date('2026-09-01T18:00:00Z'),
      end: new Date('2026-10-01T18:00:00Z'),
    });
    scope.done();
    expect(paramsOf(bodies[0])).toEqual({
      start_day: param('DATE', '2026-09-02'),
      end_day: param('DATE', '2026-10-02'),
    });
  });

  it('sends no query for a window without a whole day start', async () => {
    const { warehouse } = harness();
    await expect(
      warehouse.costFacts({
        start: new Date('2026-09-01T01:00:00Z'),
        end: new Date('2026-09-01T23:00:00Z'),
      }),
    ).resolves.toEqual([]);
  });

  it('rejects a row it cannot map', async () => {
    const { warehouse } = harness();
    const jobId = 'job_stored_cost_facts_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(
      scope,
      jobId,
      page(jobId, costFactFields, [['2026-09-02', 'planet', 'x', null, null, '1', '0', '0']]),
    );
    const error = await rejection(
      warehouse.costFacts({
        start: new Date('2026-09-02T00:00:00Z'),
        end: new Date('2026-09-03T00:00:00Z'),
      }),
    );
    scope.done();
    expect(error.code).toBe('warehouse.badRow');
  });
});

describe('reservationCapacity and dataRange', () => {
  it('sends the catalogue SQL with TIMESTAMP parameters and maps FLOAT64/INT64', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_reservation_capacity_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(
      scope,
      jobId,
      page(
        jobId,
        {
          day: 'DATE',
          reservation_id: 'STRING',
          edition: 'STRING',
          baseline_slot_hours: 'FLOAT',
          autoscale_slot_hours: 'FLOAT',
          minutes: 'INTEGER',
        },
        [['2026-09-01', 'acme-admin:US.prod', null, '2400', '12.5', '1440']],
      ),
    );

    const facts = await warehouse.reservationCapacity({
      start: new Date('2026-09-01T00:00:00Z'),
      end: new Date('2026-10-01T00:00:00Z'),
    });
    scope.done();

    expect(bodies[0]!.configuration.query.query).toBe(catalogue('reservation-capacity'));
    expect(bodies[0]!.configuration.query.query).toContain(expectedViews.reservations_timeline);
    expect(paramsOf(bodies[0])).toEqual({
      start: param('TIMESTAMP', '2026-09-01T00:00:00.000Z'),
      end: param('TIMESTAMP', '2026-10-01T00:00:00.000Z'),
    });
    expect(facts).toEqual([
      {
        day: '2026-09-01',
        reservationId: 'acme-admin:US.prod',
        edition: null,
        baselineSlotHours: 2400,
        autoscaleSlotHours: 12.5,
        minutes: 1440,
      },
    ]);
  });

  const rangeFields = {
    first_creation_time: 'TIMESTAMP',
    last_creation_time: 'TIMESTAMP',
    jobs: 'INTEGER',
  };

  it('dataRange reads the refreshed span from bqcost tables, not INFORMATION_SCHEMA', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_stored_data_range_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(
      scope,
      jobId,
      page(jobId, rangeFields, [
        [micros('2026-09-02T00:00:00Z'), micros('2026-10-02T09:00:00Z'), '48213'],
      ]),
    );

    await expect(warehouse.dataRange()).resolves.toEqual({
      firstCreationTime: new Date('2026-09-02T00:00:00Z'),
      lastCreationTime: new Date('2026-10-02T09:00:00Z'),
      jobs: 48_213,
    });
    scope.done();
    const sql = bodies[0]!.configuration.query.query;
    expect(sql).toBe(ownSql('stored-data-range.sql'));
    expect(sql).not.toContain('JOBS_BY_PROJECT');
    expect(sql).not.toContain('`region-');
  });

  it('dataRange is empty before the first refresh', async () => {
    const { warehouse } = harness();
    const jobId = 'job_stored_data_range_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(scope, jobId, page(jobId, rangeFields, [[null, null, '0']]));
    await expect(warehouse.dataRange()).resolves.toEqual({
      firstCreationTime: null,
      lastCreationTime: null,
      jobs: 0,
    });
    scope.done();
  });
});

describe('ensureTables and refreshCostFacts', () => {
  const now = new Date('2026-10-02T15:37:12.345Z');
  // now − 6 h = 09:37:12, floored to the hour.
  const expectedEnd = '2026-10-02T09:00:00.000Z';
  const watermarkFields = { watermark: 'TIMESTAMP' };
  const outcomeFields = { outcome: 'STRING' };
  const refreshSql = () => ownSql('refresh-cost-facts.sql', catalogue('cost-facts'));

  it('ensureTables creates both tables if missing, partitioned and clustered', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_ensure_tables_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(scope, jobId, page(jobId, {}, []));

    await warehouse.ensureTables();
    scope.done();
    const sql = bodies[0]!.configuration.query.query;
    expect(sql).toBe(ownSql('ensure-tables.sql'));
    expect(sql).toContain(`CREATE TABLE IF NOT EXISTS ${factsTable} (`);
    expect(sql).toContain(`CREATE TABLE IF NOT EXISTS ${runsTable} (`);
    expect(sql).toMatch(/PARTITION BY day\s+CLUSTER BY dimension, key/);
  });

  it('without a watermark, aggregates from now − lookbackDays in one script job', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const scope = expectInsert(bq(), 'job_watermark_1', bodies);
    expectResults(scope, 'job_watermark_1', page('job_watermark_1', watermarkFields, [[null]]));
    expectInsert(scope, 'job_refresh_cost_facts_2', bodies);
    expectResults(
      scope,
      'job_refresh_cost_facts_2',
      page('job_refresh_cost_facts_2', outcomeFields, [['refreshed']]),
    );

    const result = await warehouse.refreshCostFacts(now);
    scope.done();

    expect(result).toEqual({
      start: new Date('2026-09-02T00:00:00Z'),
      end: new Date(expectedEnd),
      skipped: false,
    });
    expect(bodies).toHaveLength(2);
    expect(bodies[0]!.configuration.query.query).toBe(ownSql('watermark.sql'));
    expect(bodies[0]!.configuration.query.query).toContain(`FROM ${runsTable}`);

    const script = bodies[1]!.configuration.query.query;
    expect(script).toBe(refreshSql());
    expect(script).toContain(`FROM ${expectedViews.jobs}`);
    expect(script).toContain(`SELECT * FROM (\n${catalogue('cost-facts')}\n);`);
    expect(script).toContain(
      `INSERT INTO ${factsTable} (day, dimension, key, reservation_id, edition, jobs, on_demand_bytes_billed, ` +
        'reservation_slot_ms, on_demand_slot_ms, window_start, window_end)\nSELECT *, @start, @end FROM new_cost_facts;',
    );
    expect(script).toContain(
      `INSERT INTO ${runsTable} (window_start, window_end, finished_at)\nVALUES (@start, @end, CURRENT_TIMESTAMP());`,
    );
    expect(script).toMatch(
      /BEGIN TRANSACTION;[\s\S]*INSERT INTO[\s\S]*INSERT INTO[\s\S]*COMMIT TRANSACTION;/,
    );
    expect(paramsOf(bodies[1])).toEqual({
      start: param('TIMESTAMP', '2026-09-02T00:00:00.000Z'),
      end: param('TIMESTAMP', expectedEnd),
    });
    expect(bodies[1]!.configuration.labels).toEqual({
      app: 'bqcost',
      bqcost_query: 'refresh-cost-facts',
    });
  });

  it('with a watermark, starts where the last run ended', async () => {
    const { warehouse } = harness({ lookbackDays: 7 });
    const bodies: InsertBody[] = [];
    const scope = expectInsert(bq(), 'job_watermark_1', bodies);
    expectResults(
      scope,
      'job_watermark_1',
      page('job_watermark_1', watermarkFields, [[micros('2026-10-01T21:00:00Z')]]),
    );
    expectInsert(scope, 'job_refresh_cost_facts_2', bodies);
    expectResults(
      scope,
      'job_refresh_cost_facts_2',
      page('job_refresh_cost_facts_2', outcomeFields, [['refreshed']]),
    );

    const result = await warehouse.refreshCostFacts(now);
    scope.done();
    expect(result).toEqual({
      start: new Date('2026-10-01T21:00:00Z'),
      end: new Date(expectedEnd),
      skipped: false,
    });
    expect(paramsOf(bodies[1])).toEqual({
      start: param('TIMESTAMP', '2026-10-01T21:00:00.000Z'),
      end: param('TIMESTAMP', expectedEnd),
    });
  });

  it('runs no job when the watermark has reached now − 6 h', async () => {
    const { warehouse } = harness();
    const scope = expectInsert(bq(), 'job_watermark_1', []);
    expectResults(
      scope,
      'job_watermark_1',
      page('job_watermark_1', watermarkFields, [[micros(expectedEnd)]]),
    );

    await expect(warehouse.refreshCostFacts(now)).resolves.toEqual({
      start: new Date(expectedEnd),
      end: new Date(expectedEnd),
      skipped: true,
    });
    scope.done();
    // Any refresh job would be an unmatched request and fail afterEach.
  });

  it('reports skipped when the script finds the window already covered', async () => {
    const { warehouse } = harness();
    const scope = expectInsert(bq(), 'job_watermark_1', []);
    expectResults(
      scope,
      'job_watermark_1',
      page('job_watermark_1', watermarkFields, [[micros('2026-10-02T05:00:00Z')]]),
    );
    expectInsert(scope, 'job_refresh_cost_facts_2', []);
    expectResults(
      scope,
      'job_refresh_cost_facts_2',
      page('job_refresh_cost_facts_2', outcomeFields, [['skipped']]),
    );

    await expect(warehouse.refreshCostFacts(now)).resolves.toMatchObject({ skipped: true });
    scope.done();
  });
});

describe('retries and errors', () => {
  const oneRow = (jobId: string) => page(jobId, storageFields, [storageRow('a', null)]);

  it('retries a 5xx on jobs.insert with the same job id, after a jittered backoff', async () => {
    const { warehouse, sleeps } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_table_storage_1';
    const scope = expectInsert(bq(), jobId, bodies, [
      503,
      apiError(503, 'backendError', 'Service unavailable'),
    ]);
    expectInsert(scope, jobId, bodies);
    expectResults(scope, jobId, oneRow(jobId));

    await expect(warehouse.tableStorage()).resolves.toHaveLength(1);
    scope.done();
    expect(bodies.map((b) => b.jobReference.jobId)).toEqual([jobId, jobId]);
    expect(sleeps).toEqual([750]); // base 1 s, equal jitter with random() = 0.5
  });

  it('retries a 429 on getQueryResults for the same page', async () => {
    const { warehouse, sleeps } = harness();
    const jobId = 'job_table_storage_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(scope, jobId, [429, apiError(429, 'rateLimitExceeded', 'Too many requests')]);
    expectResults(scope, jobId, oneRow(jobId));

    await expect(warehouse.tableStorage()).resolves.toHaveLength(1);
    scope.done();
    expect(sleeps).toHaveLength(1);
  });

  it('retries a 403 whose reason is rateLimitExceeded', async () => {
    const { warehouse, sleeps } = harness();
    const jobId = 'job_table_storage_1';
    const scope = expectInsert(
      bq(),
      jobId,
      [],
      [403, apiError(403, 'rateLimitExceeded', 'Exceeded rate limits')],
    );
    expectInsert(scope, jobId, []);
    expectResults(scope, jobId, oneRow(jobId));

    await expect(warehouse.tableStorage()).resolves.toHaveLength(1);
    scope.done();
    expect(sleeps).toHaveLength(1);
  });

  it('runs a new job when the job itself failed with jobRateLimitExceeded', async () => {
    const { warehouse, sleeps } = harness();
    const bodies: InsertBody[] = [];
    const scope = expectInsert(bq(), 'job_table_storage_1', bodies);
    expectResults(scope, 'job_table_storage_1', [
      400,
      apiError(400, 'jobRateLimitExceeded', 'Job exceeded rate limits'),
    ]);
    expectInsert(scope, 'job_table_storage_2', bodies);
    expectResults(scope, 'job_table_storage_2', oneRow('job_table_storage_2'));

    await expect(warehouse.tableStorage()).resolves.toHaveLength(1);
    scope.done();
    expect(bodies.map((b) => b.jobReference.jobId)).toEqual([
      'job_table_storage_1',
      'job_table_storage_2',
    ]);
    expect(bodies[1]!.configuration.query.query).toBe(bodies[0]!.configuration.query.query);
    expect(sleeps).toHaveLength(1);
  });

  it('runs a new job when jobs.insert returns a job that already failed with backendError', async () => {
    const { warehouse } = harness();
    const failed = {
      ...jobResource('job_table_storage_1'),
      status: {
        state: 'DONE',
        errorResult: { reason: 'backendError', message: 'Backend error' },
        errors: [{ reason: 'backendError', message: 'Backend error' }],
      },
    };
    const scope = expectInsert(bq(), 'job_table_storage_1', [], [200, failed]);
    expectInsert(scope, 'job_table_storage_2', []);
    expectResults(scope, 'job_table_storage_2', oneRow('job_table_storage_2'));

    await expect(warehouse.tableStorage()).resolves.toHaveLength(1);
    scope.done();
  });

  it('follows the existing job when a retried insert answers 409 duplicate', async () => {
    const { warehouse } = harness();
    const jobId = 'job_table_storage_1';
    const scope = expectInsert(
      bq(),
      jobId,
      [],
      [503, apiError(503, 'backendError', 'Unavailable')],
    );
    expectInsert(
      scope,
      jobId,
      [],
      [409, apiError(409, 'duplicate', `Already Exists: Job ${projectId}:US.${jobId}`)],
    );
    expectResults(scope, jobId, oneRow(jobId));

    await expect(warehouse.tableStorage()).resolves.toHaveLength(1);
    scope.done();
  });

  it('400 invalidQuery becomes a non-retryable AppError without retrying', async () => {
    const { warehouse, sleeps } = harness();
    const scope = expectInsert(
      bq(),
      'job_table_storage_1',
      [],
      [400, apiError(400, 'invalidQuery', 'Syntax error: Unexpected keyword FROM at [3:1]')],
    );

    const error = await rejection(warehouse.tableStorage());
    scope.done();
    expect(sleeps).toEqual([]);
    expect(error.code).toBe('warehouse.invalidQuery');
    expect(error.retryable).toBe(false);
    expect(error.userMessage).toContain('rejected');
    expect(error.userMessage).toContain('table-storage');
    expect(error.message).toContain('Syntax error');
  });

  it('403 accessDenied names the missing permission and role', async () => {
    const { warehouse, sleeps } = harness();
    const jobId = 'job_stored_cost_facts_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(scope, jobId, [
      403,
      apiError(
        403,
        'accessDenied',
        'Access Denied: Project acme-analytics: User does not have bigquery.jobs.listAll',
      ),
    ]);

    const error = await rejection(
      warehouse.costFacts({
        start: new Date('2026-09-01T00:00:00Z'),
        end: new Date('2026-09-02T00:00:00Z'),
      }),
    );
    scope.done();
    expect(sleeps).toEqual([]);
    expect(error.code).toBe('warehouse.accessDenied');
    expect(error.retryable).toBe(false);
    expect(error.userMessage).toContain('bigquery.jobs.listAll');
    expect(error.userMessage).toContain('roles/bigquery.resourceViewer');
  });

  it('404 notFound becomes a non-retryable AppError pointing at project, region and dataset', async () => {
    const { warehouse, sleeps } = harness();
    const scope = expectInsert(
      bq(),
      'job_watermark_1',
      [],
      [404, apiError(404, 'notFound', 'Not found: Table acme-analytics:bqcost.cost_fact_runs')],
    );

    const error = await rejection(warehouse.refreshCostFacts(new Date('2026-10-02T12:00:00Z')));
    scope.done();
    expect(sleeps).toEqual([]);
    expect(error.code).toBe('warehouse.notFound');
    expect(error.retryable).toBe(false);
    expect(error.userMessage).toContain(projectId);
    expect(error.userMessage).toContain('bqcost');
  });

  it('gives up after maxRetries with a retryable AppError and growing delays', async () => {
    const { warehouse, sleeps } = harness({ maxRetries: 2 });
    const jobId = 'job_table_storage_1';
    const scope = bq();
    for (let i = 0; i < 3; i += 1) {
      expectInsert(scope, jobId, [], [500, apiError(500, 'internalError', 'Internal error')]);
    }

    const error = await rejection(warehouse.tableStorage());
    scope.done();
    expect(error.code).toBe('warehouse.internalError');
    expect(error.retryable).toBe(true);
    expect(sleeps).toEqual([750, 1500]);
  });

  it('keeps the bearer token out of the error', async () => {
    const { warehouse } = harness({ maxRetries: 0 });
    const scope = expectInsert(
      bq(),
      'job_table_storage_1',
      [],
      [500, apiError(500, 'backendError', 'boom')],
    );
    const error = await rejection(warehouse.tableStorage());
    scope.done();
    expect(inspect(error, { depth: 20 })).not.toContain(token);
    expect(JSON.stringify({ ...error, cause: error.cause })).not.toContain(token);
  });

  it('the client the factory builds does not retry on its own (no multiplied retries)', async () => {
    const sleeps: number[] = [];
    const warehouse = createBigQueryWarehouse(
      { projectId, region: 'us' },
      {
        clientOptions: { authClient },
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
        newJobId: () => 'job_factory_1',
      },
    );
    expect(warehouse).toBeInstanceOf(BigQueryWarehouse);
    const jobId = 'job_factory_1';
    const scope = expectInsert(
      bq(),
      jobId,
      [],
      [503, apiError(503, 'backendError', 'Unavailable')],
    );
    expectInsert(scope, jobId, []);
    expectResults(scope, jobId, oneRow(jobId));

    await expect(warehouse.tableStorage()).resolves.toHaveLength(1);
    scope.done();
    // Had the library retried the 503 itself, our backoff would never have run.
    expect(sleeps).toEqual([750]);
  });

  it.each([
    [{ code: 403, errors: [{ reason: 'rateLimitExceeded' }] }, 'rateLimitExceeded', true, false],
    [{ code: 403, errors: [{ reason: 'accessDenied' }] }, 'accessDenied', false, false],
    [{ code: 403, errors: [{ reason: 'quotaExceeded' }] }, 'quotaExceeded', false, false],
    [{ code: 400, errors: [{ reason: 'jobInternalError' }] }, 'jobInternalError', true, true],
    [{ code: 502 }, 'backendError', true, false],
    [{ code: 501 }, 'backendError', false, false],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'network', true, false],
    [new Error('something else'), 'unknown', false, false],
  ])('classifies %o', (error, reason, retryable, jobFailed) => {
    expect(classifyBigQueryError(error)).toMatchObject({ reason, retryable, jobFailed });
  });
});
