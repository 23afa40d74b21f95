import { describe, expect, it } from 'vitest';
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
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

// jobById over REST (nock): job-by-id.sql with the id as a named STRING parameter, and the mapping
// of the row (or no row) to a JobDetail.

installNockGuards();

const fields = {
  creation_time: 'TIMESTAMP',
  project_id: 'STRING',
  user_email: 'STRING',
  statement_type: 'STRING',
  total_bytes_billed: 'INTEGER',
  total_slot_ms: 'INTEGER',
  query_hash: 'STRING',
  query: 'STRING',
};

describe('jobById', () => {
  it('sends job-by-id.sql with @job_id and maps the row', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const job = 'job_job_by_id_1';
    const scope = expectInsert(bq(), job, bodies);
    expectResults(
      scope,
      job,
      page(job, fields, [
        [
          micros('2026-10-20T08:00:00Z'),
          'proj-a',
          'ana@example.com',
          'SELECT',
          '1099511627776',
          '3600000',
          'hStar',
          'SELECT * FROM `proj-a.sales.orders`',
        ],
      ]),
    );

    const detail = await warehouse.jobById("bquxjob_1'; DROP");
    scope.done();

    const [body] = bodies as [InsertBody];
    expect(body.configuration.query.query).toBe(catalogue('job-by-id'));
    expect(body.configuration.query.query).toContain(`FROM ${expectedViews.jobs}\n`);
    expect(body.configuration.query.query).toContain('WHERE job_id = @job_id');
    expect(body.configuration.query.parameterMode?.toUpperCase()).toBe('NAMED');
    expect(paramsOf(body)).toEqual({ job_id: param('STRING', "bquxjob_1'; DROP") });
    expect(body.configuration.labels).toEqual({ app: 'bqcost', bqcost_query: 'job-by-id' });
    expect(detail).toEqual({
      jobId: "bquxjob_1'; DROP",
      creationTime: new Date('2026-10-20T08:00:00Z'),
      projectId: 'proj-a',
      userEmail: 'ana@example.com',
      statementType: 'SELECT',
      bytesBilled: 2 ** 40,
      slotMs: 3_600_000,
      queryHash: 'hStar',
      query: 'SELECT * FROM `proj-a.sales.orders`',
    });
  });

  it('null when no job has the id; missing quantities stay null, not 0', async () => {
    const { warehouse } = harness();
    const bodies: InsertBody[] = [];
    const scope = expectInsert(bq(), 'job_job_by_id_1', bodies);
    expectResults(scope, 'job_job_by_id_1', page('job_job_by_id_1', fields, []));
    expect(await warehouse.jobById('nope')).toBeNull();
    scope.done();

    const second = harness();
    const scope2 = expectInsert(bq(), 'job_job_by_id_1', []);
    expectResults(
      scope2,
      'job_job_by_id_1',
      page('job_job_by_id_1', fields, [
        [micros('2026-10-20T08:00:00Z'), 'proj-a', null, 'SCRIPT', null, null, null, null],
      ]),
    );
    const detail = await second.warehouse.jobById('script_1');
    scope2.done();
    expect(detail).toMatchObject({ bytesBilled: null, slotMs: null, queryHash: null, query: null });
  });
});
