import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbDedupeStore } from '../../../src/adapters/duckdb/duckdb-dedupe.js';
import { isAppError } from '../../../src/errors.js';

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let store: DuckDbDedupeStore;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  store = await DuckDbDedupeStore.open(connection);
});
afterEach(() => {
  connection.closeSync();
  instance.closeSync();
});

const rows = async () =>
  (
    await connection.runAndReadAll(
      'SELECT dedupe_key, source, processed_at FROM processed_events ORDER BY processed_at',
    )
  ).getRowObjectsJS();

describe('DuckDbDedupeStore', () => {
  it('remembers a marked key, with its source and first time', async () => {
    expect(await store.seen('pubsub:t:k1')).toBe(false);
    await store.mark('pubsub:t:k1', 'pubsub', new Date('2026-11-28T10:00:00Z'));
    expect(await store.seen('pubsub:t:k1')).toBe(true);
    expect(await store.seen('pubsub:t:k2')).toBe(false);
    await store.mark('pubsub:t:k1', 'pubsub', new Date('2026-11-28T11:00:00Z'));
    expect(await rows()).toEqual([
      {
        dedupe_key: 'pubsub:t:k1',
        source: 'pubsub',
        processed_at: new Date('2026-11-28T10:00:00Z'),
      },
    ]);
  });

  it('keeps one row per key under 20 concurrent marks', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.mark(`ev-${i % 3}`, 'slack_event', new Date(1_700_000_000_000 + i)),
      ),
    );
    expect((await rows()).map((r) => r.dedupe_key).sort()).toEqual(['ev-0', 'ev-1', 'ev-2']);
  });

  it('reports a broken database as a retryable AppError', async () => {
    await connection.run('DROP TABLE processed_events');
    const read = await store.seen('k').catch((e: unknown) => e);
    const write = await store.mark('k', 'pubsub', new Date()).catch((e: unknown) => e);
    for (const [error, code] of [
      [read, 'dedupe.read_failed'],
      [write, 'dedupe.write_failed'],
    ] as const) {
      expect(isAppError(error) && error.code).toBe(code);
      expect(isAppError(error) && error.retryable).toBe(true);
    }
    // the queue is not poisoned by a failed mark
    await connection.run(
      'CREATE TABLE processed_events (dedupe_key VARCHAR, source VARCHAR, processed_at TIMESTAMP)',
    );
    await store.mark('k', 'pubsub', new Date());
    expect(await store.seen('k')).toBe(true);
  });
});
