import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  BigQuery,
  type BigQueryOptions,
  type Job,
  type Query,
  type QueryResultsOptions,
} from '@google-cloud/bigquery';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type {
  BytesDistributionFact,
  QueryPatternFact,
  ScriptSampleFact,
  TableUsageFact,
} from '../../domain/context.js';
import type {
  CostFact,
  DataRange,
  FactDimension,
  ReservationCapacityFact,
  TableStorageFact,
  TimeWindow,
} from '../../domain/facts.js';
import { isDatasetId, isProjectId, isRegion } from '../../domain/identifiers.js';
import { msPerDay, parseBqTimestamp } from '../../domain/timestamps.js';
import type { DryRunResult, JobDetail, Warehouse } from '../../ports/warehouse.js';
import { renderQuery, type QueryName, type SourceView } from '../../queries/index.js';
import {
  checkPatternLimit,
  checkScriptLimit,
  tablesPerPattern,
  withReferencedTables,
} from '../../queries/patterns.js';

// Production warehouse: reads INFORMATION_SCHEMA through query jobs in `projectId`.
//
// Cost: INFORMATION_SCHEMA queries are billed (10 MB minimum each), so the cost history is not
// read from job history per analysis. `refreshCostFacts` aggregates only the new hours since the
// last refresh into `<dataset>.cost_facts`, inside BigQuery, and `costFacts` reads those small
// daily rows. The recommendation inputs (`queryPatterns`, `scriptSamples`, `tableUsage`,
// `bytesDistribution`) do read JOBS_BY_PROJECT for the analysis window: five jobs per analysis
// (see each method for what it scans), each aggregating inside BigQuery and returning bounded rows.
//
// Retries: the client library's own retries are switched off (`retryOptions.autoRetry: false`) for
// clients this module builds, and this module retries instead. Left on, the library would retry
// each HTTP request up to 3 times on its own schedule underneath ours (5 × 4 = 20 requests for one
// failing call with the defaults), and it never retries a *job* that failed (jobRateLimitExceeded,
// jobInternalError …), which needs a new job id. An injected client should be built the same way.

const sqlDir = new URL('./', import.meta.url);
const sqlCache = new Map<string, string>();
function loadSql(file: string): string {
  let text = sqlCache.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(file, sqlDir), 'utf8');
    sqlCache.set(file, text);
  }
  return text;
}

/** Substitutes `{{name}}` placeholders; every placeholder must be provided. */
function fillSql(sql: string, values: Readonly<Record<string, string>>): string {
  return sql.replace(/\{\{\s*(\w+)\s*\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`SQL references unknown placeholder {{${name}}}`);
    return value;
  });
}

// ---------------------------------------------------------------------------------------------
// Settings

const locationPattern = /^[A-Za-z]+(?:-[a-z]+[0-9]*)?$/;

export const bigQuerySettingsSchema = z.object({
  /** Where queries run and whose JOBS_BY_PROJECT is read. */
  projectId: z.string().refine(isProjectId, 'not a valid Google Cloud project id'),
  /** INFORMATION_SCHEMA region qualifier without the `region-` prefix: `us`, `eu`, `europe-west2`. */
  region: z
    .string()
    .refine(isRegion, 'not a valid BigQuery region (e.g. us, eu, europe-west2)')
    .refine((value) => !value.startsWith('region-'), 'give the bare region (us), not region-us'),
  /** bqcost's own dataset (cost_facts, cost_fact_runs); must be in the same location as `region`. */
  dataset: z.string().refine(isDatasetId, 'not a valid BigQuery dataset id').default('bqcost'),
  lookbackDays: z.coerce.number().int().min(1).max(180).default(30),
  maxRetries: z.coerce.number().int().min(0).max(10).default(4),
  pageSize: z.coerce.number().int().min(1).max(100_000).default(10_000),
  /** Job location; defaults to the region (`US`/`EU` for the multi-regions). */
  location: z.string().regex(locationPattern, 'not a valid BigQuery location').optional(),
  /** BigQuery cancels a job that runs longer than this. */
  jobTimeoutMs: z.coerce.number().int().min(1_000).default(600_000),
  /** Optional cap on bytes billed per bqcost job: a query over it fails instead of costing more. */
  maximumBytesBilled: z.coerce.number().int().positive().optional(),
  /** Injected client (tests). Build it with `retryOptions: { autoRetry: false }`. */
  client: z
    .custom<BigQuery>((value) => value instanceof BigQuery, 'not a BigQuery client')
    .optional(),
});

export type BigQuerySettingsInput = z.input<typeof bigQuerySettingsSchema>;
export type BigQuerySettings = z.output<typeof bigQuerySettingsSchema>;

export interface BigQueryWarehouseDeps {
  /** Waits between retries; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) source for backoff jitter. */
  random?: () => number;
  /** Job id generator (one id per job attempt; reused across retries of jobs.insert). */
  newJobId?: (queryName: string) => string;
  /** Extra options for the client this module builds (credentials, endpoint …); ignored when a client is injected. */
  clientOptions?: BigQueryOptions;
}

export function parseBigQuerySettings(input: unknown): BigQuerySettings {
  const parsed = bigQuerySettingsSchema.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`)
      .join('; ');
    throw new AppError('warehouse.invalidSettings', `invalid BigQuery settings: ${detail}`, {
      userMessage: `bqcost's BigQuery settings are invalid: ${detail}`,
    });
  }
  return parsed.data;
}

