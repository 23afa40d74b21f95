// A burst of 100 cards to one channel, end to end on the real Pub/Sub emulator: one notification
// published to the bus reaches the notifier through the streaming-pull subscriber and
// handleMessage, and the cards leave through the pacer and the real Web API adapter
// (chat.postMessage answered by nock). Slack answers one post in the middle with 429 and
// Retry-After: 1. Every card must arrive exactly once, in order, spaced by the pacer's interval,
// and the rate-limited one again only after the Retry-After.
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { recommendationCard } from '../../../handlers/blocks/recommendation-card.js';
import { MemoryDedupeStore } from '../../../src/adapters/memory/memory-dedupe.js';
import { MemoryRecommendationStore } from '../../../src/adapters/memory/memory-recommendations.js';
import { MemorySlackPosts } from '../../../src/adapters/memory/memory-slack-posts.js';
import { handleMessage } from '../../../src/adapters/pubsub/handle-message.js';
import { PubSubBus } from '../../../src/adapters/pubsub/pubsub-bus.js';
import { SlackWebChat } from '../../../src/adapters/slack/web-chat.js';
import { notify, type NotifyDeps } from '../../../src/app/notify.js';
import { createPacer } from '../../../src/app/pacer.js';
import { topics } from '../../../src/domain/topology.js';
import { createLogger } from '../../../src/logger.js';
import { storedRecommendation } from '../../fixtures/stored-recommendations.js';
import { MemoryLedger } from '../../helpers/memory-ledger.js';
import {
  emulatorAvailable,
  emulatorMissing,
  loopbackOnlyNock,
  resetNockAfterEach,
  useEmulator,
  waitFor,
} from '../../helpers/pubsub-emulator.js';

const topic = topics.notifications;
const token = 'burst-bot-token';
const channel = 'C0BURST';
const cards = 100;
const intervalMs = 25;
/** The request (0-based) Slack answers with 429. */
const limitedAt = 50;
const retryAfterSeconds = 1;
/**
 * The pacer spaces the *starts* of posts (when it hands one to the Web API adapter); nock sees
 * each request a little later, after the client has built and sent it. On a loaded machine that
 * latency varies by up to ~15 ms between requests (measured: arrival gaps of 9–41 ms for start
 * gaps of 24–29 ms), so single arrival gaps say little; the span of the burst allows this much.
 */
const arrivalJitterMs = 50;

const ids = Array.from({ length: cards }, (_, i) => `rec-${String(i).padStart(3, '0')}`);

interface Arrival {
  at: number;
  channel: unknown;
  text: unknown;
  status: 200 | 429;
}

const suite = emulatorAvailable ? describe : describe.skip;

