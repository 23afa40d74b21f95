import { z } from 'zod';
import { sha256Hex } from './sha256.js';

// The acknowledgement ledger: every click on a recommendation card is an event appended to
// `recommendation_events`; the card's state is derived from the events, never stored. BigQuery
// cannot update rows in the streaming buffer and its insertId dedupe is best effort, so the
// ledger is append-only and every reader dedupes on the idempotency key.

export const recommendationActions = [
  'accepted',
  'snoozed',
  'dismissed',
  'reopened',
  'verified',
] as const;
export type RecommendationAction = (typeof recommendationActions)[number];

export const recommendationStates = [
  'open',
  'accepted',
  'snoozed',
  'dismissed',
  'verified',
] as const;
export type RecommendationStateName = (typeof recommendationStates)[number];

export const dismissReasons = ['not_worth_it', 'false_positive', 'done_elsewhere'] as const;
export type DismissReason = (typeof dismissReasons)[number];

/** Slack's plain_text_input allows 3000 characters; the modal caps the reason lower. */
export const maxReasonTextLength = 1000;

export const eventReasonSchema = z
  .object({
    /** Set for dismissals (the modal's radio button); null for a snooze's free-text reason. */
    code: z.enum(dismissReasons).nullable(),
    text: z.string().max(maxReasonTextLength).nullable(),
  })
  .refine((r) => r.code !== null || (r.text !== null && r.text.trim() !== ''), {
    message: 'a reason needs a code or some text',
  });
export type EventReason = z.infer<typeof eventReasonSchema>;

export const recommendationEventSchema = z
  .object({
    eventId: z.string().min(1),
    recommendationId: z.string().min(1),
    action: z.enum(recommendationActions),
    actorSlackId: z.string().min(1),
    actorEmail: z.string().nullable(),
    reason: eventReasonSchema.nullable(),
    snoozeUntil: z.date().nullable(),
    teamId: z.string().min(1),
    /** Null when the click came from a surface without a channel (App Home). */
    channelId: z.string().nullable(),
    messageTs: z.string().nullable(),
    /** Slack's trigger_id or our request id: ties the event to the request log. */
    sourceRequestId: z.string().min(1),
    idempotencyKey: z.string().regex(/^[0-9a-f]{64}$/),
    occurredAt: z.date(),
  })
  .superRefine((e, ctx) => {
    if ((e.action === 'snoozed') !== (e.snoozeUntil !== null)) {
      ctx.addIssue({ code: 'custom', path: ['snoozeUntil'], message: 'only a snooze has an end' });
    }
    if (e.action === 'dismissed' && e.reason?.code == null) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a dismissal needs a reason' });
    }
    if (e.action !== 'dismissed' && e.reason !== null && e.reason.code !== null) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'only a dismissal has a code' });
    }
  });
export type RecommendationEvent = z.infer<typeof recommendationEventSchema>;

export interface IdempotencyKeyInput {
  recommendationId: string;
  action: RecommendationAction;
  actorSlackId: string;
  /** `version` of the state the click was made against (see RecommendationState). */
  version: number;
  snoozeUntil: Date | null;
  reason: EventReason | null;
}

/**
 * One key per intended action. Slack never retries clicks, so duplicates are people clicking or
 * submitting twice, several handlers racing, or our own retry of a failed write — all of them
 * carry the same recommendation, action, actor and parameters and were made against the same
 * state. Hence the key hashes exactly those:
 * - `version` (how many events the clicker's state was derived from) instead of a time: the same
 *   click made twice against the same state is one action, while accept → reopen → accept again
 *   is a second acceptance and gets a new key. A double click that lands after the first was
 *   recorded sees a newer version, but its transition is then invalid (accept on an accepted
 *   card) or a same-day re-snooze, both answered without a second event.
 * - the snooze end as a UTC day, not an instant: "7 days" computed on two submissions a second
 *   apart is the same intent; snoozes are day-granular (Slack's datepicker too).
 * - not the message ts or channel: the same card in the digest and in its thread is one card.
 * - the actor: two people acting at once are two intents (the state machine orders them).
 * SHA-256 hex (64 chars) fits BigQuery's insertId limit (128) and is opaque in logs.
 */
