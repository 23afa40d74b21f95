import { BigQuery, type BigQueryOptions } from '@google-cloud/bigquery';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import {
  createBigQueryWarehouse,
  type BigQuerySettingsInput,
  type BigQueryWarehouseDeps,
} from '../../src/adapters/bigquery/bigquery-warehouse.js';
import { AppError } from '../../src/errors.js';
import { renderQuery, type QueryName, type SourceView } from '../../src/queries/index.js';

// The BigQuery adapter over REST, with nock: jobs.insert (POST …/jobs), jobs.getQueryResults
// (GET …/queries/<id>) and, for bqcost's own tables, tabledata.insertAll. Auth: the client gets a stub auth client that hands out a fixed bearer
// token, so no credentials are looked up and no token endpoint is called; every interceptor made
// with `bq()` requires that exact header.

export const projectId = 'acme-analytics';
export const api = 'https://bigquery.googleapis.com';
export const jobsPath = `/bigquery/v2/projects/${projectId}/jobs`;
export const resultsPath = (jobId: string) => `/bigquery/v2/projects/${projectId}/queries/${jobId}`;
export const token = 'canary-token-7f3a9c';

const stubAuth = {
  getRequestHeaders: async () => new Headers({ authorization: `Bearer ${token}` }),
};
export const authClient = stubAuth as unknown as BigQueryOptions['authClient'];

// Written out by hand, not taken from the adapter, so quoting and the region qualifier are checked.
export const expectedViews: Record<SourceView, string> = {
  jobs: '`acme-analytics`.`region-us`.INFORMATION_SCHEMA.JOBS_BY_PROJECT',
  table_storage: '`acme-analytics`.`region-us`.INFORMATION_SCHEMA.TABLE_STORAGE',
  schemata_options: '`acme-analytics`.`region-us`.INFORMATION_SCHEMA.SCHEMATA_OPTIONS',
  reservations_timeline: '`acme-analytics`.`region-us`.INFORMATION_SCHEMA.RESERVATIONS_TIMELINE',
};

/** The catalogue SQL for `name`, rendered for BigQuery over `expectedViews`. */
export const catalogue = (name: QueryName) =>
  renderQuery(name, { dialect: 'bigquery', tables: expectedViews });

// ---------------------------------------------------------------------------------------------
// Requests

export interface QueryParameter {
  name: string;
  parameterType: { type: string; arrayType?: { type: string } };
  parameterValue: { value?: string; arrayValues?: { value?: string }[] };
}
export interface InsertBody {
  jobReference: { projectId: string; jobId: string; location: string };
  configuration: {
    query: {
      query: string;
      useLegacySql: boolean;
      parameterMode?: string;
      queryParameters?: QueryParameter[];
    };
    labels?: Record<string, string>;
    jobTimeoutMs?: string;
  };
}

/** The named query parameters of a jobs.insert body, by name, as sent (name left out). */
export const paramsOf = (body: InsertBody | undefined) =>
  Object.fromEntries(
    (body?.configuration.query.queryParameters ?? []).map(({ name, ...rest }) => [name, rest]),
  );

/** A scalar query parameter as `paramsOf` shows it. */
export const param = (type: string, value: string) => ({
  parameterType: { type },
  parameterValue: { value },
});

// ---------------------------------------------------------------------------------------------
// Client and warehouse

export function testClient(options: BigQueryOptions = {}): BigQuery {
  return new BigQuery({ projectId, authClient, retryOptions: { autoRetry: false }, ...options });
}

/** A warehouse on `testClient()` with recorded sleeps, no jitter and predictable job ids. */
export function harness(
  settings: Partial<BigQuerySettingsInput> = {},
  deps: BigQueryWarehouseDeps = {},
) {
  const sleeps: number[] = [];
  let seq = 0;
  const warehouse = createBigQueryWarehouse(
    { projectId, region: 'us', client: testClient(), ...settings },
    {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      newJobId: (name) => `job_${name.replace(/-/g, '_')}_${++seq}`,
      ...deps,
    },
  );
  return { warehouse, sleeps };
}

/** A `sleep` that returns at once, and the waits it was asked for. */
export function recordedSleeps() {
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  return { sleep, sleeps };
}

// ---------------------------------------------------------------------------------------------
// Interceptors

export const bq = () => nock(api, { reqheaders: { authorization: `Bearer ${token}` } });

export function jobResource(jobId: string, location = 'US') {
  return {
    kind: 'bigquery#job',
    jobReference: { projectId, jobId, location },
    status: { state: 'RUNNING' },
  };
}

export function apiError(code: number, reason: string, message: string) {
  return { error: { code, message, errors: [{ domain: 'global', reason, message }] } };
}

/**
 * Expects jobs.insert for `jobId` and answers with `reply` (default: created). The request body is
 * stored at this interceptor's slot in `bodies` (slots are reserved in registration order). It is
 * captured in the body matcher: with nock 15.0.0 a reply *function* never answered this client.
 */
