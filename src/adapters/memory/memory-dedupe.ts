import type { DedupeSource, DedupeStore } from '../../ports/dedupe.js';

/** Processed keys held in memory (tests, a single embedded process): not durable across restarts. */
export class MemoryDedupeStore implements DedupeStore {
  readonly marks = new Map<string, { source: DedupeSource; at: Date }>();

  seen(key: string): Promise<boolean> {
    return Promise.resolve(this.marks.has(key));
  }

  mark(key: string, source: DedupeSource, at: Date): Promise<void> {
    if (!this.marks.has(key)) this.marks.set(key, { source, at });
    return Promise.resolve();
  }
}
