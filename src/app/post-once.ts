import { AppError } from '../errors.js';
import type { Chat, ChatMessage } from '../ports/chat.js';
import type { SlackPostKind, SlackPosts } from '../ports/slack-posts.js';

// chat.postMessage has no idempotency key, and workers run at least once. So every post a
// worker makes has a key of its intent; the posted ledger is checked before posting and written
// after. What is left: a crash between Slack accepting the post and the ledger row being
// written posts twice on redelivery — we prefer that to a silent loss, so a failed record is
// retried and then surfaced as retryable, never swallowed.

export interface PostOnceDeps {
  posts: SlackPosts;
  chat: Pick<Chat, 'postMessage'>;
  clock: { now(): Date };
  /** Record attempts after a successful post; default 3. */
  recordAttempts?: number;
}

export interface PostOnceInput {
  key: string;
  channel: string;
  kind: SlackPostKind;
  message: ChatMessage;
}

export interface PostOnceResult {
  ts: string;
  /** False when the ledger already had the post (nothing was sent). */
  posted: boolean;
}

// Concurrent calls with one key in this process share one attempt.
const inFlight = new WeakMap<SlackPosts, Map<string, Promise<PostOnceResult>>>();

export function postOnce(deps: PostOnceDeps, input: PostOnceInput): Promise<PostOnceResult> {
  let running = inFlight.get(deps.posts);
  if (!running) inFlight.set(deps.posts, (running = new Map()));
  const existing = running.get(input.key);
  if (existing) return existing.then((r) => ({ ...r, posted: false }));
  const attempt = post(deps, input).finally(() => running.delete(input.key));
  running.set(input.key, attempt);
  return attempt;
}

async function post(deps: PostOnceDeps, input: PostOnceInput): Promise<PostOnceResult> {
  const recorded = await deps.posts.find(input.key);
  if (recorded) return { ts: recorded.messageTs, posted: false };
  const { ts } = await deps.chat.postMessage(input.channel, input.message);
  const row = {
    postKey: input.key,
    channelId: input.channel,
    messageTs: ts,
    kind: input.kind,
    postedAt: deps.clock.now(),
  };
  const attempts = deps.recordAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.posts.record(row);
      return { ts, posted: true };
    } catch (error) {
      if (attempt >= attempts) {
        throw new AppError(
          'slack_posts.unrecorded',
          `posted ${input.key} (ts ${ts}) but could not record it`,
          { cause: error, retryable: true },
        );
      }
    }
  }
}

/** `postOnce` for one kind of post, in the `(key, channel, message)` shape send-digest takes. */
export function postOnceAs(
  deps: PostOnceDeps,
  kind: SlackPostKind,
): (key: string, channel: string, message: ChatMessage) => Promise<PostOnceResult> {
  return (key, channel, message) => postOnce(deps, { key, channel, kind, message });
}
