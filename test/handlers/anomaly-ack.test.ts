import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackApp } from '../../handlers/app.js';
import { anomalyAlertMessage } from '../../handlers/blocks/anomaly-alert.js';
import { DuckDbAlertLog } from '../../src/adapters/duckdb/duckdb-alerts.js';
import { PagerDutyPager } from '../../src/adapters/pagerduty/pagerduty-pager.js';
import { SlackWebChat } from '../../src/adapters/slack/web-chat.js';
import type { QueryAnswer } from '../../src/app/answer-query.js';
import { escalationPolicy, type EscalationDeps } from '../../src/app/escalate.js';
import { pagerDutyDedupKey, type AlertStep } from '../../src/domain/alerts.js';
import { anomalyAlertActions } from '../../src/slack-ids.js';
import { alertEvent, anomaly } from '../fixtures/alert-events.js';
import { hookUrl, listen, postSigned, testSecret, type Receiver } from '../helpers/slack.js';

// The Acknowledge button through the real receiver: signed `payload=` bodies, nock for the Web API
// and PagerDuty's Events API, the DuckDB alert log underneath.

const team = 'T0001';
const teamChannel = 'C0TEAM';
const onCallChannel = 'C0ONCALL';
const teamTs = '1700000000.000100';
const onCallTs = '1700000600.000200';
const routingKey = 'R0UTINGKEYTEST000000000000000000';
const t0 = Date.UTC(2026, 10, 28, 9, 0);
const minutes = (n: number) => new Date(t0 + n * 60_000);

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let alerts: DuckDbAlertLog;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  alerts = await DuckDbAlertLog.open(connection);
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

let secret: string;
let receiver: Receiver | undefined;
let errors: unknown[];
let calls: Record<string, Record<string, string>[]>;
let pagerBodies: Record<string, unknown>[];

async function start(): Promise<void> {
  const escalation: EscalationDeps = {
    alerts,
    anomalies: {
      find: (id) =>
        Promise.resolve(
          id === 'anom_1' ? { anomaly: anomaly(), runId: 'run_1', foundAt: minutes(-5) } : null,
        ),
      save: () => Promise.resolve(),
    },
    chat: new SlackWebChat('test-bot-token', { retryConfig: { retries: 0 } }),
    pager: new PagerDutyPager(routingKey, { sleep: () => Promise.resolve() }),
    route: () => Promise.resolve({ channelId: teamChannel }),
    render: anomalyAlertMessage,
    policy: escalationPolicy({
      escalateAfterMin: 30,
      pageAfterMin: 60,
      minSeverity: 'high',
      onCallChannelId: onCallChannel,
      onCallUsergroupId: 'S0ONCALL',
    }),
    clock: { now: () => minutes(70) },
    sleep: () => Promise.resolve(),
  };
  const app = createSlackApp({
    signingSecret: secret,
    botToken: 'test-bot-token',
    chat: escalation.chat,
    answer: () => Promise.reject(new Error('unused')) as Promise<QueryAnswer>,
    onError: (error) => errors.push(error),
    alerts: { escalation },
  });
  receiver = await listen(app.requestListener);
}

function slackApi(method: string, times = 1): nock.Scope {
  const scope = nock('https://slack.com').post(`/api/${method}`).times(times).reply(200, {
    ok: true,
  });
  scope.on('request', (_req: unknown, _interceptor: unknown, body: string) => {
    (calls[method] ??= []).push(Object.fromEntries(new URLSearchParams(body)));
  });
  return scope;
}

function pagerDuty(status: number, times = 1): nock.Scope {
  const scope = nock('https://events.pagerduty.com')
    .post('/v2/enqueue')
    .times(times)
    .reply(status, { status: status === 202 ? 'success' : 'error' });
  scope.on('request', (_req: unknown, _interceptor: unknown, body: string) => {
    pagerBodies.push(JSON.parse(body) as Record<string, unknown>);
  });
  return scope;
}

async function seed(...steps: AlertStep[]): Promise<void> {
  for (const [i, step] of steps.entries()) {
    await alerts.append(
      alertEvent(step, minutes(i * 30), {
        ...(step === 'paged' ? { pagerdutyDedupKey: pagerDutyDedupKey('anom_1') } : {}),
        ...(step === 'posted' ? { channelId: teamChannel, messageTs: teamTs } : {}),
        ...(step === 'escalated' ? { channelId: onCallChannel, messageTs: onCallTs } : {}),
      }),
    );
  }
}

function click(options: { user?: string; channel?: string; alertId?: string } = {}) {
  const channel = options.channel ?? teamChannel;
  const payload = {
    type: 'block_actions',
    team: { id: team, domain: 'acme' },
    user: { id: options.user ?? 'U0ANA', username: 'ana', team_id: team },
    api_app_id: 'A0001',
    token: 'legacy-unused',
    container: { type: 'message', message_ts: teamTs, channel_id: channel, is_ephemeral: false },
    trigger_id: '111.222.333',
    channel: { id: channel, name: 'alerts' },
    message: { type: 'message', ts: teamTs, text: 'alert' },
    response_url: hookUrl,
    actions: [
      {
        type: 'button',
        action_id: anomalyAlertActions.acknowledge,
        block_id: 'anomaly_alert_actions',
        value: options.alertId ?? 'anom_1',
        action_ts: '1700000001.000200',
        text: { type: 'plain_text', text: 'Acknowledge' },
      },
    ],
  };
  return postSigned(
    receiver!.url,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    { secret },
  );
}

