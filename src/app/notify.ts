import type { Recommendation } from '../domain/analysis.js';
import { deriveState, type RecommendationState } from '../domain/ledger.js';
import type { NotificationMessage } from '../domain/messages.js';
import { AppError, isAppError } from '../errors.js';
import type { Chat, ChatMessage } from '../ports/chat.js';
import type { AckLedger } from '../ports/ledger.js';
import type { RecommendationStore } from '../ports/recommendations.js';
import type { SlackPosts } from '../ports/slack-posts.js';
import type { Pacer } from './pacer.js';
import { postOnce } from './post-once.js';

// The notifier: an analysis run's new or changed recommendations become cards in their routed
// channels. Each recommendation is loaded by id (the message carries ids only), its state is
// derived from the acknowledgement ledger — snoozed, dismissed or accepted ones are not posted
// again — and each card is posted once per (recommendation, run) through the per-channel pacer.
//
// Cards are posted independently: when some fail, the rest still go out, then the use case
// throws (retryable when any failure is) so the message is redelivered; the posted ledger keeps
// the cards that did go out from going out twice. The card blocks are Slack rendering, which
// lives in handlers/, so the renderer comes in as a dependency.

export interface CardInput {
  recommendation: Recommendation;
  ownerSlackIds: readonly string[];
  state: RecommendationState;
}

export interface NotifyDeps {
  recommendations: RecommendationStore;
  ledger: AckLedger;
  posts: SlackPosts;
  chat: Pick<Chat, 'postMessage'>;
  pacer: Pacer;
  renderCard: (input: CardInput) => ChatMessage;
  clock: { now(): Date };
}

export type SkipReason =
  'not_found' | 'no_channel' | 'snoozed' | 'dismissed' | 'accepted' | 'verified';

export interface NotifyResult {
  posted: string[];
  /** Already in the posted ledger for this run (a redelivery): not posted again. */
  alreadyPosted: string[];
  skipped: { recommendationId: string; reason: SkipReason }[];
}

/** One card per recommendation per run. */
export function cardPostKey(recommendationId: string, runId: string): string {
  return `card:${runId}:${recommendationId}`;
}

export async function notify(
  deps: NotifyDeps,
  message: NotificationMessage,
): Promise<NotifyResult> {
  const ids = [...new Set(message.recommendationIds)];
  const result: NotifyResult = { posted: [], alreadyPosted: [], skipped: [] };
  const [stored, events] = await Promise.all([
    Promise.all(ids.map((id) => deps.recommendations.find(id))),
    deps.ledger.eventsFor(ids),
  ]);
  const now = deps.clock.now();
  const paced: Pick<Chat, 'postMessage'> = {
    postMessage: (channel, card) =>
      deps.pacer.pace(channel, () => deps.chat.postMessage(channel, card)),
  };

  const attempts = ids.map(async (id, i) => {
    const entry = stored[i];
    if (!entry) return result.skipped.push({ recommendationId: id, reason: 'not_found' });
    if (!entry.channelId)
      return result.skipped.push({ recommendationId: id, reason: 'no_channel' });
    const state = deriveState(
      events.filter((e) => e.recommendationId === id),
      now,
    );
    if (state.state !== 'open') {
      return result.skipped.push({ recommendationId: id, reason: state.state });
    }
    const card = deps.renderCard({
      recommendation: entry.recommendation,
      ownerSlackIds: entry.ownerSlackIds,
      state,
    });
    const { posted } = await postOnce(
      { posts: deps.posts, chat: paced, clock: deps.clock },
      {
        key: cardPostKey(id, message.runId),
        channel: entry.channelId,
        kind: 'card',
        message: card,
      },
    );
    return (posted ? result.posted : result.alreadyPosted).push(id);
  });

  const failures = (await Promise.allSettled(attempts)).flatMap((s, i) =>
    s.status === 'rejected' ? [{ id: ids[i] ?? '', error: s.reason as unknown }] : [],
  );
  if (failures.length === 0) return result;
  const retryable = failures.find((f) => !isAppError(f.error) || f.error.retryable);
  const first = retryable ?? failures[0]!;
  throw new AppError(
    'notify.cards_failed',
    `${failures.length} of ${ids.length} cards of run ${message.runId} failed (first: ${first.id})`,
    { cause: first.error, retryable: retryable !== undefined },
  );
}
