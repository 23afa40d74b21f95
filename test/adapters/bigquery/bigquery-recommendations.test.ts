import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BigQueryAnomalyStore,
  BigQueryRecommendationStore,
  BigQueryRunLog,
} from '../../../src/adapters/bigquery/bigquery-recommendations.js';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import { tableDdl } from '../../../src/adapters/duckdb/table-ddl.js';
import { recommendationsTable } from '../../../src/domain/tables.js';
import { anomaly } from '../../fixtures/alert-events.js';
import { storedRecommendation } from '../../fixtures/stored-recommendations.js';
import {
  apiError,
  bq,
  expectInsert,
  expectInsertAll,
  expectQuery,
  expectResults,
  harness,
  installNockGuards,
  micros,
  page,
  param,
  paramsOf,
  projectId,
  recordedSleeps,
  rejection,
  token,
  type InsertAllBody,
  type InsertBody,
} from '../../helpers/bigquery-rest.js';

// nock at the REST level: jobs.insert + getQueryResults for reads (and the "is this run stored?"
// check), tabledata.insertAll for writes.

installNockGuards();

const table = '`acme-analytics`.`bqcost`.recommendations';

/** The run-stored check answering `n`. */
function expectRunCheck(jobId: string, bodies: InsertBody[], n: number) {
  expectQuery(jobId, bodies, { n: 'INTEGER' }, [[String(n)]]);
}

function stores() {
  const { warehouse } = harness();
  const { sleep, sleeps } = recordedSleeps();
  return {
    recommendations: new BigQueryRecommendationStore(warehouse, { sleep }),
    anomalies: new BigQueryAnomalyStore(warehouse, { sleep }),
    runs: new BigQueryRunLog(warehouse, { sleep }),
    sleeps,
  };
}

const insertId = (runId: string, id: string) =>
  createHash('sha256')
    .update(JSON.stringify([runId, id]))
    .digest('hex');

const foundAt = new Date('2026-11-01T06:00:00Z');

const recommendationFields = {
  recommendation_id: 'STRING',
  run_id: 'STRING',
  kind: 'STRING',
  rule: 'STRING',
  target: 'STRING',
  monthly_savings_usd: 'FLOAT',
  confidence: 'STRING',
  summary: 'STRING',
  evidence: 'JSON',
  fix: 'JSON',
  team_id: 'STRING',
  channel_id: 'STRING',
  owner_slack_ids: 'STRING[]',
  found_at: 'TIMESTAMP',
  first_found_at: 'TIMESTAMP',
};

function recommendationRow(
  id: string,
  overrides: Partial<Record<keyof typeof recommendationFields, string | null | string[]>> = {},
) {
  const row = {
    recommendation_id: id,
    run_id: 'run-2',
    kind: 'sql_antipattern',
    rule: 'select_star',
    target: 'hash123',
    monthly_savings_usd: null,
    confidence: 'low',
    summary: 'SELECT * on a wide table',
    evidence: '{"method":"m","costLines":[]}',
    fix: '{"sql":"SELECT a"}',
    team_id: 'T0ACME',
    channel_id: 'C0FINOPS',
    owner_slack_ids: ['U1', 'U2'],
    found_at: micros('2026-11-02T06:00:00Z'),
    first_found_at: micros('2026-11-01T06:00:00Z'),
    ...overrides,
  };
  return Object.keys(recommendationFields).map((k) => row[k as keyof typeof row]);
}