const steps = async () => (await alerts.eventsFor(['anom_1'])).map((e) => e.step);

beforeEach(async () => {
  secret = testSecret();
  errors = [];
  calls = {};
  pagerBodies = [];
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
  await connection.run('DELETE FROM alert_events');
  await start();
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('Acknowledge on an anomaly alert', () => {
  it('at posted: records who, updates the alert in place, confirms, pages nobody', async () => {
    await seed('posted');
    const update = slackApi('chat.update');
    const ephemeral = slackApi('chat.postEphemeral');
    const res = await click();
    expect(res.status).toBe(200);
    expect(update.isDone() && ephemeral.isDone()).toBe(true);
    expect(await steps()).toEqual(['posted', 'acknowledged']);
    const acked = (await alerts.eventsFor(['anom_1'])).at(-1)!;
    expect(acked).toMatchObject({ actorSlackId: 'U0ANA', occurredAt: minutes(70) });
    expect(calls['chat.update']![0]).toMatchObject({ channel: teamChannel, ts: teamTs });
    expect(calls['chat.update']![0]!.blocks).toContain('Acknowledged by <@U0ANA>');
    expect(calls['chat.update']![0]!.blocks).not.toContain('anomaly_ack');
    expect(calls['chat.postEphemeral']![0]).toMatchObject({ channel: teamChannel, user: 'U0ANA' });
    expect(calls['chat.postEphemeral']![0]!.text).toContain('escalation is stopped');
    expect(pagerBodies).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('at escalated, from the on-call channel: both messages are updated', async () => {
    await seed('posted', 'escalated');
    slackApi('chat.update', 2);
    slackApi('chat.postEphemeral');
    await click({ channel: onCallChannel, user: 'U0BOB' });
    expect(calls['chat.update']!.map((c) => [c.channel, c.ts])).toEqual([
      [teamChannel, teamTs],
      [onCallChannel, onCallTs],
    ]);
    expect(await steps()).toEqual(['posted', 'escalated', 'acknowledged']);
    expect(pagerBodies).toEqual([]);
  });

  it('at paged: acknowledges the PagerDuty incident by its dedup key', async () => {
    await seed('posted', 'escalated', 'paged');
    const pd = pagerDuty(202);
    slackApi('chat.update', 2);
    slackApi('chat.postEphemeral');
    await click();
    expect(pd.isDone()).toBe(true);
    expect(pagerBodies).toEqual([
      {
        routing_key: routingKey,
        event_action: 'acknowledge',
        dedup_key: pagerDutyDedupKey('anom_1'),
      },
    ]);
    expect(calls['chat.postEphemeral']![0]!.text).toContain('PagerDuty incident is acknowledged');
    expect(await steps()).toEqual(['posted', 'escalated', 'paged', 'acknowledged']);
  });

  it('when PagerDuty keeps failing, the acknowledgement stands and the clicker is told', async () => {
    await seed('posted', 'escalated', 'paged');
    pagerDuty(500, 3);
    slackApi('chat.update', 2);
    slackApi('chat.postEphemeral');
    await click();
    expect(pagerBodies).toHaveLength(3);
    expect(await steps()).toEqual(['posted', 'escalated', 'paged', 'acknowledged']);
    expect(calls['chat.postEphemeral']![0]!.text).toContain('acknowledge the incident there');
  });

  it('a second click answers who acknowledged first and records nothing', async () => {
    await seed('posted');
    slackApi('chat.update');
    slackApi('chat.postEphemeral', 2);
    await click({ user: 'U0ANA' });
    await click({ user: 'U0BOB' });
    expect(await steps()).toEqual(['posted', 'acknowledged']);
    expect(calls['chat.update']).toHaveLength(1);
    expect(calls['chat.postEphemeral']![1]).toMatchObject({ user: 'U0BOB' });
    expect(calls['chat.postEphemeral']![1]!.text).toBe('Already acknowledged by <@U0ANA>.');
  });

  it('refuses a click from a channel the alert was not posted to', async () => {
    await seed('posted');
    slackApi('chat.postEphemeral');
    await click({ channel: 'C0ELSE' });
    expect(await steps()).toEqual(['posted']);
    expect(calls['chat.update']).toBeUndefined();
    expect(calls['chat.postEphemeral']![0]!.text).toContain('does not belong to this channel');
  });

  it('reports a log that cannot be written, and records nothing', async () => {
    await seed('posted');
    slackApi('chat.postEphemeral');
    await connection.run('ALTER TABLE alert_events RENAME TO alert_events_gone');
    try {
      await click();
    } finally {
      await connection.run('ALTER TABLE alert_events_gone RENAME TO alert_events');
    }
    expect(calls['chat.postEphemeral']![0]!.text).toContain('could not be recorded');
    expect(errors).toHaveLength(1);
    expect(await steps()).toEqual(['posted']);
  });
});
