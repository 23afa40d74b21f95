import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackApp } from '../../handlers/app.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDbLedger } from '../../src/adapters/duckdb/duckdb-ledger.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { MemoryRecommendationStore } from '../../src/adapters/memory/memory-recommendations.js';
import { SlackWebChat } from '../../src/adapters/slack/web-chat.js';
import type { QueryAnswer } from '../../src/app/answer-query.js';
import type { Recommendation } from '../../src/domain/analysis.js';
import type { RecommendationEvent } from '../../src/domain/ledger.js';
import {
  recommendationCardActions,
  recommendationViewInputs as ids,
  recommendationViews,
} from '../../src/slack-ids.js';
import { hookUrl, listen, postSigned, testSecret, type Receiver } from '../helpers/slack.js';

// Card buttons and modals through the real receiver: signed `payload=` form bodies, nock on the
// Web API, the DuckDB ledger underneath.

const owner = 'U0OWNER';
const stranger = 'U0OTHER';
const team = 'T0001';
const channel = 'C0001';
const messageTs = '1700000000.000100';

const rec = (id: string): Recommendation => ({
  id,
  kind: 'partition_table',
  target: 'acme.sales.orders',
  monthlySavingsUsd: 100,
  confidence: 'high',
  summary: 'Partition acme.sales.orders',
  evidence: null,
  fix: null,
});

let warehouse: DuckDbWarehouse;
let connection: DuckDBConnection;
let ledger: DuckDbLedger;
const store = new MemoryRecommendationStore([
  { recommendation: rec('rec_1'), teamId: team, channelId: channel, ownerSlackIds: [owner] },
  {
    recommendation: rec('rec_elsewhere'),
    teamId: team,
    channelId: 'C0OTHER',
    ownerSlackIds: [owner],
  },
  {
    recommendation: rec('rec_other_team'),
    teamId: 'T0OTHER',
    channelId: channel,
    ownerSlackIds: [owner],
  },
]);

beforeAll(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  connection = await warehouse.connect();
  ledger = await DuckDbLedger.open(connection);
});
afterAll(async () => {
  await warehouse.close();
});

let secret: string;
let receiver: Receiver | undefined;
let errors: unknown[];
let audit: Record<string, unknown>[];
/** Web API calls seen by nock: method → form bodies. */
let calls: Record<string, Record<string, string>[]>;

async function start(options: { admins?: string[]; emailBudgetMs?: number } = {}): Promise<void> {
  await receiver?.close();
  const app = createSlackApp({
    signingSecret: secret,
    botToken: 'test-bot-token',
    chat: new SlackWebChat('test-bot-token', { retryConfig: { retries: 0 } }),
    answer: () => Promise.reject(new Error('unused')) as Promise<QueryAnswer>,
    onError: (error) => errors.push(error),
    recommendations: {
      store,
      ledger,
      admins: options.admins ?? [],
      audit: (entry) => audit.push(entry),
      sleep: () => Promise.resolve(),
      ...(options.emailBudgetMs === undefined ? {} : { emailBudgetMs: options.emailBudgetMs }),
    },
  });
  receiver = await listen(app.requestListener);
}

function slackApi(method: string, status = 200, times = 1): nock.Scope {
  // Recorded when nock plays the reply back: the requests this interceptor really answered.
  const scope = nock('https://slack.com')
    .post(`/api/${method}`)
    .times(times)
    .reply(status, status === 200 ? { ok: true } : 'oops');
  scope.on('request', (_req: unknown, _interceptor: unknown, body: string) => {
    (calls[method] ??= []).push(Object.fromEntries(new URLSearchParams(body)));
  });
  return scope;
}

beforeEach(async () => {
  secret = testSecret();
  errors = [];
  audit = [];
  calls = {};
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
  await connection.run('DELETE FROM recommendation_events');
  // The ledger caches what it wrote (one writer, append-only): after a DELETE, a fresh one.
  ledger = await DuckDbLedger.open(connection);
  await start();
});

/** users.info for the clicker's email (recorded as actorEmail); persistent unless replaced. */
function usersInfo(): nock.Scope {
  return nock('https://slack.com')
    .persist()
    .post('/api/users.info')
    .reply(200, { ok: true, user: { id: owner, profile: { email: 'owner@acme.example' } } });
}
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});

async function events(): Promise<RecommendationEvent[]> {
  const reader = await connection.runAndReadAll(
    'SELECT count(*)::INTEGER AS n FROM recommendation_events',
  );
  const raw = Number(reader.getRows()[0]?.[0]);
  const unique = await ledger.eventsFor(['rec_1', 'rec_elsewhere', 'rec_other_team']);
  expect(raw).toBe(unique.length);
  return unique;
}

