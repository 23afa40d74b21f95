import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbSlackPosts } from '../../../src/adapters/duckdb/duckdb-slack-posts.js';
import { isAppError } from '../../../src/errors.js';
import type { SlackPost } from '../../../src/ports/slack-posts.js';

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let posts: DuckDbSlackPosts;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  posts = await DuckDbSlackPosts.open(connection);
});
afterEach(() => {
  connection.closeSync();
  instance.closeSync();
});

const post = (overrides: Partial<SlackPost> = {}): SlackPost => ({
  postKey: 'card:run-1:rec-1',
  channelId: 'C0FINOPS',
  messageTs: '1732780800.000100',
  kind: 'card',
  postedAt: new Date('2026-11-28T08:00:00.123Z'),
  ...overrides,
});

describe('DuckDbSlackPosts', () => {
  it('round-trips a post and finds nothing for other keys', async () => {
    expect(await posts.find('card:run-1:rec-1')).toBeNull();
    await posts.record(post());
    expect(await posts.find('card:run-1:rec-1')).toEqual(post());
    expect(await posts.find('card:run-1:rec-2')).toBeNull();
  });

  it('keeps the first post of a key (a second record is a no-op)', async () => {
    await posts.record(post());
    await posts.record(
      post({ messageTs: '1732780899.000200', postedAt: new Date('2026-11-28T09:00:00Z') }),
    );
    expect((await posts.find('card:run-1:rec-1'))?.messageTs).toBe('1732780800.000100');
    const n = await connection.runAndReadAll('SELECT count(*)::INT AS n FROM slack_posts');
    expect(n.getRowObjectsJS()[0]?.n).toBe(1);
  });

  it('one row per key under concurrent records', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        posts.record(post({ postKey: `k${i % 4}`, messageTs: `1.${i}` })),
      ),
    );
    const n = await connection.runAndReadAll(
      'SELECT count(DISTINCT post_key)::INT AS keys, count(*)::INT AS n FROM slack_posts',
    );
    expect(n.getRowObjectsJS()[0]).toEqual({ keys: 4, n: 4 });
  });

  it('reports failures as retryable AppErrors', async () => {
    await connection.run('DROP TABLE slack_posts');
    const read = await posts.find('k').catch((e: unknown) => e);
    const write = await posts.record(post()).catch((e: unknown) => e);
    expect(isAppError(read) && [read.code, read.retryable]).toEqual([
      'slack_posts.read_failed',
      true,
    ]);
    expect(isAppError(write) && [write.code, write.retryable]).toEqual([
      'slack_posts.write_failed',
      true,
    ]);
  });
});
