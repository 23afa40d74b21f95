import { describe, expect, it } from 'vitest';
import { anomalyAlertMessage } from '../../../handlers/blocks/anomaly-alert.js';
import type { AlertMessageInput } from '../../../src/app/escalate.js';
import { alertSteps, type AlertStatus } from '../../../src/domain/alerts.js';
import { anomaly } from '../../fixtures/alert-events.js';

const input = (overrides: Partial<AlertMessageInput> = {}): AlertMessageInput => ({
  alertId: 'anom_1',
  anomaly: anomaly(),
  audience: 'team',
  status: 'posted',
  onCallUsergroupId: null,
  acknowledgedBy: null,
  ...overrides,
});

const alertStatuses: AlertStatus[] = ['none', ...alertSteps];
const json = (m: { blocks?: readonly unknown[] }) => JSON.stringify(m.blocks);

describe('anomalyAlertMessage', () => {
  it('states spend, expectation, ratio and severity, with an Acknowledge button', () => {
    const m = anomalyAlertMessage(input());
    expect(json(m)).toContain('spent *$1,800.00* on 2026-11-27, expected $150.00 (12.0× expected)');
    expect(json(m)).toContain('"action_id":"anomaly_ack"');
    expect(json(m)).toContain('"value":"anom_1"');
    expect(m.text).toBe(
      'Cost anomaly (posted): project:acme-prod: $1,800.00 on 2026-11-27 vs $150.00 expected',
    );
  });

  it('mentions the on-call user group in the on-call post, text included', () => {
    const m = anomalyAlertMessage(
      input({ audience: 'oncall', status: 'escalated', onCallUsergroupId: 'S0ONCALL' }),
    );
    expect(m.text.startsWith('<!subteam^S0ONCALL> ')).toBe(true);
    expect(json(m)).toContain('<!subteam^S0ONCALL>');
    expect(anomalyAlertMessage(input({ onCallUsergroupId: '!channel' })).text).not.toContain(
      'subteam',
    );
  });

  it.each(alertStatuses)('offers the button only while the alert is open (%s)', (status) => {
    const open = status === 'posted' || status === 'escalated' || status === 'paged';
    expect(json(anomalyAlertMessage(input({ status }))).includes('anomaly_ack')).toBe(open);
  });

  it('names who acknowledged', () => {
    const m = anomalyAlertMessage(input({ status: 'acknowledged', acknowledgedBy: 'U0ANA' }));
    expect(json(m)).toContain('Acknowledged by <@U0ANA>.');
    expect(m.text.startsWith('Acknowledged')).toBe(true);
  });

  it('escapes data so a scope cannot ping or forge a link', () => {
    const m = anomalyAlertMessage(
      input({ anomaly: anomaly({ scope: 'label:team:<!channel> & <http://x|y>' }) }),
    );
    // Only mrkdwn is parsed (a header is plain_text and shows the scope as typed).
    const mrkdwn = JSON.stringify(
      m.blocks!.filter((b) => (b as { type: string }).type !== 'header'),
    );
    expect(mrkdwn).not.toContain('<!channel>');
    expect(m.text).not.toContain('<!channel>');
    expect(json(m)).toContain('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
  });

  it('says so when the anomaly is no longer stored, instead of inventing numbers', () => {
    const m = anomalyAlertMessage(input({ anomaly: null }));
    expect(json(m)).toContain('no longer stored');
    expect(json(m)).not.toContain('$');
  });
});
