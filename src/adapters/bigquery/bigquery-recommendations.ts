import { readFileSync } from 'node:fs';
import { BigQuery } from '@google-cloud/bigquery';
import { anomalySchema, recommendationSchema, type Anomaly } from '../../domain/analysis.js';
import { sha256Hex } from '../../domain/sha256.js';
import {
  analysisRunsTable,
  anomaliesTable,
  recommendationsTable,
  type TableSpec,
} from '../../domain/tables.js';
import { AppError } from '../../errors.js';
import type {
  RecommendationHistory,
  StoredVersion,
  VersionQuery,
} from '../../ports/recommendation-history.js';
import type {
  AnomalyStore,
  RecommendationFilter,
  RecommendationStore,
  StoredAnomaly,
  StoredRecommendation,
} from '../../ports/recommendations.js';
import type { AnalysisRunRecord, RunLog } from '../../ports/run-log.js';
import { bigQueryDdl } from './bigquery-alerts.js';
import { ownTable, type BigQueryWarehouse } from './bigquery-warehouse.js';
import { cellString as str, cellTimestamp, unwrap } from './cells.js';
import { classifyInsertFailure, insertWithRetries } from './insert-row.js';

// `recommendations`, `anomalies` and `analysis_runs` in BigQuery: append-only (rows in the
// streaming buffer cannot be updated), written with tabledata.insertAll.
//
// A save is idempotent per run three ways: it first asks whether the run already has rows (a
// redelivered message, minutes later: nothing is written); racing saves send the same insertId
// per row (sha256 of run and id), which BigQuery drops within its dedupe window; and readers
// keep one row per (id, run), the earliest, so a duplicate that slipped through changes nothing.
// Readers then take the latest run's row per id, with the earliest found_at as "first found".

const sqlDir = new URL('./', import.meta.url);
/** A query of this folder with its `{{placeholder}}` replaced by the table. */
const readSql = (file: string, placeholder: string, table: string) =>
  readFileSync(new URL(file, sqlDir), 'utf8').replaceAll(`{{${placeholder}}}`, table);

/** Rows per insertAll request (a request may carry 10 MB; evidence and fix can be a few KB). */
const rowsPerInsert = 500;

export interface BigQueryStoreOptions {
  /** Resends of one insertAll after the first; default 2. */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Inserts rows with insertIds, resending 429/5xx and transient row errors with the same ids. */
class Inserter {
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    private readonly spec: TableSpec,
    options: BigQueryStoreOptions,
  ) {
    this.maxRetries = options.maxRetries ?? 2;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async insert(rows: readonly { insertId: string; json: Record<string, unknown> }[]) {
    for (let start = 0; start < rows.length; start += rowsPerInsert) {
      const chunk = rows.slice(start, start + rowsPerInsert);
      await insertWithRetries(this.warehouse, this.spec.name, chunk, {
        maxRetries: this.maxRetries,
        sleep: this.sleep,
        classify: classifyInsertFailure,
        toError: (failure) =>
          new AppError(
            `store.${failure.reason}`,
            `cannot write ${chunk.length} row(s) to ${this.spec.name}: ${failure.reason}${failure.detail}`,
            // A summary only: client errors carry the request, Authorization header included.
            { cause: { reason: failure.reason }, retryable: failure.retryable },
          ),
      });
    }
  }
}

export class BigQueryRecommendationStore implements RecommendationStore, RecommendationHistory {
  readonly table: string;
  private readonly inserter: Inserter;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    options: BigQueryStoreOptions = {},
  ) {
    this.table = ownTable(warehouse.settings, recommendationsTable.name);
    this.inserter = new Inserter(warehouse, recommendationsTable, options);
  }

  async ensureTable(): Promise<void> {
    await this.warehouse.runQuery({
      name: 'ensure-recommendations',
      sql: bigQueryDdl(recommendationsTable, this.table),
    });
  }

  async find(id: string): Promise<StoredRecommendation | null> {
    const rows = await this.warehouse.runQuery({
      name: 'recommendations-find',
      sql: readSql('recommendations-find.sql', 'recommendations', this.table),
      params: { id },
      types: { id: 'STRING' },
    });
    return rows[0] === undefined ? null : toStored(rows[0]);
  }

