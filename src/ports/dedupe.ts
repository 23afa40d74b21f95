// A durable "already processed" record: Slack Events API event_ids (Slack retries deliveries up
// to 3 times) and Pub/Sub messages' own idempotency keys (delivery is at least once). Mark a key
// only after the work it stands for is durable: if the first delivery died before that, the
// retry is the only copy and must be processed.

export type DedupeSource = 'slack_event' | 'pubsub';

export interface DedupeStore {
  seen(key: string): Promise<boolean>;
  /** Idempotent; marking a key twice is not an error. */
  mark(key: string, source: DedupeSource, at: Date): Promise<void>;
}
