import { describe, expect, it } from 'vitest';
import { MemorySlackPosts } from '../../src/adapters/memory/memory-slack-posts.js';
import { postOnce, postOnceAs, type PostOnceInput } from '../../src/app/post-once.js';
import { AppError, isAppError } from '../../src/errors.js';
import type { ChatMessage } from '../../src/ports/chat.js';
import type { SlackPost } from '../../src/ports/slack-posts.js';

class FakeChat {
  readonly posts: { channel: string; message: ChatMessage }[] = [];
  failWith: Error | null = null;

  async postMessage(channel: string, message: ChatMessage): Promise<{ ts: string }> {
    await Promise.resolve();
    if (this.failWith) throw this.failWith;
    this.posts.push({ channel, message });
    return { ts: `1732780800.${String(this.posts.length).padStart(6, '0')}` };
  }
}

/** A ledger whose next `failures` records throw. */
class FlakyPosts extends MemorySlackPosts {
  constructor(private failures: number) {
    super();
  }
  override record(post: SlackPost): Promise<void> {
    if (this.failures-- > 0) return Promise.reject(new Error('warehouse unavailable'));
    return super.record(post);
  }
}

const now = new Date('2026-11-28T08:00:00Z');
const input = (overrides: Partial<PostOnceInput> = {}): PostOnceInput => ({
  key: 'card:run-1:rec-1',
  channel: 'C0FINOPS',
  kind: 'card',
  message: { text: 'Partition analytics.events' },
  ...overrides,
});

describe('postOnce', () => {
  it('posts, records {key, channel, ts}, and a second call returns the ts without posting', async () => {
    const chat = new FakeChat();
    const posts = new MemorySlackPosts();
    const deps = { chat, posts, clock: { now: () => now } };
    const first = await postOnce(deps, input());
    expect(first).toEqual({ ts: '1732780800.000001', posted: true });
    expect(posts.rows).toEqual([
      {
        postKey: 'card:run-1:rec-1',
        channelId: 'C0FINOPS',
        messageTs: '1732780800.000001',
        kind: 'card',
        postedAt: now,
      },
    ]);
    expect(await postOnce(deps, input())).toEqual({ ts: '1732780800.000001', posted: false });
    expect(chat.posts).toHaveLength(1);
    // another key is another post
    expect((await postOnce(deps, input({ key: 'card:run-1:rec-2' }))).posted).toBe(true);
    expect(chat.posts).toHaveLength(2);
  });

  it('concurrent calls with one key make one post', async () => {
    const chat = new FakeChat();
    const deps = { chat, posts: new MemorySlackPosts(), clock: { now: () => now } };
    const results = await Promise.all(Array.from({ length: 5 }, () => postOnce(deps, input())));
    expect(chat.posts).toHaveLength(1);
    expect(results.filter((r) => r.posted)).toHaveLength(1);
    expect(new Set(results.map((r) => r.ts)).size).toBe(1);
  });

  it('a failed post records nothing, so a retry posts', async () => {
    const chat = new FakeChat();
    const posts = new MemorySlackPosts();
    const deps = { chat, posts, clock: { now: () => now } };
    chat.failWith = new AppError('slack.http_error', 'HTTP 503', { retryable: true });
    await expect(postOnce(deps, input())).rejects.toMatchObject({ code: 'slack.http_error' });
    expect(posts.rows).toEqual([]);
    chat.failWith = null;
    expect((await postOnce(deps, input())).posted).toBe(true);
  });

  it('retries a failed record, and surfaces a record that keeps failing as retryable', async () => {
    const chat = new FakeChat();
    const recovering = new FlakyPosts(2);
    expect(
      await postOnce({ chat, posts: recovering, clock: { now: () => now } }, input()),
    ).toMatchObject({ posted: true });
    expect(recovering.rows).toHaveLength(1);

    const broken = new FlakyPosts(3);
    const error = await postOnce({ chat, posts: broken, clock: { now: () => now } }, input()).catch(
      (e: unknown) => e,
    );
    expect(isAppError(error) && [error.code, error.retryable]).toEqual([
      'slack_posts.unrecorded',
      true,
    ]);
    expect(chat.posts).toHaveLength(2);
  });

  it('postOnceAs binds the kind for callers that take (key, channel, message)', async () => {
    const chat = new FakeChat();
    const posts = new MemorySlackPosts();
    const post = postOnceAs({ chat, posts, clock: { now: () => now } }, 'digest');
    await post('digest:C1:2026-11-27', 'C1', { text: 'digest' });
    await post('digest:C1:2026-11-27', 'C1', { text: 'digest' });
    expect(chat.posts).toHaveLength(1);
    expect(posts.rows[0]).toMatchObject({ kind: 'digest', channelId: 'C1' });
  });
});
