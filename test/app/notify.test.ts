import { describe, expect, it } from 'vitest';
import { MemoryRecommendationStore } from '../../src/adapters/memory/memory-recommendations.js';
import { MemorySlackPosts } from '../../src/adapters/memory/memory-slack-posts.js';
import { cardPostKey, notify, type CardInput, type NotifyDeps } from '../../src/app/notify.js';
import { createPacer, type Pacer } from '../../src/app/pacer.js';
import type { NotificationMessage } from '../../src/domain/messages.js';
import { AppError, isAppError } from '../../src/errors.js';
import type { ChatMessage } from '../../src/ports/chat.js';
import { ackEvent } from '../fixtures/ack-events.js';
import { storedRecommendation } from '../fixtures/stored-recommendations.js';
import { MemoryLedger } from '../helpers/memory-ledger.js';

const now = new Date('2026-11-28T09:00:00Z');

class FakeChat {
  readonly posts: { channel: string; message: ChatMessage }[] = [];
  /** channel → error to throw for posts there */
  failing = new Map<string, Error>();

  async postMessage(channel: string, message: ChatMessage): Promise<{ ts: string }> {
    await Promise.resolve();
    const failure = this.failing.get(channel);
    if (failure) throw failure;
    this.posts.push({ channel, message });
    return { ts: `1764320400.${String(this.posts.length).padStart(6, '0')}` };
  }
}

/** Records what the pacer was asked to run, runs it at once. */
function countingPacer(): Pacer & { channels: string[] } {
  const channels: string[] = [];
  return {
    channels,
    pace: (channel, post) => {
      channels.push(channel);
      return post();
    },
  };
}

function setup() {
  const recommendations = new MemoryRecommendationStore([
    storedRecommendation('rec-a'),
    storedRecommendation('rec-b', { channelId: 'C0DATA' }),
    storedRecommendation('rec-snoozed'),
    storedRecommendation('rec-dismissed'),
    storedRecommendation('rec-accepted'),
    storedRecommendation('rec-expired-snooze'),
  ]);
  const ledger = new MemoryLedger();
  ledger.rows.push(
    ackEvent({
      recommendationId: 'rec-snoozed',
      action: 'snoozed',
      snoozeUntil: new Date('2026-12-05T00:00:00Z'),
    }),
    ackEvent({ recommendationId: 'rec-dismissed', action: 'dismissed' }),
    ackEvent({ recommendationId: 'rec-accepted', action: 'accepted' }),
    ackEvent({
      recommendationId: 'rec-expired-snooze',
      action: 'snoozed',
      snoozeUntil: new Date('2026-11-27T00:00:00Z'),
      occurredAt: new Date('2026-11-20T00:00:00Z'),
    }),
  );
  const chat = new FakeChat();
  const posts = new MemorySlackPosts();
  const pacer = countingPacer();
  const rendered: CardInput[] = [];
  const deps: NotifyDeps = {
    recommendations,
    ledger,
    posts,
    chat,
    pacer,
    renderCard: (input) => {
      rendered.push(input);
      return {
        text: input.recommendation.summary,
        blocks: [{ type: 'section', id: input.recommendation.id }],
      };
    },
    clock: { now: () => now },
  };
  return { deps, chat, posts, pacer, rendered, ledger };
}

const message = (
  ids: string[],
  overrides: Partial<NotificationMessage> = {},
): NotificationMessage => ({
  v: 1,
  type: 'notification.cards',
  key: 'notify:run-7',
  publishedAt: '2026-11-28T08:59:00Z',
  runId: 'run-7',
  recommendationIds: ids,
  ...overrides,
});

