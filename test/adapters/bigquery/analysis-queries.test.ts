import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { tablesPerPattern } from '../../../src/queries/patterns.js';
import {
  bq,
  catalogue,
  expectedViews,
  expectInsert,
  expectResults,
  harness,
  installNockGuards,
  micros,
  page,
  param,
  paramsOf,
  type Cell,
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

// The analysis queries over REST (nock): the exact SQL and named parameters that go to jobs.insert,
// paging through jobs.getQueryResults, and the mapping of the rows to domain facts.

const jobsView = expectedViews.jobs;

const window = {
  start: new Date('2026-10-01T00:00:00Z'),
  end: new Date('2026-11-01T00:00:00Z'),
};
const windowParams = {
  start: param('TIMESTAMP', '2026-10-01T00:00:00.000Z'),
  end: param('TIMESTAMP', '2026-11-01T00:00:00.000Z'),
};

installNockGuards();

// ---------------------------------------------------------------------------------------------

const patternFields = {
  query_hash: 'STRING',
  runs: 'INTEGER',
  on_demand_bytes_billed: 'INTEGER',
  reservation_slot_ms: 'INTEGER',
  bytes_processed: 'INTEGER',
  max_bytes_billed: 'INTEGER',
  active_days: 'INTEGER',
  distinct_users: 'INTEGER',
  project_id: 'STRING',
  user_email: 'STRING',
  first_seen: 'TIMESTAMP',
  last_seen: 'TIMESTAMP',
  statement_type: 'STRING',
  sample_query: 'STRING',
  sample_job_id: 'STRING',
};
const patternRow = (hash: string, bytes: string, slotMs: string, user: string | null): Cell[] => [
  hash,
  '4',
  bytes,
  slotMs,
  '12000000000000',
  '3000000000000',
  '3',
  user === null ? '0' : '2',
  'proj-b',
  user,
  micros('2026-10-04T08:00:00Z'),
  micros('2026-10-06T18:00:00.123456Z'),
  'SELECT',
  `SELECT * FROM t WHERE id = 1 -- ${hash}`,
  `job_${hash}`,
];
const tableFields = { query_hash: 'STRING', table_name: 'STRING', runs: 'INTEGER' };

describe('queryPatterns', () => {
  it('runs query-patterns, pages through it, then pattern-tables for the hashes it returned', async () => {
    const { warehouse } = harness({ pageSize: 2 });
    const bodies: InsertBody[] = [];
    const patternsJob = 'job_query_patterns_1';
    const tablesJob = 'job_pattern_tables_2';
    const scope = expectInsert(bq(), patternsJob, bodies);
    expectResults(
      scope,
      patternsJob,
      page(
        patternsJob,
        patternFields,
        [
          patternRow('hA', '6000000000000', '0', 'bo@example.com'),
          patternRow('hC', '1073741824', '0', null),
        ],
        'p2',
      ),
      { maxResults: 2 },
    );
    expectResults(
      scope,
      patternsJob,
      page(patternsJob, patternFields, [patternRow('hB', '0', '10800000', 'ana@example.com')]),
      { maxResults: 2, pageToken: 'p2' },
    );
    expectInsert(scope, tablesJob, bodies);
    expectResults(
      scope,
      tablesJob,
      page(
        tablesJob,
        tableFields,
        [
          ['hA', 'proj-a.sales.items', '2'],
          ['hA', 'proj-a.sales.orders', '3'],
        ],
        'q2',
      ),
      { maxResults: 2 },
    );
    expectResults(scope, tablesJob, page(tablesJob, tableFields, [['hB', 'proj-a.etl.raw', '2']]), {
      maxResults: 2,
      pageToken: 'q2',
    });

    const patterns = await warehouse.queryPatterns(window, 200);
    scope.done();

    expect(bodies).toHaveLength(2);
    const [first, second] = bodies as [InsertBody, InsertBody];
    expect(first.configuration.query.query).toBe(catalogue('query-patterns'));
    expect(first.configuration.query.query).toContain(`FROM ${jobsView}\n`);
    expect(first.configuration.query.query).toContain(
      'WHERE (on_demand_bytes_billed > 0 AND bytes_rank <= @limit)',
    );
    expect(first.configuration.query.parameterMode?.toUpperCase()).toBe('NAMED');
    expect(paramsOf(first)).toEqual({
      ...windowParams,
      limit: { parameterType: { type: 'INT64' }, parameterValue: { value: '200' } },
    });
    expect(first.configuration.labels).toEqual({ app: 'bqcost', bqcost_query: 'query-patterns' });

    expect(second.configuration.query.query).toBe(catalogue('pattern-tables'));
    expect(second.configuration.query.query).toContain('IN (SELECT h FROM UNNEST(@hashes) AS h)');
    expect(paramsOf(second)).toEqual({
      ...windowParams,
      hashes: {
        parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
        parameterValue: { arrayValues: [{ value: 'hA' }, { value: 'hC' }, { value: 'hB' }] },
      },
      tables_per_pattern: {
        parameterType: { type: 'INT64' },
        parameterValue: { value: String(tablesPerPattern) },
      },
    });
    expect(second.configuration.labels).toEqual({ app: 'bqcost', bqcost_query: 'pattern-tables' });

    expect(patterns).toEqual([
      {
        hash: 'hA',
        runs: 4,
        onDemandBytesBilled: 6e12,
        reservationSlotMs: 0,
        bytesProcessed: 12e12,
        maxBytesBilled: 3e12,
        activeDays: 3,
        distinctUsers: 2,
        projectId: 'proj-b',
        userEmail: 'bo@example.com',
        firstSeen: new Date('2026-10-04T08:00:00Z'),
        lastSeen: new Date('2026-10-06T18:00:00.123Z'),
        statementType: 'SELECT',
        sampleQuery: 'SELECT * FROM t WHERE id = 1 -- hA',
        sampleJobId: 'job_hA',
        // Most read first, whatever order the rows came in.
        referencedTables: [
          { table: 'proj-a.sales.orders', runs: 3 },
          { table: 'proj-a.sales.items', runs: 2 },
        ],
      },
      expect.objectContaining({
        hash: 'hC',
        userEmail: null,
        distinctUsers: 0,
        referencedTables: [],
      }),
      expect.objectContaining({
        hash: 'hB',
        onDemandBytesBilled: 0,
        reservationSlotMs: 10.8e6,
        referencedTables: [{ table: 'proj-a.etl.raw', runs: 2 }],
      }),
    ]);
  });

  it('runs no pattern-tables job when no pattern came back', async () => {
    const { warehouse } = harness();
    const jobId = 'job_query_patterns_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(scope, jobId, page(jobId, patternFields, []));
    await expect(warehouse.queryPatterns(window, 10)).resolves.toEqual([]);
    scope.done();
    // A pattern-tables insert would be an unmatched request and fail afterEach.
  });

  it('runs pattern-tables again as a new job when that job failed (shared retry helpers)', async () => {
    const { warehouse, sleeps } = harness();
    const bodies: InsertBody[] = [];
    const scope = expectInsert(bq(), 'job_query_patterns_1', bodies);
    expectResults(
      scope,
      'job_query_patterns_1',
      page('job_query_patterns_1', patternFields, [patternRow('hA', '1', '0', null)]),
    );
    expectInsert(scope, 'job_pattern_tables_2', bodies);
    expectResults(scope, 'job_pattern_tables_2', [
      400,
      {
        error: {
          code: 400,
          message: 'Job exceeded rate limits',
          errors: [{ reason: 'jobRateLimitExceeded', message: 'Job exceeded rate limits' }],
        },
      },
    ]);
    expectInsert(scope, 'job_pattern_tables_3', bodies);
    expectResults(
      scope,
      'job_pattern_tables_3',
      page('job_pattern_tables_3', tableFields, [['hA', 'p.d.t', '1']]),
    );

    const [pattern] = await warehouse.queryPatterns(window, 10);
    scope.done();
    expect(pattern!.referencedTables).toEqual([{ table: 'p.d.t', runs: 1 }]);
    expect(sleeps).toEqual([750]);
    expect(bodies[2]!.configuration.query.query).toBe(bodies[1]!.configuration.query.query);
  });

  it('rejects a limit that is not a whole number ≥ 1 before any request', async () => {
    const { warehouse } = harness();
    await expect(warehouse.queryPatterns(window, 0)).rejects.toThrow(RangeError);
  });

  it('a row without a hash is a badRow AppError, not a silent "null" pattern', async () => {
    const { warehouse } = harness();
    const jobId = 'job_query_patterns_1';
    const scope = expectInsert(bq(), jobId, []);
    const row = patternRow('hA', '1', '0', null);
    row[0] = null;
    expectResults(scope, jobId, page(jobId, patternFields, [row]));
    const error = await warehouse.queryPatterns(window, 10).catch((e: unknown) => e);
    scope.done();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('warehouse.badRow');
    expect((error as AppError).message).toContain('query_hash');
  });
});

describe('scriptSamples', () => {
  const fields = {
    key: 'STRING',
    runs: 'INTEGER',
    sample_query: 'STRING',
    project_id: 'STRING',
    sample_job_id: 'STRING',
    last_seen: 'TIMESTAMP',
  };
  const script = 'CREATE TEMP TABLE t AS SELECT 1;\nSELECT * FROM t;';

  it('sends script-samples with the window and limit and maps each script', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_script_samples_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(
      scope,
      jobId,
      page(jobId, fields, [
        ['hS1', '30', script, 'proj-b', 'script_job_9', micros('2026-10-30T02:00:00.5Z')],
        [
          'script:job_7',
          '1',
          'SELECT 1; SELECT 2;',
          'proj-a',
          'job_7',
          micros('2026-10-03T00:00:00Z'),
        ],
      ]),
    );

    const samples = await warehouse.scriptSamples(window, 50);
    scope.done();
    const body = bodies[0]!;
    expect(body.configuration.query.query).toBe(catalogue('script-samples'));
    expect(body.configuration.query.query).toContain(`FROM ${jobsView}\n`);
    expect(body.configuration.query.query).toContain("AND statement_type = 'SCRIPT'");
    expect(body.configuration.query.parameterMode?.toUpperCase()).toBe('NAMED');
    expect(paramsOf(body)).toEqual({
      ...windowParams,
      limit: { parameterType: { type: 'INT64' }, parameterValue: { value: '50' } },
    });
    expect(body.configuration.labels).toEqual({ app: 'bqcost', bqcost_query: 'script-samples' });
    expect(samples).toEqual([
      {
        key: 'hS1',
        runs: 30,
        sampleQuery: script,
        projectId: 'proj-b',
        sampleJobId: 'script_job_9',
        lastSeen: new Date('2026-10-30T02:00:00.500Z'),
      },
      {
        key: 'script:job_7',
        runs: 1,
        sampleQuery: 'SELECT 1; SELECT 2;',
        projectId: 'proj-a',
        sampleJobId: 'job_7',
        lastSeen: new Date('2026-10-03T00:00:00Z'),
      },
    ]);
  });

  it('a row without text is a badRow AppError; a bad limit fails before any request', async () => {
    const { warehouse } = harness();
    await expect(warehouse.scriptSamples(window, 0)).rejects.toThrow(RangeError);
    const jobId = 'job_script_samples_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(
      scope,
      jobId,
      page(jobId, fields, [['hS1', '1', null, 'p', 'j', micros('2026-10-03T00:00:00Z')]]),
    );
    const error = await warehouse.scriptSamples(window, 10).catch((e: unknown) => e);
    scope.done();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('warehouse.badRow');
    expect((error as AppError).message).toContain('sample_query');
  });
});

