import type { TopicMessage } from '../../domain/messages.js';
import type { TopicId } from '../../domain/topology.js';
import { isAppError } from '../../errors.js';
import { countMetric, withContext, type Logger } from '../../logger.js';
import type { Delivery, Outcome } from '../../ports/bus.js';
import type { DedupeStore } from '../../ports/dedupe.js';
import { decodeMessage, deliveryFromCloudEvent } from './cloud-event.js';

// One wrapper around every consumer, whichever bus delivered the message:
// - decode once (cloud-event.ts); undecodable or too old → logged, acknowledged (`dropped`);
// - dedupe on the message's own key (a publisher retry is a new Pub/Sub message with the same
//   key), namespaced by topic; the key is marked only after the handler succeeded, so a delivery
//   that died half-way is processed again by the next one;
// - a retryable failure (and any error that is not an AppError: we cannot tell it is permanent)
//   is rethrown so Pub/Sub redelivers — bounded by the subscription's max delivery attempts and
//   dead-letter topic, and by the message's maximum age; a permanent one is logged, reported and
//   acknowledged;
// - one log line per delivery with its outcome and latency, carrying the metric field.

export interface MessageContext {
  messageId: string;
  deliveryAttempt: number;
  publishTime: Date;
  logger: Logger;
}

export type MessageHandler<T extends TopicId> = (
  message: TopicMessage<T>,
  context: MessageContext,
) => Promise<void>;

export interface HandleMessageDeps {
  dedupe: DedupeStore;
  logger: Logger;
  clock?: { now(): Date };
  maxMessageAgeMs?: number;
  /** The subscription's max delivery attempts: a failure on the last one is dead-lettered. */
  maxDeliveryAttempts?: number;
  /** Error reporting for permanent failures (Error Reporting picks up the ERROR line anyway). */
  report?: (error: unknown, context: { topic: TopicId; key: string; messageId: string }) => unknown;
}

export function dedupeKey(topic: TopicId, key: string): string {
  return `pubsub:${topic}:${key}`;
}

// Deliveries of one key in this process run one at a time: a duplicate arriving while the first
// is still running waits for it and then finds the key marked.
const running = new WeakMap<DedupeStore, Map<string, Promise<unknown>>>();

export async function handleMessage<T extends TopicId>(
  topic: T,
  delivery: Delivery,
  handler: MessageHandler<T>,
  deps: HandleMessageDeps,
): Promise<Outcome> {
  const now = () => deps.clock?.now() ?? new Date();
  const started = Date.now();
  const log = withContext(deps.logger, { labels: { topic } });
  const fields = {
    messageId: delivery.messageId,
    deliveryAttempt: delivery.deliveryAttempt,
    key: delivery.attributes.key,
  };
  const latency = () => ({ latencyMs: Date.now() - started });

  const decoded = decodeMessage(topic, delivery, {
    now: now(),
    ...(deps.maxMessageAgeMs === undefined ? {} : { maxAgeMs: deps.maxMessageAgeMs }),
  });
  if (!decoded.ok) {
    countMetric(
      log,
      'failed',
      { ...fields, ...latency(), outcome: 'dropped', reason: decoded.reason },
      `${topic}: dropped (${decoded.reason})`,
    );
    return 'dropped';
  }
  const message = decoded.message;
  const key = dedupeKey(topic, message.key);
  const keyed = { ...fields, key: message.key };

  let locks = running.get(deps.dedupe);
  if (!locks) running.set(deps.dedupe, (locks = new Map()));
  while (locks.has(key)) await locks.get(key)!.catch(() => undefined);
  const work = (async (): Promise<Outcome> => {
    if (await deps.dedupe.seen(key)) {
      log.info({ ...keyed, ...latency(), outcome: 'duplicate' }, `${topic}: duplicate`);
      return 'duplicate';
    }
    await handler(message, {
      messageId: delivery.messageId,
      deliveryAttempt: delivery.deliveryAttempt,
      publishTime: delivery.publishTime,
      logger: log.child({ key: message.key, messageId: delivery.messageId }),
    });
    try {
      await deps.dedupe.mark(key, 'pubsub', now());
    } catch (error) {
      // The work is done and durable; a redelivery would find its results (the posted ledger,
      // idempotent saves). Acknowledge rather than redo it.
      log.warn({ ...keyed, err: error }, `${topic}: processed, but the dedupe mark failed`);
    }
    countMetric(
      log,
      'processed',
      { ...keyed, ...latency(), outcome: 'processed' },
      `${topic}: processed`,
    );
    return 'processed';
  })();
  locks.set(key, work);

  try {
    return await work;
  } catch (error) {
    const retryable = !isAppError(error) || error.retryable;
    if (retryable) {
      const last =
        deps.maxDeliveryAttempts !== undefined &&
        delivery.deliveryAttempt >= deps.maxDeliveryAttempts;
      countMetric(
        log,
        last ? 'dead_lettered' : 'failed',
        { ...keyed, ...latency(), outcome: last ? 'dead_lettered' : 'retry', err: error },
        `${topic}: failed, ${last ? 'dead-lettered' : 'will be redelivered'}`,
      );
      throw error;
    }
    countMetric(
      log,
      'failed',
      { ...keyed, ...latency(), outcome: 'failed', err: error },
      `${topic}: failed permanently, acknowledged`,
    );
    try {
      await deps.report?.(error, { topic, key: message.key, messageId: delivery.messageId });
    } catch (reportError) {
      log.warn({ err: reportError }, 'error report failed');
    }
    return 'dropped';
  } finally {
    if (locks.get(key) === work) locks.delete(key);
  }
}

/** The same wrapper for a functions-framework CloudEvent (the deployed entry points). */
export async function handleCloudEvent<T extends TopicId>(
  topic: T,
  event: unknown,
  handler: MessageHandler<T>,
  deps: HandleMessageDeps,
): Promise<Outcome> {
  const envelope = deliveryFromCloudEvent(event);
  if (!envelope.ok) {
    countMetric(
      withContext(deps.logger, { labels: { topic } }),
      'failed',
      { outcome: 'dropped', reason: envelope.reason },
      `${topic}: dropped (${envelope.reason})`,
    );
    return 'dropped';
  }
  return handleMessage(topic, envelope.delivery, handler, deps);
}
