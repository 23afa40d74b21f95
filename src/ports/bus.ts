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