suite(`burst of cards end to end${emulatorAvailable ? '' : ` (${emulatorMissing})`}`, () => {
  const emulator = useEmulator();
  let bus: PubSubBus | undefined;

  afterEach(async () => {
    await bus?.close();
  });
  resetNockAfterEach();

  it('100 cards to one channel: paced, in order, all posted once, a 429 honoured', async () => {
    const unmatched = loopbackOnlyNock();

    // Requests are matched in registration order: 50 accepted, one 429, then the rest (the
    // rate-limited card again, and the 49 after it). Each arrival is stamped as nock receives it.
    const arrivals: Arrival[] = [];
    const arrive = (status: 200 | 429) => (body: Record<string, unknown>) => {
      if (body.channel !== channel) return false;
      arrivals.push({ at: Date.now(), channel: body.channel, text: body.text, status });
      return true;
    };
    const slack = nock('https://slack.com', { reqheaders: { authorization: `Bearer ${token}` } });
    slack
      .post('/api/chat.postMessage', arrive(200))
      .times(limitedAt)
      .reply(200, { ok: true, ts: '1764320400.000100', channel });
    slack
      .post('/api/chat.postMessage', arrive(429))
      .reply(
        429,
        { ok: false, error: 'ratelimited' },
        { 'Retry-After': String(retryAfterSeconds) },
      );
    slack
      .post('/api/chat.postMessage', arrive(200))
      .times(cards - limitedAt)
      .reply(200, { ok: true, ts: '1764320400.000100', channel });
    // One post before the burst, so the client's first-request setup is not in the measurements.
    const warmUp = nock('https://slack.com')
      .post('/api/chat.postMessage', (body: Record<string, unknown>) => body.channel === 'C0WARM')
      .reply(200, { ok: true, ts: '1764320300.000100', channel: 'C0WARM' });

    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      destination: { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) },
      secrets: [token],
    });
    const rateLimited: [string, number][] = [];
    /** When the pacer let each post go (the call into the Web API adapter). */
    const starts: number[] = [];
    const posts = new MemorySlackPosts();
    // The adapter waits out no 429 itself here, so the pacer is what honours Retry-After.
    const chat = new SlackWebChat(token, { rateLimitRetries: 0 });
    await chat.postMessage('C0WARM', { text: 'warm up' });
    expect(warmUp.isDone()).toBe(true);

    const deps: NotifyDeps = {
      recommendations: new MemoryRecommendationStore(
        ids.map((id) => storedRecommendation(id, { channelId: channel })),
      ),
      ledger: new MemoryLedger(),
      posts,
      chat: {
        postMessage: (c, message) => {
          starts.push(Date.now());
          return chat.postMessage(c, message);
        },
      },
      pacer: createPacer({
        intervalMs,
        onRateLimited: (c, seconds) => rateLimited.push([c, seconds]),
      }),
      renderCard: (input) => ({ text: input.recommendation.id, blocks: recommendationCard(input) }),
      clock: { now: () => new Date() },
    };
    bus = new PubSubBus({ projectId: emulator().projectId, apiEndpoint: emulator().host, logger });
    await bus.ensure(topic, 'notifier');
    const messageDeps = { dedupe: new MemoryDedupeStore(), logger, maxDeliveryAttempts: 5 };
    bus.subscribe(topic, 'notifier', (delivery) =>
      handleMessage(
        topic,
        delivery,
        async (message) => {
          if (message.type !== 'notification.cards') throw new Error('not a card message');
          await notify(deps, message);
        },
        messageDeps,
      ),
    );

    const started = Date.now();
    await bus.publish(topic, {
      v: 1,
      type: 'notification.cards',
      key: 'notify:run-burst',
      publishedAt: new Date().toISOString(),
      runId: 'run-burst',
      recommendationIds: ids,
    });
    const outcomes = () => lines.filter((l) => typeof l.outcome === 'string');
    await waitFor(() => outcomes().length === 1);
    const elapsedMs = Date.now() - started;

    expect(outcomes().map((l) => l.outcome)).toEqual(['processed']);
    expect(slack.isDone()).toBe(true);
    expect(unmatched).toEqual([]);

    // Every card exactly once, in order; the rate-limited one sent again right after its 429.
    expect(arrivals.map((a) => a.channel)).toEqual(Array(cards + 1).fill(channel));
    expect(arrivals.map((a) => a.text)).toEqual([
      ...ids.slice(0, limitedAt + 1),
      ...ids.slice(limitedAt),
    ]);
    expect(arrivals.map((a) => a.status)).toEqual([
      ...Array<number>(limitedAt).fill(200),
      429,
      ...Array<number>(cards - limitedAt).fill(200),
    ]);
    const accepted = arrivals.filter((a) => a.status === 200).map((a) => a.text);
    expect(accepted).toEqual(ids);
    expect(posts.rows.map((r) => r.postKey)).toEqual(ids.map((id) => `card:run-burst:${id}`));
    expect(rateLimited).toEqual([[channel, retryAfterSeconds]]);

    // Paced: every post let go at least the interval after the one before (1 ms for timer and
    // clock rounding), the retry no sooner than Retry-After after the 429 reached Slack, and the
    // whole burst no faster than the interval allows.
    expect(starts).toHaveLength(cards + 1);
    const startGaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(Math.min(...startGaps)).toBeGreaterThanOrEqual(intervalMs - 1);
    const gaps = arrivals.slice(1).map((a, i) => a.at - arrivals[i]!.at);
    const retryGap = gaps[limitedAt]!;
    expect(retryGap).toBeGreaterThanOrEqual(retryAfterSeconds * 1000);
    // Over the whole burst the jitter does not add up: 99 intervals and the Retry-After at least.
    const spanMs = arrivals.at(-1)!.at - arrivals[0]!.at;
    expect(spanMs).toBeGreaterThanOrEqual(
      (cards - 1) * intervalMs + retryAfterSeconds * 1000 - arrivalJitterMs,
    );
    console.info(
      `burst: ${cards} cards + 1 retry in ${spanMs} ms (publish to processed ${elapsedMs} ms); ` +
        `start gaps min ${Math.min(...startGaps)} ms, arrival gaps median ` +
        `${[...gaps].sort((a, b) => a - b)[gaps.length >> 1]} ms, ` +
        `after the 429 ${retryGap} ms`,
    );
    expect(JSON.stringify(lines)).not.toContain(token);
  }, 30_000);
});
