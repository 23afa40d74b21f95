import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { maxReasonTextLength } from '../../src/domain/ledger.js';
import { recommendationViewInputs as ids } from '../../src/slack-ids.js';
import { snoozeChoices } from '../blocks/ack-modals.js';
import { submitAck, type RecommendationAckDeps } from '../recommendation-ack.js';

// The Snooze modal's submission: a choice (1 / 7 / 30 days or until a date) and an optional
// reason. Bad input goes back as field errors (the modal stays open); good input is authorised
// again against the stored recommendation and recorded.

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type StateValues = ViewSubmitAction['view']['state']['values'];

const dayMs = 86_400_000;
/** The furthest a snooze may reach: a year. */
export const maxSnoozeDays = 365;

export type SnoozeInput =
  { ok: true; until: Date; reason: string | null } | { ok: false; errors: Record<string, string> };

/** Until-a-date snoozes end at 00:00 UTC of the chosen day; the day must be after today. */
export function parseSnooze(values: StateValues, now: Date): SnoozeInput {
  const choice = values[ids.snoozeFor.block]?.[ids.snoozeFor.action]?.selected_option?.value;
  const date = values[ids.snoozeUntil.block]?.[ids.snoozeUntil.action]?.selected_date ?? null;
  const rawReason = values[ids.snoozeReason.block]?.[ids.snoozeReason.action]?.value ?? null;
  const errors: Record<string, string> = {};
  const reason = rawReason?.trim() ? rawReason.trim() : null;
  if (reason !== null && reason.length > maxReasonTextLength) {
    errors[ids.snoozeReason.block] = `At most ${maxReasonTextLength} characters.`;
  }
  const picked = snoozeChoices.find((c) => c.value === choice);
  let until: Date | null = null;
  if (!picked) {
    errors[ids.snoozeFor.block] = 'Choose how long to snooze.';
  } else if (picked.days !== null) {
    until = new Date(now.getTime() + picked.days * dayMs);
  } else if (date === null) {
    errors[ids.snoozeUntil.block] = 'Pick the date the snooze ends.';
  } else {
    const parsed = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00Z`) : null;
    if (parsed === null || Number.isNaN(parsed.getTime())) {
      errors[ids.snoozeUntil.block] = 'That is not a valid date.';
    } else if (parsed.getTime() <= now.getTime()) {
      errors[ids.snoozeUntil.block] = 'Pick a date after today.';
    } else if (parsed.getTime() > now.getTime() + maxSnoozeDays * dayMs) {
      errors[ids.snoozeUntil.block] = `Snoozes last at most ${maxSnoozeDays} days.`;
    } else {
      until = parsed;
    }
  }
  if (Object.keys(errors).length > 0 || until === null) return { ok: false, errors };
  return { ok: true, until, reason };
}

export function snoozeSubmission(deps: RecommendationAckDeps) {
  return async ({ ack, body, view }: ViewArgs): Promise<void> => {
    const input = parseSnooze(view.state.values, deps.clock.now());
    await submitAck(
      deps,
      {
        ack,
        userId: body.user.id,
        teamId: body.team?.id ?? body.user.team_id ?? '',
        viewId: view.id,
        privateMetadata: view.private_metadata,
      },
      input.ok
        ? {
            ok: true,
            action: {
              action: 'snoozed',
              snoozeUntil: input.until,
              reason: input.reason === null ? null : { code: null, text: input.reason },
            },
          }
        : input,
      'Sorry, the snooze did not go through. Please try again.',
    );
  };
}