describe('BigQueryRecommendationStore.save', () => {
  it('checks the run, then inserts every row with insertId = sha256(run, id)', async () => {
    const { recommendations } = stores();
    const queries: InsertBody[] = [];
    expectRunCheck('job_recommendations_run_stored_1', queries, 0);
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendations', bodies, [200, {}]);
    const routed = storedRecommendation('rec-a', { ownerSlackIds: ['U1'] });
    const unrouted = storedRecommendation('rec-b', {
      teamId: '',
      channelId: '',
      ownerSlackIds: [],
      recommendation: { monthlySavingsUsd: null, kind: 'sql_antipattern', rule: 'select_star' },
    });
    await recommendations.save('run-1', foundAt, [routed, unrouted]);

    expect(queries[0]?.configuration.query.query).toContain(
      `SELECT COUNT(*) AS n FROM ${table} WHERE run_id = @run`,
    );
    expect(paramsOf(queries[0])).toEqual({ run: param('STRING', 'run-1') });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.rows.map((r) => r.insertId)).toEqual([
      insertId('run-1', 'rec-a'),
      insertId('run-1', 'rec-b'),
    ]);
    expect(bodies[0]?.rows[0]?.json).toEqual({
      recommendation_id: 'rec-a',
      run_id: 'run-1',
      kind: 'partition_table',
      rule: null,
      target: 'acme-analytics.events.rec-a',
      monthly_savings_usd: 412.5,
      confidence: 'high',
      summary: 'Partition acme-analytics.events.rec-a by event_date',
      evidence: JSON.stringify(routed.recommendation.evidence),
      fix: JSON.stringify(routed.recommendation.fix),
      team_id: 'T0ACME',
      channel_id: 'C0FINOPS',
      owner_slack_ids: ['U1'],
      found_at: '2026-11-01T06:00:00.000Z',
    });
    expect(bodies[0]?.rows[1]?.json).toMatchObject({
      rule: 'select_star',
      monthly_savings_usd: null,
      team_id: null,
      channel_id: null,
      owner_slack_ids: [],
    });
  });

  it('a run that already has rows (a redelivery) writes nothing', async () => {
    const { recommendations } = stores();
    expectRunCheck('job_recommendations_run_stored_1', [], 3);
    await recommendations.save('run-1', foundAt, [storedRecommendation('rec-a')]);
  });

  it('an empty run asks nothing and writes nothing', async () => {
    await stores().recommendations.save('run-1', foundAt, []);
  });

  it('sends 501 rows in two insertAll requests', async () => {
    const { recommendations } = stores();
    expectRunCheck('job_recommendations_run_stored_1', [], 0);
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendations', bodies, [200, {}]);
    expectInsertAll('recommendations', bodies, [200, {}]);
    await recommendations.save(
      'run-1',
      foundAt,
      Array.from({ length: 501 }, (_, i) => storedRecommendation(`rec-${i}`)),
    );
    expect(bodies.map((b) => b.rows.length)).toEqual([500, 1]);
  });

  it('resends 503 and transient row errors with the same insertIds, then succeeds', async () => {
    const { recommendations, sleeps } = stores();
    expectRunCheck('job_recommendations_run_stored_1', [], 0);
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendations', bodies, [503, apiError(503, 'backendError', 'later')]);
    expectInsertAll('recommendations', bodies, [
      200,
      { insertErrors: [{ index: 0, errors: [{ reason: 'backendError', message: 'x' }] }] },
    ]);
    expectInsertAll('recommendations', bodies, [200, {}]);
    await recommendations.save('run-1', foundAt, [storedRecommendation('rec-a')]);
    expect(bodies.map((b) => b.rows[0]?.insertId)).toEqual(
      Array(3).fill(insertId('run-1', 'rec-a')),
    );
    expect(sleeps).toEqual([200, 400]);
  });

  it('gives up after the bounded retries (retryable) and fails at once on a rejected row', async () => {
    const { recommendations } = stores();
    expectRunCheck('job_recommendations_run_stored_1', [], 0);
    for (let i = 0; i < 3; i++)
      expectInsertAll('recommendations', [], [500, apiError(500, 'internalError', 'x')]);
    const gaveUp = await rejection(
      recommendations.save('run-1', foundAt, [storedRecommendation('rec-a')]),
    );
    expect(gaveUp).toMatchObject({ code: 'store.internalError', retryable: true });

    expectRunCheck('job_recommendations_run_stored_2', [], 0);
    expectInsertAll(
      'recommendations',
      [],
      [200, { insertErrors: [{ index: 0, errors: [{ reason: 'invalid', message: 'bad JSON' }] }] }],
    );
    const rejected = await rejection(
      recommendations.save('run-2', foundAt, [storedRecommendation('rec-a')]),
    );
    expect(rejected).toMatchObject({ code: 'store.insert_rejected', retryable: false });
    expect(rejected.message).toContain('(invalid)');
    expect(JSON.stringify(rejected)).not.toContain(token);
  });

  it('403 on insertAll: not retryable', async () => {
    const { recommendations } = stores();
    expectRunCheck('job_recommendations_run_stored_1', [], 0);
    const bodies: InsertAllBody[] = [];
    expectInsertAll('recommendations', bodies, [403, apiError(403, 'accessDenied', 'no')]);
    const error = await rejection(
      recommendations.save('run-1', foundAt, [storedRecommendation('rec-a')]),
    );
    expect(error.retryable).toBe(false);
    expect(bodies).toHaveLength(1);
  });
});

