import type { RecommendationEvent } from '../domain/ledger.js';

/** The acknowledgement ledger (`recommendation_events`): append-only, deduped on the key. */
export interface AckLedger {
  /**
   * Appends the event unless one with the same idempotency key is already recorded: `recorded`
   * is true for exactly one append per key. Retrying a failed append with the same event is safe.
   * Throws an AppError (`retryable` set) when the write may not have happened.
   */
  append(event: RecommendationEvent): Promise<{ recorded: boolean }>;
  /** Every event of these recommendations, once per idempotency key, oldest first. */
  eventsFor(recommendationIds: readonly string[]): Promise<RecommendationEvent[]>;
}
