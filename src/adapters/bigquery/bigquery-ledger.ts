import { readFileSync } from 'node:fs';
import { recommendationEventSchema, type RecommendationEvent } from '../../domain/ledger.js';
import { AppError } from '../../errors.js';
import type { AckLedger } from '../../ports/ledger.js';
import { classifyBigQueryError, ownTable, type BigQueryWarehouse } from './bigquery-warehouse.js';
import { cellString, cellTimestamp } from './cells.js';
import { insertWithRetries, transientRejection } from './insert-row.js';

// Writes go through tabledata.insertAll with insertId = the event's idempotency key, so BigQuery
// drops a resend of the same row within its dedupe window (best effort, about a minute). That is
// not a guarantee, so `eventsFor` dedupes on the key as well: a duplicate that got in is never
// counted twice. The Storage Write API's committed streams would be exactly once, but cost a
// stream per click and a gRPC client; a click is one row.
//
// `append` cannot learn from insertAll whether the key existed: it reports `recorded: true` when
// BigQuery accepted the row. recordAck only appends after deriving the state from `eventsFor`,
// so an existing key reaches here only from a race or a retry after an ambiguous failure — the
// cases insertId and the deduping reader cover.
//
// Retries are short (a click must be answered within Slack's 3 s): 429 and 5xx, and insertErrors
// whose reasons are all transient, are resent with the same insertId.

const tableName = 'recommendation_events';
const sqlDir = new URL('./', import.meta.url);
const readSql = (file: string) => readFileSync(new URL(file, sqlDir), 'utf8');

export interface BigQueryLedgerDeps {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Resends after the first insertAll; default 2. */
  maxRetries?: number;
}

interface InsertErrorEntry {
  errors?: { reason?: string; message?: string; location?: string }[];
}

