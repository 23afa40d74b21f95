// End to end on the real Pub/Sub emulator: a notification published to the bus reaches the
// notifier through the streaming-pull subscriber and handleMessage, and the cards leave through
// the real Web API adapter (chat.postMessage answered by nock). Duplicate deliveries post once.
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
import type { NotificationMessage } from '../../../src/domain/messages.js';
import { topics } from '../../../src/domain/topology.js';
import { createLogger } from '../../../src/logger.js';
import { ackEvent } from '../../fixtures/ack-events.js';
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
const token = 'e2e-bot-token';

const notification = (key: string): NotificationMessage => ({
  v: 1,
  type: 'notification.cards',
  key,
  publishedAt: new Date().toISOString(),
  runId: 'run-42',
  recommendationIds: ['rec-a', 'rec-b', 'rec-dismissed'],
});

const suite = emulatorAvailable ? describe : describe.skip;

suite(`notifier end to end${emulatorAvailable ? '' : ` (${emulatorMissing})`}`, () => {
  const emulator = useEmulator();
  let bus: PubSubBus;

  afterEach(async () => {
    await bus?.close();
  });
  resetNockAfterEach();

  it('publish → subscriber → notify → chat.postMessage; duplicates post once', async () => {
    const unmatched = loopbackOnlyNock();
    const sent: Record<string, unknown>[] = [];
    const slack = nock('https://slack.com', { reqheaders: { authorization: `Bearer ${token}` } })
      .post('/api/chat.postMessage', (body: Record<string, unknown>) => {
        sent.push(body);
        return true;
      })
      .times(2)
      .reply(200, { ok: true, ts: '1764320400.000100', channel: 'C0FINOPS' });

    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      destination: { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) },
      secrets: [token],
    });
    const ledger = new MemoryLedger();
    ledger.rows.push(ackEvent({ recommendationId: 'rec-dismissed', action: 'dismissed' }));
    const posts = new MemorySlackPosts();
    const deps: NotifyDeps = {
      recommendations: new MemoryRecommendationStore([
        storedRecommendation('rec-a'),
        storedRecommendation('rec-b', { channelId: 'C0DATA' }),
        storedRecommendation('rec-dismissed'),
      ]),
      ledger,
      posts,
      chat: new SlackWebChat(token),
      pacer: createPacer(),
      renderCard: (input) => ({
        text: input.recommendation.summary,
        blocks: recommendationCard(input),
      }),
      clock: { now: () => new Date() },
    };
    bus = new PubSubBus({
      projectId: emulator().projectId,
      apiEndpoint: emulator().host,
      logger,
    });
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

    // the same intent published twice (a publisher retry), and once more under a new key for the
    // same run (e.g. the analysis worker redelivered): the posted ledger stops that one
    await bus.publish(topic, notification('notify:run-42'));
    await bus.publish(topic, notification('notify:run-42'));
    const outcomes = () => lines.filter((l) => typeof l.outcome === 'string');
    await waitFor(() => outcomes().length === 2);
    await bus.publish(topic, notification('notify:run-42:again'));
    await waitFor(() => outcomes().length === 3);

    expect(outcomes().map((l) => l.outcome)).toEqual(['processed', 'duplicate', 'processed']);
    expect(slack.isDone()).toBe(true);
    expect(unmatched).toEqual([]);
    expect(sent.map((b) => b.channel).sort()).toEqual(['C0DATA', 'C0FINOPS']);
    const blocks = JSON.parse(String(sent[0]?.blocks)) as { type: string }[];
    expect(blocks[0]?.type).toBe('header');
    expect(posts.rows.map((r) => r.postKey).sort()).toEqual([
      'card:run-42:rec-a',
      'card:run-42:rec-b',
    ]);
    expect(JSON.stringify(lines)).not.toContain(token);
  }, 30_000);
});