function click(actionId: string, options: { user?: string; recId?: string; teamId?: string } = {}) {
  const payload = {
    type: 'block_actions',
    team: { id: options.teamId ?? team, domain: 'acme' },
    user: { id: options.user ?? owner, username: 'ana', team_id: options.teamId ?? team },
    api_app_id: 'A0001',
    token: 'legacy-unused',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: '111.222.333',
    channel: { id: channel, name: 'data' },
    message: { type: 'message', ts: messageTs, text: 'card' },
    response_url: hookUrl,
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'actions',
        value: options.recId ?? 'rec_1',
        action_ts: '1700000001.000200',
        text: { type: 'plain_text', text: 'x' },
      },
    ],
  };
  return postSigned(
    receiver!.url,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    {
      secret,
    },
  );
}

function submit(callbackId: string, values: Record<string, Record<string, unknown>>, user = owner) {
  const payload = {
    type: 'view_submission',
    team: { id: team, domain: 'acme' },
    user: { id: user, username: 'ana', team_id: team },
    api_app_id: 'A0001',
    token: 'legacy-unused',
    trigger_id: '444.555.666',
    view: {
      id: 'V0001',
      type: 'modal',
      team_id: team,
      callback_id: callbackId,
      private_metadata: JSON.stringify({
        recommendationId: 'rec_1',
        channelId: channel,
        messageTs,
      }),
      state: { values },
      hash: 'h',
      app_id: 'A0001',
      bot_id: 'B0001',
      blocks: [],
      title: { type: 'plain_text', text: 't' },
    },
  };
  return postSigned(
    receiver!.url,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    {
      secret,
    },
  );
}

const snoozeValues = (choice: string | null, date: string | null = null, reason = 'busy') => ({
  [ids.snoozeFor.block]: {
    [ids.snoozeFor.action]: {
      type: 'radio_buttons',
      selected_option:
        choice === null ? null : { value: choice, text: { type: 'plain_text', text: choice } },
    },
  },
  [ids.snoozeUntil.block]: {
    [ids.snoozeUntil.action]: { type: 'datepicker', selected_date: date },
  },
  [ids.snoozeReason.block]: {
    [ids.snoozeReason.action]: { type: 'plain_text_input', value: reason },
  },
});

describe('Accept', () => {
  beforeEach(() => {
    usersInfo();
  });

  it('records one event, updates the card in place and confirms ephemerally', async () => {
    const update = slackApi('chat.update');
    const ephemeral = slackApi('chat.postEphemeral');
    const res = await click(recommendationCardActions.accept);
    expect(res.status).toBe(200);
    const recorded = await events();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      action: 'accepted',
      actorSlackId: owner,
      teamId: team,
      channelId: channel,
      messageTs,
      actorEmail: 'owner@acme.example',
    });
    expect(update.isDone() && ephemeral.isDone()).toBe(true);
    expect(calls['chat.update']![0]).toMatchObject({ channel, ts: messageTs });
    expect(calls['chat.update']![0]!.blocks).toContain('Accepted by <@U0OWNER>');
    expect(calls['chat.postEphemeral']![0]).toMatchObject({ channel, user: owner });
    expect(calls['chat.postEphemeral']![0]!.text).toContain('accepted');
    expect(errors).toEqual([]);
  });

  it('the same click delivered twice records one event', async () => {
    slackApi('chat.update');
    slackApi('chat.postEphemeral', 200, 2);
    await click(recommendationCardActions.accept);
    await click(recommendationCardActions.accept);
    expect(await events()).toHaveLength(1);
    expect(calls['chat.update']).toHaveLength(1);
    expect(calls['chat.postEphemeral']!.some((c) => c.text!.includes('Nothing to do'))).toBe(true);
  });

  it('10 concurrent identical clicks record one event', async () => {
    // One update allowed: a second would find no interceptor and land in `errors`.
    const update = slackApi('chat.update');
    const ephemeral = slackApi('chat.postEphemeral', 200, 10);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => click(recommendationCardActions.accept)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await events()).toHaveLength(1);
    expect(update.isDone() && ephemeral.isDone()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('Slack 500 on chat.update: the event stays recorded once and the clicker is told', async () => {
    const update = slackApi('chat.update', 500);
    const ephemeral = slackApi('chat.postEphemeral');
    await click(recommendationCardActions.accept);
    expect(update.isDone() && ephemeral.isDone()).toBe(true);
    expect(await events()).toHaveLength(1);
    expect(calls['chat.postEphemeral']![0]!.text).toContain('could not be refreshed');
    expect(errors).toHaveLength(1);
  });
});