describe('notify', () => {
  it('posts open recommendations to their channels through the pacer, skipping acted-on ones', async () => {
    const { deps, chat, posts, pacer, rendered } = setup();
    const result = await notify(
      deps,
      message([
        'rec-a',
        'rec-b',
        'rec-snoozed',
        'rec-dismissed',
        'rec-accepted',
        'rec-expired-snooze',
        'rec-gone',
      ]),
    );
    expect(result.posted.sort()).toEqual(['rec-a', 'rec-b', 'rec-expired-snooze']);
    expect(result.alreadyPosted).toEqual([]);
    expect(
      result.skipped.sort((a, b) => a.recommendationId.localeCompare(b.recommendationId)),
    ).toEqual([
      { recommendationId: 'rec-accepted', reason: 'accepted' },
      { recommendationId: 'rec-dismissed', reason: 'dismissed' },
      { recommendationId: 'rec-gone', reason: 'not_found' },
      { recommendationId: 'rec-snoozed', reason: 'snoozed' },
    ]);
    expect(chat.posts.map((p) => [p.channel, p.message.text]).sort()).toEqual([
      ['C0DATA', 'Partition acme-analytics.events.rec-b by event_date'],
      ['C0FINOPS', 'Partition acme-analytics.events.rec-a by event_date'],
      ['C0FINOPS', 'Partition acme-analytics.events.rec-expired-snooze by event_date'],
    ]);
    expect(pacer.channels.sort()).toEqual(['C0DATA', 'C0FINOPS', 'C0FINOPS']);
    expect(rendered.find((r) => r.recommendation.id === 'rec-a')).toMatchObject({
      ownerSlackIds: ['U0ANA'],
      state: { state: 'open' },
    });
    expect(posts.rows.map((r) => r.postKey).sort()).toEqual([
      cardPostKey('rec-a', 'run-7'),
      cardPostKey('rec-b', 'run-7'),
      cardPostKey('rec-expired-snooze', 'run-7'),
    ]);
    expect(posts.rows.every((r) => r.kind === 'card')).toBe(true);
  });

  it('a redelivered notification posts nothing twice; a new run posts again', async () => {
    const { deps, chat } = setup();
    await notify(deps, message(['rec-a', 'rec-b']));
    const again = await notify(deps, message(['rec-a', 'rec-b', 'rec-a']));
    expect(again.posted).toEqual([]);
    expect(again.alreadyPosted.sort()).toEqual(['rec-a', 'rec-b']);
    expect(chat.posts).toHaveLength(2);
    const nextRun = await notify(deps, message(['rec-a'], { runId: 'run-8', key: 'notify:run-8' }));
    expect(nextRun.posted).toEqual(['rec-a']);
    expect(chat.posts).toHaveLength(3);
  });

  it('posts the other cards when one channel fails, then throws retryable; the retry posts only the rest', async () => {
    const { deps, chat } = setup();
    chat.failing.set('C0DATA', new AppError('slack.http_error', 'HTTP 503', { retryable: true }));
    const error = await notify(deps, message(['rec-a', 'rec-b'])).catch((e: unknown) => e);
    expect(isAppError(error) && [error.code, error.retryable]).toEqual([
      'notify.cards_failed',
      true,
    ]);
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0FINOPS']);
    chat.failing.clear();
    const retry = await notify(deps, message(['rec-a', 'rec-b']));
    expect(retry).toMatchObject({ posted: ['rec-b'], alreadyPosted: ['rec-a'] });
    expect(chat.posts).toHaveLength(2);
  });

  it('a permanent failure (bot not in channel) is not retryable', async () => {
    const { deps, chat } = setup();
    chat.failing.set(
      'C0DATA',
      new AppError('slack.platform_error', 'chat.postMessage: not_in_channel'),
    );
    const error = await notify(deps, message(['rec-b'])).catch((e: unknown) => e);
    expect(isAppError(error) && error.retryable).toBe(false);
  });

  it('a failing store read fails the whole message (nothing posted, redelivered)', async () => {
    const { deps, chat } = setup();
    deps.ledger.eventsFor = () =>
      Promise.reject(new AppError('ledger.read_failed', 'down', { retryable: true }));
    await expect(notify(deps, message(['rec-a']))).rejects.toMatchObject({
      code: 'ledger.read_failed',
    });
    expect(chat.posts).toEqual([]);
  });

  it('with the real pacer, a burst of 100 cards to one channel is paced and complete', async () => {
    const { deps, chat } = setup();
    const ids = Array.from({ length: 100 }, (_, i) => `burst-${String(i).padStart(3, '0')}`);
    for (const id of ids)
      (deps.recommendations as MemoryRecommendationStore).put(storedRecommendation(id));
    let t = 0;
    const starts: number[] = [];
    deps.pacer = createPacer({
      clock: {
        now: () => t,
        sleep: (ms) => {
          t += ms;
          return Promise.resolve();
        },
      },
    });
    const inner = deps.chat;
    deps.chat = {
      postMessage: (channel, m) => {
        starts.push(t);
        return inner.postMessage(channel, m);
      },
    };
    const result = await notify(deps, message(ids));
    expect(result.posted).toHaveLength(100);
    expect(new Set(chat.posts.map((p) => p.message.text)).size).toBe(100);
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1000);
  });
});
