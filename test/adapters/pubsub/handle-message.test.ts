import { describe, expect, it } from 'vitest';
import { MemoryDedupeStore } from '../../../src/adapters/memory/memory-dedupe.js';
import { decodeMessage, deliveryFromCloudEvent } from '../../../src/adapters/pubsub/cloud-event.js';
import {
  dedupeKey,
  handleCloudEvent,
  handleMessage,
  type HandleMessageDeps,
} from '../../../src/adapters/pubsub/handle-message.js';
import type { NotificationMessage, NotifierMessage } from '../../../src/domain/messages.js';
import { topics } from '../../../src/domain/topology.js';
import { AppError } from '../../../src/errors.js';
import { createLogger } from '../../../src/logger.js';
import type { Delivery } from '../../../src/ports/bus.js';

const now = new Date('2026-11-28T09:00:00Z');

const notification = (overrides: Partial<NotificationMessage> = {}): NotificationMessage => ({
  v: 1,
  type: 'notification.cards',
  key: 'notify:run-1',
  publishedAt: '2026-11-28T08:59:00Z',
  runId: 'run-1',
  recommendationIds: ['rec-a'],
  ...overrides,
});

const delivery = (payload: unknown, overrides: Partial<Delivery> = {}): Delivery => ({
  data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  attributes: { key: 'notify:run-1' },
  messageId: 'm-1',
  publishTime: new Date('2026-11-28T08:59:30Z'),
  deliveryAttempt: 1,
  ...overrides,
});

/** A functions-framework Pub/Sub CloudEvent, as Eventarc delivers it. */
const cloudEvent = (payload: unknown, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: '1234567890',
  source: '//pubsub.googleapis.com/projects/acme/topics/bqcost-notifications',
  type: 'google.cloud.pubsub.topic.v1.messagePublished',
  time: '2026-11-28T08:59:30.000Z',
  data: {
    message: {
      data: Buffer.from(JSON.stringify(payload)).toString('base64'),
      attributes: { key: 'notify:run-1' },
      messageId: '1234567890',
      publishTime: '2026-11-28T08:59:30.000Z',
    },
    subscription: 'projects/acme/subscriptions/bqcost-notifier',
    ...extra,
  },
});

function setup(maxDeliveryAttempts?: number) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    destination: { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  });
  const reported: unknown[] = [];
  const deps: HandleMessageDeps = {
    dedupe: new MemoryDedupeStore(),
    logger,
    clock: { now: () => now },
    report: (error) => reported.push(error),
    ...(maxDeliveryAttempts === undefined ? {} : { maxDeliveryAttempts }),
  };
  return { deps, lines, reported, dedupe: deps.dedupe as MemoryDedupeStore };
}

const topic = topics.notifications;