describe('tableUsage', () => {
  const fields = {
    table_name: 'STRING',
    reads: 'INTEGER',
    read_days: 'INTEGER',
    last_read: 'TIMESTAMP',
    read_on_demand_bytes_billed: 'INTEGER',
    writes: 'INTEGER',
    last_write: 'TIMESTAMP',
  };

  it('sends table-usage with the window and maps reads, writes and missing times', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_table_usage_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(
      scope,
      jobId,
      page(jobId, fields, [
        ['proj-a.etl.clean', '0', '0', null, '0', '2', micros('2026-10-08T01:00:00Z')],
        [
          'proj-a.sales.orders',
          '3',
          '2',
          micros('2026-10-06T18:00:00Z'),
          '6597069766656',
          '0',
          null,
        ],
      ]),
    );

    const usage = await warehouse.tableUsage(window);
    scope.done();
    const body = bodies[0]!;
    expect(body.configuration.query.query).toBe(catalogue('table-usage'));
    expect(body.configuration.query.query).toContain(`FROM ${jobsView}\n`);
    expect(body.configuration.query.query).toContain(
      "AND NOT STARTS_WITH(b.destination_table.dataset_id, '_')",
    );
    expect(paramsOf(body)).toEqual(windowParams);
    expect(usage).toEqual([
      {
        table: 'proj-a.etl.clean',
        reads: 0,
        readDays: 0,
        lastRead: null,
        readOnDemandBytesBilled: 0,
        writes: 2,
        lastWrite: new Date('2026-10-08T01:00:00Z'),
      },
      {
        table: 'proj-a.sales.orders',
        reads: 3,
        readDays: 2,
        lastRead: new Date('2026-10-06T18:00:00Z'),
        readOnDemandBytesBilled: 6597069766656,
        writes: 0,
        lastWrite: null,
      },
    ]);
  });
});