export function idempotencyKey(input: IdempotencyKeyInput): string {
  return sha256Hex(
    JSON.stringify([
      'bqcost.ack.v1',
      input.recommendationId,
      input.action,
      input.actorSlackId,
      input.version,
      input.snoozeUntil === null ? null : input.snoozeUntil.toISOString().slice(0, 10),
      input.reason === null ? null : [input.reason.code, input.reason.text?.trim() ?? null],
    ]),
  );
}

export interface RecommendationState {
  state: RecommendationStateName;
  /** When the current state began; null for a recommendation nobody has acted on. */
  since: Date | null;
  /** Slack id of who put it in this state; null when it returned to open by a snooze ending. */
  by: string | null;
  snoozeUntil: Date | null;
  reason: EventReason | null;
  /** Distinct events seen (valid or not): the basis a click's idempotency key is made against. */
  version: number;
}

const transitions: Record<RecommendationStateName, readonly RecommendationAction[]> = {
  open: ['accepted', 'snoozed', 'dismissed'],
  // Snoozing again moves the end; reopening ends the snooze early.
  snoozed: ['accepted', 'snoozed', 'dismissed', 'reopened'],
  accepted: ['verified', 'reopened'],
  dismissed: ['reopened'],
  verified: ['reopened'],
};

export function allowedTransition(
  current: RecommendationStateName,
  action: RecommendationAction,
): boolean {
  return transitions[current].includes(action);
}

const stateAfter: Record<RecommendationAction, RecommendationStateName> = {
  accepted: 'accepted',
  snoozed: 'snoozed',
  dismissed: 'dismissed',
  reopened: 'open',
  verified: 'verified',
};

export const initialState: RecommendationState = {
  state: 'open',
  since: null,
  by: null,
  snoozeUntil: null,
  reason: null,
  version: 0,
};

/** A snooze that has ended is open again, from the moment it ended. */
function expireSnooze(state: RecommendationState, at: Date): RecommendationState {
  if (state.state !== 'snoozed' || state.snoozeUntil === null) return state;
  if (state.snoozeUntil.getTime() > at.getTime()) return state;
  return { ...state, state: 'open', since: state.snoozeUntil, by: null, snoozeUntil: null };
}

/** Events in ledger order, once per idempotency key (the earliest copy wins). */
export function orderedUniqueEvents(events: readonly RecommendationEvent[]): RecommendationEvent[] {
  const sorted = [...events].sort(
    (a, b) =>
      a.occurredAt.getTime() - b.occurredAt.getTime() ||
      (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
  );
  const seen = new Set<string>();
  return sorted.filter((e) => !seen.has(e.idempotencyKey) && seen.add(e.idempotencyKey));
}

/**
 * The current state of one recommendation from its events. Events that were not a valid
 * transition when they happened (two people racing: one accepts, one dismisses) stay in the
 * ledger as an audit trail but do not change the state; the earlier one wins.
 */
export function deriveState(
  events: readonly RecommendationEvent[],
  now: Date,
): RecommendationState {
  let state = initialState;
  for (const event of orderedUniqueEvents(events)) {
    state = expireSnooze(state, event.occurredAt);
    const version = state.version + 1;
    if (!allowedTransition(state.state, event.action)) {
      state = { ...state, version };
      continue;
    }
    state = {
      state: stateAfter[event.action],
      since: event.occurredAt,
      by: event.actorSlackId,
      snoozeUntil: event.action === 'snoozed' ? event.snoozeUntil : null,
      reason: event.reason,
      version,
    };
  }
  return expireSnooze(state, now);
}

/** Same UTC day: a re-snooze to the day it already ends on changes nothing. */
export function sameSnoozeDay(a: Date | null, b: Date | null): boolean {
  return a !== null && b !== null && a.toISOString().slice(0, 10) === b.toISOString().slice(0, 10);
}
