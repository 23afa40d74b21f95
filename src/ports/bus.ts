import type { TopicId } from '../domain/topology.js';
import type { TopicMessage } from '../domain/messages.js';

// The message bus between the Slack receiver, the workers and the scheduler: Pub/Sub in
// production, the Pub/Sub emulator or an in-process bus locally.

export interface Bus {
  /** Resolves once the bus has accepted the message (Pub/Sub: the publish call returned an id). */
  publish<T extends TopicId>(topic: T, message: TopicMessage<T>): Promise<void>;
}

/** What a consumer returns: `ack` done (or deliberately dropped); throwing = redeliver. */
export type Outcome = 'processed' | 'duplicate' | 'dropped';

/**
 * One delivery of a message as it arrives from the bus, before decoding: the same shape from
 * Pub/Sub (push or streaming pull) and from the in-process bus, so both go through one decoder.
 */
export interface Delivery {
  data: Uint8Array;
  attributes: Readonly<Record<string, string>>;
  messageId: string;
  publishTime: Date;
  /** 1 on the first delivery; Pub/Sub sets it only on subscriptions with a dead-letter policy. */
  deliveryAttempt: number;
}

/** Consumes one delivery: resolving acknowledges it, throwing asks for redelivery. */
export type DeliveryHandler = (delivery: Delivery) => Promise<Outcome>;

export interface Subscription {
  close(): Promise<void>;
}

/** The consuming side (the local stack and tests; deployed workers are push-triggered). */
export interface Subscriber {
  /** `consumer` names the subscription: each one gets its own copy of every message. */
  subscribe(topic: TopicId, consumer: string, handler: DeliveryHandler): Subscription;
}
