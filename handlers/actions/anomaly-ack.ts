import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import {
  acknowledgeAlert,
  type AcknowledgeResult,
  type EscalationDeps,
} from '../../src/app/escalate.js';

// The Acknowledge button on an anomaly alert: stops the climb, records who acknowledged, updates
// the alert's messages and acknowledges the PagerDuty incident when it was paged. With
// processBeforeResponse all of that finishes before the HTTP response, so the pager's retries
// are kept short (PagerDutyPager's defaults stay inside Slack's 3 s).

export interface AnomalyAckDeps {
  escalation: EscalationDeps;
  onError: (error: unknown) => void;
  /** Refused and recorded attempts; default: nowhere. */
  audit?: (entry: Record<string, unknown>) => void;
}

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

export function anomalyAck(deps: AnomalyAckDeps) {
  const audit = deps.audit ?? (() => undefined);
  return async ({ ack, body, action }: ButtonArgs): Promise<void> => {
    await ack();
    if (action.type !== 'button') return;
    const alertId = action.value ?? '';
    const channelId = body.channel?.id ?? body.container?.channel_id ?? '';
    const userId = body.user.id;
    if (!alertId || !channelId) {
      audit({ event: 'anomaly_ack_malformed', userId });
      return;
    }
    const tell = async (text: string) => {
      try {
        await deps.escalation.chat.postEphemeral(channelId, userId, { text });
      } catch (error) {
        deps.onError(error);
      }
    };
    let result: AcknowledgeResult;
    try {
      result = await acknowledgeAlert(deps.escalation, {
        alertId,
        actorSlackId: userId,
        channelId,
      });
    } catch (error) {
      deps.onError(error);
      await tell('Sorry, your acknowledgement could not be recorded. Please try again.');
      return;
    }
    audit({ event: 'anomaly_ack', outcome: result.outcome, alertId, userId, channelId });
    await tell(replyText(result));
  };
}

function replyText(result: AcknowledgeResult): string {
  switch (result.outcome) {
    case 'acknowledged': {
      const notes = [
        result.pagerDuty === 'acknowledged' ? 'The PagerDuty incident is acknowledged too.' : '',
        result.pagerDuty === 'failed'
          ? 'PagerDuty could not be updated: please acknowledge the incident there.'
          : '',
        result.updateFailures > 0 ? 'Some alert messages could not be updated.' : '',
      ].filter(Boolean);
      return ['Acknowledged: the escalation is stopped.', ...notes].join(' ');
    }
    case 'already_acknowledged': {
      const by = result.state?.acknowledgedBy;
      return by ? `Already acknowledged by <@${by}>.` : 'Already acknowledged.';
    }
    case 'resolved':
      return 'This anomaly is already resolved.';
    case 'not_found':
      return 'This alert no longer exists.';
    case 'wrong_place':
      return 'This alert does not belong to this channel.';
  }
}
