import {
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
} from '@duckdb/node-api';
import {
  orderedUniqueEvents,
  recommendationEventSchema,
  type RecommendationEvent,
} from '../../domain/ledger.js';
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

const timestampColumns = new Set<string>(['snooze_until', 'occurred_at']);

/** Rows per INSERT. */
const maxBatch = 500;
/** Recommendations whose events are kept in memory; the least recently used go first. */
export const defaultCacheSize = 10_000;

// Prepared once and bound with one JSON parameter per batch: DuckDB parses and plans a statement
// on the calling thread, which is the event loop the Slack receiver answers from. Timestamps
// travel as epoch milliseconds (a JS Date's precision).
/**
 * One statement per batch: the existence check and the insert see the same snapshot, and
 * RETURNING names the keys that were new. Keys repeated inside a batch are removed before.
 */
const appendSql = `INSERT INTO recommendation_events (${columns.join(', ')})
SELECT ${columns.map((c) => (timestampColumns.has(c) ? `epoch_ms(v.${c})` : `v.${c}`)).join(', ')}
FROM (SELECT unnest(from_json($1::JSON, '${rowJsonShape()}'), recursive := true)) AS v
WHERE NOT EXISTS (
  SELECT 1 FROM recommendation_events e WHERE e.idempotency_key = v.idempotency_key
)
RETURNING idempotency_key`;

function rowJsonShape(): string {
  const shape = Object.fromEntries(
    columns.map((c) => [c, timestampColumns.has(c) ? 'BIGINT' : 'VARCHAR']),
  );
  return JSON.stringify([shape]);
}

const eventsSql = `SELECT ${columns.join(', ')}
FROM recommendation_events
WHERE list_contains($1::VARCHAR[], recommendation_id)`;

interface PendingAppend {
  event: RecommendationEvent;
  resolve: (result: { recorded: boolean }) => void;
  reject: (error: unknown) => void;
}

interface PendingRead {
  ids: readonly string[];
  resolve: (events: RecommendationEvent[]) => void;
  reject: (error: unknown) => void;
}

export interface DuckDbLedgerOptions {
  /** Recommendations whose events stay in memory; default 10,000. */
  cacheSize?: number;
}

/**
 * The embedded ledger, built for the click path (an Accept must be answered well inside Slack's
 * 3 s, at dozens of clicks at once):
 *
 * - One writer. DuckDB's MVCC lets two overlapping statements both pass the NOT EXISTS check and
 *   both insert (there is no constraint to conflict on), so statements run one at a time. Appends
 *   and cache-missing reads that arrive while a statement runs are batched into the next one: one
 *   multi-row INSERT … RETURNING, one read for every missing id.
 * - A per-process cache of each recommendation's events (deduped, in ledger order), filled by a
 *   read and extended by every recorded append, so a click on a card seen before costs no read,
 *   and a key already in the cache is answered `recorded: false` without a statement.
 * - The ids that have any event, read once at open (one string per recommendation anybody ever
 *   clicked): the first click on a card — most clicks — needs no read at all.
 *
 * All of this is sound only with one writer per database, which the embedded mode has: DuckDB lets
 * one process open the file read-write, and that process must share ONE DuckDbLedger between the
 * receiver, the analysis worker and the notifier. A second ledger object over the same database
 * would not see the first one's events (its cache and known ids would be stale); the NOT EXISTS
 * check would still keep keys unique between statements, and readers dedupe anyway.
 * A failed append drops the cached events of its recommendations (the write may have landed),
 * so the next read goes back to the table.
 */
export class DuckDbLedger implements AckLedger {
  private readonly cache = new Map<string, RecommendationEvent[]>();
  /** Every recommendation with (possibly) an event in the table: any other has none. */
  private readonly known: Set<string>;
  private readonly cacheSize: number;
  private appends: PendingAppend[] = [];
  private reads: PendingRead[] = [];
  private draining = false;

