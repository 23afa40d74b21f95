import { describe, expect, it } from 'vitest';
import {
  apiError,
  bq,
  expectInsert,
  harness,
  installNockGuards,
  projectId,
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

// dryRun over REST (nock): jobs.insert with configuration.dryRun, the byte count read from the job
// statistics, and each failure turned into an outcome `check` can show: the statement's own errors
// (400 invalidQuery, 404 notFound) as rejections, a 403 naming the permission, 5xx retried.

installNockGuards();

const sql = 'SELECT order_id FROM `proj-a.sales.orders` WHERE day = "2026-10-01"';

/** jobs.insert's answer to a dry run: no job id, state DONE, the statistics. */
function dryRunReply(totalBytesProcessed: string): [number, object] {
  return [
    200,
    {
      kind: 'bigquery#job',
      configuration: { dryRun: true, jobType: 'QUERY', query: { query: sql } },
      jobReference: { projectId, location: 'US' },
      statistics: {
        totalBytesProcessed,
        query: { totalBytesProcessed, totalBytesBilled: '0', statementType: 'SELECT' },
      },
      status: { state: 'DONE' },
    },
  ];
}

type DryRunBody = InsertBody & { configuration: { dryRun?: boolean } };

describe('dryRun', () => {
  it('sends the SQL with dryRun true and returns the bytes processed', async () => {
    const { warehouse, sleeps } = harness();
    const bodies: InsertBody[] = [];
    const scope = expectInsert(bq(), 'job_dry_run_1', bodies, dryRunReply('65935918'));

    const result = await warehouse.dryRun(sql);
    scope.done();

    const [body] = bodies as [DryRunBody];
    expect(body.configuration.dryRun).toBe(true);
    expect(body.configuration.query.query).toBe(sql);
    expect(body.configuration.query.useLegacySql).toBe(false);
    expect(body.configuration.query.queryParameters).toBeUndefined();
    expect(body.jobReference.location).toBe('US');
    expect(body.configuration.labels).toEqual({ app: 'bqcost', bqcost_query: 'dry-run' });
    expect(result).toEqual({ outcome: 'estimated', bytesProcessed: 65_935_918 });
    expect(sleeps).toEqual([]);
  });

  it('400 invalidQuery: rejected, with BigQuery naming the problem; not retried', async () => {
    const { warehouse, sleeps } = harness();
    const scope = expectInsert(
      bq(),
      'job_dry_run_1',
      [],
      [
        400,
        apiError(
          400,
          'invalidQuery',
          'Syntax error: Expected end of input but got keyword FORM at [1:10]',
        ),
      ],
    );

    const result = await warehouse.dryRun('SELECT 1 FORM x');
    scope.done();

    expect(result).toEqual({
      outcome: 'rejected',
      reason: 'invalidQuery',
      message: 'Syntax error: Expected end of input but got keyword FORM at [1:10]',
    });
    expect(sleeps).toEqual([]);
  });

  it('404 notFound (a table that does not exist): rejected, the table named', async () => {
    const { warehouse } = harness();
    const message = 'Not found: Table proj-a:sales.ordres was not found in location US';
    const scope = expectInsert(
      bq(),
      'job_dry_run_1',
      [],
      [404, apiError(404, 'notFound', message)],
    );

    const result = await warehouse.dryRun('SELECT 1 FROM `proj-a.sales.ordres`');
    scope.done();

    expect(result).toEqual({ outcome: 'rejected', reason: 'notFound', message });
  });

  it('403 accessDenied: unavailable, naming the permission and the project; not retried', async () => {
    const { warehouse, sleeps } = harness();
    const scope = expectInsert(
      bq(),
      'job_dry_run_1',
      [],
      [
        403,
        apiError(
          403,
          'accessDenied',
          'Access Denied: Project acme-analytics: User does not have bigquery.jobs.create permission in project acme-analytics.',
        ),
      ],
    );

    const result = await warehouse.dryRun(sql);
    scope.done();

    expect(result?.outcome).toBe('unavailable');
    expect(result).toMatchObject({ reason: 'accessDenied' });
    const message = result?.outcome === 'unavailable' ? result.message : '';
    expect(message).toContain('denied');
    expect(message).toContain('bigquery.jobs.create');
    expect(message).toContain('roles/bigquery.jobUser');
    expect(message).toContain(`project ${projectId}`);
    expect(sleeps).toEqual([]);
  });

  it('503 then success: retried after a backoff, one answer', async () => {
    const { warehouse, sleeps } = harness();
    const bodies: InsertBody[] = [];
    const scope = bq();
    expectInsert(scope, 'job_dry_run_1', bodies, [
      503,
      apiError(503, 'backendError', 'Service unavailable'),
    ]);
    expectInsert(scope, 'job_dry_run_2', bodies, dryRunReply('1048576'));

    const result = await warehouse.dryRun(sql);
    scope.done();

    expect(result).toEqual({ outcome: 'estimated', bytesProcessed: 1_048_576 });
    expect(sleeps).toEqual([750]);
    expect(bodies.map((b) => (b as DryRunBody).configuration.dryRun)).toEqual([true, true]);
  });

  it('503 every time: gives up after maxRetries, unavailable (not an exception)', async () => {
    const { warehouse, sleeps } = harness({ maxRetries: 2 });
    const scope = bq();
    for (const n of [1, 2, 3])
      expectInsert(
        scope,
        `job_dry_run_${n}`,
        [],
        [503, apiError(503, 'backendError', 'Service unavailable')],
      );

    const result = await warehouse.dryRun(sql);
    scope.done();

    expect(result).toEqual({
      outcome: 'unavailable',
      reason: 'backendError',
      message: 'BigQuery did not answer the dry run (backendError, gave up after 2 retries).',
    });
    expect(sleeps).toEqual([750, 1500]);
  });

  it('an answer without a byte count is unavailable, not $0', async () => {
    const { warehouse } = harness();
    const [, body] = dryRunReply('0');
    const reply = { ...body, statistics: {} };
    const scope = expectInsert(bq(), 'job_dry_run_1', [], [200, reply]);

    const result = await warehouse.dryRun(sql);
    scope.done();

    expect(result).toMatchObject({ outcome: 'unavailable', reason: 'badResponse' });
  });
});
