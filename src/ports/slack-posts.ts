// The "posted" ledger: one row per Slack message a worker posted, keyed by the intended post.
// chat.postMessage has no idempotency key, so a worker checks here before posting and records
// the message ts after; a redelivered Pub/Sub message then finds the post and does not repeat it.

export type SlackPostKind = 'card' | 'digest' | 'alert';

export interface SlackPost {
  postKey: string;
  channelId: string;
  messageTs: string;
  kind: SlackPostKind;
  postedAt: Date;
}

export interface SlackPosts {
  /** The first recorded post for the key, or null. */
  find(postKey: string): Promise<SlackPost | null>;
  /** Idempotent per key: recording a key twice keeps the first row. */
  record(post: SlackPost): Promise<void>;
}
