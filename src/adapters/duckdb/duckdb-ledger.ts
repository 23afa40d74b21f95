import {
  LIST,
  VARCHAR,
  listValue,
  timestampValue,
  type DuckDBConnection,
  type DuckDBValue,
} from '@duckdb/node-api';
import { recommendationEventSchema, type RecommendationEvent } from '../../domain/ledger.js';
import { AppError } from '../../errors.js';
import type { AckLedger } from '../../ports/ledger.js';

// No PRIMARY KEY or UNIQUE on idempotency_key: BigQuery has none either, so uniqueness comes from
// the conditional insert below (and readers dedupe anyway), not from a constraint production
// lacks.
export const recommendationEventsDdl = `CREATE TABLE IF NOT EXISTS recommendation_events (
  event_id VARCHAR,
  recommendation_id VARCHAR,
  action VARCHAR,
  actor_slack_id VARCHAR,
  actor_email VARCHAR,
  reason_code VARCHAR,
  reason_text VARCHAR,
  snooze_until TIMESTAMP,
  team_id VARCHAR,
  channel_id VARCHAR,
  message_ts VARCHAR,
  source_request_id VARCHAR,
  idempotency_key VARCHAR,
  occurred_at TIMESTAMP
)`;

const columns = [
  'event_id',
  'recommendation_id',
  'action',
  'actor_slack_id',
  'actor_email',
  'reason_code',
  'reason_text',
  'snooze_until',
  'team_id',
  'channel_id',
  'message_ts',
  'source_request_id',
  'idempotency_key',
  'occurred_at',
] as const;

const timestampColumns = new Set(['snooze_until', 'occurred_at']);

// One statement: the existence check and the insert see the same snapshot.
const appendSql = `INSERT INTO recommendation_events (${columns.join(', ')})
SELECT ${columns
  .map((c) => (timestampColumns.has(c) ? `CAST($${c} AS TIMESTAMP)` : `CAST($${c} AS VARCHAR)`))
  .join(', ')}
WHERE NOT EXISTS (
  SELECT 1 FROM recommendation_events WHERE idempotency_key = CAST($idempotency_key AS VARCHAR)
)`;

const eventsSql = `SELECT ${columns.join(', ')}
FROM recommendation_events
WHERE list_contains($ids, recommendation_id)
QUALIFY row_number() OVER (PARTITION BY idempotency_key ORDER BY occurred_at, event_id) = 1
ORDER BY occurred_at, event_id`;

/**
 * The embedded ledger. DuckDB's MVCC lets two connections (or two overlapping statements) both
 * pass the NOT EXISTS check and both insert, since there is no constraint to conflict on; so
 * appends are serialised through one queue. That makes this exactly-once per key for one
 * process, which is all the embedded mode runs (one DuckDbLedger per database file).
 */
export class DuckDbLedger implements AckLedger {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbLedger> {
    await connection.run(recommendationEventsDdl);
    return new DuckDbLedger(connection);
  }

  append(event: RecommendationEvent): Promise<{ recorded: boolean }> {
    const result = recommendationEventSchema.safeParse(event);
    if (!result.success) {
      return Promise.reject(
        new AppError('ledger.invalid_event', `invalid event: ${result.error.message}`, {
          cause: result.error,
        }),
      );
    }
    const parsed = result.data;
    const run = this.queue.then(() => this.insert(parsed));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async insert(event: RecommendationEvent): Promise<{ recorded: boolean }> {
    try {
      const result = await this.connection.run(appendSql, toParams(event));
      return { recorded: result.rowsChanged === 1 };
    } catch (error) {
      throw new AppError('ledger.append_failed', `cannot record ${event.action}: ${text(error)}`, {
        cause: error,
        retryable: true,
        userMessage: 'Your click could not be recorded. Please try again.',
      });
    }
  }

  async eventsFor(recommendationIds: readonly string[]): Promise<RecommendationEvent[]> {
    if (recommendationIds.length === 0) return [];
    let rows: Record<string, unknown>[];
    try {
      const reader = await this.connection.runAndReadAll(
        eventsSql,
        { ids: listValue([...recommendationIds]) },
        { ids: LIST(VARCHAR) },
      );
      rows = reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      throw new AppError('ledger.read_failed', `cannot read the ledger: ${text(error)}`, {
        cause: error,
        retryable: true,
      });
    }
    return rows.map(fromRow);
  }
}

function toParams(event: RecommendationEvent): Record<string, DuckDBValue> {
  return {
    event_id: event.eventId,
    recommendation_id: event.recommendationId,
    action: event.action,
    actor_slack_id: event.actorSlackId,
    actor_email: event.actorEmail,
    reason_code: event.reason?.code ?? null,
    reason_text: event.reason?.text ?? null,
    snooze_until: event.snoozeUntil === null ? null : micros(event.snoozeUntil),
    team_id: event.teamId,
    channel_id: event.channelId,
    message_ts: event.messageTs,
    source_request_id: event.sourceRequestId,
    idempotency_key: event.idempotencyKey,
    occurred_at: micros(event.occurredAt),
  };
}

function micros(date: Date) {
  return timestampValue(BigInt(date.getTime()) * 1000n);
}

function fromRow(row: Record<string, unknown>): RecommendationEvent {
  const reasonCode = row.reason_code ?? null;
  const reasonText = row.reason_text ?? null;
  const result = recommendationEventSchema.safeParse({
    eventId: row.event_id,
    recommendationId: row.recommendation_id,
    action: row.action,
    actorSlackId: row.actor_slack_id,
    actorEmail: row.actor_email ?? null,
    reason:
      reasonCode === null && reasonText === null ? null : { code: reasonCode, text: reasonText },
    snoozeUntil: toDate(row.snooze_until),
    teamId: row.team_id,
    channelId: row.channel_id ?? null,
    messageTs: row.message_ts ?? null,
    sourceRequestId: row.source_request_id,
    idempotencyKey: row.idempotency_key,
    occurredAt: toDate(row.occurred_at),
  });
  if (!result.success) {
    throw new AppError(
      'ledger.bad_row',
      `recommendation_events row ${String(row.event_id)} is invalid: ${result.error.message}`,
    );
  }
  return result.data;
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(String(value));
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