describe('deliveryFromCloudEvent / decodeMessage', () => {
  it('decodes the CloudEvent envelope into a typed message', () => {
    const envelope = deliveryFromCloudEvent(cloudEvent(notification(), { deliveryAttempt: 3 }));
    expect(envelope.ok).toBe(true);
    if (!envelope.ok) return;
    expect(envelope.delivery).toMatchObject({
      messageId: '1234567890',
      attributes: { key: 'notify:run-1' },
      deliveryAttempt: 3,
      publishTime: new Date('2026-11-28T08:59:30Z'),
    });
    expect(decodeMessage(topic, envelope.delivery, { now })).toEqual({
      ok: true,
      message: notification(),
    });
  });

  it('accepts the snake_case field names of the push format, attempt 1 without a policy', () => {
    const event = cloudEvent(notification());
    const { messageId, publishTime, ...rest } = event.data.message;
    const envelope = deliveryFromCloudEvent({
      ...event,
      data: { message: { ...rest, message_id: messageId, publish_time: publishTime } },
    });
    expect(envelope.ok && envelope.delivery.messageId).toBe('1234567890');
    expect(envelope.ok && envelope.delivery.deliveryAttempt).toBe(1);
  });

  it.each([
    ['not an object', 'hello'],
    ['no message', { data: {} }],
    ['no message id', { data: { message: { data: '' } } }],
  ])('refuses an envelope with %s', (_, event) => {
    expect(deliveryFromCloudEvent(event).ok).toBe(false);
  });

  it.each([
    ['invalid JSON', delivery('{"v":1,'), /not JSON/],
    ['a schema mismatch', delivery(notification({ runId: '' })), /not a bqcost-notifications/],
    ['another topic’s message', delivery({ ...notification(), type: 'digest.tick' }), /not a/],
    [
      'a message past its maximum age',
      delivery(notification(), { publishTime: new Date('2026-11-27T08:00:00Z') }),
      /too old/,
    ],
  ])('drops %s', (_, d, reason) => {
    const result = decodeMessage(topic, d, { now });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe('handleMessage', () => {
  it('processes, marks the key after the handler, logs one line with outcome and latency', async () => {
    const { deps, lines, dedupe } = setup();
    const seen: NotifierMessage[] = [];
    const outcome = await handleMessage(
      topic,
      delivery(notification()),
      async (m, ctx) => {
        expect(await dedupe.seen(dedupeKey(topic, m.key))).toBe(false);
        expect(ctx).toMatchObject({ messageId: 'm-1', deliveryAttempt: 1 });
        seen.push(m);
      },
      deps,
    );
    expect(outcome).toBe('processed');
    expect(seen).toEqual([notification()]);
    expect(dedupe.marks.get('pubsub:bqcost-notifications:notify:run-1')).toEqual({
      source: 'pubsub',
      at: now,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      severity: 'INFO',
      metric: 'processed',
      outcome: 'processed',
      key: 'notify:run-1',
      messageId: 'm-1',
      'logging.googleapis.com/labels': { topic },
    });
    expect(typeof lines[0]?.latencyMs).toBe('number');
  });

  it('a second delivery of the same key (new message id) is a duplicate, handled once', async () => {
    const { deps, lines } = setup();
    let calls = 0;
    const handler = () => {
      calls++;
      return Promise.resolve();
    };
    expect(await handleMessage(topic, delivery(notification()), handler, deps)).toBe('processed');
    expect(
      await handleMessage(topic, delivery(notification(), { messageId: 'm-2' }), handler, deps),
    ).toBe('duplicate');
    expect(calls).toBe(1);
    expect(lines[1]).toMatchObject({ outcome: 'duplicate', messageId: 'm-2' });
  });

  it('concurrent deliveries of one key run the handler once', async () => {
    const { deps } = setup();
    let calls = 0;
    const handler = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const outcomes = await Promise.all(
      [1, 2, 3].map((i) =>
        handleMessage(topic, delivery(notification(), { messageId: `m-${i}` }), handler, deps),
      ),
    );
    expect(calls).toBe(1);
    expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'processed']);
  });

  it('the same key on another topic is another message', async () => {
    const { deps } = setup();
    let calls = 0;
    const handler = () => Promise.resolve(void calls++);
    await handleMessage(topic, delivery(notification()), handler, deps);
    await handleMessage(
      topics.digestTicks,
      delivery({
        v: 1,
        type: 'digest.tick',
        key: 'notify:run-1',
        publishedAt: now.toISOString(),
        day: '2026-11-27',
      }),
      handler,
      deps,
    );
    expect(calls).toBe(2);
  });

  it('drops a poison message: acknowledged, logged with the reason, handler not called', async () => {
    const { deps, lines } = setup();
    let calls = 0;
    const outcome = await handleMessage(
      topic,
      delivery('not json'),
      () => Promise.resolve(void calls++),
      deps,
    );
    expect(outcome).toBe('dropped');
    expect(calls).toBe(0);
    expect(lines[0]).toMatchObject({
      outcome: 'dropped',
      metric: 'failed',
      reason: 'data is not JSON',
    });
  });

  it('rethrows a retryable failure without marking the key, so a redelivery runs again', async () => {
    const { deps, lines, dedupe } = setup(5);
    const failure = new AppError('slack.http_error', 'HTTP 503', { retryable: true });
    await expect(
      handleMessage(topic, delivery(notification()), () => Promise.reject(failure), deps),
    ).rejects.toBe(failure);
    expect(dedupe.marks.size).toBe(0);
    expect(lines[0]).toMatchObject({ outcome: 'retry', metric: 'failed', severity: 'ERROR' });
    expect(lines[0]?.err).toMatchObject({ code: 'slack.http_error', retryable: true });
    // an unknown error counts as retryable too; on the last attempt it is dead-lettered
    await expect(
      handleMessage(
        topic,
        delivery(notification(), { deliveryAttempt: 5 }),
        () => Promise.reject(new TypeError('boom')),
        deps,
      ),
    ).rejects.toThrow('boom');
    expect(lines[1]).toMatchObject({ outcome: 'dead_lettered', metric: 'dead_lettered' });
    let ran = false;
    await handleMessage(
      topic,
      delivery(notification()),
      () => Promise.resolve(void (ran = true)),
      deps,
    );
    expect(ran).toBe(true);
  });

  it('acknowledges a permanent failure after logging and reporting it', async () => {
    const { deps, lines, reported, dedupe } = setup();
    const failure = new AppError('slack.platform_error', 'not_in_channel');
    const outcome = await handleMessage(
      topic,
      delivery(notification()),
      () => Promise.reject(failure),
      deps,
    );
    expect(outcome).toBe('dropped');
    expect(reported).toEqual([failure]);
    expect(dedupe.marks.size).toBe(0);
    expect(lines[0]).toMatchObject({ outcome: 'failed', metric: 'failed', severity: 'ERROR' });
  });

  it('acknowledges when the work succeeded but the dedupe mark failed (logged)', async () => {
    const { deps, lines } = setup();
    deps.dedupe.mark = () => Promise.reject(new Error('warehouse down'));
    const outcome = await handleMessage(
      topic,
      delivery(notification()),
      () => Promise.resolve(),
      deps,
    );
    expect(outcome).toBe('processed');
    expect(lines.map((l) => l.severity)).toEqual(['WARNING', 'INFO']);
  });

  it('a failing dedupe read is retryable (redelivered), not dropped', async () => {
    const { deps } = setup();
    deps.dedupe.seen = () =>
      Promise.reject(new AppError('dedupe.read_failed', 'down', { retryable: true }));
    await expect(
      handleMessage(topic, delivery(notification()), () => Promise.resolve(), deps),
    ).rejects.toMatchObject({ code: 'dedupe.read_failed' });
  });
});

describe('handleCloudEvent', () => {
  it('decodes and handles a real CloudEvent envelope; a malformed one is dropped', async () => {
    const { deps, lines } = setup();
    const seen: NotifierMessage[] = [];
    expect(
      await handleCloudEvent(
        topic,
        cloudEvent(notification()),
        (m) => Promise.resolve(void seen.push(m)),
        deps,
      ),
    ).toBe('processed');
    expect(seen).toEqual([notification()]);
    expect(await handleCloudEvent(topic, { data: 'nope' }, () => Promise.resolve(), deps)).toBe(
      'dropped',
    );
    expect(lines[1]).toMatchObject({ outcome: 'dropped', metric: 'failed' });
  });
});
