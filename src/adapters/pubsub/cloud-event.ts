import { z } from 'zod';
import {
  completeScheduledMessage,
  maxMessageAgeMs,
  topicSchemas,
  type TopicMessage,
} from '../../domain/messages.js';
import type { TopicId } from '../../domain/topology.js';
import type { Delivery } from '../../ports/bus.js';

// The edge of every Pub/Sub-triggered function: a CloudEvent as functions-framework hands it
// (`data.message.data` base64 JSON, attributes, ids, publish time, the delivery attempt when the
// subscription has a dead-letter policy) becomes a Delivery, and a Delivery becomes the topic's
// typed message — decoded once, here. Anything that cannot become one is `dropped`: retrying
// cannot fix bad JSON, a schema mismatch or a message past its maximum age.
//
// The delivery attempt: Pub/Sub puts `deliveryAttempt` in a push body only on subscriptions with
// a dead-letter policy, and functions-framework's conversion of a raw push body into a
// CloudEvent drops it; then it counts as 1. Dead-lettering does not depend on it (Pub/Sub counts),
// only the `dead_lettered` log line of the last attempt does.

const pubsubMessageSchema = z
  .object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).nullish(),
    messageId: z.string().optional(),
    message_id: z.string().optional(),
    publishTime: z.string().optional(),
    publish_time: z.string().optional(),
  })
  .refine((m) => (m.messageId ?? m.message_id) !== undefined, { message: 'no messageId' });

const cloudEventSchema = z.object({
  id: z.string().optional(),
  time: z.string().optional(),
  data: z.object({
    message: pubsubMessageSchema,
    subscription: z.string().optional(),
    deliveryAttempt: z.number().int().positive().nullish(),
  }),
});

export type EnvelopeResult = { ok: true; delivery: Delivery } | { ok: false; reason: string };

/** The Pub/Sub message inside a functions-framework CloudEvent. */
export function deliveryFromCloudEvent(event: unknown): EnvelopeResult {
  const parsed = cloudEventSchema.safeParse(event);
  if (!parsed.success) {
    return { ok: false, reason: `not a Pub/Sub CloudEvent: ${z.prettifyError(parsed.error)}` };
  }
  const { message, deliveryAttempt } = parsed.data.data;
  const time = message.publishTime ?? message.publish_time ?? parsed.data.time;
  const publishTime = time === undefined ? new Date(Number.NaN) : new Date(time);
  if (Number.isNaN(publishTime.getTime())) {
    return { ok: false, reason: 'the message has no valid publish time' };
  }
  return {
    ok: true,
    delivery: {
      data: Buffer.from(message.data ?? '', 'base64'),
      attributes: message.attributes ?? {},
      messageId: (message.messageId ?? message.message_id)!,
      publishTime,
      deliveryAttempt: deliveryAttempt ?? 1,
    },
  };
}

export type DecodeResult<T extends TopicId> =
  { ok: true; message: TopicMessage<T> } | { ok: false; reason: string };

export interface DecodeOptions {
  now: Date;
  maxAgeMs?: number;
}

/**
 * The delivery's payload as the topic's message. Age is measured from Pub/Sub's publish time,
 * which redeliveries keep: a message failing for a day stops being retried. (The payload's own
 * `publishedAt` is not used for age: a scheduler job's body is fixed text.)
 */
export function decodeMessage<T extends TopicId>(
  topic: T,
  delivery: Delivery,
  options: DecodeOptions,
): DecodeResult<T> {
  const ageMs = options.now.getTime() - delivery.publishTime.getTime();
  const maxAgeMs = options.maxAgeMs ?? maxMessageAgeMs;
  if (ageMs > maxAgeMs) {
    return { ok: false, reason: `too old: published ${Math.round(ageMs / 1000)} s ago` };
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(delivery.data).toString('utf8'));
  } catch {
    return { ok: false, reason: 'data is not JSON' };
  }
  const parsed = topicSchemas[topic].safeParse(
    completeScheduledMessage(json, delivery.attributes.schedule, delivery.publishTime),
  );
  if (!parsed.success) {
    return { ok: false, reason: `not a ${topic} message: ${z.prettifyError(parsed.error)}` };
  }
  return { ok: true, message: parsed.data as TopicMessage<T> };
}
