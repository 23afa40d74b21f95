import type { AlertEvent } from '../domain/alerts.js';

/** The alert log (`alert_events`): append-only, deduped on the idempotency key. */
export interface AlertLog {
  /**
   * Appends the event unless one with the same idempotency key is already recorded: `recorded`
   * is true for exactly one append per key (per writer; see the adapters for what that means
   * across processes). Throws an AppError (`retryable` set) when the write may not have happened.
   */
  append(event: AlertEvent): Promise<{ recorded: boolean }>;
  /** Every event of these alerts, once per idempotency key, oldest first. */
  eventsFor(alertIds: readonly string[]): Promise<AlertEvent[]>;
  /**
   * Every event of the alerts with no `acknowledged` or `resolved` row yet (the ones a tick may
   * have to climb), once per idempotency key, oldest first. `includeAcknowledged`: also the
   * acknowledged ones not yet resolved (their PagerDuty incident may still need a resolve).
   */
  openAlertEvents(options?: { includeAcknowledged?: boolean }): Promise<AlertEvent[]>;
}