  private constructor(
    private readonly insertStatement: DuckDBPreparedStatement,
    private readonly readStatement: DuckDBPreparedStatement,
    known: readonly string[],
    options: DuckDbLedgerOptions,
  ) {
    this.known = new Set(known);
    this.cacheSize = Math.max(1, options.cacheSize ?? defaultCacheSize);
  }

  static async open(
    connection: DuckDBConnection,
    options: DuckDbLedgerOptions = {},
  ): Promise<DuckDbLedger> {
    await connection.run(recommendationEventsDdl);
    const reader = await connection.runAndReadAll(
      'SELECT DISTINCT recommendation_id FROM recommendation_events',
    );
    const known = reader.getRowsJS().map((row) => String(row[0]));
    return new DuckDbLedger(
      await connection.prepare(appendSql),
      await connection.prepare(eventsSql),
      known,
      options,
    );
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
    const cached = this.cache.get(parsed.recommendationId);
    if (cached?.some((e) => e.idempotencyKey === parsed.idempotencyKey)) {
      return Promise.resolve({ recorded: false });
    }
    // A recommendation without events has an empty history: cache it, the append extends it.
    // `known` is set before the write: a write that fails may still have landed.
    if (!this.known.has(parsed.recommendationId)) this.remember(parsed.recommendationId, []);
    this.known.add(parsed.recommendationId);
    return new Promise((resolve, reject) => {
      this.appends.push({ event: parsed, resolve, reject });
      this.drain();
    });
  }

  eventsFor(recommendationIds: readonly string[]): Promise<RecommendationEvent[]> {
    const ids = [...new Set(recommendationIds)].filter((id) => this.known.has(id));
    if (ids.every((id) => this.cache.has(id))) return Promise.resolve(this.fromCache(ids));
    return new Promise((resolve, reject) => {
      this.reads.push({ ids, resolve, reject });
      this.drain();
    });
  }