describe('BigQueryRecommendationStore reads', () => {
  it('find: one row per (id, run), the latest run per id, the earliest found_at as first found', async () => {
    const { recommendations } = stores();
    const queries: InsertBody[] = [];
    expectQuery('job_recommendations_find_1', queries, recommendationFields, [
      recommendationRow('rec-a'),
    ]);
    const found = await recommendations.find('rec-a');
    const sql = queries[0]?.configuration.query.query ?? '';
    expect(sql).toContain(`FROM ${table}\n  WHERE recommendation_id = @id`);
    expect(sql).toContain(
      'QUALIFY ROW_NUMBER() OVER (PARTITION BY recommendation_id, run_id ORDER BY found_at) = 1',
    );
    expect(sql).toContain('MIN(found_at) OVER (PARTITION BY recommendation_id) AS first_found_at');
    expect(sql).toContain(
      'QUALIFY ROW_NUMBER() OVER (PARTITION BY recommendation_id ORDER BY found_at DESC, run_id DESC) = 1',
    );
    expect(paramsOf(queries[0])).toEqual({ id: param('STRING', 'rec-a') });
    expect(found).toEqual({
      recommendation: {
        id: 'rec-a',
        kind: 'sql_antipattern',
        rule: 'select_star',
        target: 'hash123',
        monthlySavingsUsd: null,
        confidence: 'low',
        summary: 'SELECT * on a wide table',
        evidence: { method: 'm', costLines: [] },
        fix: { sql: 'SELECT a' },
      },
      teamId: 'T0ACME',
      channelId: 'C0FINOPS',
      ownerSlackIds: ['U1', 'U2'],
      foundAt: new Date('2026-11-02T06:00:00Z'),
      firstFoundAt: new Date('2026-11-01T06:00:00Z'),
    });
  });

  it('find: none → null; an unrouted row reads back with empty team and channel', async () => {
    const { recommendations } = stores();
    const scope = bq();
    expectInsert(scope, 'job_recommendations_find_1', []);
    expectResults(
      scope,
      'job_recommendations_find_1',
      page('job_recommendations_find_1', recommendationFields, []),
    );
    expect(await recommendations.find('nope')).toBeNull();
    expectInsert(scope, 'job_recommendations_find_2', []);
    expectResults(
      scope,
      'job_recommendations_find_2',
      page('job_recommendations_find_2', recommendationFields, [
        recommendationRow('rec-u', { team_id: null, channel_id: null, owner_slack_ids: [] }),
      ]),
    );
    expect(await recommendations.find('rec-u')).toMatchObject({
      teamId: '',
      channelId: '',
      ownerSlackIds: [],
    });
  });

  it('list: filters after picking the latest row, sorted and limited in BigQuery', async () => {
    const { recommendations } = stores();
    const queries: InsertBody[] = [];
    expectQuery('job_recommendations_list_1', queries, recommendationFields, [
      recommendationRow('rec-a', { monthly_savings_usd: '500' }),
      recommendationRow('rec-b'),
    ]);
    const listed = await recommendations.list({
      teamId: 'T0ACME',
      channelId: 'C0FINOPS',
      ownerSlackId: 'U1',
      kind: 'sql_antipattern',
      firstFoundSince: new Date('2026-11-01T00:00:00Z'),
      limit: 5,
    });
    expect(listed.map((l) => [l.recommendation.id, l.recommendation.monthlySavingsUsd])).toEqual([
      ['rec-a', 500],
      ['rec-b', null],
    ]);
    const sql = queries[0]?.configuration.query.query ?? '';
    expect(sql).toContain(`FROM ${table}\n  QUALIFY`);
    expect(sql).toContain('AND (@owner IS NULL OR @owner IN UNNEST(owner_slack_ids))');
    expect(sql).toMatch(
      /ORDER BY monthly_savings_usd DESC NULLS LAST, recommendation_id\nLIMIT @limit\n?$/,
    );
    expect(paramsOf(queries[0])).toEqual({
      limit: { parameterType: { type: 'INT64' }, parameterValue: { value: 5 } },
      team_id: param('STRING', 'T0ACME'),
      channel_id: param('STRING', 'C0FINOPS'),
      owner: param('STRING', 'U1'),
      kind: param('STRING', 'sql_antipattern'),
      since: param('TIMESTAMP', '2026-11-01T00:00:00.000Z'),
    });
  });

  it('list: an absent filter is a typed NULL parameter (no filter)', async () => {
    const { recommendations } = stores();
    const queries: InsertBody[] = [];
    expectQuery('job_recommendations_list_1', queries, recommendationFields, []);
    expect(await recommendations.list({})).toEqual([]);
    const params = paramsOf(queries[0]);
    expect(params.team_id?.parameterType).toEqual({ type: 'STRING' });
    expect(params.team_id?.parameterValue.value ?? null).toBeNull();
    expect(params.since?.parameterType).toEqual({ type: 'TIMESTAMP' });
    expect(params.limit).toEqual({
      parameterType: { type: 'INT64' },
      parameterValue: { value: 100 },
    });
  });

  it('versionsAt: ids and instants as parallel arrays, the asking run left out', async () => {
    const { recommendations } = stores();
    const queries: InsertBody[] = [];
    expectQuery('job_recommendations_versions_1', queries, { ...recommendationFields }, [
      recommendationRow('rec-a', { run_id: 'run-1', monthly_savings_usd: '200' }),
    ]);
    const versions = await recommendations.versionsAt(
      [
        { recommendationId: 'rec-a', at: new Date('2026-11-05T00:00:00Z') },
        { recommendationId: 'rec-b', at: new Date('2026-11-06T00:00:00Z') },
      ],
      'run-3',
    );
    expect(versions.get('rec-a')).toMatchObject({
      runId: 'run-1',
      foundAt: new Date('2026-11-02T06:00:00Z'),
      recommendation: { monthlySavingsUsd: 200 },
    });
    expect(versions.has('rec-b')).toBe(false);
    const sql = queries[0]?.configuration.query.query ?? '';
    expect(sql).toContain('SELECT id, ats[OFFSET(o)] AS at FROM UNNEST(@ids) AS id WITH OFFSET o');
    expect(sql).toContain('WHERE p.found_at <= a.at AND p.run_id != @exclude');
    const params = paramsOf(queries[0]);
    expect(params.exclude).toEqual(param('STRING', 'run-3'));
    expect(params.ids).toEqual({
      parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
      parameterValue: { arrayValues: [{ value: 'rec-a' }, { value: 'rec-b' }] },
    });
    expect(params.ats?.parameterType).toEqual({ type: 'ARRAY', arrayType: { type: 'TIMESTAMP' } });
    expect(params.ats?.parameterValue.arrayValues?.map((v) => v.value)).toEqual([
      '2026-11-05T00:00:00.000Z',
      '2026-11-06T00:00:00.000Z',
    ]);
  });

  it('a failing read surfaces as a retryable AppError after the warehouse’s retries', async () => {
    const { warehouse } = harness({ maxRetries: 0 });
    const store = new BigQueryRecommendationStore(warehouse);
    bq()
      .post(`/bigquery/v2/projects/${projectId}/jobs`)
      .query(true)
      .reply(503, apiError(503, 'backendError', 'later'));
    const error = await rejection(store.find('rec-a'));
    expect(error.retryable).toBe(true);
  });
});

