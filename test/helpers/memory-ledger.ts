import { orderedUniqueEvents, type RecommendationEvent } from '../../src/domain/ledger.js';
import type { AckLedger } from '../../src/ports/ledger.js';

/** An in-memory AckLedger whose next appends can be made to fail (after or before writing). */
export class MemoryLedger implements AckLedger {
  readonly rows: RecommendationEvent[] = [];
  appendCalls = 0;
  private failures: { error: Error; afterWrite: boolean }[] = [];

  failNextAppends(count: number, error: Error, afterWrite = false): void {
    for (let i = 0; i < count; i++) this.failures.push({ error, afterWrite });
  }

  async append(event: RecommendationEvent): Promise<{ recorded: boolean }> {
    this.appendCalls++;
    await Promise.resolve();
    const failure = this.failures.shift();
    if (failure && !failure.afterWrite) throw failure.error;
    const recorded = !this.rows.some((r) => r.idempotencyKey === event.idempotencyKey);
    if (recorded) this.rows.push(event);
    if (failure) throw failure.error;
    return { recorded };
  }

  async eventsFor(ids: readonly string[]): Promise<RecommendationEvent[]> {
    await Promise.resolve();
    return orderedUniqueEvents(this.rows.filter((r) => ids.includes(r.recommendationId)));
  }
}
