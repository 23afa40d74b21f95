import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import {
  dismissReasons,
  maxReasonTextLength,
  type DismissReason,
} from '../../src/domain/ledger.js';
import { recommendationViewInputs as ids } from '../../src/slack-ids.js';
import { submitAck, type RecommendationAckDeps } from '../recommendation-ack.js';

// The Dismiss modal's submission: a reason (not worth it / false positive / done elsewhere) and
// optional free text. Bad input goes back as field errors; good input is authorised again
// against the stored recommendation and recorded.

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type StateValues = ViewSubmitAction['view']['state']['values'];

export type DismissInput =
  | { ok: true; code: DismissReason; text: string | null }
  | { ok: false; errors: Record<string, string> };

export function parseDismiss(values: StateValues): DismissInput {
  const choice =
    values[ids.dismissReason.block]?.[ids.dismissReason.action]?.selected_option?.value;
  const raw = values[ids.dismissText.block]?.[ids.dismissText.action]?.value ?? null;
  const text = raw?.trim() ? raw.trim() : null;
  const errors: Record<string, string> = {};
  const code = dismissReasons.find((r) => r === choice);
  if (code === undefined) errors[ids.dismissReason.block] = 'Choose a reason.';
  if (text !== null && text.length > maxReasonTextLength) {
    errors[ids.dismissText.block] = `At most ${maxReasonTextLength} characters.`;
  }
  if (code === undefined || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, code, text };
}

export function dismissSubmission(deps: RecommendationAckDeps) {
  return async ({ ack, body, view }: ViewArgs): Promise<void> => {
    const input = parseDismiss(view.state.values);
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
              action: 'dismissed',
              snoozeUntil: null,
              reason: { code: input.code, text: input.text },
            },
          }
        : input,
      'Sorry, the dismissal did not go through. Please try again.',
    );
  };
}