describe('bytesDistribution', () => {
  const fields = {
    scope: 'STRING',
    key: 'STRING',
    jobs: 'INTEGER',
    quantiles: 'INTEGER[]',
    max_job_id: 'STRING',
  };
  const quantiles = (n: number) => Array.from({ length: 101 }, (_, i) => String(i * n));

  it('sends bytes-distribution and maps the REPEATED quantiles to numbers', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const jobId = 'job_bytes_distribution_1';
    const scope = expectInsert(bq(), jobId, bodies);
    expectResults(
      scope,
      jobId,
      page(jobId, fields, [
        ['project', 'proj-a', '3', quantiles(1_000_000), 'job_big'],
        ['user', 'ana@example.com', '2', quantiles(7), null],
      ]),
    );

    const facts = await warehouse.bytesDistribution(window);
    scope.done();
    const body = bodies[0]!;
    expect(body.configuration.query.query).toBe(catalogue('bytes-distribution'));
    expect(body.configuration.query.query).toContain('APPROX_QUANTILES(bytes_billed, 100)');
    expect(body.configuration.query.query).toContain(`FROM ${jobsView}\n`);
    expect(paramsOf(body)).toEqual(windowParams);
    expect(facts).toEqual([
      {
        scope: 'project',
        key: 'proj-a',
        jobs: 3,
        quantiles: Array.from({ length: 101 }, (_, i) => i * 1_000_000),
        maxJobId: 'job_big',
      },
      {
        scope: 'user',
        key: 'ana@example.com',
        jobs: 2,
        quantiles: Array.from({ length: 101 }, (_, i) => i * 7),
        maxJobId: null,
      },
    ]);
  });

  it('an unknown scope is a badRow AppError', async () => {
    const { warehouse } = harness();
    const jobId = 'job_bytes_distribution_1';
    const scope = expectInsert(bq(), jobId, []);
    expectResults(scope, jobId, page(jobId, fields, [['team', 'x', '1', quantiles(1), 'j']]));
    const error = await warehouse.bytesDistribution(window).catch((e: unknown) => e);
    scope.done();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('warehouse.badRow');
  });
});
