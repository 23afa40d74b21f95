import {
  PubSub,
  type Message,
  type Subscription as PubSubSubscription,
} from '@google-cloud/pubsub';
import { topicSchemas, type TopicMessage } from '../../domain/messages.js';
import type { TopicId } from '../../domain/topology.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Bus, Delivery, DeliveryHandler, Subscriber, Subscription } from '../../ports/bus.js';

// Pub/Sub as the bus: JSON payloads with our idempotency key as the `key` attribute, a
// streaming-pull subscriber that feeds each message to a DeliveryHandler (handle-message.ts)
// and acks when it resolves, nacks when it throws. Subscriptions carry a dead-letter policy, so
// a message that keeps failing moves to `<topic>-dead-letter` after maxDeliveryAttempts instead
// of looping. In production the topics and subscriptions are Terraform's (infra/); `ensure`
// creates the same shape on the emulator and in tests.

export interface PubSubBusOptions {
  projectId: string;
  /** `host:port` of the emulator; absent = the real service. */
  apiEndpoint?: string;
  logger: Logger;
  /** Default 5 (Pub/Sub's minimum). */
  maxDeliveryAttempts?: number;
  /** Per publish call; default 10 000 ms (the Slack receiver has 3 s in all: keep it short there). */
  publishTimeoutMs?: number;
  /** Messages handled at once per subscription; default 10. */
  maxMessages?: number;
  /**
   * Redelivery backoff of the subscriptions `ensure` creates; default none (immediate, Pub/Sub's
   * default). The emulator honours it, so tests leave it off.
   */
  retryBackoffSeconds?: { min: number; max: number };
}

/** Names shared with infra/: one subscription per consumer, one dead-letter topic per topic. */
export function subscriptionName(topic: TopicId, consumer: string): string {
  return `${topic}-${consumer}`;
}
export function deadLetterTopicName(topic: TopicId): string {
  return `${topic}-dead-letter`;
}
/** Keeps dead letters until someone looks (a topic without subscriptions drops them). */
export function deadLetterSubscriptionName(topic: TopicId): string {
  return `${deadLetterTopicName(topic)}-hold`;
}

const alreadyExists = 6; // gRPC ALREADY_EXISTS

export class PubSubBus implements Bus, Subscriber {
  readonly client: PubSub;
  private readonly logger: Logger;
  private readonly maxDeliveryAttempts: number;
  private readonly publishTimeoutMs: number;
  private readonly maxMessages: number;
  private readonly retryBackoffSeconds: { min: number; max: number } | undefined;
  private readonly open = new Set<PubSubSubscription>();

  constructor(options: PubSubBusOptions) {
    this.client = new PubSub({
      projectId: options.projectId,
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint, emulatorMode: true } : {}),
    });
    this.logger = options.logger;
    this.maxDeliveryAttempts = options.maxDeliveryAttempts ?? 5;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.maxMessages = options.maxMessages ?? 10;
    this.retryBackoffSeconds = options.retryBackoffSeconds;
  }

  async publish<T extends TopicId>(topic: T, message: TopicMessage<T>): Promise<void> {
    const parsed = topicSchemas[topic].safeParse(message);
    if (!parsed.success) {
      throw new AppError('bus.invalid_message', `not a ${topic} message: ${parsed.error.message}`);
    }
    try {
      await this.client
        .topic(topic, { gaxOpts: { timeout: this.publishTimeoutMs } })
        .publishMessage({
          data: Buffer.from(JSON.stringify(parsed.data)),
          attributes: { key: parsed.data.key },
        });
    } catch (error) {
      throw new AppError('bus.publish_failed', `publishing to ${topic} failed`, {
        cause: error,
        retryable: true,
        userMessage: 'bqcost could not queue that request; please try again.',
      });
    }
  }

  /**
   * Creates the topic, its dead-letter topic (with a holding subscription) and the consumer's
   * subscription with the dead-letter policy; what exists is left as it is.
   */
  async ensure(topic: TopicId, consumer: string): Promise<void> {
    const deadLetter = deadLetterTopicName(topic);
    await Promise.all([this.createTopic(topic), this.createTopic(deadLetter)]);
    await Promise.all([
      this.ignoreExisting(() =>
        this.client.topic(deadLetter).createSubscription(deadLetterSubscriptionName(topic)),
      ),
      this.ignoreExisting(() =>
        this.client.topic(topic).createSubscription(subscriptionName(topic, consumer), {
          ackDeadlineSeconds: 60,
          deadLetterPolicy: {
            deadLetterTopic: this.client.topic(deadLetter).name,
            maxDeliveryAttempts: this.maxDeliveryAttempts,
          },
          ...(this.retryBackoffSeconds
            ? {
                retryPolicy: {
                  minimumBackoff: { seconds: this.retryBackoffSeconds.min },
                  maximumBackoff: { seconds: this.retryBackoffSeconds.max },
                },
              }
            : {}),
        }),
      ),
    ]);
  }

  /** Streaming pull: resolves → ack, throws → nack (redelivered; dead-lettered in the end). */
  subscribe(topic: TopicId, consumer: string, handler: DeliveryHandler): Subscription {
    const subscription = this.client.subscription(subscriptionName(topic, consumer), {
      flowControl: { maxMessages: this.maxMessages, allowExcessMessages: false },
    });
    this.open.add(subscription);
    subscription.on('message', (message: Message) => {
      handler(toDelivery(message)).then(
        () => message.ack(),
        () => message.nack(),
      );
    });
    subscription.on('error', (error: unknown) => {
      this.logger.error({ err: error, topic, consumer }, 'Pub/Sub subscriber error');
    });
    return {
      close: async () => {
        this.open.delete(subscription);
        await subscription.close();
      },
    };
  }

  /** Closes every subscription (flushing acks), then the client. */
  async close(): Promise<void> {
    const subscriptions = [...this.open];
    this.open.clear();
    await Promise.all(subscriptions.map((s) => s.close()));
    await this.client.close();
  }

  private createTopic(name: string): Promise<void> {
    return this.ignoreExisting(() => this.client.createTopic(name));
  }

  private async ignoreExisting(create: () => Promise<unknown>): Promise<void> {
    try {
      await create();
    } catch (error) {
      if ((error as { code?: unknown }).code !== alreadyExists) throw error;
    }
  }
}

function toDelivery(message: Message): Delivery {
  return {
    data: message.data,
    attributes: message.attributes,
    messageId: message.id,
    publishTime: new Date(message.publishTime.getTime()),
    // Set only on subscriptions with a dead-letter policy.
    deliveryAttempt: message.deliveryAttempt || 1,
  };
}