export function expectInsert(
  scope: nock.Scope,
  jobId: string,
  bodies: InsertBody[],
  reply: [number, object] = [200, jobResource(jobId)],
): nock.Scope {
  const slot = bodies.length;
  bodies.length += 1;
  return scope
    .post(jobsPath, (body: InsertBody) => {
      if (body?.jobReference?.jobId !== jobId) return false;
      bodies[slot] = body;
      return true;
    })
    .query(true)
    .reply(...reply);
}

/** Expects jobs.getQueryResults for `jobId` with exactly this location, page size and token. */
export function expectResults(
  scope: nock.Scope,
  jobId: string,
  reply: [number, object],
  options: { pageToken?: string; maxResults?: number; location?: string } = {},
): nock.Scope {
  return scope
    .get(resultsPath(jobId))
    .query(
      (query) =>
        query.location === (options.location ?? 'US') &&
        query['formatOptions.useInt64Timestamp'] === 'true' &&
        query.maxResults === String(options.maxResults ?? 10_000) &&
        query.pageToken === options.pageToken,
    )
    .reply(...reply);
}

/**
 * Expects one whole query: jobs.insert for `jobId` (its body stored in `bodies`, as with
 * `expectInsert`) and one getQueryResults page of `rows` with these `fields`.
 */
export function expectQuery(
  jobId: string,
  bodies: InsertBody[],
  fields: Record<string, string>,
  rows: Cell[][],
): nock.Scope {
  const scope = bq();
  expectInsert(scope, jobId, bodies);
  return expectResults(scope, jobId, page(jobId, fields, rows));
}

export interface InsertAllBody {
  rows: { insertId: string; json: Record<string, unknown> }[];
  skipInvalidRows?: boolean;
}

/** tabledata.insertAll of one of bqcost's own tables (dataset `bqcost`). */
export const insertAllPath = (table: string) =>
  `/bigquery/v2/projects/${projectId}/datasets/bqcost/tables/${table}/insertAll`;

/**
 * Expects one insertAll into `table` and answers with `reply`; the request body is pushed to
 * `bodies` (captured in the body matcher, as in `expectInsert`).
 */
export function expectInsertAll(table: string, bodies: InsertAllBody[], reply: [number, object]) {
  return bq()
    .post(insertAllPath(table), (body: InsertAllBody) => {
      bodies.push(body);
      return true;
    })
    .query(true)
    .reply(...reply);
}

// ---------------------------------------------------------------------------------------------
// Replies

export type Cell = string | null | string[];

/** A getQueryResults page; a field typed `INTEGER[]` is REPEATED. */
export function page(
  jobId: string,
  fields: Record<string, string>,
  rows: Cell[][],
  pageToken?: string,
): [number, object] {
  return [
    200,
    {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: { projectId, jobId, location: 'US' },
      jobComplete: true,
      schema: {
        fields: Object.entries(fields).map(([name, type]) =>
          type.endsWith('[]')
            ? { name, type: type.slice(0, -2), mode: 'REPEATED' }
            : { name, type, mode: 'NULLABLE' },
        ),
      },
      rows: rows.map((row) => ({
        f: row.map((v) => ({ v: Array.isArray(v) ? v.map((item) => ({ v: item })) : v })),
      })),
      totalRows: String(rows.length),
      ...(pageToken ? { pageToken } : {}),
    },
  ];
}

/** The columns of a cost_facts read (stored-cost-facts*.sql), as getQueryResults types them. */
export const costFactFields = {
  day: 'DATE',
  dimension: 'STRING',
  key: 'STRING',
  reservation_id: 'STRING',
  edition: 'STRING',
  jobs: 'INTEGER',
  on_demand_bytes_billed: 'INTEGER',
  reservation_slot_ms: 'INTEGER',
  on_demand_slot_ms: 'INTEGER',
};

export const notComplete = (jobId: string): [number, object] => [
  200,
  {
    kind: 'bigquery#getQueryResultsResponse',
    jobReference: { projectId, jobId, location: 'US' },
    jobComplete: false,
  },
];

/** TIMESTAMP as getQueryResults sends it with formatOptions.useInt64Timestamp: microseconds. */
export const micros = (iso: string) => String(Date.parse(iso) * 1000);

/** The AppError `promise` rejects with; the test fails when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

// ---------------------------------------------------------------------------------------------
// Guards

/**
 * Call at the top level of a test file: no request leaves the process, and each test fails if a
 * request matched no interceptor or an interceptor was left unused.
 */
export function installNockGuards(): void {
  const unexpected: string[] = [];
  const onNoMatch = (req: { method?: string; path?: string; href?: string }) => {
    unexpected.push(`${req.method ?? '?'} ${req.path ?? req.href ?? '?'}`);
  };
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    const stray = unexpected.splice(0);
    nock.cleanAll();
    expect(stray).toEqual([]);
    expect(pending).toEqual([]);
  });
}