/** Builds a client whose requests are not retried by the library (see the note at the top). */
export function createBigQueryClient(
  settings: BigQuerySettings,
  options: BigQueryOptions = {},
): BigQuery {
  // The deprecated top-level autoRetry/maxRetries would clash with retryOptions (the library throws).
  const { autoRetry: _autoRetry, maxRetries: _maxRetries, ...rest } = options;
  return new BigQuery({
    ...rest,
    projectId: settings.projectId,
    location: jobLocation(settings),
    retryOptions: { ...rest.retryOptions, autoRetry: false },
  });
}

export function createBigQueryWarehouse(
  input: BigQuerySettingsInput,
  deps: BigQueryWarehouseDeps = {},
): BigQueryWarehouse {
  return new BigQueryWarehouse(parseBigQuerySettings(input), deps);
}

function jobLocation(settings: BigQuerySettings): string {
  if (settings.location) return settings.location;
  return settings.region === 'us' || settings.region === 'eu'
    ? settings.region.toUpperCase()
    : settings.region;
}

// ---------------------------------------------------------------------------------------------
// Identifiers: validated by the schema, checked again here before they are pasted into SQL.

function quoteIdentifier(value: string, valid: (value: string) => boolean, what: string): string {
  if (!valid(value) || /[`\\\s;]/.test(value))
    throw new AppError('warehouse.invalidSettings', `invalid ${what}: ${value}`);
  return `\`${value}\``;
}

/** A table in bqcost's own dataset, quoted: `project`.`dataset`.name (name is ours, not input). */
export function ownTable(
  settings: Pick<BigQuerySettings, 'projectId' | 'dataset'>,
  name: string,
): string {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not a bqcost table name: ${name}`);
  const project = quoteIdentifier(settings.projectId, isProjectId, 'project id');
  const dataset = quoteIdentifier(settings.dataset, isDatasetId, 'dataset id');
  return `${project}.${dataset}.${name}`;
}

export interface BigQueryTables {
  views: Readonly<Record<SourceView, string>>;
  costFacts: string;
  costFactRuns: string;
}

export function bigQueryTables(
  settings: Pick<BigQuerySettings, 'projectId' | 'region' | 'dataset'>,
): BigQueryTables {
  const project = quoteIdentifier(settings.projectId, isProjectId, 'project id');
  const region = quoteIdentifier(
    `region-${settings.region}`,
    (value) => isRegion(value.slice(7)),
    'region',
  );
  const dataset = quoteIdentifier(settings.dataset, isDatasetId, 'dataset id');
  // INFORMATION_SCHEMA views need the region qualifier; without it BigQuery reads the US region.
  const view = (name: string) => `${project}.${region}.INFORMATION_SCHEMA.${name}`;
  return {
    views: {
      jobs: view('JOBS_BY_PROJECT'),
      table_storage: view('TABLE_STORAGE'),
      schemata_options: view('SCHEMATA_OPTIONS'),
      reservations_timeline: view('RESERVATIONS_TIMELINE'),
    },
    costFacts: `${project}.${dataset}.cost_facts`,
    costFactRuns: `${project}.${dataset}.cost_fact_runs`,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors

const retryableReasons = new Set([
  'backendError',
  'internalError',
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'badGateway',
  'tableUnavailable',
  // The job was created but failed; only a new job (new job id) can succeed.
  'jobBackendError',
  'jobInternalError',
  'jobRateLimitExceeded',
]);
const jobFailureReasons = new Set(['jobBackendError', 'jobInternalError', 'jobRateLimitExceeded']);
const networkErrorCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

interface ErrorProto {
  reason?: string;
  message?: string;
  location?: string;
}

export interface ClassifiedError {
  reason: string;
  httpStatus: number | null;
  retryable: boolean;
  /** The job exists and failed: retrying means a new job, not the same request. */
  jobFailed: boolean;
  message: string;
}

function httpReason(status: number): string {
  if (status === 400) return 'badRequest';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'notFound';
  if (status === 409) return 'duplicate';
  if (status === 408) return 'requestTimeout';
  if (status === 429) return 'rateLimitExceeded';
  if (status >= 500) return 'backendError';
  return `http${status}`;
}

/** Reads an error from the client library (ApiError), from a job's status or from the network. */
export function classifyBigQueryError(error: unknown): ClassifiedError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    errors?: unknown;
    message?: unknown;
    response?: { jobReference?: unknown; status?: { errorResult?: ErrorProto } };
  };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const httpStatus = typeof e.code === 'number' ? e.code : null;
  const protos: ErrorProto[] = Array.isArray(e.errors) ? (e.errors as ErrorProto[]) : [];
  const errorResult = e.response?.jobReference ? e.response.status?.errorResult : undefined;
  // A job that failed reports its decisive error in errorResult; other entries may be warnings.
  const reasons = [errorResult?.reason, ...protos.map((proto) => proto.reason)].filter(
    (reason): reason is string => typeof reason === 'string' && reason !== '',
  );
  // An error carrying a job resource (jobs.insert answered 200 with a failed job) is a job failure.
  const failedJobResource = e.response?.jobReference !== undefined;

  const retryableReason = reasons.find((reason) => retryableReasons.has(reason));
  if (retryableReason) {
    return {
      reason: retryableReason,
      httpStatus,
      retryable: true,
      jobFailed: failedJobResource || jobFailureReasons.has(retryableReason),
      message,
    };
  }
  if (reasons[0])
    return {
      reason: reasons[0],
      httpStatus,
      retryable: false,
      jobFailed: failedJobResource,
      message,
    };
  if (httpStatus !== null) {
    const retryable =
      httpStatus === 408 || httpStatus === 429 || (httpStatus >= 500 && httpStatus !== 501);
    return { reason: httpReason(httpStatus), httpStatus, retryable, jobFailed: false, message };
  }
  const errno = typeof e.code === 'string' ? e.code : undefined;
  if (
    (errno && networkErrorCodes.has(errno)) ||
    /socket hang up|network|ECONNRESET|ETIMEDOUT/i.test(message)
  ) {
    return { reason: 'network', httpStatus: null, retryable: true, jobFailed: false, message };
  }
  return { reason: 'unknown', httpStatus: null, retryable: false, jobFailed: false, message };
}

// ---------------------------------------------------------------------------------------------
// Row conversion. INT64 arrive as numbers (the library's default) or strings, DATE as
// BigQueryDate, TIMESTAMP as BigQueryTimestamp; strings are accepted for all of them.

type Row = Record<string, unknown>;

function badRow(query: string, field: string, value: unknown): AppError {
  return new AppError(
    'warehouse.badRow',
    `BigQuery ${query}: unexpected value for ${field}: ${String(value)}`,
    {
      userMessage: `BigQuery returned an unexpected value for ${field}; bqcost cannot read this result.`,
    },
  );
}

function unwrap(value: unknown): unknown {
  // BigQueryDate / BigQueryTimestamp / BigQueryInt keep the wire value in `.value`.
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && 'value' in value) {
    return (value as { value: unknown }).value;
  }
  return value;
}

function toNumber(query: string, row: Row, field: string): number {
  return numberValue(query, field, unwrap(row[field]));
}

function numberValue(query: string, field: string, value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  throw badRow(query, field, value);
}

function toNullableString(row: Row, field: string): string | null {
  const value = unwrap(row[field]);
  if (value === null || value === undefined) return null;
  return String(value);
}

function toRequiredString(query: string, row: Row, field: string): string {
  const value = toNullableString(row, field);
  if (value === null) throw badRow(query, field, value);
  return value;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
function toDay(query: string, row: Row, field: string): string {
  const value = unwrap(row[field]);
  if (value instanceof Date && !Number.isNaN(value.getTime()))
    return value.toISOString().slice(0, 10);
  if (typeof value === 'string') {
    // The library builds DATE values without zero padding when given parts; pad defensively.
    const parts = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value.trim());
    if (parts) {
      const day = `${parts[1]}-${parts[2]!.padStart(2, '0')}-${parts[3]!.padStart(2, '0')}`;
      if (dayPattern.test(day)) return day;
    }
  }
  throw badRow(query, field, value);
}

function toTimestamp(query: string, row: Row, field: string): Date | null {
  const value = unwrap(row[field]);
  if (value === null || value === undefined) return null;
  const date = parseBqTimestamp(value);
  if (!date) throw badRow(query, field, value);
  return date;
}

function toRequiredTimestamp(query: string, row: Row, field: string): Date {
  const date = toTimestamp(query, row, field);
  if (date === null) throw badRow(query, field, null);
  return date;
}

/** A REPEATED INT64 column (the library hands it over as an array). */
function toNumbers(query: string, row: Row, field: string): number[] {
  const value = row[field];
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw badRow(query, field, value);
  return value.map((item) => numberValue(query, field, unwrap(item)));
}

const factDimensions = new Set<FactDimension>([
  'total',
  'user',
  'project',
  'label',
  'query_pattern',
  'table',
]);

function toCostFact(query: string, row: Row): CostFact {
  const dimension = toRequiredString(query, row, 'dimension');
  if (!factDimensions.has(dimension as FactDimension)) throw badRow(query, 'dimension', dimension);
  return {
    day: toDay(query, row, 'day'),
    dimension: dimension as FactDimension,
    key: toNullableString(row, 'key') ?? '',
    reservationId: toNullableString(row, 'reservation_id'),
    edition: toNullableString(row, 'edition'),
    jobs: toNumber(query, row, 'jobs'),
    onDemandBytesBilled: toNumber(query, row, 'on_demand_bytes_billed'),
    reservationSlotMs: toNumber(query, row, 'reservation_slot_ms'),
    onDemandSlotMs: toNumber(query, row, 'on_demand_slot_ms'),
  };
}

// ---------------------------------------------------------------------------------------------
// Time helpers

const msPerHour = 3_600_000;
/** Jobs can run for up to 6 hours: history younger than that is not final yet. */
const finalityLagMs = 6 * msPerHour;

const floorTo = (date: Date, unitMs: number) =>
  new Date(Math.floor(date.getTime() / unitMs) * unitMs);
const ceilTo = (date: Date, unitMs: number) =>
  new Date(Math.ceil(date.getTime() / unitMs) * unitMs);
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

const timestampParams = (window: TimeWindow) => ({
  start: BigQuery.timestamp(window.start),
  end: BigQuery.timestamp(window.end),
});

function assertValidDate(date: Date, what: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new AppError('warehouse.invalidWindow', `${what} is not a valid date`);
  }
}

// ---------------------------------------------------------------------------------------------

export interface QuerySpec {
  /** Names the job (label, job id) and the query in error messages. */
  name: string;
  sql: string;
  params?: Record<string, unknown>;
  /** `['STRING']` is an ARRAY<STRING> parameter. */
  types?: Record<string, string | string[]>;
}

const baseBackoffMs = 1_000;
const maxBackoffMs = 32_000;

export interface RefreshResult {
  start: Date;
  end: Date;
  skipped: boolean;
}

export class BigQueryWarehouse implements Warehouse {
  readonly settings: BigQuerySettings;
  readonly tables: BigQueryTables;
  /** Shared with the other adapters of this folder (the ledger's insertAll). */
  readonly client: BigQuery;
  private readonly location: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly newJobId: (queryName: string) => string;

  constructor(settings: BigQuerySettings, deps: BigQueryWarehouseDeps = {}) {
    this.settings = settings;
    this.tables = bigQueryTables(settings);
    this.location = jobLocation(settings);
    this.client = settings.client ?? createBigQueryClient(settings, deps.clientOptions);
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = deps.random ?? Math.random;
    this.newJobId =
      deps.newJobId ??
      ((name) => `bqcost_${name.replace(/-/g, '_')}_${randomUUID().replace(/-/g, '')}`);
  }

  /** Catalogue SQL rendered for this project and region. */
  renderCatalogue(name: QueryName): string {
    return renderQuery(name, { dialect: 'bigquery', tables: this.tables.views });
  }

  /** SQL from this folder with bqcost's own tables filled in. */
  renderOwn(file: string, extra: Record<string, string> = {}): string {
    return fillSql(loadSql(file), {
      cost_facts: this.tables.costFacts,
      cost_fact_runs: this.tables.costFactRuns,
      ...extra,
    });
  }

  async ensureTables(): Promise<void> {
    await this.run({ name: 'ensure-tables', sql: this.renderOwn('ensure-tables.sql') });
  }

  /**
   * Aggregates job history from the watermark (or `now − lookbackDays`, floored to the UTC day)
   * up to `now − 6 h` floored to the hour into cost_facts, in one script job. Nothing comes back to
   * Node. Refreshes must not run concurrently: the script skips a window an earlier run already
   * covers, but two jobs in flight at once could both append.
   */
  async refreshCostFacts(now: Date): Promise<RefreshResult> {
    assertValidDate(now, 'now');
    const end = floorTo(new Date(now.getTime() - finalityLagMs), msPerHour);
    const [row] = await this.run({ name: 'watermark', sql: this.renderOwn('watermark.sql') });
    const watermark = row ? toTimestamp('watermark', row, 'watermark') : null;
    const start =
      watermark ??
      floorTo(new Date(now.getTime() - this.settings.lookbackDays * msPerDay), msPerDay);
    if (end.getTime() <= start.getTime()) return { start, end, skipped: true };

    const rows = await this.run({
      name: 'refresh-cost-facts',
      sql: this.renderOwn('refresh-cost-facts.sql', {
        cost_facts_query: this.renderCatalogue('cost-facts'),
      }),
      params: { start: BigQuery.timestamp(start), end: BigQuery.timestamp(end) },
      types: { start: 'TIMESTAMP', end: 'TIMESTAMP' },
    });
    const outcome = rows[0] ? toNullableString(rows[0], 'outcome') : null;
    return { start, end, skipped: outcome === 'skipped' };
  }

  /**
   * Stored facts for the UTC days whose midnight falls inside the window. Production windows are
   * day aligned, so this is exactly the window; an unaligned window gets no partial first day and
   * the (partial) day it ends in. Days after the watermark have no facts until the next refresh.
   */
  async costFacts(window: TimeWindow): Promise<CostFact[]> {
    assertValidDate(window.start, 'window start');
    assertValidDate(window.end, 'window end');
    const startDay = isoDay(ceilTo(window.start, msPerDay));
    const endDay = isoDay(ceilTo(window.end, msPerDay));
    if (startDay >= endDay) return [];
    const name = 'stored-cost-facts';
    const rows = await this.run({
      name,
      sql: this.renderOwn('stored-cost-facts.sql'),
      // DATE parameters must be BigQueryDate objects: the library drops plain strings typed DATE.
      params: { start_day: BigQuery.date(startDay), end_day: BigQuery.date(endDay) },
      types: { start_day: 'DATE', end_day: 'DATE' },
    });
    return rows.map((row) => toCostFact(name, row));
  }

  /** costFacts restricted to `dimensions` (stored-cost-facts-for.sql, ARRAY<STRING> parameter). */
  async costFactsFor(
    window: TimeWindow,
    dimensions: readonly FactDimension[],
  ): Promise<CostFact[]> {
    assertValidDate(window.start, 'window start');
    assertValidDate(window.end, 'window end');
    const wanted = [...new Set(dimensions)];
    for (const dimension of wanted) {
      if (!factDimensions.has(dimension))
        throw new AppError('warehouse.invalidDimension', `not a fact dimension: ${dimension}`);
    }
    const startDay = isoDay(ceilTo(window.start, msPerDay));
    const endDay = isoDay(ceilTo(window.end, msPerDay));
    if (startDay >= endDay || wanted.length === 0) return [];
    const name = 'stored-cost-facts-for';
    const rows = await this.run({
      name,
      sql: this.renderOwn('stored-cost-facts-for.sql'),
      params: {
        start_day: BigQuery.date(startDay),
        end_day: BigQuery.date(endDay),
        dimensions: wanted,
      },
      types: { start_day: 'DATE', end_day: 'DATE', dimensions: ['STRING'] },
    });
    return rows.map((row) => {
      const fact = toCostFact(name, row);
      if (!wanted.includes(fact.dimension)) throw badRow(name, 'dimension', fact.dimension);
      return fact;
    });
  }

  async tableStorage(): Promise<TableStorageFact[]> {
    const name = 'table-storage';
    const rows = await this.run({ name, sql: this.renderCatalogue(name) });
    return rows.map((row) => ({
      projectId: toRequiredString(name, row, 'project_id'),
      datasetId: toRequiredString(name, row, 'dataset_id'),
      tableId: toRequiredString(name, row, 'table_id'),
      tableType: toNullableString(row, 'table_type'),
      creationTime: toTimestamp(name, row, 'creation_time'),
      storageLastModifiedTime: toTimestamp(name, row, 'storage_last_modified_time'),
      totalRows: toNumber(name, row, 'total_rows'),
      totalPartitions: toNumber(name, row, 'total_partitions'),
      totalLogicalBytes: toNumber(name, row, 'total_logical_bytes'),
      activeLogicalBytes: toNumber(name, row, 'active_logical_bytes'),
      longTermLogicalBytes: toNumber(name, row, 'long_term_logical_bytes'),
      totalPhysicalBytes: toNumber(name, row, 'total_physical_bytes'),
      activePhysicalBytes: toNumber(name, row, 'active_physical_bytes'),
      longTermPhysicalBytes: toNumber(name, row, 'long_term_physical_bytes'),
      timeTravelPhysicalBytes: toNumber(name, row, 'time_travel_physical_bytes'),
      failSafePhysicalBytes: toNumber(name, row, 'fail_safe_physical_bytes'),
      storageBillingModelOption: toNullableString(row, 'storage_billing_model'),
    }));
  }

  async reservationCapacity(window: TimeWindow): Promise<ReservationCapacityFact[]> {
    assertValidDate(window.start, 'window start');
    assertValidDate(window.end, 'window end');
    const name = 'reservation-capacity';
    const rows = await this.run({
      name,
      sql: this.renderCatalogue(name),
      params: { start: BigQuery.timestamp(window.start), end: BigQuery.timestamp(window.end) },
      types: { start: 'TIMESTAMP', end: 'TIMESTAMP' },
    });
    return rows.map((row) => ({
      day: toDay(name, row, 'day'),
      reservationId: toRequiredString(name, row, 'reservation_id'),
      edition: toNullableString(row, 'edition'),
      baselineSlotHours: toNumber(name, row, 'baseline_slot_hours'),
      autoscaleSlotHours: toNumber(name, row, 'autoscale_slot_hours'),
      minutes: toNumber(name, row, 'minutes'),
    }));
  }

  /**
   * The costliest query shapes over the window (query-patterns.sql), then the tables those shapes
   * read (pattern-tables.sql, the hashes passed as an ARRAY<STRING> parameter): two jobs over
   * JOBS_BY_PROJECT. Cost: the view is partitioned by creation_time, so each scans only the
   * window's days, for the columns it names. query-patterns reads `query`, by far the widest
   * column (about the size of all the SQL text run in the window: 1 M jobs × 2 KB ≈ 2 GB, about
   * $0.01 on demand); pattern-tables reads referenced_tables and the hash.
   */
  async queryPatterns(window: TimeWindow, limit: number): Promise<QueryPatternFact[]> {
    assertValidDate(window.start, 'window start');
    assertValidDate(window.end, 'window end');
    checkPatternLimit(limit);
    const name = 'query-patterns';
    const rows = await this.run({
      name,
      sql: this.renderCatalogue(name),
      // INT64 values go as strings, as the REST API's QueryParameterValue.value is typed.
      params: { ...timestampParams(window), limit: String(limit) },
      types: { start: 'TIMESTAMP', end: 'TIMESTAMP', limit: 'INT64' },
    });
    if (rows.length === 0) return [];
    const patterns = rows.map((row) => ({
      hash: toRequiredString(name, row, 'query_hash'),
      runs: toNumber(name, row, 'runs'),
      onDemandBytesBilled: toNumber(name, row, 'on_demand_bytes_billed'),
      reservationSlotMs: toNumber(name, row, 'reservation_slot_ms'),
      bytesProcessed: toNumber(name, row, 'bytes_processed'),
      maxBytesBilled: toNumber(name, row, 'max_bytes_billed'),
      activeDays: toNumber(name, row, 'active_days'),
      distinctUsers: toNumber(name, row, 'distinct_users'),
      projectId: toRequiredString(name, row, 'project_id'),
      userEmail: toNullableString(row, 'user_email'),
      firstSeen: toRequiredTimestamp(name, row, 'first_seen'),
      lastSeen: toRequiredTimestamp(name, row, 'last_seen'),
      statementType: toNullableString(row, 'statement_type'),
      sampleQuery: toNullableString(row, 'sample_query'),
      sampleJobId: toRequiredString(name, row, 'sample_job_id'),
    }));

    const tablesName = 'pattern-tables';
    const tableRows = await this.run({
      name: tablesName,
      sql: this.renderCatalogue(tablesName),
      params: {
        ...timestampParams(window),
        hashes: patterns.map((p) => p.hash),
        tables_per_pattern: String(tablesPerPattern),
      },
      types: {
        start: 'TIMESTAMP',
        end: 'TIMESTAMP',
        hashes: ['STRING'],
        tables_per_pattern: 'INT64',
      },
    });
    return withReferencedTables(
      patterns,
      tableRows.map((row) => ({
        hash: toRequiredString(tablesName, row, 'query_hash'),
        table: toRequiredString(tablesName, row, 'table_name'),
        runs: toNumber(tablesName, row, 'runs'),
      })),
    );
  }

  /**
   * The text of the most-run scripts over the window (script-samples.sql): one job over
   * JOBS_BY_PROJECT. Cost: it reads `query` again, for the window's days (columnar storage bills
   * the whole column, not just the SCRIPT rows): about what query-patterns costs.
   */
  async scriptSamples(window: TimeWindow, limit: number): Promise<ScriptSampleFact[]> {
    assertValidDate(window.start, 'window start');
    assertValidDate(window.end, 'window end');
    checkScriptLimit(limit);
    const name = 'script-samples';
    const rows = await this.run({
      name,
      sql: this.renderCatalogue(name),
      params: { ...timestampParams(window), limit: String(limit) },
      types: { start: 'TIMESTAMP', end: 'TIMESTAMP', limit: 'INT64' },
    });
    return rows.map((row) => ({
      key: toRequiredString(name, row, 'key'),
      runs: toNumber(name, row, 'runs'),
      sampleQuery: toRequiredString(name, row, 'sample_query'),
      projectId: toRequiredString(name, row, 'project_id'),
      sampleJobId: toRequiredString(name, row, 'sample_job_id'),
      lastSeen: toRequiredTimestamp(name, row, 'last_seen'),
    }));
  }

  /**
   * Reads and writes per table over the window (table-usage.sql): one job over JOBS_BY_PROJECT
   * scanning the window's referenced_tables, destination_table and billing columns (small next
   * to `query`). One row per table read or written.
   */
  async tableUsage(window: TimeWindow): Promise<TableUsageFact[]> {
    assertValidDate(window.start, 'window start');
    assertValidDate(window.end, 'window end');
    const name = 'table-usage';
    const rows = await this.run({
      name,
      sql: this.renderCatalogue(name),
      params: timestampParams(window),
      types: { start: 'TIMESTAMP', end: 'TIMESTAMP' },
    });
    return rows.map((row) => ({
      table: toRequiredString(name, row, 'table_name'),
      reads: toNumber(name, row, 'reads'),
      readDays: toNumber(name, row, 'read_days'),
      lastRead: toTimestamp(name, row, 'last_read'),
      readOnDemandBytesBilled: toNumber(name, row, 'read_on_demand_bytes_billed'),
      writes: toNumber(name, row, 'writes'),
      lastWrite: toTimestamp(name, row, 'last_write'),
    }));
  }

  /**
   * Bytes billed per on-demand query job as 101 quantiles per user and per project
   * (bytes-distribution.sql, APPROX_QUANTILES): one job over JOBS_BY_PROJECT scanning the
   * window's scalar billing columns only — the cheapest of the five.
   */
  async bytesDistribution(window: TimeWindow): Promise<BytesDistributionFact[]> {
    assertValidDate(window.start, 'window start');
    assertValidDate(window.end, 'window end');
    const name = 'bytes-distribution';
    const rows = await this.run({
      name,
      sql: this.renderCatalogue(name),
      params: timestampParams(window),
      types: { start: 'TIMESTAMP', end: 'TIMESTAMP' },
    });
    return rows.map((row) => {
      const scope = toRequiredString(name, row, 'scope');
      if (scope !== 'user' && scope !== 'project') throw badRow(name, 'scope', scope);
      return {
        scope,
        key: toRequiredString(name, row, 'key'),
        jobs: toNumber(name, row, 'jobs'),
        quantiles: toNumbers(name, row, 'quantiles'),
        maxJobId: toNullableString(row, 'max_job_id'),
      };
    });
  }

  /**
   * The history bqcost has aggregated (cost_fact_runs / cost_facts), not JOBS_BY_PROJECT: it is what
   * costFacts answers from, and reading it costs nothing from INFORMATION_SCHEMA (data-range.sql
   * would scan up to 180 days of job history just for a MIN/MAX). `lastCreationTime` is the
   * watermark, an exclusive hour-aligned bound; both bounds are null before the first refresh.
   */
  async dataRange(): Promise<DataRange> {
    const name = 'stored-data-range';
    const [row] = await this.run({ name, sql: this.renderOwn('stored-data-range.sql') });
    if (!row) return { firstCreationTime: null, lastCreationTime: null, jobs: 0 };
    return {
      firstCreationTime: toTimestamp(name, row, 'first_creation_time'),
      lastCreationTime: toTimestamp(name, row, 'last_creation_time'),
      jobs: toNumber(name, row, 'jobs'),
    };
  }

  /** One job from JOBS_BY_PROJECT (job-by-id.sql); the id goes as a named STRING parameter. */
  async jobById(jobId: string): Promise<JobDetail | null> {
    const name = 'job-by-id';
    const [row] = await this.run({
      name,
      sql: this.renderCatalogue(name),
      params: { job_id: jobId },
      types: { job_id: 'STRING' },
    });
    if (!row) return null;
    const nullableNumber = (field: string) =>
      row[field] === null || row[field] === undefined ? null : toNumber(name, row, field);
    return {
      jobId,
      creationTime: toRequiredTimestamp(name, row, 'creation_time'),
      projectId: toRequiredString(name, row, 'project_id'),
      userEmail: toNullableString(row, 'user_email'),
      statementType: toNullableString(row, 'statement_type'),
      bytesBilled: nullableNumber('total_bytes_billed'),
      slotMs: nullableNumber('total_slot_ms'),
      queryHash: toNullableString(row, 'query_hash'),
      query: toNullableString(row, 'query'),
    };
  }

  /**
   * BigQuery's dry run of `sql` (jobs.insert with configuration.dryRun): validated and planned, not
   * run, not billed; the answer carries the bytes it would process. Retryable failures are retried
   * like any query; what is left is an outcome, not an exception, so `check` can still lint and
   * fall back to table sizes. The statement is the user's, so its errors are reported as theirs.
   */
  async dryRun(sql: string): Promise<DryRunResult> {
    const name = 'dry-run';
    let failures = 0;
    for (;;) {
      let classified: ClassifiedError;
      try {
        const [job] = await this.client.createQueryJob({
          query: sql,
          useLegacySql: false,
          dryRun: true,
          location: this.location,
          jobId: this.newJobId(name),
          labels: { app: 'bqcost', bqcost_query: name },
        });
        const metadata = job.metadata as { statistics?: { totalBytesProcessed?: unknown } };
        const raw = unwrap(metadata.statistics?.totalBytesProcessed);
        const bytes = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
        if (!Number.isFinite(bytes) || bytes < 0)
          return {
            outcome: 'unavailable',
            reason: 'badResponse',
            message: `BigQuery's dry run answered without a byte count (${String(raw)}).`,
          };
        return { outcome: 'estimated', bytesProcessed: bytes };
      } catch (error) {
        classified = classifyBigQueryError(error);
      }
      if (classified.retryable && failures < this.settings.maxRetries) {
        const ceiling = Math.min(maxBackoffMs, baseBackoffMs * 2 ** failures);
        failures += 1;
        await this.sleep(Math.round(ceiling / 2 + (this.random() * ceiling) / 2));
        continue;
      }
      return this.dryRunFailure(classified);
    }
  }

  private dryRunFailure(error: ClassifiedError): DryRunResult {
    const { reason, message } = error;
    if (error.retryable)
      return {
        outcome: 'unavailable',
        reason,
        message: `BigQuery did not answer the dry run (${reason}, gave up after ${this.settings.maxRetries} retries).`,
      };
    switch (reason) {
      // The statement's own problems: syntax, unknown tables or columns, a wrong location.
      case 'invalidQuery':
      case 'invalid':
      case 'notFound':
      case 'badRequest':
        return { outcome: 'rejected', reason, message };
      case 'accessDenied':
      case 'forbidden':
        return {
          outcome: 'unavailable',
          reason,
          message:
            `BigQuery denied bqcost's service account the dry run: ${message} ` +
            `A dry run needs bigquery.jobs.create in project ${this.settings.projectId} ` +
            '(roles/bigquery.jobUser) and access to the tables the statement reads.',
        };
      case 'unauthenticated':
        return {
          outcome: 'unavailable',
          reason,
          message:
            "BigQuery rejected bqcost's credentials; check the service account configuration.",
        };
      default:
        return {
          outcome: 'unavailable',
          reason,
          message: `BigQuery's dry run failed (${reason}): ${message}`,
        };
    }
  }

  async close(): Promise<void> {
    // The client holds no connections that need closing.
  }

  // -------------------------------------------------------------------------------------------
  // Job execution: jobs.insert, then jobs.getQueryResults page by page (maxResults/pageToken).
  // One retry budget (maxRetries) per query covers every request it makes.

  /** Runs SQL with this warehouse's retries and error mapping (the ledger's reads). */
  async runQuery(spec: QuerySpec): Promise<Record<string, unknown>[]> {
    return this.run(spec);
  }

  private async run(spec: QuerySpec): Promise<Row[]> {
    let failures = 0;
    const backoffOrThrow = async (error: unknown): Promise<ClassifiedError> => {
      const classified = classifyBigQueryError(error);
      if (!classified.retryable) throw this.toAppError(spec.name, classified, false);
      if (failures >= this.settings.maxRetries) throw this.toAppError(spec.name, classified, true);
      const ceiling = Math.min(maxBackoffMs, baseBackoffMs * 2 ** failures);
      failures += 1;
      // Equal jitter: at least half the exponential delay, so retries still spread out.
      await this.sleep(Math.round(ceiling / 2 + (this.random() * ceiling) / 2));
      return classified;
    };

    for (;;) {
      const jobId = this.newJobId(spec.name);
      const job = await this.insertJob(spec, jobId, backoffOrThrow);
      if (job === 'job-failed') continue;
      const rows = await this.readPages(job, backoffOrThrow);
      if (rows === 'job-failed') continue;
      return rows;
    }
  }

  private async insertJob(
    spec: QuerySpec,
    jobId: string,
    backoffOrThrow: (error: unknown) => Promise<ClassifiedError>,
  ): Promise<Job | 'job-failed'> {
    const query: Query = {
      query: spec.sql,
      useLegacySql: false,
      location: this.location,
      jobId,
      jobTimeoutMs: this.settings.jobTimeoutMs,
      labels: { app: 'bqcost', bqcost_query: spec.name },
    };
    if (spec.params) query.params = spec.params;
    if (spec.types) query.types = spec.types;
    if (this.settings.maximumBytesBilled !== undefined)
      query.maximumBytesBilled = String(this.settings.maximumBytesBilled);

    let attempted = false;
    for (;;) {
      try {
        const [job] = await this.client.createQueryJob(query);
        return job;
      } catch (error) {
        // Same job id on every retry: if an earlier insert reached BigQuery after all, 409 says
        // the job exists, and we follow it instead of running the query twice.
        if (attempted && classifyBigQueryError(error).reason === 'duplicate') {
          return this.client.job(jobId, { location: this.location });
        }
        attempted = true;
        const classified = await backoffOrThrow(error);
        if (classified.jobFailed) return 'job-failed';
      }
    }
  }

  private async readPages(
    job: Job,
    backoffOrThrow: (error: unknown) => Promise<ClassifiedError>,
  ): Promise<Row[] | 'job-failed'> {
    const rows: Row[] = [];
    let pageToken: string | undefined;
    const deadline = Date.now() + this.settings.jobTimeoutMs + 60_000;
    for (;;) {
      let page: Row[];
      let response: { jobComplete?: boolean | null; pageToken?: string | null };
      try {
        const options: QueryResultsOptions = {
          autoPaginate: false,
          maxResults: this.settings.pageSize,
        };
        if (pageToken) options.pageToken = pageToken;
        const [pageRows, , apiResponse] = await job.getQueryResults(options);
        page = pageRows as Row[];
        response = apiResponse ?? {};
      } catch (error) {
        const classified = await backoffOrThrow(error);
        if (classified.jobFailed) return 'job-failed';
        continue;
      }
      if (response.jobComplete === false) {
        // Each call already waits up to 10 s server side; the job's own timeout ends the loop.
        if (Date.now() > deadline) {
          throw new AppError('warehouse.timeout', `BigQuery job ${job.id} did not finish in time`, {
            retryable: true,
            userMessage: 'A BigQuery query took too long; bqcost will try again later.',
          });
        }
        continue;
      }
      rows.push(...page);
      if (!response.pageToken) return rows;
      pageToken = response.pageToken;
    }
  }

  private toAppError(queryName: string, error: ClassifiedError, exhausted: boolean): AppError {
    const { projectId, region, dataset } = this.settings;
    const status = error.httpStatus === null ? '' : ` (HTTP ${error.httpStatus})`;
    const message = `BigQuery ${queryName} query failed: ${error.reason}${status}: ${error.message}`;
    // The cause is a plain summary: library errors carry the HTTP response, request headers included.
    const cause = { reason: error.reason, httpStatus: error.httpStatus, message: error.message };
    if (exhausted) {
      return new AppError(
        `warehouse.${error.reason}`,
        `${message} (gave up after ${this.settings.maxRetries} retries)`,
        {
          cause,
          retryable: true,
          userMessage: `BigQuery is not answering right now (${error.reason}). bqcost will try again later.`,
        },
      );
    }
    let userMessage: string;
    switch (error.reason) {
      case 'accessDenied':
      case 'forbidden':
        userMessage =
          `BigQuery denied access while bqcost ran its ${queryName} query in project ${projectId}. ` +
          'Reading INFORMATION_SCHEMA.JOBS_BY_PROJECT needs the bigquery.jobs.listAll permission ' +
          '(role roles/bigquery.resourceViewer); running queries needs bigquery.jobs.create ' +
          `(roles/bigquery.jobUser), and bqcost writes to dataset ${dataset} (roles/bigquery.dataEditor).`;
        break;
      case 'notFound':
        userMessage =
          `BigQuery could not find a table or dataset used by bqcost's ${queryName} query. ` +
          `Check project ${projectId}, region ${region} and that dataset ${dataset} exists in that ` +
          'location with the bqcost tables in it.';
        break;
      case 'invalidQuery':
        userMessage =
          `BigQuery rejected bqcost's ${queryName} query as invalid. This is a bqcost bug or a view ` +
          `that region ${region} does not have; the details are in the logs.`;
        break;
      case 'quotaExceeded':
        userMessage = `A BigQuery quota was exceeded in project ${projectId}; bqcost's ${queryName} query did not run.`;
        break;
      case 'bytesBilledLimitExceeded':
        userMessage = `bqcost's ${queryName} query would bill more than the configured maximumBytesBilled, so it did not run.`;
        break;
      case 'unauthenticated':
        userMessage =
          "BigQuery rejected bqcost's credentials; check the service account configuration.";
        break;
      default:
        userMessage = `BigQuery could not run bqcost's ${queryName} query (${error.reason}).`;
    }
    return new AppError(`warehouse.${error.reason}`, message, {
      cause,
      retryable: false,
      userMessage,
    });
  }
}
