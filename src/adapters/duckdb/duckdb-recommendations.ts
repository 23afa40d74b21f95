import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { timestampValue } from '@duckdb/node-api';
import {
  anomalySchema,
  recommendationSchema,
  type Anomaly,
  type Recommendation,
} from '../../domain/analysis.js';
import { analysisRunsTable, anomaliesTable, recommendationsTable } from '../../domain/tables.js';
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
import { tableDdl } from './table-ddl.js';

// The embedded copies of `recommendations`, `anomalies` and `analysis_runs`, append-only like
// their BigQuery twins: every run stores its own rows, readers take the latest row per id (and
// the earliest found_at as "first found"). A save is idempotent per run id: the insert checks
// for the run's rows in the same statement, and statements of one store run one at a time
// (DuckDB has no constraint to stop two overlapping inserts); readers dedupe on (id, run) anyway.
// Rows go in as one JSON parameter (from_json), timestamps as epoch milliseconds.

/** Latest row per recommendation, with its first found_at. */
const latestRecommendations = `SELECT *, min(found_at) OVER (PARTITION BY recommendation_id) AS first_found_at
FROM recommendations
QUALIFY row_number() OVER (PARTITION BY recommendation_id ORDER BY found_at DESC, run_id DESC) = 1`;

const recommendationShape = JSON.stringify([
  {
    recommendation_id: 'VARCHAR',
    run_id: 'VARCHAR',
    kind: 'VARCHAR',
    rule: 'VARCHAR',
    target: 'VARCHAR',
    monthly_savings_usd: 'DOUBLE',
    confidence: 'VARCHAR',
    summary: 'VARCHAR',
    evidence: 'JSON',
    fix: 'JSON',
    team_id: 'VARCHAR',
    channel_id: 'VARCHAR',
    owner_slack_ids: ['VARCHAR'],
    found_at: 'BIGINT',
  },
]);

const saveRecommendationsSql = `INSERT INTO recommendations
SELECT recommendation_id, run_id, kind, rule, target, monthly_savings_usd, confidence, summary,
  evidence, fix, NULLIF(team_id, ''), NULLIF(channel_id, ''), owner_slack_ids, epoch_ms(found_at)
FROM (SELECT unnest(from_json($rows::JSON, '${recommendationShape}'), recursive := true))
WHERE NOT EXISTS (SELECT 1 FROM recommendations WHERE run_id = $run)`;

const anomalyShape = JSON.stringify([
  {
    anomaly_id: 'VARCHAR',
    run_id: 'VARCHAR',
    scope: 'VARCHAR',
    day: 'VARCHAR',
    usd: 'DOUBLE',
    expected_usd: 'DOUBLE',
    severity: 'VARCHAR',
    found_at: 'BIGINT',
  },
]);

const saveAnomaliesSql = `INSERT INTO anomalies
SELECT anomaly_id, run_id, scope, CAST(day AS DATE), usd, expected_usd, severity, epoch_ms(found_at)
FROM (SELECT unnest(from_json($rows::JSON, '${anomalyShape}'), recursive := true))
WHERE NOT EXISTS (SELECT 1 FROM anomalies WHERE run_id = $run)`;

