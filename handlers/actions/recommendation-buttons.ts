import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { recommendationCardActions } from '../../src/slack-ids.js';
import { dismissModal, snoozeModal } from '../blocks/ack-modals.js';
import {
  authorise,
  encodeMetadata,
  recordAndRefresh,
  refusalText,
  tell,
  type CardContext,
  type RecommendationAckDeps,
} from '../recommendation-ack.js';

// Accept, Snooze and Dismiss on a recommendation card. Accept records at once; Snooze and
// Dismiss open their modal (handlers/views/). Every click is authorised against the stored
// recommendation first: its team and channel must be the request's, and the clicker an admin or
// an owner. With processBeforeResponse the record and the card update finish before the HTTP
// response; both are fast on the embedded ledger.

export type RecommendationButtonDeps = RecommendationAckDeps;

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

export function recommendationButtons(deps: RecommendationButtonDeps) {
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    if (action.type !== 'button') return;
    const teamId = body.team?.id ?? body.user.team_id ?? '';
    const channelId = body.channel?.id ?? body.container?.channel_id ?? '';
    const ctx: CardContext = {
      recommendationId: action.value ?? '',
      teamId,
      channelId,
      messageTs: body.message?.ts ?? body.container?.message_ts ?? null,
      userId: body.user.id,
    };
    if (!ctx.recommendationId || !ctx.teamId || !ctx.channelId) {
      deps.audit({ event: 'recommendation_ack_malformed', userId: ctx.userId });
      return;
    }
    try {
      const auth = await authorise(deps, ctx);
      if (!auth.ok) {
        await tell(deps, ctx, refusalText[auth.reason]);
        return;
      }
      const title = auth.stored.recommendation.summary;
      const metadata = encodeMetadata({
        recommendationId: ctx.recommendationId,
        channelId: ctx.channelId,
        messageTs: ctx.messageTs,
      });
      switch (action.action_id) {
        case recommendationCardActions.accept:
          await recordAndRefresh(
            deps,
            ctx,
            auth.stored,
            { action: 'accepted', reason: null, snoozeUntil: null },
            body.trigger_id,
          );
          return;
        case recommendationCardActions.snooze:
          await deps.chat.openView(body.trigger_id, snoozeModal(title, metadata));
          return;
        case recommendationCardActions.dismiss:
          await deps.chat.openView(body.trigger_id, dismissModal(title, metadata));
          return;
        default:
          return;
      }
    } catch (error) {
      deps.onError(error);
      await tell(deps, ctx, 'Sorry, that did not work. Please try again in a moment.');
    }
  };
}
