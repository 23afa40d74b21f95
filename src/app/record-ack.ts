import {
  allowedTransition,
  deriveState,
  idempotencyKey,
  recommendationEventSchema,
  sameSnoozeDay,
  type EventReason,
  type RecommendationAction,
  type RecommendationEvent,
  type RecommendationState,
} from '../domain/ledger.js';
import { AppError, badInput, isAppError } from '../errors.js';
import type { AckLedger } from '../ports/ledger.js';

// A click on a recommendation card becomes at most one ledger event per intended action: the
// state derived from the ledger decides whether the action is still valid (accepting an
// accepted card is answered, not recorded), the idempotency key collapses double clicks and
// racing handlers, and a failed write is retried with the same event, then reported — never
// silently dropped. Nothing here is authorisation: callers check canAct first.

export interface AckInput {
  recommendationId: string;
  action: RecommendationAction;
  actorSlackId: string;
  actorEmail: string | null;
  reason: EventReason | null;
  snoozeUntil: Date | null;
  teamId: string;
  channelId: string | null;
  messageTs: string | null;
  sourceRequestId: string;
}

export type AckOutcome = 'recorded' | 'duplicate' | 'invalid_transition';

export interface AckResult {
  outcome: AckOutcome;
  state: RecommendationState;
}

export interface RecordAckDeps {
  ledger: AckLedger;
  clock: { now(): Date };
  /** Waits between append attempts (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  /** Append attempts before giving up; default 3 (a Slack click must be answered within 3 s). */
  maxAttempts?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function recordAck(deps: RecordAckDeps, input: AckInput): Promise<AckResult> {
  const now = deps.clock.now();
  if (input.action === 'snoozed' && input.snoozeUntil !== null && input.snoozeUntil <= now) {
    throw badInput('ack.snooze_in_past', 'The snooze must end in the future.');
  }
  const events = await withRetries(deps, 'read', () =>
    deps.ledger.eventsFor([input.recommendationId]),
  );
  const current = deriveState(events, now);

  if (
    input.action === 'snoozed' &&
    current.state === 'snoozed' &&
    sameSnoozeDay(current.snoozeUntil, input.snoozeUntil)
  ) {
    return { outcome: 'duplicate', state: current };
  }
  if (!allowedTransition(current.state, input.action)) {
    return { outcome: 'invalid_transition', state: current };
  }

  const key = idempotencyKey({ ...input, version: current.version });
  const parsed = recommendationEventSchema.safeParse({
    ...input,
    eventId: `ev_${key.slice(0, 32)}`,
    idempotencyKey: key,
    occurredAt: causalTime(now, events),
  });
  if (!parsed.success) {
    throw badInput('ack.invalid_input', `invalid acknowledgement: ${parsed.error.message}`);
  }
  const event: RecommendationEvent = parsed.data;
  // The same event object on every attempt: if a "failed" append did land, the retry is a no-op.
  const { recorded } = await withRetries(deps, 'append', () => deps.ledger.append(event));
  return {
    outcome: recorded ? 'recorded' : 'duplicate',
    state: deriveState([...events, event], event.occurredAt > now ? event.occurredAt : now),
  };
}

/**
 * Ledger order is occurred_at order: an event made against a state must sort after the events
 * that state came from, even within one millisecond or with a clock slightly behind.
 */
function causalTime(now: Date, events: readonly RecommendationEvent[]): Date {
  const last = Math.max(0, ...events.map((e) => e.occurredAt.getTime()));
  return new Date(Math.max(now.getTime(), last + 1));
}

async function withRetries<T>(
  deps: RecordAckDeps,
  what: 'read' | 'append',
  run: () => Promise<T>,
): Promise<T> {
  const maxAttempts = deps.maxAttempts ?? 3;
  const sleep = deps.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const retryable = isAppError(error) ? error.retryable : true;
      if (retryable && attempt < maxAttempts) {
        await sleep(100 * 2 ** (attempt - 1));
        continue;
      }
      if (isAppError(error) && !retryable) throw error;
      throw new AppError(
        `ack.${what}_failed`,
        `the acknowledgement ${what} failed after ${attempt} attempt(s)`,
        {
          cause: error,
          retryable: true,
          userMessage: 'Your click could not be recorded just now. Please try again in a moment.',
        },
      );
    }
  }
}

export interface ActorCheck {
  actorSlackId: string;
  /** Slack user ids from config; canAct ignores group ids (S…), mayAct expands them. */
  admins: readonly string[];
  /** Owners of the recommendation's target, from owner routing. */
  ownerSlackIds: readonly string[];
}

export type ActorDecision = { allowed: true; as: 'admin' | 'owner' } | { allowed: false };

/** Deny by default: only a configured admin or an owner of the target may act. */
export function canAct(check: ActorCheck): ActorDecision {
  const actor = check.actorSlackId.trim();
  if (!/^[UW][A-Z0-9]+$/.test(actor)) return { allowed: false };
  if (check.admins.includes(actor)) return { allowed: true, as: 'admin' };
  if (check.ownerSlackIds.includes(actor)) return { allowed: true, as: 'owner' };
  return { allowed: false };
}

export interface GroupDirectory {
  /** Slack user ids in a user group (usergroups.users.list; the adapter caches it). */
  userGroupMembers(groupId: string): Promise<readonly string[]>;
}

export type MayActDecision = ActorDecision | { allowed: false; checkFailed: unknown };

/**
 * canAct with admin user groups: `admins` holds user ids (U…/W…) and group ids (S…). Ids and
 * owners are checked first, so a group is only looked up for someone neither names. A group that
 * cannot be read counts as "not a member" — deny by default — and the failure is returned so the
 * refusal can say "try again" instead of "not allowed".
 */
export async function mayAct(check: ActorCheck, groups: GroupDirectory): Promise<MayActDecision> {
  const direct = canAct(check);
  if (direct.allowed) return direct;
  const actor = check.actorSlackId.trim();
  if (!/^[UW][A-Z0-9]+$/.test(actor)) return direct;
  let failure: unknown = null;
  for (const group of check.admins.filter((id) => id.startsWith('S'))) {
    try {
      if ((await groups.userGroupMembers(group)).includes(actor))
        return { allowed: true, as: 'admin' };
    } catch (error) {
      failure ??= error;
    }
  }
  return failure === null ? direct : { allowed: false, checkFailed: failure };
}