/** Runs statements one at a time (see the header). */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class DuckDbRecommendationStore implements RecommendationStore, RecommendationHistory {
  private readonly serial = new Serial();

  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbRecommendationStore> {
    await connection.run(tableDdl(recommendationsTable));
    return new DuckDbRecommendationStore(connection);
  }

  async find(id: string): Promise<StoredRecommendation | null> {
    const rows = await this.read(
      'find',
      `SELECT * FROM (${latestRecommendations}) WHERE recommendation_id = $id`,
      { id },
    );
    return rows[0] === undefined ? null : toStored(rows[0]);
  }

  async list(filter: RecommendationFilter): Promise<StoredRecommendation[]> {
    const where: string[] = [];
    const params: Record<string, DuckDBValue> = { limit: filter.limit ?? 100 };
    if (filter.teamId !== undefined) {
      where.push('team_id = $team');
      params.team = filter.teamId;
    }
    if (filter.channelId !== undefined) {
      where.push('channel_id = $channel');
      params.channel = filter.channelId;
    }
    if (filter.ownerSlackId !== undefined) {
      where.push('list_contains(owner_slack_ids, $owner)');
      params.owner = filter.ownerSlackId;
    }
    if (filter.kind !== undefined) {
      where.push('kind = $kind');
      params.kind = filter.kind;
    }
    if (filter.firstFoundSince !== undefined) {
      where.push('first_found_at >= $since');
      params.since = micros(filter.firstFoundSince);
    }
    const rows = await this.read(
      'list',
      `SELECT * FROM (${latestRecommendations})
${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
ORDER BY monthly_savings_usd DESC NULLS LAST, recommendation_id
LIMIT $limit`,
      params,
    );
    return rows.map(toStored);
  }

  save(runId: string, foundAt: Date, entries: readonly StoredRecommendation[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const rows = entries.map((e) => ({
      recommendation_id: e.recommendation.id,
      run_id: runId,
      kind: e.recommendation.kind,
      rule: e.recommendation.rule ?? null,
      target: e.recommendation.target,
      monthly_savings_usd: e.recommendation.monthlySavingsUsd,
      confidence: e.recommendation.confidence,
      summary: e.recommendation.summary,
      evidence: e.recommendation.evidence ?? null,
      fix: e.recommendation.fix ?? null,
      team_id: e.teamId,
      channel_id: e.channelId,
      owner_slack_ids: [...e.ownerSlackIds],
      found_at: foundAt.getTime(),
    }));
    return this.serial.run(() =>
      write(this.connection, 'recommendations', saveRecommendationsSql, {
        rows: JSON.stringify(rows),
        run: runId,
      }),
    );
  }

  async versionsAt(
    queries: readonly VersionQuery[],
    excludeRunId?: string,
  ): Promise<Map<string, StoredVersion>> {
    if (queries.length === 0) return new Map();
    const asked = JSON.stringify(
      queries.map((q) => ({ recommendation_id: q.recommendationId, at_ms: q.at.getTime() })),
    );
    const rows = await this.read(
      'versions',
      `WITH asked AS (
  SELECT recommendation_id, epoch_ms(at_ms) AS as_of
  FROM (SELECT unnest(from_json($asked::JSON, '[{"recommendation_id":"VARCHAR","at_ms":"BIGINT"}]'), recursive := true))
)
SELECT r.*, (SELECT min(found_at) FROM recommendations f WHERE f.recommendation_id = r.recommendation_id) AS first_found_at
FROM asked a JOIN recommendations r
  ON r.recommendation_id = a.recommendation_id AND r.found_at <= a.as_of AND r.run_id IS DISTINCT FROM $exclude
QUALIFY row_number() OVER (PARTITION BY r.recommendation_id ORDER BY r.found_at DESC, r.run_id DESC) = 1`,
      { asked, exclude: excludeRunId ?? null },
    );
    return new Map(
      rows.map((row) => {
        const stored = toStored(row);
        return [
          stored.recommendation.id,
          { ...stored, runId: String(row.run_id), foundAt: toDate(row.found_at) },
        ];
      }),
    );
  }

  private read(
    what: string,
    sql: string,
    params: Record<string, DuckDBValue>,
  ): Promise<Record<string, unknown>[]> {
    return this.serial.run(() => read(this.connection, `recommendations.${what}`, sql, params));
  }
}

export class DuckDbAnomalyStore implements AnomalyStore {
  private readonly serial = new Serial();

  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbAnomalyStore> {
    await connection.run(tableDdl(anomaliesTable));
    return new DuckDbAnomalyStore(connection);
  }

  async find(id: string): Promise<StoredAnomaly | null> {
    const rows = await this.serial.run(() =>
      read(
        this.connection,
        'anomalies.find',
        `SELECT * FROM anomalies WHERE anomaly_id = $id
ORDER BY found_at DESC, run_id DESC LIMIT 1`,
        { id },
      ),
    );
    const row = rows[0];
    if (row === undefined) return null;
    const parsed = anomalySchema.safeParse({
      id: row.anomaly_id,
      scope: row.scope,
      day: toDate(row.day).toISOString().slice(0, 10),
      usd: row.usd,
      expectedUsd: row.expected_usd,
      severity: row.severity,
    });
    if (!parsed.success) throw badRow('anomalies', String(row.anomaly_id), parsed.error.message);
    return { anomaly: parsed.data, runId: String(row.run_id), foundAt: toDate(row.found_at) };
  }

  save(runId: string, foundAt: Date, anomalies: readonly Anomaly[]): Promise<void> {
    if (anomalies.length === 0) return Promise.resolve();
    const rows = anomalies.map((a) => ({
      anomaly_id: a.id,
      run_id: runId,
      scope: a.scope,
      day: a.day,
      usd: a.usd,
      expected_usd: a.expectedUsd,
      severity: a.severity,
      found_at: foundAt.getTime(),
    }));
    return this.serial.run(() =>
      write(this.connection, 'anomalies', saveAnomaliesSql, {
        rows: JSON.stringify(rows),
        run: runId,
      }),
    );
  }
}

export class DuckDbRunLog implements RunLog {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbRunLog> {
    await connection.run(tableDdl(analysisRunsTable));
    return new DuckDbRunLog(connection);
  }

  async record(run: AnalysisRunRecord): Promise<void> {
    await write(
      this.connection,
      'analysis_runs',
      `INSERT INTO analysis_runs VALUES ($run, $scope, $ws, $we, $outcome, $recs, $anoms, $code, $started, $finished)`,
      {
        run: run.runId,
        scope: run.scope,
        ws: micros(run.windowStart),
        we: micros(run.windowEnd),
        outcome: run.outcome,
        recs: run.recommendations,
        anoms: run.anomalies,
        code: run.errorCode,
        started: micros(run.startedAt),
        finished: micros(run.finishedAt),
      },
    );
  }

  async attempts(runId: string): Promise<AnalysisRunRecord[]> {
    const rows = await read(
      this.connection,
      'analysis_runs.attempts',
      'SELECT * FROM analysis_runs WHERE run_id = $run ORDER BY started_at, finished_at',
      { run: runId },
    );
    return rows.map((row) => ({
      runId: String(row.run_id),
      scope: String(row.scope),
      windowStart: toDate(row.window_start),
      windowEnd: toDate(row.window_end),
      outcome: row.outcome === 'succeeded' ? 'succeeded' : 'failed',
      recommendations: row.recommendations === null ? null : Number(row.recommendations),
      anomalies: row.anomalies === null ? null : Number(row.anomalies),
      errorCode: row.error_code === null ? null : String(row.error_code),
      startedAt: toDate(row.started_at),
      finishedAt: toDate(row.finished_at),
    }));
  }
}

function toStored(row: Record<string, unknown>): StoredRecommendation {
  const candidate: Record<string, unknown> = {
    id: row.recommendation_id,
    kind: row.kind,
    target: row.target,
    monthlySavingsUsd: row.monthly_savings_usd ?? null,
    confidence: row.confidence,
    summary: row.summary,
    evidence: parseJson(row.evidence),
    fix: parseJson(row.fix),
  };
  if (row.rule !== null && row.rule !== undefined) candidate.rule = row.rule;
  const parsed = recommendationSchema.safeParse(candidate);
  if (!parsed.success) {
    throw badRow('recommendations', String(row.recommendation_id), parsed.error.message);
  }
  const recommendation: Recommendation = parsed.data;
  return {
    recommendation,
    teamId: row.team_id === null ? '' : String(row.team_id),
    channelId: row.channel_id === null ? '' : String(row.channel_id),
    ownerSlackIds: Array.isArray(row.owner_slack_ids) ? row.owner_slack_ids.map(String) : [],
    firstFoundAt: toDate(row.first_found_at),
    foundAt: toDate(row.found_at),
  };
}

async function read(
  connection: DuckDBConnection,
  what: string,
  sql: string,
  params: Record<string, DuckDBValue>,
): Promise<Record<string, unknown>[]> {
  try {
    const reader = await connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } catch (error) {
    throw new AppError('store.read_failed', `cannot read ${what}: ${text(error)}`, {
      cause: error,
      retryable: true,
    });
  }
}

async function write(
  connection: DuckDBConnection,
  table: string,
  sql: string,
  params: Record<string, DuckDBValue>,
): Promise<void> {
  try {
    await connection.run(sql, params);
  } catch (error) {
    throw new AppError('store.write_failed', `cannot write ${table}: ${text(error)}`, {
      cause: error,
      retryable: true,
    });
  }
}

function badRow(table: string, id: string, detail: string): AppError {
  return new AppError('store.bad_row', `${table} row ${id} is invalid: ${detail}`);
}

function parseJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

function micros(date: Date) {
  return timestampValue(BigInt(date.getTime()) * 1000n);
}

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