  async list(filter: RecommendationFilter): Promise<StoredRecommendation[]> {
    const rows = await this.warehouse.runQuery({
      name: 'recommendations-list',
      sql: readSql('recommendations-list.sql', 'recommendations', this.table),
      params: {
        team_id: filter.teamId ?? null,
        channel_id: filter.channelId ?? null,
        owner: filter.ownerSlackId ?? null,
        kind: filter.kind ?? null,
        since:
          filter.firstFoundSince === undefined ? null : BigQuery.timestamp(filter.firstFoundSince),
        limit: filter.limit ?? 100,
      },
      types: {
        team_id: 'STRING',
        channel_id: 'STRING',
        owner: 'STRING',
        kind: 'STRING',
        since: 'TIMESTAMP',
        limit: 'INT64',
      },
    });
    return rows.map(toStored);
  }

  async save(
    runId: string,
    foundAt: Date,
    entries: readonly StoredRecommendation[],
  ): Promise<void> {
    if (entries.length === 0) return;
    if (await runStored(this.warehouse, 'recommendations', this.table, runId)) return;
    await this.inserter.insert(
      entries.map((e) => ({
        insertId: rowInsertId(runId, e.recommendation.id),
        json: {
          recommendation_id: e.recommendation.id,
          run_id: runId,
          kind: e.recommendation.kind,
          rule: e.recommendation.rule ?? null,
          target: e.recommendation.target,
          monthly_savings_usd: e.recommendation.monthlySavingsUsd,
          confidence: e.recommendation.confidence,
          summary: e.recommendation.summary,
          // insertAll takes a JSON column's value as its JSON text.
          evidence: JSON.stringify(e.recommendation.evidence ?? null),
          fix: JSON.stringify(e.recommendation.fix ?? null),
          team_id: e.teamId === '' ? null : e.teamId,
          channel_id: e.channelId === '' ? null : e.channelId,
          owner_slack_ids: [...e.ownerSlackIds],
          found_at: foundAt.toISOString(),
        },
      })),
    );
  }

  async versionsAt(
    queries: readonly VersionQuery[],
    excludeRunId?: string,
  ): Promise<Map<string, StoredVersion>> {
    if (queries.length === 0) return new Map();
    const rows = await this.warehouse.runQuery({
      name: 'recommendations-versions',
      sql: readSql('recommendations-versions.sql', 'recommendations', this.table),
      params: {
        ids: queries.map((q) => q.recommendationId),
        ats: queries.map((q) => BigQuery.timestamp(q.at)),
        exclude: excludeRunId ?? '',
      },
      types: { ids: ['STRING'], ats: ['TIMESTAMP'], exclude: 'STRING' },
    });
    return new Map(
      rows.map((row) => {
        const stored = toStored(row);
        return [
          stored.recommendation.id,
          { ...stored, runId: str(row.run_id) ?? '', foundAt: toDate(row.found_at) },
        ];
      }),
    );
  }
}

export class BigQueryAnomalyStore implements AnomalyStore {
  readonly table: string;
  private readonly inserter: Inserter;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    options: BigQueryStoreOptions = {},
  ) {
    this.table = ownTable(warehouse.settings, anomaliesTable.name);
    this.inserter = new Inserter(warehouse, anomaliesTable, options);
  }

  async ensureTable(): Promise<void> {
    await this.warehouse.runQuery({
      name: 'ensure-anomalies',
      sql: bigQueryDdl(anomaliesTable, this.table),
    });
  }

  async find(id: string): Promise<StoredAnomaly | null> {
    const rows = await this.warehouse.runQuery({
      name: 'anomalies-find',
      sql: readSql('anomalies-find.sql', 'anomalies', this.table),
      params: { id },
      types: { id: 'STRING' },
    });
    const row = rows[0];
    if (row === undefined) return null;
    const parsed = anomalySchema.safeParse({
      id: str(row.anomaly_id),
      scope: str(row.scope),
      day: str(row.day),
      usd: num(row.usd),
      expectedUsd: num(row.expected_usd),
      severity: str(row.severity),
    });
    if (!parsed.success) throw badRow('anomalies', str(row.anomaly_id), parsed.error.message);
    return { anomaly: parsed.data, runId: str(row.run_id) ?? '', foundAt: toDate(row.found_at) };
  }

  async save(runId: string, foundAt: Date, anomalies: readonly Anomaly[]): Promise<void> {
    if (anomalies.length === 0) return;
    if (await runStored(this.warehouse, 'anomalies', this.table, runId)) return;
    await this.inserter.insert(
      anomalies.map((a) => ({
        insertId: rowInsertId(runId, a.id),
        json: {
          anomaly_id: a.id,
          run_id: runId,
          scope: a.scope,
          day: a.day,
          usd: a.usd,
          expected_usd: a.expectedUsd,
          severity: a.severity,
          found_at: foundAt.toISOString(),
        },
      })),
    );
  }
}