describe('BigQueryAnomalyStore', () => {
  it('save checks the run and inserts with insertIds; find reads the latest row', async () => {
    const { anomalies } = stores();
    expectRunCheck('job_anomalies_run_stored_1', [], 0);
    const bodies: InsertAllBody[] = [];
    expectInsertAll('anomalies', bodies, [200, {}]);
    const a = anomaly({ id: 'anom-1', usd: 1800.5 });
    await anomalies.save('run-1', foundAt, [a]);
    expect(bodies[0]?.rows).toEqual([
      {
        insertId: insertId('run-1', 'anom-1'),
        json: {
          anomaly_id: 'anom-1',
          run_id: 'run-1',
          scope: 'project:acme-prod',
          day: '2026-11-27',
          usd: 1800.5,
          expected_usd: 150,
          severity: 'high',
          found_at: '2026-11-01T06:00:00.000Z',
        },
      },
    ]);

    const queries: InsertBody[] = [];
    expectQuery(
      'job_anomalies_find_2',
      queries,
      {
        anomaly_id: 'STRING',
        run_id: 'STRING',
        scope: 'STRING',
        day: 'DATE',
        usd: 'FLOAT',
        expected_usd: 'FLOAT',
        severity: 'STRING',
        found_at: 'TIMESTAMP',
      },
      [
        [
          'anom-1',
          'run-1',
          'project:acme-prod',
          '2026-11-27',
          '1800.5',
          '150',
          'high',
          micros('2026-11-01T06:00:00Z'),
        ],
      ],
    );
    expect(await anomalies.find('anom-1')).toEqual({ anomaly: a, runId: 'run-1', foundAt });
    expect(queries[0]?.configuration.query.query).toContain('ORDER BY found_at DESC, run_id DESC');
  });
});