describe('who may act', () => {
  it('a user who is neither owner nor admin gets "not allowed", no event, a logged attempt', async () => {
    const ephemeral = slackApi('chat.postEphemeral');
    await click(recommendationCardActions.accept, { user: stranger });
    expect(ephemeral.isDone()).toBe(true);
    expect(calls['chat.postEphemeral']![0]).toMatchObject({ user: stranger });
    expect(calls['chat.postEphemeral']![0]!.text).toContain('not allowed');
    expect(await events()).toHaveLength(0);
    expect(audit).toEqual([expect.objectContaining({ reason: 'not_allowed', userId: stranger })]);
  });

  it.each([
    ['another channel', { recId: 'rec_elsewhere' }],
    ['another team', { recId: 'rec_other_team' }],
    ['an unknown id', { recId: 'rec_nope' }],
  ])('refuses a recommendation from %s', async (_what, options) => {
    slackApi('chat.postEphemeral');
    await click(recommendationCardActions.accept, options);
    expect(await events()).toHaveLength(0);
    expect(calls['chat.update']).toBeUndefined();
    expect(calls['chat.postEphemeral']).toHaveLength(1);
    expect(audit[0]!.event).toBe('recommendation_ack_refused');
  });

  it('a stranger clicking Snooze gets no modal', async () => {
    slackApi('chat.postEphemeral');
    await click(recommendationCardActions.snooze, { user: stranger });
    expect(calls['views.open']).toBeUndefined();
    expect(calls['chat.postEphemeral']![0]!.text).toContain('not allowed');
  });
});