export class BigQueryRunLog implements RunLog {
  readonly table: string;
  private readonly inserter: Inserter;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    options: BigQueryStoreOptions = {},
  ) {
    this.table = ownTable(warehouse.settings, analysisRunsTable.name);
    this.inserter = new Inserter(warehouse, analysisRunsTable, options);
  }

  async ensureTable(): Promise<void> {
    await this.warehouse.runQuery({
      name: 'ensure-analysis-runs',
      sql: bigQueryDdl(analysisRunsTable, this.table),
    });
  }

  async record(run: AnalysisRunRecord): Promise<void> {
    await this.inserter.insert([
      {
        // One row per attempt: the attempt's start tells a redelivery from a resend.
        insertId: rowInsertId(run.runId, run.startedAt.toISOString()),
        json: {
          run_id: run.runId,
          scope: run.scope,
          window_start: run.windowStart.toISOString(),
          window_end: run.windowEnd.toISOString(),
          outcome: run.outcome,
          recommendations: run.recommendations,
          anomalies: run.anomalies,
          error_code: run.errorCode,
          started_at: run.startedAt.toISOString(),
          finished_at: run.finishedAt.toISOString(),
        },
      },
    ]);
  }

  async attempts(runId: string): Promise<AnalysisRunRecord[]> {
    const rows = await this.warehouse.runQuery({
      name: 'analysis-runs-attempts',
      sql: readSql('analysis-runs-attempts.sql', 'analysis_runs', this.table),
      params: { run: runId },
      types: { run: 'STRING' },
    });
    return rows.map((row) => ({
      runId: str(row.run_id) ?? '',
      scope: str(row.scope) ?? '',
      windowStart: toDate(row.window_start),
      windowEnd: toDate(row.window_end),
      outcome: str(row.outcome) === 'succeeded' ? 'succeeded' : 'failed',
      recommendations: num(row.recommendations),
      anomalies: num(row.anomalies),
      errorCode: str(row.error_code),
      startedAt: toDate(row.started_at),
      finishedAt: toDate(row.finished_at),
    }));
  }
}

/** Has this run stored any row? (A redelivered run writes nothing.) */
async function runStored(
  warehouse: BigQueryWarehouse,
  name: string,
  table: string,
  runId: string,
): Promise<boolean> {
  const rows = await warehouse.runQuery({
    name: `${name}-run-stored`,
    sql: readSql('run-stored.sql', 'table', table),
    params: { run: runId },
    types: { run: 'STRING' },
  });
  return (num(rows[0]?.n) ?? 0) > 0;
}

/** insertId ≤ 128 characters whatever the run id's length. */
function rowInsertId(runId: string, id: string): string {
  return sha256Hex(JSON.stringify([runId, id]));
}

function toStored(row: Record<string, unknown>): StoredRecommendation {
  const candidate: Record<string, unknown> = {
    id: str(row.recommendation_id),
    kind: str(row.kind),
    target: str(row.target),
    monthlySavingsUsd: num(row.monthly_savings_usd),
    confidence: str(row.confidence),
    summary: str(row.summary),
    evidence: json(row.evidence),
    fix: json(row.fix),
  };
  const rule = str(row.rule);
  if (rule !== null) candidate.rule = rule;
  const parsed = recommendationSchema.safeParse(candidate);
  if (!parsed.success) {
    throw badRow('recommendations', str(row.recommendation_id), parsed.error.message);
  }
  const owners = unwrap(row.owner_slack_ids);
  return {
    recommendation: parsed.data,
    teamId: str(row.team_id) ?? '',
    channelId: str(row.channel_id) ?? '',
    ownerSlackIds: Array.isArray(owners) ? owners.map((o) => String(unwrap(o))) : [],
    firstFoundAt: toDate(row.first_found_at),
    foundAt: toDate(row.found_at),
  };
}

function badRow(table: string, id: string | null, detail: string): AppError {
  return new AppError('store.bad_row', `${table} row ${String(id)} is invalid: ${detail}`);
}

function num(value: unknown): number | null {
  const v = unwrap(value);
  return v === null || v === undefined ? null : Number(v);
}

function json(value: unknown): unknown {
  const v = unwrap(value);
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
}

/** A TIMESTAMP cell; NULL (a REQUIRED column's broken row) becomes an invalid Date, as before. */
function toDate(value: unknown): Date {
  return cellTimestamp(value) ?? new Date(Number.NaN);
}