describe('BigQueryRunLog', () => {
  it('records one row per attempt and reads them back in order', async () => {
    const { runs } = stores();
    const bodies: InsertAllBody[] = [];
    expectInsertAll('analysis_runs', bodies, [200, {}]);
    const run = {
      runId: 'run-1',
      scope: 'org',
      windowStart: new Date('2026-10-01T00:00:00Z'),
      windowEnd: new Date('2026-11-01T00:00:00Z'),
      outcome: 'failed' as const,
      recommendations: null,
      anomalies: null,
      errorCode: 'warehouse.backendError',
      startedAt: foundAt,
      finishedAt: new Date('2026-11-01T06:00:02Z'),
    };
    await runs.record(run);
    expect(bodies[0]?.rows[0]).toEqual({
      insertId: insertId('run-1', '2026-11-01T06:00:00.000Z'),
      json: {
        run_id: 'run-1',
        scope: 'org',
        window_start: '2026-10-01T00:00:00.000Z',
        window_end: '2026-11-01T00:00:00.000Z',
        outcome: 'failed',
        recommendations: null,
        anomalies: null,
        error_code: 'warehouse.backendError',
        started_at: '2026-11-01T06:00:00.000Z',
        finished_at: '2026-11-01T06:00:02.000Z',
      },
    });

    const scope = bq();
    expectInsert(scope, 'job_analysis_runs_attempts_1', []);
    expectResults(
      scope,
      'job_analysis_runs_attempts_1',
      page(
        'job_analysis_runs_attempts_1',
        {
          run_id: 'STRING',
          scope: 'STRING',
          window_start: 'TIMESTAMP',
          window_end: 'TIMESTAMP',
          outcome: 'STRING',
          recommendations: 'INTEGER',
          anomalies: 'INTEGER',
          error_code: 'STRING',
          started_at: 'TIMESTAMP',
          finished_at: 'TIMESTAMP',
        },
        [
          [
            'run-1',
            'org',
            micros('2026-10-01T00:00:00Z'),
            micros('2026-11-01T00:00:00Z'),
            'failed',
            null,
            null,
            'warehouse.backendError',
            micros('2026-11-01T06:00:00Z'),
            micros('2026-11-01T06:00:02Z'),
          ],
        ],
      ),
    );
    expect(await runs.attempts('run-1')).toEqual([run]);
  });
});

