import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/memory/memory-bus.js';
import { MemoryDedupeStore } from '../../../src/adapters/memory/memory-dedupe.js';
import { handleMessage } from '../../../src/adapters/pubsub/handle-message.js';
import type { DigestTick, NotificationMessage } from '../../../src/domain/messages.js';
import { topics } from '../../../src/domain/topology.js';
import { AppError, isAppError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import type { Delivery, Outcome } from '../../../src/ports/bus.js';

const notification = (key = 'notify:run-1'): NotificationMessage => ({
  v: 1,
  type: 'notification.cards',
  key,
  publishedAt: '2026-11-28T08:59:00Z',
  runId: 'run-1',
  recommendationIds: ['rec-a'],
});

const tick = (key: string): DigestTick => ({
  v: 1,
  type: 'digest.tick',
  key,
  publishedAt: '2026-11-28T08:00:00Z',
  day: '2026-11-27',
});

/** A handler that records something from each delivery. */
const collect =
  <T>(into: T[], pick: (d: Delivery) => T) =>
  (d: Delivery): Promise<Outcome> => {
    into.push(pick(d));
    return Promise.resolve('processed');
  };

const decode = (d: Delivery) => JSON.parse(Buffer.from(d.data).toString('utf8')) as unknown;

describe('MemoryBus', () => {
  it('delivers JSON bytes with the key attribute, asynchronously, to every subscriber', async () => {
    const bus = new MemoryBus({ now: () => new Date('2026-11-28T09:00:00Z') });
    const a: Delivery[] = [];
    const b: Delivery[] = [];
    bus.subscribe(
      topics.notifications,
      'test',
      collect(a, (d) => d),
    );
    bus.subscribe(
      topics.notifications,
      'test',
      collect(b, (d) => d),
    );
    await bus.publish(topics.notifications, notification());
    expect(a).toHaveLength(0); // not delivered inside publish
    await bus.drain();
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(decode(a[0]!)).toEqual(notification());
    expect(a[0]).toMatchObject({
      attributes: { key: 'notify:run-1' },
      deliveryAttempt: 1,
      publishTime: new Date('2026-11-28T09:00:00Z'),
    });
  });

  it('keeps topics apart', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    bus.subscribe(
      topics.digestTicks,
      'test',
      collect(got, (d) => d.attributes.key!),
    );
    await bus.publish(topics.notifications, notification('n'));
    await bus.publish(topics.digestTicks, tick('t'));
    await bus.drain();
    expect(got).toEqual(['t']);
    expect(bus.undelivered(topics.notifications)).toBe(1);
  });

  it('holds messages published before the first subscriber', async () => {
    const bus = new MemoryBus();
    await bus.publish(topics.digestTicks, tick('early'));
    const got: string[] = [];
    bus.subscribe(
      topics.digestTicks,
      'test',
      collect(got, (d) => d.attributes.key!),
    );
    await bus.drain();
    expect(got).toEqual(['early']);
  });

  it('redelivers after a throw with the attempt counted, then dead-letters after the last', async () => {
    const bus = new MemoryBus({ maxDeliveryAttempts: 3, retryDelayMs: 0 });
    const attempts: number[] = [];
    let flakyCalls = 0;
    bus.subscribe(topics.digestTicks, 'test', (d) => {
      if (d.attributes.key === 'flaky') {
        flakyCalls++;
        return flakyCalls < 2 ? Promise.reject(new Error('once')) : Promise.resolve('processed');
      }
      attempts.push(d.deliveryAttempt);
      return Promise.reject(new Error('always'));
    });
    await bus.publish(topics.digestTicks, tick('poison'));
    await bus.publish(topics.digestTicks, tick('flaky'));
    await bus.drain();
    expect(attempts).toEqual([1, 2, 3]);
    expect(flakyCalls).toBe(2);
    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]).toMatchObject({
      topic: topics.digestTicks,
      delivery: { deliveryAttempt: 3 },
    });
    expect(decode(bus.deadLetters[0]!.delivery)).toMatchObject({ key: 'poison' });
  });

  it('drain waits for messages that handlers publish', async () => {
    const bus = new MemoryBus();
    const notified: string[] = [];
    bus.subscribe(topics.digestTicks, 'test', async (d) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await bus.publish(topics.notifications, notification(`from-${d.attributes.key}`));
      return 'processed';
    });
    bus.subscribe(
      topics.notifications,
      'test',
      collect(notified, (d) => d.attributes.key!),
    );
    await bus.publish(topics.digestTicks, tick('t1'));
    await bus.drain();
    expect(notified).toEqual(['from-t1']);
  });

  it('refuses a message that does not match the topic schema, and publishing after close', async () => {
    const bus = new MemoryBus();
    const bad = { ...notification(), recommendationIds: 'rec-a' } as unknown as NotificationMessage;
    const error = await bus.publish(topics.notifications, bad).catch((e: unknown) => e);
    expect(isAppError(error) && [error.code, error.retryable]).toEqual([
      'bus.invalid_message',
      false,
    ]);
    await bus.close();
    await expect(bus.publish(topics.notifications, notification())).rejects.toMatchObject({
      code: 'bus.closed',
    });
  });

  it('an unsubscribed handler gets nothing more', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    const sub = bus.subscribe(
      topics.digestTicks,
      'test',
      collect(got, (d) => d.attributes.key!),
    );
    await bus.publish(topics.digestTicks, tick('a'));
    await bus.drain();
    await sub.close();
    await bus.publish(topics.digestTicks, tick('b'));
    await bus.drain();
    expect(got).toEqual(['a']);
  });
});

describe('MemoryBus through handleMessage (the local stack’s path)', () => {
  it('decodes, dedupes on the key, and dead-letters a message whose handler keeps failing', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      destination: { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) },
    });
    const deps = { dedupe: new MemoryDedupeStore(), logger, maxDeliveryAttempts: 3 };
    const bus = new MemoryBus({ maxDeliveryAttempts: 3, retryDelayMs: 0 });
    const handled: string[] = [];
    bus.subscribe(topics.digestTicks, 'digest', (delivery) =>
      handleMessage(
        topics.digestTicks,
        delivery,
        async (message) => {
          if (message.key === 'broken') throw new AppError('x.down', 'down', { retryable: true });
          handled.push(message.key);
          await Promise.resolve();
        },
        deps,
      ),
    );
    await bus.publish(topics.digestTicks, tick('t1'));
    await bus.publish(topics.digestTicks, tick('t1'));
    await bus.publish(topics.digestTicks, tick('broken'));
    await bus.drain();
    expect(handled).toEqual(['t1']);
    expect(bus.deadLetters.map((d) => d.delivery.attributes.key)).toEqual(['broken']);
    expect(lines.map((l) => l.outcome).sort()).toEqual([
      'dead_lettered',
      'duplicate',
      'processed',
      'retry',
      'retry',
    ]);
  });
});
