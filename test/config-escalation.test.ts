import { describe, expect, it } from 'vitest';
import { escalationPolicy } from '../src/app/escalate.js';
import { loadConfig } from '../src/config.js';

describe('escalation settings', () => {
  it('default to 30 and 60 minutes, high severity, no on-call channel and no paging', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      BQCOST_ESCALATE_AFTER_MIN: 30,
      BQCOST_PAGE_AFTER_MIN: 60,
      BQCOST_ALERT_MIN_SEVERITY: 'high',
    });
    expect(config.BQCOST_ONCALL_CHANNEL).toBeUndefined();
    expect(config.PAGERDUTY_ROUTING_KEY).toBeUndefined();
  });

  it('read minutes, channel, user group and routing key from the environment', () => {
    const config = loadConfig({
      BQCOST_ESCALATE_AFTER_MIN: '10',
      BQCOST_PAGE_AFTER_MIN: '25',
      BQCOST_ALERT_MIN_SEVERITY: 'medium',
      BQCOST_ONCALL_CHANNEL: 'C0ONCALL',
      BQCOST_ONCALL_USERGROUP: 'S0ONCALL',
      PAGERDUTY_ROUTING_KEY: 'R0UTING',
    });
    expect(
      escalationPolicy({
        escalateAfterMin: config.BQCOST_ESCALATE_AFTER_MIN,
        pageAfterMin: config.BQCOST_PAGE_AFTER_MIN,
        minSeverity: config.BQCOST_ALERT_MIN_SEVERITY,
        onCallChannelId: config.BQCOST_ONCALL_CHANNEL,
        onCallUsergroupId: config.BQCOST_ONCALL_USERGROUP,
      }),
    ).toEqual({
      escalateAfterMs: 600_000,
      pageAfterMs: 1_500_000,
      minSeverity: 'medium',
      onCallChannelId: 'C0ONCALL',
      onCallUsergroupId: 'S0ONCALL',
    });
  });

  it.each([
    ['BQCOST_ESCALATE_AFTER_MIN', '0'],
    ['BQCOST_PAGE_AFTER_MIN', 'soon'],
    ['BQCOST_ALERT_MIN_SEVERITY', 'urgent'],
    ['BQCOST_ONCALL_CHANNEL', '#oncall'],
    ['BQCOST_ONCALL_USERGROUP', '@oncall'],
  ])('refuse %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