describe('Snooze', () => {
  beforeEach(() => {
    usersInfo();
  });

  it('opens the modal with the card carried in private_metadata', async () => {
    const open = slackApi('views.open');
    await click(recommendationCardActions.snooze);
    expect(open.isDone()).toBe(true);
    expect(calls['views.open']![0]!.trigger_id).toBe('111.222.333');
    const view = JSON.parse(calls['views.open']![0]!.view!) as Record<string, string>;
    expect(view.callback_id).toBe(recommendationViews.snooze);
    expect(JSON.parse(view.private_metadata!)).toEqual({
      recommendationId: 'rec_1',
      channelId: channel,
      messageTs,
    });
    expect(await events()).toHaveLength(0);
  });

  it('a 7-day submission records a snoozed event with its end, updates the card', async () => {
    slackApi('chat.update');
    slackApi('chat.postEphemeral');
    const res = await submit(recommendationViews.snooze, snoozeValues('7d'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const [event] = await events();
    expect(event).toMatchObject({
      action: 'snoozed',
      reason: { code: null, text: 'busy' },
      actorEmail: 'owner@acme.example',
    });
    const days = (event!.snoozeUntil!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
    expect(calls['chat.update']![0]!.blocks).toContain('Snoozed');
    expect(calls['chat.postEphemeral']![0]!.text).toContain('snoozed until');
  });

  it('until a date: snoozes to that day', async () => {
    slackApi('chat.update');
    slackApi('chat.postEphemeral');
    const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    await submit(recommendationViews.snooze, snoozeValues('until', day));
    const [event] = await events();
    expect(event!.snoozeUntil!.toISOString()).toBe(`${day}T00:00:00.000Z`);
  });

  it.each([
    ['a past date', 'until', '2000-01-01', ids.snoozeUntil.block],
    ['no date', 'until', null, ids.snoozeUntil.block],
    ['a date too far out', 'until', '2999-01-01', ids.snoozeUntil.block],
    ['no choice', null, null, ids.snoozeFor.block],
  ])('%s: field errors, no event, no Web API call', async (_what, choice, date, block) => {
    const res = await submit(recommendationViews.snooze, snoozeValues(choice, date));
    expect(res.status).toBe(200);
    const body = res.json as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors)).toEqual([block]);
    expect(await events()).toHaveLength(0);
    expect(calls).toEqual({});
  });
});

describe('Dismiss', () => {
  beforeEach(() => {
    usersInfo();
  });

  const dismissValues = (code: string | null, text: string | null) => ({
    [ids.dismissReason.block]: {
      [ids.dismissReason.action]: {
        type: 'radio_buttons',
        selected_option:
          code === null ? null : { value: code, text: { type: 'plain_text', text: code } },
      },
    },
    [ids.dismissText.block]: {
      [ids.dismissText.action]: { type: 'plain_text_input', value: text },
    },
  });

  it('opens its modal', async () => {
    slackApi('views.open');
    await click(recommendationCardActions.dismiss);
    const view = JSON.parse(calls['views.open']![0]!.view!) as Record<string, string>;
    expect(view.callback_id).toBe(recommendationViews.dismiss);
  });

  it('with a reason and text: records a dismissed event', async () => {
    slackApi('chat.update');
    slackApi('chat.postEphemeral');
    await submit(recommendationViews.dismiss, dismissValues('false_positive', 'table is tiny'));
    const [event] = await events();
    expect(event).toMatchObject({
      action: 'dismissed',
      reason: { code: 'false_positive', text: 'table is tiny' },
    });
    expect(calls['chat.update']![0]!.blocks).toContain('Dismissed');
  });

  it('an unknown reason: field error, no event', async () => {
    const res = await submit(recommendationViews.dismiss, dismissValues('because', null));
    expect((res.json as { response_action: string }).response_action).toBe('errors');
    expect(await events()).toHaveLength(0);
  });

  it('a stranger submitting is refused', async () => {
    slackApi('chat.postEphemeral');
    await submit(recommendationViews.dismiss, dismissValues('not_worth_it', null), stranger);
    expect(await events()).toHaveLength(0);
    expect(calls['chat.postEphemeral']![0]!.text).toContain('not allowed');
  });
});

describe("the clicker's email (actorEmail)", () => {
  it('users.info failing: the click is recorded with a null email and the error reported', async () => {
    const info = nock('https://slack.com').post('/api/users.info').reply(500, 'down');
    slackApi('chat.update');
    slackApi('chat.postEphemeral');
    const res = await click(recommendationCardActions.accept);
    expect(res.status).toBe(200);
    expect(info.isDone()).toBe(true);
    const [event] = await events();
    expect(event).toMatchObject({ action: 'accepted', actorEmail: null });
    expect(errors).toEqual([expect.objectContaining({ code: 'slack.http_error' })]);
  });

  it('users.info slower than the budget: recorded with null, the click answered in time', async () => {
    await start({ emailBudgetMs: 50 });
    nock('https://slack.com')
      .post('/api/users.info')
      .delay(1500)
      .reply(200, { ok: true, user: { id: owner, profile: { email: 'late@acme.example' } } });
    slackApi('chat.update');
    slackApi('chat.postEphemeral');
    const started = Date.now();
    const res = await click(recommendationCardActions.accept);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    const [event] = await events();
    expect(event).toMatchObject({ action: 'accepted', actorEmail: null });
  });
});

describe('admins by user group', () => {
  const members = (status: number, users: string[] = []) =>
    nock('https://slack.com')
      .post('/api/usergroups.users.list')
      .reply(status, status === 200 ? { ok: true, users } : 'down');

  it('a member of an admin group may act (the group read once per TTL)', async () => {
    await start({ admins: ['U0SOMEONE', 'S0ADMINS'] });
    usersInfo();
    const group = members(200, [stranger]);
    slackApi('chat.update');
    slackApi('chat.postEphemeral');
    await click(recommendationCardActions.accept, { user: stranger });
    expect(group.isDone()).toBe(true);
    expect(await events()).toEqual([expect.objectContaining({ actorSlackId: stranger })]);
  });

  it('a non-member is refused, audited', async () => {
    await start({ admins: ['S0ADMINS'] });
    members(200, ['U0SOMEONE']);
    slackApi('chat.postEphemeral');
    await click(recommendationCardActions.accept, { user: stranger });
    expect(await events()).toHaveLength(0);
    expect(calls['chat.postEphemeral']![0]!.text).toContain('not allowed');
    expect(audit).toEqual([expect.objectContaining({ reason: 'not_allowed', userId: stranger })]);
  });

  it('owners never need the group lookup', async () => {
    await start({ admins: ['S0ADMINS'] });
    usersInfo();
    const group = members(200, []);
    slackApi('chat.update');
    slackApi('chat.postEphemeral');
    await click(recommendationCardActions.accept);
    expect(group.isDone()).toBe(false);
    expect(await events()).toHaveLength(1);
  });

  it('the group cannot be read: denied with "try again", audited, the error reported', async () => {
    await start({ admins: ['S0ADMINS'] });
    members(500);
    slackApi('chat.postEphemeral');
    await click(recommendationCardActions.accept, { user: stranger });
    expect(await events()).toHaveLength(0);
    expect(calls['chat.postEphemeral']![0]!.text).toContain('could not check');
    expect(audit).toEqual([
      expect.objectContaining({ reason: 'check_failed', error: 'slack.http_error' }),
    ]);
    expect(errors).toHaveLength(1);
  });
});