  /** Runs the queued reads, then the queued appends, one statement at a time, until none wait. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        while (this.reads.length > 0 || this.appends.length > 0) {
          // Settling an already settled promise is a no-op: the catches only cover bugs.
          if (this.reads.length > 0) {
            const reads = this.reads;
            this.reads = [];
            await this.runReads(reads).catch((error: unknown) => {
              for (const read of reads) read.reject(error);
            });
          }
          if (this.appends.length > 0) {
            const batch = this.appends.splice(0, maxBatch);
            await this.runAppends(batch).catch((error: unknown) => {
              for (const pending of batch) pending.reject(error);
            });
          }
        }
      } finally {
        this.draining = false;
      }
    })();
  }

  private async runReads(reads: PendingRead[]): Promise<void> {
    const wanted = [...new Set(reads.flatMap((r) => r.ids))];
    const missing = wanted.filter((id) => !this.cache.has(id));
    // Answers come from this snapshot, not the cache: remembering what was read may evict.
    const fresh = new Map<string, RecommendationEvent[]>();
    for (const id of wanted) {
      const cached = this.cache.get(id);
      if (cached) fresh.set(id, cached);
    }
    if (missing.length > 0) {
      let events: RecommendationEvent[];
      try {
        events = await this.read(missing);
      } catch (error) {
        for (const read of reads) read.reject(error);
        return;
      }
      const byId = new Map<string, RecommendationEvent[]>(missing.map((id) => [id, []]));
      for (const event of events) byId.get(event.recommendationId)?.push(event);
      for (const [id, list] of byId) {
        const ordered = orderedUniqueEvents(list);
        fresh.set(id, ordered);
        this.remember(id, ordered);
      }
    }
    for (const read of reads) read.resolve(this.fromCache(read.ids, fresh));
  }

  private async read(ids: readonly string[]): Promise<RecommendationEvent[]> {
    let rows: Record<string, unknown>[];
    try {
      this.readStatement.bind([listValue([...ids])], [LIST(VARCHAR)]);
      const reader = await this.readStatement.runAndReadAll();
      rows = reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      throw new AppError('ledger.read_failed', `cannot read the ledger: ${text(error)}`, {
        cause: error,
        retryable: true,
      });
    }
    return rows.map(fromRow);
  }

  private async runAppends(batch: PendingAppend[]): Promise<void> {
    // The first append of a key goes to the table; repeats inside the batch share its outcome.
    const first = new Map<string, PendingAppend>();
    for (const pending of batch) {
      if (!first.has(pending.event.idempotencyKey)) {
        first.set(pending.event.idempotencyKey, pending);
      }
    }
    const rows = [...first.values()].map((p) => p.event).filter((e) => !this.cachedKey(e));
    let inserted: Set<string>;
    try {
      inserted = rows.length === 0 ? new Set() : await this.insert(rows);
    } catch (error) {
      for (const pending of batch) this.cache.delete(pending.event.recommendationId);
      const failure = new AppError(
        'ledger.append_failed',
        `cannot record ${batch.length} event(s): ${text(error)}`,
        {
          cause: error,
          retryable: true,
          userMessage: 'Your click could not be recorded. Please try again.',
        },
      );
      for (const pending of batch) pending.reject(failure);
      return;
    }
    for (const event of rows) {
      if (!inserted.has(event.idempotencyKey)) continue;
      const cached = this.cache.get(event.recommendationId);
      if (cached) this.cache.set(event.recommendationId, orderedUniqueEvents([...cached, event]));
    }
    for (const pending of batch) {
      const recorded =
        first.get(pending.event.idempotencyKey) === pending &&
        inserted.has(pending.event.idempotencyKey);
      pending.resolve({ recorded });
    }
  }

  private async insert(events: readonly RecommendationEvent[]): Promise<Set<string>> {
    this.insertStatement.bindVarchar(1, JSON.stringify(events.map(toJsonRow)));
    const reader = await this.insertStatement.runAndReadAll();
    return new Set(reader.getRowsJS().map((row) => String(row[0])));
  }

  private cachedKey(event: RecommendationEvent): boolean {
    const cached = this.cache.get(event.recommendationId);
    return cached?.some((e) => e.idempotencyKey === event.idempotencyKey) ?? false;
  }

  private remember(id: string, events: RecommendationEvent[]): void {
    this.cache.delete(id);
    this.cache.set(id, events);
    while (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  /** The events of these ids, oldest first, from `fresh` (just read) or the cache. */
  private fromCache(
    ids: readonly string[],
    fresh: ReadonlyMap<string, RecommendationEvent[]> = new Map(),
  ): RecommendationEvent[] {
    const events: RecommendationEvent[] = [];
    for (const id of ids) {
      const cached = fresh.get(id) ?? this.cache.get(id);
      if (cached === undefined) continue;
      if (this.cache.get(id) === cached) {
        // Touch: most recently used last.
        this.cache.delete(id);
        this.cache.set(id, cached);
      }
      events.push(...cached);
    }
    return ids.length === 1 ? events : orderedUniqueEvents(events);
  }
}

/** A row for the insert's JSON parameter: timestamps as epoch milliseconds. */
function toJsonRow(event: RecommendationEvent): Record<(typeof columns)[number], unknown> {
  return {
    event_id: event.eventId,
    recommendation_id: event.recommendationId,
    action: event.action,
    actor_slack_id: event.actorSlackId,
    actor_email: event.actorEmail,
    reason_code: event.reason?.code ?? null,
    reason_text: event.reason?.text ?? null,
    snooze_until: event.snoozeUntil?.getTime() ?? null,
    team_id: event.teamId,
    channel_id: event.channelId,
    message_ts: event.messageTs,
    source_request_id: event.sourceRequestId,
    idempotency_key: event.idempotencyKey,
    occurred_at: event.occurredAt.getTime(),
  };
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
