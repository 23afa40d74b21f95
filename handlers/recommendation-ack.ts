import { recordAck, mayAct, type AckInput, type AckResult } from '../src/app/record-ack.js';
import type { RecommendationState } from '../src/domain/ledger.js';
import { isAppError } from '../src/errors.js';
import type { Chat } from '../src/ports/chat.js';
import type { AckLedger } from '../src/ports/ledger.js';
import type { RecommendationStore, StoredRecommendation } from '../src/ports/recommendations.js';
import { recommendationCard } from './blocks/recommendation-card.js';

// What the card's buttons and modals share: authorise a click against the stored recommendation
// (never the button value alone), record it, refresh the card in place and tell the clicker.

export interface RecommendationAckDeps {
  chat: Chat;
  store: RecommendationStore;
  ledger: AckLedger;
  clock: { now(): Date };
  /**
   * Allowed to act on every card (BQCOST_ADMINS): Slack user ids and user group ids (S…, members
   * looked up through Chat); empty = owners only.
   */
  admins: readonly string[];
  onError: (error: unknown) => void;
  /** Audit trail of refused attempts (and every recorded one). */
  audit: (entry: Record<string, unknown>) => void;
  /** Waits between ledger retries (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  /** How long a click waits for the clicker's email (users.info) before recording null; 500 ms. */
  emailBudgetMs?: number;
}

/** Where the card lives and who clicked: from the action payload or a modal's private_metadata. */
export interface CardContext {
  recommendationId: string;
  teamId: string;
  channelId: string;
  messageTs: string | null;
  userId: string;
}

export type RefusalReason = 'not_found' | 'wrong_place' | 'not_allowed' | 'check_failed';

export type Authorisation =
  { ok: true; stored: StoredRecommendation } | { ok: false; reason: RefusalReason };

export async function authorise(
  deps: RecommendationAckDeps,
  ctx: CardContext,
): Promise<Authorisation> {
  const stored = await deps.store.find(ctx.recommendationId);
  const refuse = (reason: RefusalReason, detail: Record<string, unknown> = {}): Authorisation => {
    deps.audit({
      event: 'recommendation_ack_refused',
      reason,
      ...detail,
      recommendationId: ctx.recommendationId,
      userId: ctx.userId,
      teamId: ctx.teamId,
      channelId: ctx.channelId,
    });
    return { ok: false, reason };
  };
  if (stored === null) return refuse('not_found');
  if (stored.teamId !== ctx.teamId || stored.channelId !== ctx.channelId) {
    return refuse('wrong_place');
  }
  const decision = await mayAct(
    { actorSlackId: ctx.userId, admins: deps.admins, ownerSlackIds: stored.ownerSlackIds },
    deps.chat,
  );
  if (decision.allowed) return { ok: true, stored };
  if ('checkFailed' in decision) {
    deps.onError(decision.checkFailed);
    return refuse('check_failed', { error: errorCode(decision.checkFailed) });
  }
  return refuse('not_allowed');
}

function errorCode(error: unknown): string {
  return isAppError(error) ? error.code : 'unknown';
}

/**
 * The clicker's email for the ledger, within `emailBudgetMs`: users.info is usually cached, but a
 * slow or failing Slack must not cost the click, so a miss records null and the click goes on.
 * Never rejects.
 */
export function actorEmail(deps: RecommendationAckDeps, userId: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), deps.emailBudgetMs ?? 500);
  });
  const lookup = deps.chat.userEmail(userId).catch((error: unknown) => {
    deps.onError(error);
    return null;
  });
  return Promise.race([lookup, budget]).finally(() => clearTimeout(timer));
}

export const refusalText: Record<RefusalReason, string> = {
  not_found: 'That recommendation no longer exists.',
  wrong_place: 'That recommendation does not belong to this channel.',
  not_allowed:
    'You are not allowed to act on this recommendation: only its owners and bqcost admins can.',
  check_failed:
    'I could not check whether you may act on this recommendation (Slack did not answer). Please try again in a moment.',
};

/** Ephemeral to the clicker; a failure here is only reported (the click is already answered). */
export async function tell(
  deps: RecommendationAckDeps,
  ctx: CardContext,
  text: string,
): Promise<void> {
  try {
    await deps.chat.postEphemeral(ctx.channelId, ctx.userId, { text });
  } catch (error) {
    deps.onError(error);
  }
}

type Recordable = Pick<AckInput, 'action' | 'reason' | 'snoozeUntil'>;