describe('the read SQL, run on DuckDB over duplicated rows', () => {
  it('find and list: one row per (id, run), the latest run wins, first found is the earliest', async () => {
    const { recommendations } = stores();
    const queries: InsertBody[] = [];
    for (const [n, name] of [
      [1, 'find'],
      [2, 'list'],
    ] as const) {
      const jobId = `job_recommendations_${name}_${n}`;
      expectQuery(jobId, queries, recommendationFields, []);
    }
    await recommendations.find('rec-a');
    await recommendations.list({ teamId: 'T0ACME', limit: 10 });

    const warehouse = await DuckDbWarehouse.open(':memory:');
    try {
      const connection = await warehouse.connect();
      await connection.run(tableDdl(recommendationsTable));
      const insert = (id: string, run: string, usd: number, team: string, at: string) =>
        connection.run(
          `INSERT INTO recommendations (recommendation_id, run_id, kind, target, monthly_savings_usd,
             confidence, summary, team_id, owner_slack_ids, found_at)
           VALUES ('${id}', '${run}', 'partition_table', 't', ${usd}, 'high', 's', '${team}', ['U1'], '${at}')`,
        );
      await insert('rec-a', 'run-1', 100, 'T0ACME', '2026-11-01 06:00:00');
      await insert('rec-a', 'run-1', 100, 'T0ACME', '2026-11-01 06:00:00'); // insertId miss
      await insert('rec-a', 'run-2', 200, 'T0ACME', '2026-11-02 06:00:00');
      await insert('rec-a', 'run-2', 200, 'T0ACME', '2026-11-02 06:05:00'); // a late resend
      await insert('rec-b', 'run-1', 300, 'T0ACME', '2026-11-01 06:00:00');
      await insert('rec-b', 'run-2', 300, 'T0OTHER', '2026-11-02 06:00:00'); // moved team
      // Two rewrites for DuckDB: @param → $param, and UNNEST membership → list_contains.
      const duck = (sql: string) =>
        sql
          .replaceAll(table, 'recommendations')
          .replaceAll('@owner IN UNNEST(owner_slack_ids)', 'list_contains(owner_slack_ids, @owner)')
          .replace(/@(\w+)/g, (_, name: string) => `$${name}`);
      const find = await warehouse.sql(duck(queries[0]!.configuration.query.query), {
        id: 'rec-a',
      });
      expect(find).toHaveLength(1);
      expect(find[0]).toMatchObject({ run_id: 'run-2', monthly_savings_usd: 200 });
      expect(find[0]?.first_found_at).toEqual(new Date('2026-11-01T06:00:00Z'));
      expect(find[0]?.found_at).toEqual(new Date('2026-11-02T06:00:00Z'));
      const list = await warehouse.sql(duck(queries[1]!.configuration.query.query), {
        team_id: 'T0ACME',
        channel_id: null,
        owner: 'U1',
        kind: null,
        since: null,
        limit: 10,
      });
      // rec-b's latest row is in another team now: the old row must not show.
      expect(list.map((r) => [r.recommendation_id, r.run_id])).toEqual([['rec-a', 'run-2']]);
    } finally {
      await warehouse.close();
    }
  });
});
