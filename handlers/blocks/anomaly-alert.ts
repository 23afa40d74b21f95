import type { AlertMessageInput } from '../../src/app/escalate.js';
import type { AlertStatus } from '../../src/domain/alerts.js';
import type { ChatMessage } from '../../src/ports/chat.js';
import { anomalyAlertActions } from '../../src/slack-ids.js';
import { context, escapeMrkdwn, header, section, truncate, usd, type Block } from '../blocks.js';

// An anomaly alert as posted to the owning team, then to on-call, and as updated at every step.
// The Acknowledge button's value is the alert id only: the listener reloads the alert and checks
// the click came from one of its channels. The on-call post mentions the user group in the
// fallback text too, since that text is what the notification shows.

const maxButtonValueChars = 2000;
const usergroupId = /^S[A-Z0-9]+$/;

const statusLine: Record<AlertStatus, string> = {
  none: 'Not posted yet.',
  posted: ':hourglass_flowing_sand: Waiting for someone to acknowledge.',
  escalated: ':rotating_light: Not acknowledged in time: escalated to on-call.',
  paged: ':pager: Not acknowledged: on-call has been paged.',
  acknowledged: ':white_check_mark: Acknowledged.',
  resolved: ':heavy_check_mark: Resolved: the anomaly is no longer found.',
};

export function anomalyAlertMessage(input: AlertMessageInput): ChatMessage {
  const { anomaly } = input;
  const scope = anomaly ? anomaly.scope : input.alertId;
  const mention =
    input.onCallUsergroupId && usergroupId.test(input.onCallUsergroupId)
      ? `<!subteam^${input.onCallUsergroupId}> `
      : '';
  const blocks: Block[] = [header(`Cost anomaly: ${truncate(scope, 120)}`)];
  if (input.audience === 'oncall' && input.status !== 'acknowledged') {
    blocks.push(
      section(`${mention}Nobody has acknowledged this cost anomaly in the owning team's channel.`),
    );
  }
  blocks.push(section(anomaly ? facts(input) : 'The anomaly is no longer stored.'));
  const by =
    input.status === 'acknowledged' &&
    input.acknowledgedBy &&
    /^[UW][A-Z0-9]+$/.test(input.acknowledgedBy)
      ? ` by <@${input.acknowledgedBy}>`
      : '';
  blocks.push(
    context(
      `${statusLine[input.status].replace(/\.$/, by ? `${by}.` : '.')} · \`${escapeMrkdwn(input.alertId)}\``,
    ),
  );
  const open =
    input.status === 'posted' || input.status === 'escalated' || input.status === 'paged';
  if (open && input.alertId.length <= maxButtonValueChars) {
    blocks.push({
      type: 'actions',
      block_id: 'anomaly_alert_actions',
      elements: [
        {
          type: 'button',
          action_id: anomalyAlertActions.acknowledge,
          text: { type: 'plain_text', text: 'Acknowledge' },
          style: 'primary',
          value: input.alertId,
        },
      ],
    });
  }
  const summary = escapeMrkdwn(
    anomaly
      ? `${scope}: ${usd(anomaly.usd)} on ${anomaly.day} vs ${usd(anomaly.expectedUsd)} expected`
      : scope,
  );
  const text =
    input.status === 'acknowledged'
      ? `Acknowledged: cost anomaly ${summary}`
      : `${mention}Cost anomaly (${input.status}): ${summary}`;
  return { text: truncate(text, 3000), blocks };
}

function facts(input: AlertMessageInput): string {
  const a = input.anomaly!;
  const ratio = a.expectedUsd > 0 ? ` (${(a.usd / a.expectedUsd).toFixed(1)}× expected)` : '';
  return (
    `*${escapeMrkdwn(a.scope)}* spent *${usd(a.usd)}* on ${escapeMrkdwn(a.day)}, ` +
    `expected ${usd(a.expectedUsd)}${ratio}.\n*Severity:* ${escapeMrkdwn(a.severity)}`
  );
}