/**
 * Records the action and, when it was recorded, refreshes the card and confirms to the clicker.
 * A refused write (after recordAck's retries) is reported to the clicker, never swallowed; a card
 * that could not be refreshed is reported too, the event stays recorded.
 */
export async function recordAndRefresh(
  deps: RecommendationAckDeps,
  ctx: CardContext,
  stored: StoredRecommendation,
  action: Recordable,
  sourceRequestId: string,
): Promise<AckResult | null> {
  let result: AckResult;
  try {
    const actor = await actorEmail(deps, ctx.userId);
    result = await recordAck(
      { ledger: deps.ledger, clock: deps.clock, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
      {
        recommendationId: stored.recommendation.id,
        actorSlackId: ctx.userId,
        actorEmail: actor,
        teamId: ctx.teamId,
        channelId: ctx.channelId,
        messageTs: ctx.messageTs,
        sourceRequestId,
        ...action,
      },
    );
  } catch (error) {
    deps.onError(error);
    await tell(
      deps,
      ctx,
      isAppError(error) && error.userMessage
        ? error.userMessage
        : 'Your click could not be recorded. Please try again.',
    );
    return null;
  }
  if (result.outcome !== 'recorded') {
    await tell(deps, ctx, `Nothing to do: this recommendation is ${stateWord(result.state)}.`);
    return result;
  }
  deps.audit({
    event: 'recommendation_ack_recorded',
    action: action.action,
    recommendationId: stored.recommendation.id,
    userId: ctx.userId,
    teamId: ctx.teamId,
    channelId: ctx.channelId,
  });
  let refreshed = true;
  if (ctx.messageTs !== null) {
    try {
      await deps.chat.update(ctx.channelId, ctx.messageTs, {
        text: `${stored.recommendation.summary} (${stateWord(result.state)})`,
        blocks: recommendationCard({
          recommendation: stored.recommendation,
          ownerSlackIds: stored.ownerSlackIds,
          state: result.state,
        }),
      });
    } catch (error) {
      deps.onError(error);
      refreshed = false;
    }
  }
  await tell(
    deps,
    ctx,
    `Recorded: the recommendation is ${stateWord(result.state)}.` +
      (refreshed ? '' : ' The card could not be refreshed just now; its state is saved.'),
  );
  return result;
}

function stateWord(state: RecommendationState): string {
  if (state.state === 'snoozed' && state.snoozeUntil) {
    return `snoozed until ${state.snoozeUntil.toISOString().slice(0, 10)}`;
  }
  return state.state;
}

/** What a modal carries from the click to its submission. */
export interface CardMetadata {
  recommendationId: string;
  channelId: string;
  messageTs: string | null;
}

export function encodeMetadata(meta: CardMetadata): string {
  return JSON.stringify(meta);
}

export function decodeMetadata(raw: string | undefined): CardMetadata | null {
  if (!raw) return null;
  try {
    const m = JSON.parse(raw) as Partial<CardMetadata>;
    if (typeof m.recommendationId !== 'string' || typeof m.channelId !== 'string') return null;
    return {
      recommendationId: m.recommendationId,
      channelId: m.channelId,
      messageTs: typeof m.messageTs === 'string' ? m.messageTs : null,
    };
  } catch {
    return null;
  }
}

/**
 * A modal submission for a card: field errors go back to the modal; good input is acked at
 * once, then authorised again against the stored recommendation (never the metadata alone) and
 * recorded. `failure` is what the clicker is told if the write does not go through.
 */
export async function submitAck(
  deps: RecommendationAckDeps,
  submission: {
    ack: (response?: {
      response_action: 'errors';
      errors: Record<string, string>;
    }) => Promise<void>;
    userId: string;
    teamId: string;
    viewId: string;
    privateMetadata: string | undefined;
  },
  input: { ok: true; action: Recordable } | { ok: false; errors: Record<string, string> },
  failure: string,
): Promise<void> {
  if (!input.ok) {
    await submission.ack({ response_action: 'errors', errors: input.errors });
    return;
  }
  const meta = decodeMetadata(submission.privateMetadata);
  await submission.ack();
  if (meta === null) {
    deps.audit({ event: 'recommendation_ack_malformed', userId: submission.userId });
    return;
  }
  const ctx: CardContext = { ...meta, teamId: submission.teamId, userId: submission.userId };
  try {
    const auth = await authorise(deps, ctx);
    if (!auth.ok) {
      await tell(deps, ctx, refusalText[auth.reason]);
      return;
    }
    await recordAndRefresh(deps, ctx, auth.stored, input.action, submission.viewId);
  } catch (error) {
    deps.onError(error);
    await tell(deps, ctx, failure);
  }
}