export class BigQueryLedger implements AckLedger {
  readonly table: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxRetries: number;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    deps: BigQueryLedgerDeps = {},
  ) {
    this.table = ownTable(warehouse.settings, tableName);
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = deps.random ?? Math.random;
    this.maxRetries = deps.maxRetries ?? 2;
  }

  async ensureTable(): Promise<void> {
    await this.warehouse.runQuery({
      name: 'ensure-recommendation-events',
      sql: this.render('recommendation-events.sql'),
    });
  }

  async append(event: RecommendationEvent): Promise<{ recorded: boolean }> {
    const parsed = recommendationEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new AppError('ledger.invalid_event', `invalid event: ${parsed.error.message}`, {
        cause: parsed.error,
      });
    }
    const row = { insertId: event.idempotencyKey, json: toJson(parsed.data) };
    await insertWithRetries(this.warehouse, tableName, [row], {
      maxRetries: this.maxRetries,
      sleep: this.sleep,
      // Jittered (half to all of 200 ms · 2^attempt), unlike the other writers: clicks arrive
      // from many instances at once, and their resends should not land together on the same
      // rate limit.
      delayMs: (attempt) => {
        const ceiling = 200 * 2 ** attempt;
        return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
      },
      classify: (error) => this.classify(error, event),
      // The clicker sees userMessage, so a transient failure that outlived the retries says
      // "try again" while a rejected row or a permission error says what is wrong.
      toError: (failure, retries) =>
        failure.retryable
          ? new AppError(failure.code, `${failure.message} (gave up after ${retries} retries)`, {
              cause: failure.cause,
              retryable: true,
              userMessage: 'Your click could not be recorded just now. Please try again.',
            })
          : new AppError(failure.code, failure.message, {
              cause: failure.cause,
              retryable: false,
              userMessage: failure.userMessage,
            }),
    });
    return { recorded: true };
  }

  async eventsFor(recommendationIds: readonly string[]): Promise<RecommendationEvent[]> {
    if (recommendationIds.length === 0) return [];
    const rows = await this.warehouse.runQuery({
      name: 'recommendation-events-for',
      sql: this.render('recommendation-events-for.sql'),
      params: { recommendation_ids: [...recommendationIds] },
      types: { recommendation_ids: ['STRING'] },
    });
    return rows.map(fromRow);
  }

  private render(file: string): string {
    return readSql(file).replaceAll('{{recommendation_events}}', this.table);
  }

  private classify(
    error: unknown,
    event: RecommendationEvent,
  ): { code: string; message: string; retryable: boolean; cause: unknown; userMessage: string } {
    const row = `event ${event.eventId} (recommendation ${event.recommendationId}, key ${event.idempotencyKey.slice(0, 12)}…)`;
    const e = error as {
      name?: unknown;
      errors?: unknown;
      response?: { insertErrors?: InsertErrorEntry[] };
    };
    if (e?.name === 'PartialFailureError' && Array.isArray(e.errors)) {
      // The raw insertErrors keep each error's location (the column); the library drops it.
      const entries = e.response?.insertErrors ?? (e.errors as InsertErrorEntry[]);
      const details = entries.flatMap((entry) => entry.errors ?? []);
      const reasons = details.map((d) => d.reason ?? 'unknown');
      const text = details
        .map(
          (d) =>
            `${d.reason ?? 'unknown'}${d.location ? ` at ${d.location}` : ''}: ${d.message ?? ''}`,
        )
        .join('; ');
      return {
        code: 'ledger.insert_rejected',
        message: `BigQuery rejected ${row} in ${this.table}: ${text}`,
        retryable: transientRejection(reasons),
        cause: { reasons },
        userMessage:
          'Your click could not be recorded (the ledger rejected it). It has been logged.',
      };
    }
    const classified = classifyBigQueryError(error);
    const status = classified.httpStatus === null ? '' : ` (HTTP ${classified.httpStatus})`;
    const forbidden = classified.reason === 'forbidden' || classified.reason === 'accessDenied';
    return {
      code: `ledger.${classified.reason}`,
      message: `BigQuery insertAll of ${row} into ${this.table} failed: ${classified.reason}${status}: ${classified.message}`,
      retryable: classified.retryable,
      // A plain summary: library errors carry the HTTP request, Authorization header included.
      cause: { reason: classified.reason, httpStatus: classified.httpStatus },
      userMessage: forbidden
        ? `bqcost may not write to ${this.table}; it needs roles/bigquery.dataEditor on that dataset.`
        : `Your click could not be recorded (${classified.reason}).`,
    };
  }
}

function toJson(event: RecommendationEvent): Record<string, string | null> {
  return {
    event_id: event.eventId,
    recommendation_id: event.recommendationId,
    action: event.action,
    actor_slack_id: event.actorSlackId,
    actor_email: event.actorEmail,
    reason_code: event.reason?.code ?? null,
    reason_text: event.reason?.text ?? null,
    snooze_until: event.snoozeUntil?.toISOString() ?? null,
    team_id: event.teamId,
    channel_id: event.channelId,
    message_ts: event.messageTs,
    source_request_id: event.sourceRequestId,
    idempotency_key: event.idempotencyKey,
    occurred_at: event.occurredAt.toISOString(),
  };
}

function fromRow(row: Record<string, unknown>): RecommendationEvent {
  const str = (field: string) => cellString(row[field]);
  const reasonCode = str('reason_code');
  const reasonText = str('reason_text');
  const parsed = recommendationEventSchema.safeParse({
    eventId: str('event_id'),
    recommendationId: str('recommendation_id'),
    action: str('action'),
    actorSlackId: str('actor_slack_id'),
    actorEmail: str('actor_email'),
    reason:
      reasonCode === null && reasonText === null ? null : { code: reasonCode, text: reasonText },
    snoozeUntil: cellTimestamp(row.snooze_until),
    teamId: str('team_id'),
    channelId: str('channel_id'),
    messageTs: str('message_ts'),
    sourceRequestId: str('source_request_id'),
    idempotencyKey: str('idempotency_key'),
    occurredAt: cellTimestamp(row.occurred_at),
  });
  if (!parsed.success) {
    throw new AppError(
      'ledger.bad_row',
      `${tableName} row ${String(str('event_id'))} is invalid: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
