import { topicSchemas, type TopicMessage } from '../../domain/messages.js';
import type { TopicId } from '../../domain/topology.js';
import { AppError } from '../../errors.js';
import type { Bus, Delivery, DeliveryHandler, Subscriber, Subscription } from '../../ports/bus.js';

// The in-process bus for `npm start` and tests, with Pub/Sub's delivery semantics where they
// matter: messages travel as JSON bytes with a `key` attribute (so consumers go through the same
// decoder as in production), every subscription gets its own copy, delivery is asynchronous,
// a handler that throws gets the message again (deliveryAttempt + 1) until the attempts run out,
// then it goes to `deadLetters`. Messages published before anyone subscribed wait for the first
// subscriber (Pub/Sub would drop them; locally the order of wiring should not matter).

export interface MemoryBusOptions {
  /** Like a subscription's maxDeliveryAttempts; default 5. */
  maxDeliveryAttempts?: number;
  /** Wait before redelivery attempt n is `retryDelayMs × (n − 1)`; default 100. */
  retryDelayMs?: number;
  now?: () => Date;
}

export interface DeadLetter {
  topic: TopicId;
  delivery: Delivery;
  error: unknown;
}

export class MemoryBus implements Bus, Subscriber {
  readonly deadLetters: DeadLetter[] = [];
  private readonly handlers = new Map<TopicId, Set<DeliveryHandler>>();
  private readonly waiting = new Map<TopicId, Delivery[]>();
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly now: () => Date;
  private sequence = 0;
  private pending = 0;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.maxAttempts = options.maxDeliveryAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.now = options.now ?? (() => new Date());
  }

  publish<T extends TopicId>(topic: T, message: TopicMessage<T>): Promise<void> {
    if (this.closed) return Promise.reject(new AppError('bus.closed', 'the bus is closed'));
    const parsed = topicSchemas[topic].safeParse(message);
    if (!parsed.success) {
      return Promise.reject(
        new AppError('bus.invalid_message', `not a ${topic} message: ${parsed.error.message}`),
      );
    }
    const delivery: Delivery = {
      data: Buffer.from(JSON.stringify(parsed.data)),
      attributes: { key: parsed.data.key },
      messageId: String(++this.sequence),
      publishTime: this.now(),
      deliveryAttempt: 1,
    };
    const handlers = this.handlers.get(topic);
    if (!handlers || handlers.size === 0) {
      this.waiting.set(topic, [...(this.waiting.get(topic) ?? []), delivery]);
    } else {
      for (const handler of handlers) this.deliver(topic, handler, delivery, 0);
    }
    return Promise.resolve();
  }

  /** `consumer` names the subscription (one copy of each message per subscription). */
  subscribe(topic: TopicId, _consumer: string, handler: DeliveryHandler): Subscription {
    const handlers = this.handlers.get(topic) ?? new Set<DeliveryHandler>();
    this.handlers.set(topic, handlers);
    handlers.add(handler);
    const waiting = this.waiting.get(topic) ?? [];
    this.waiting.delete(topic);
    for (const delivery of waiting) this.deliver(topic, handler, delivery, 0);
    return {
      close: () => {
        handlers.delete(handler);
        return Promise.resolve();
      },
    };
  }

  /** Messages published to a topic nobody has subscribed to yet. */
  undelivered(topic: TopicId): number {
    return this.waiting.get(topic)?.length ?? 0;
  }

  /**
   * Resolves when every delivery has been handled, acknowledged or dead-lettered — including
   * messages published by the handlers meanwhile.
   */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops accepting messages and waits for the deliveries in progress. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
    this.handlers.clear();
  }

  private deliver(topic: TopicId, handler: DeliveryHandler, delivery: Delivery, delayMs: number) {
    this.pending++;
    setTimeout(() => {
      void handler(delivery)
        .then(
          () => undefined,
          (error: unknown) => {
            if (delivery.deliveryAttempt >= this.maxAttempts) {
              this.deadLetters.push({ topic, delivery, error });
              return;
            }
            const next = { ...delivery, deliveryAttempt: delivery.deliveryAttempt + 1 };
            this.deliver(topic, handler, next, this.retryDelayMs * delivery.deliveryAttempt);
          },
        )
        .finally(() => this.settle());
    }, delayMs);
  }

  private settle(): void {
    this.pending--;
    if (this.pending > 0) return;
    const waiters = this.idle;
    this.idle = [];
    for (const resolve of waiters) resolve();
  }
}
