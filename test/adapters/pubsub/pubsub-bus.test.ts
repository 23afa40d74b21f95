// Against the real Pub/Sub emulator (started for this file unless PUBSUB_EMULATOR_HOST is set).
import type { Message } from '@google-cloud/pubsub';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDedupeStore } from '../../../src/adapters/memory/memory-dedupe.js';
import { handleMessage, type MessageHandler } from '../../../src/adapters/pubsub/handle-message.js';
import {
  PubSubBus,
  deadLetterSubscriptionName,
  subscriptionName,
} from '../../../src/adapters/pubsub/pubsub-bus.js';
import type { DigestTick } from '../../../src/domain/messages.js';
import { topics } from '../../../src/domain/topology.js';
import { AppError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import {
  emulatorAvailable,
  emulatorMissing,
  useEmulator,
  waitFor,
} from '../../helpers/pubsub-emulator.js';

const topic = topics.digestTicks;
const tick = (key: string, day = '2026-11-27'): DigestTick => ({
  v: 1,
  type: 'digest.tick',
  key,
  publishedAt: new Date().toISOString(),
  day,
});

const suite = emulatorAvailable ? describe : describe.skip;

suite(`PubSubBus on the emulator${emulatorAvailable ? '' : ` (${emulatorMissing})`}`, () => {
  const emulator = useEmulator();
  let projects = 0;
  const buses: PubSubBus[] = [];

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  /** A bus in a project of its own, its subscription created, deliveries through handleMessage. */
  async function consumer(handler: MessageHandler<typeof topic>) {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      destination: { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) },
    });
    const bus = new PubSubBus({
      projectId: `${emulator().projectId}-${++projects}`,
      apiEndpoint: emulator().host,
      logger,
    });
    buses.push(bus);
    await bus.ensure(topic, 'digest');
    await bus.ensure(topic, 'digest'); // idempotent
    const deliveries: { messageId: string; attempt: number }[] = [];
    const deps = { dedupe: new MemoryDedupeStore(), logger, maxDeliveryAttempts: 5 };
    bus.subscribe(topic, 'digest', (delivery) => {
      deliveries.push({ messageId: delivery.messageId, attempt: delivery.deliveryAttempt });
      return handleMessage(topic, delivery, handler, deps);
    });
    return { bus, lines, deliveries };
  }

  it('publish → subscriber → handler → stored, acknowledged once', async () => {
    const stored: DigestTick[] = [];
    const { bus, lines, deliveries } = await consumer((m) => Promise.resolve(void stored.push(m)));
    await bus.publish(topic, tick('digest:2026-11-27'));
    await waitFor(() => stored.length === 1);
    expect(stored[0]).toMatchObject({ key: 'digest:2026-11-27', day: '2026-11-27' });
    expect(lines.find((l) => l.outcome === 'processed')).toMatchObject({
      metric: 'processed',
      key: 'digest:2026-11-27',
      deliveryAttempt: 1,
    });
    // acknowledged: not delivered again
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(deliveries).toHaveLength(1);
  });

  it('the same key published twice is two Pub/Sub messages, handled once', async () => {
    const stored: DigestTick[] = [];
    const { bus, lines, deliveries } = await consumer((m) => Promise.resolve(void stored.push(m)));
    await bus.publish(topic, tick('digest:dup'));
    await bus.publish(topic, tick('digest:dup'));
    await waitFor(() => lines.filter((l) => l.outcome !== undefined).length === 2);
    expect(new Set(deliveries.map((d) => d.messageId)).size).toBe(2);
    expect(stored).toHaveLength(1);
    expect(lines.map((l) => l.outcome).sort()).toEqual(['duplicate', 'processed']);
  });

  it('a poison message is acknowledged and logged, not redelivered', async () => {
    let calls = 0;
    const { bus, lines, deliveries } = await consumer(() => Promise.resolve(void calls++));
    await bus.client.topic(topic).publishMessage({
      data: Buffer.from('{"v":1,"type":"digest.tick"'),
      attributes: { key: 'p' },
    });
    await bus.client
      .topic(topic)
      .publishMessage({ json: { ...tick('bad-day'), day: 'yesterday' } });
    await waitFor(() => lines.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(deliveries).toHaveLength(2);
    expect(calls).toBe(0);
    expect(lines.map((l) => [l.outcome, l.metric])).toEqual([
      ['dropped', 'failed'],
      ['dropped', 'failed'],
    ]);
    expect(lines.map((l) => l.reason).join(' ')).toMatch(
      /not JSON.*not a bqcost-digest-ticks|not a bqcost-digest-ticks.*not JSON/,
    );
  });

  it('a message that keeps failing moves to the dead-letter topic after 5 attempts', async () => {
    const { bus, lines, deliveries } = await consumer(() =>
      Promise.reject(new AppError('slack.http_error', 'HTTP 503', { retryable: true })),
    );
    const deadLetters: Message[] = [];
    const hold = bus.client.subscription(deadLetterSubscriptionName(topic));
    hold.on('message', (m: Message) => {
      deadLetters.push(m);
      m.ack();
    });
    try {
      await bus.publish(topic, tick('digest:doomed'));
      await waitFor(() => deadLetters.length === 1, 30_000);
      expect(deliveries.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
      expect(deadLetters[0]?.attributes.key).toBe('digest:doomed');
      expect(JSON.parse(deadLetters[0]!.data.toString())).toMatchObject({ key: 'digest:doomed' });
      expect(lines.map((l) => l.outcome)).toEqual([
        'retry',
        'retry',
        'retry',
        'retry',
        'dead_lettered',
      ]);
      // and it stops there
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(deliveries).toHaveLength(5);
    } finally {
      await hold.close();
    }
    const [metadata] = await bus.client
      .subscription(subscriptionName(topic, 'digest'))
      .getMetadata();
    expect(metadata.deadLetterPolicy?.maxDeliveryAttempts).toBe(5);
  }, 45_000);

  it('refuses to publish an invalid message; publishing to a missing topic is a retryable error', async () => {
    const bus = new PubSubBus({
      projectId: `${emulator().projectId}-${++projects}`,
      apiEndpoint: emulator().host,
      logger: createLogger({ destination: { write: () => undefined } }),
      publishTimeoutMs: 3000,
    });
    buses.push(bus);
    await expect(bus.publish(topic, { ...tick('x'), day: 'soon' })).rejects.toMatchObject({
      code: 'bus.invalid_message',
      retryable: false,
    });
    await expect(bus.publish(topic, tick('x'))).rejects.toMatchObject({
      code: 'bus.publish_failed',
      retryable: true,
    });
  });
});
