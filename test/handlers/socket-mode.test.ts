import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSlackApp,
  createSocketModeApp,
  type ListenerDeps,
  type SocketModeSlackApp,
} from '../../handlers/app.js';
import { MemoryDedupeStore } from '../../src/adapters/memory/memory-dedupe.js';
import { MemoryRecommendationStore } from '../../src/adapters/memory/memory-recommendations.js';
import { SlackWebChat } from '../../src/adapters/slack/web-chat.js';
import type { CostQuery, MeAnswer, QueryAnswer } from '../../src/app/answer-query.js';
import { AppError } from '../../src/errors.js';
import { recommendationCardActions } from '../../src/slack-ids.js';
import { MemoryLedger } from '../helpers/memory-ledger.js';
import {
  blockText,
  commandBody,
  eventBody,
  hookUrl,
  listen,
  postSigned,
  testSecret,
  type Reply,
} from '../helpers/slack.js';
import { FakeSlackSocket as FakeSlack } from '../helpers/slack-socket.js';

// Socket Mode for real, without Slack: nock answers apps.connections.open with the URL of a
// WebSocket server run here (Slack's side of the socket: hello, envelopes, reading the acks), and
// the app connects to it with @slack/socket-mode's own WebSocket client.

const appToken = 'xapp-1-A0001-test';
const api = 'https://slack.com';
const viewer = 'U0VIEWER';

const meAnswer = (email: string): MeAnswer => ({
  kind: 'me',
  email,
  period: '30d',
  window: { start: new Date('2026-10-29T00:00:00Z'), end: new Date('2026-11-28T00:00:00Z') },
  row: { key: email, onDemandUsd: 120.5, capacityUsd: 0, slotHours: 0, jobs: 42 },
  rank: 3,
  users: 10,
  totalUsd: 1205,
});

let fake: FakeSlack;
let errors: unknown[];
let dedupe: MemoryDedupeStore;
let answered: CostQuery[];
let ledger: MemoryLedger;
let audit: Record<string, unknown>[];
const owner = 'U0OWNER';
const store = new MemoryRecommendationStore([
  {
    recommendation: {
      id: 'rec_1',
      kind: 'partition_table',
      target: 'acme.sales.orders',
      monthlySavingsUsd: 100,
      confidence: 'high',
      summary: 'Partition acme.sales.orders',
      evidence: null,
      fix: null,
    },
    teamId: 'T0001',
    channelId: 'C0001',
    ownerSlackIds: [owner],
  },
]);
let running: SocketModeSlackApp | undefined;

function listenerDeps(): ListenerDeps {
  return {
    chat: new SlackWebChat('test-bot-token', { retryConfig: { retries: 0 } }),
    answer: (q): Promise<QueryAnswer> => {
      answered.push(q);
      return q.kind === 'me'
        ? Promise.resolve(meAnswer(q.email))
        : Promise.reject(new Error('not in this test'));
    },
    onError: (error) => errors.push(error),
    recommendations: {
      store,
      ledger,
      admins: [],
      audit: (entry) => audit.push(entry),
      sleep: () => Promise.resolve(),
    },
    events: { dedupe, clock: { now: () => new Date('2026-11-28T12:00:00Z') } },
  };
}

function connectionsOpen(reply: Record<string, unknown> = { ok: true }): nock.Scope {
  return nock(api, { reqheaders: { authorization: `Bearer ${appToken}` } })
    .post('/api/apps.connections.open')
    .reply(200, { ...reply, ...(reply.ok ? { url: fake.url } : {}) });
}

async function connect(): Promise<SocketModeSlackApp> {
  const opened = connectionsOpen();
  running = createSocketModeApp({ appToken, botToken: 'test-bot-token', ...listenerDeps() });
  await running.start();
  expect(opened.isDone()).toBe(true);
  expect(fake.sockets).toHaveLength(1);
  return running;
}

const slashCommand = (envelopeId: string, text: string) => ({
  envelope_id: envelopeId,
  type: 'slash_commands',
  accepts_response_payload: true,
  payload: {
    ...Object.fromEntries(new URLSearchParams(commandBody(text))),
    is_enterprise_install: 'false',
  },
});

const homeOpened = (envelopeId: string, retry = 0) => ({
  envelope_id: envelopeId,
  type: 'events_api',
  accepts_response_payload: false,
  retry_attempt: retry,
  retry_reason: retry === 0 ? '' : 'timeout',
  payload: JSON.parse(
    eventBody({
      type: 'app_home_opened',
      user: viewer,
      channel: 'D0VIEWER',
      tab: 'home',
      event_ts: '1764331200.000100',
    }),
  ) as Record<string, unknown>,
});

/** A click on a card button, as Socket Mode delivers it (the payload Slack would form-post). */
const cardClick = (envelopeId: string, actionId: string, user: string) => ({
  envelope_id: envelopeId,
  type: 'interactive',
  accepts_response_payload: false,
  payload: {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: user, username: 'ana', team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-unused',
    container: {
      type: 'message',
      message_ts: '1700000000.000100',
      channel_id: 'C0001',
      is_ephemeral: false,
    },
    trigger_id: '111.222.333',
    channel: { id: 'C0001', name: 'data' },
    message: { type: 'message', ts: '1700000000.000100', text: 'card' },
    response_url: hookUrl,
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'actions',
        value: 'rec_1',
        action_ts: '1700000001.000200',
        text: { type: 'plain_text', text: 'Accept' },
      },
    ],
  },
});

function usersInfo(): nock.Scope {
  return nock(api)
    .persist()
    .post('/api/users.info')
    .reply(200, { ok: true, user: { id: viewer, profile: { email: 'viewer@acme.example' } } });
}

function viewsPublish(status = 200): { scope: nock.Scope; views: { user_id: string }[] } {
  const views: { user_id: string }[] = [];
  const scope = nock(api)
    .post('/api/views.publish')
    .reply(status, status === 200 ? { ok: true } : 'down');
  scope.on('request', (_req: unknown, _i: unknown, raw: string) => {
    if (status === 200) views.push({ user_id: new URLSearchParams(raw).get('user_id') ?? '' });
  });
  return { scope, views };
}

beforeEach(async () => {
  errors = [];
  answered = [];
  dedupe = new MemoryDedupeStore();
  ledger = new MemoryLedger();
  audit = [];
  nock.disableNetConnect();
  // The loopback WebSocket (and the HTTP receiver compared against) are real connections.
  nock.enableNetConnect(/^127\.0\.0\.1/);
  fake = await FakeSlack.start();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await fake.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('Socket Mode: the same listeners over a WebSocket', () => {
  it('answers /bqcost help in the ack, exactly as the HTTP receiver answers it', async () => {
    const app = await connect();
    fake.send(slashCommand('env-cmd-1', 'help'));
    const ack = await fake.ackOf('env-cmd-1');
    const reply = ack.payload as Reply;
    for (const sub of ['help', 'summary', 'top users', 'recs', 'anomalies'])
      expect(blockText(reply)).toContain(`/bqcost ${sub}`);

    // The HTTP path, same deps: the same body comes back as the HTTP response.
    const secret = testSecret();
    const http = createSlackApp({
      signingSecret: secret,
      botToken: 'test-bot-token',
      ...listenerDeps(),
    });
    const receiver = await listen(http.requestListener);
    try {
      const res = await postSigned(receiver.url, commandBody('help'), { secret });
      expect(res.status).toBe(200);
      expect(reply).toEqual(res.json);
    } finally {
      await receiver.close();
    }
    expect(app.commands).toEqual(http.commands);
    expect(app.events).toEqual(http.events);
    expect(errors).toEqual([]);
  });

  it('app_home_opened: publishes the home tab, acks the envelope, once per event_id', async () => {
    await connect();
    usersInfo();
    const { scope, views } = viewsPublish();
    fake.send(homeOpened('env-ev-1'));
    const ack = await fake.ackOf('env-ev-1');
    expect(ack.payload).toEqual({});
    expect(scope.isDone()).toBe(true);
    expect(views).toEqual([{ user_id: viewer }]);
    expect(answered).toEqual([{ kind: 'me', email: 'viewer@acme.example', period: '30d' }]);
    expect(dedupe.marks.has('Ev0001')).toBe(true);

    // Slack redelivers the same event_id: acked, nothing published again (no interceptor left).
    fake.send(homeOpened('env-ev-2', 1));
    await fake.ackOf('env-ev-2');
    expect(views).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('a delivery that failed retryably is not acked (Slack redelivers); the redelivery is', async () => {
    await connect();
    usersInfo();
    const failing = viewsPublish(500);
    fake.send(homeOpened('env-ev-1'));
    await fake.until(() => errors.length > 0);
    expect(failing.scope.isDone()).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ code: 'slack.http_error' })]);
    expect(dedupe.marks.has('Ev0001')).toBe(false);

    const { views } = viewsPublish();
    fake.send(homeOpened('env-ev-2', 1));
    await fake.ackOf('env-ev-2');
    expect(views).toHaveLength(1);
    expect(dedupe.marks.has('Ev0001')).toBe(true);
    // Envelopes on one socket are handled in order: env-ev-1 would have been acked by now.
    expect(fake.received.map((m) => m.envelope_id)).toEqual(['env-ev-2']);
  });

  it('a card click (interactive envelope): recorded once, card updated, acked', async () => {
    await connect();
    nock(api)
      .persist()
      .post('/api/users.info')
      .reply(200, { ok: true, user: { id: owner, profile: { email: 'owner@acme.example' } } });
    const update = nock(api).post('/api/chat.update').reply(200, { ok: true });
    const ephemeral = nock(api).post('/api/chat.postEphemeral').reply(200, { ok: true });
    fake.send(cardClick('env-click-1', recommendationCardActions.accept, owner));
    const ack = await fake.ackOf('env-click-1');
    expect(ack.payload).toEqual({});
    expect(update.isDone() && ephemeral.isDone()).toBe(true);
    expect(ledger.rows).toEqual([
      expect.objectContaining({
        recommendationId: 'rec_1',
        action: 'accepted',
        actorSlackId: owner,
        actorEmail: 'owner@acme.example',
      }),
    ]);
    expect(errors).toEqual([]);
  });

  it('a click by someone who may not act is refused and audited, nothing recorded', async () => {
    await connect();
    const ephemeral = nock(api).post('/api/chat.postEphemeral').reply(200, { ok: true });
    fake.send(cardClick('env-click-2', recommendationCardActions.accept, 'U0STRANGER'));
    await fake.ackOf('env-click-2');
    await fake.until(() => ephemeral.isDone());
    expect(ledger.rows).toEqual([]);
    expect(audit).toEqual([
      expect.objectContaining({
        userId: 'U0STRANGER',
        reason: 'not_allowed',
        recommendationId: 'rec_1',
      }),
    ]);
  });

  it('stop() closes the socket with a normal closure and waits for it', async () => {
    const app = await connect();
    await app.stop();
    running = undefined;
    await fake.until(() => fake.closes.length === 1);
    expect(fake.closes).toEqual([1000]);
    // Stopped on purpose: no new connection is asked for (no interceptor would answer it).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.sockets).toHaveLength(1);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('Socket Mode fails closed', () => {
  it.each([
    [undefined, 'SLACK_APP_TOKEN is missing or empty'],
    ['  ', 'SLACK_APP_TOKEN is missing or empty'],
    ['bot-token-not-an-app-token', 'SLACK_APP_TOKEN is not an app-level token (xapp-…)'],
  ])('app token %j is refused before any connection', (token, message) => {
    const open = connectionsOpen();
    const build = () =>
      createSocketModeApp({ appToken: token, botToken: 'test-bot-token', ...listenerDeps() });
    expect(build).toThrow(AppError);
    expect(build).toThrow(message);
    expect(open.isDone()).toBe(false);
  });

  it('a missing bot token is named too', () => {
    expect(() => createSocketModeApp({ appToken: '', botToken: '', ...listenerDeps() })).toThrow(
      'SLACK_APP_TOKEN is missing or empty; SLACK_BOT_TOKEN is missing or empty: Socket Mode will not start',
    );
  });

  it('Slack refusing the app token stops the start, naming SLACK_APP_TOKEN (no retry)', async () => {
    const open = connectionsOpen({ ok: false, error: 'invalid_auth' });
    const app = createSocketModeApp({ appToken, botToken: 'test-bot-token', ...listenerDeps() });
    const started = app.start();
    await expect(started).rejects.toThrow(
      'Slack refused SLACK_APP_TOKEN (invalid_auth): Socket Mode did not start',
    );
    await expect(started).rejects.toMatchObject({ code: 'slack.auth', retryable: false });
    expect(open.isDone()).toBe(true);
    expect(fake.sockets).toHaveLength(0);
  });

  it('no hello from Slack: start gives up after connectTimeoutMs and closes the socket', async () => {
    await fake.close();
    fake = await FakeSlack.start({ hello: false });
    const open = connectionsOpen();
    const app = createSocketModeApp({
      appToken,
      botToken: 'test-bot-token',
      connectTimeoutMs: 300,
      ...listenerDeps(),
    });
    await expect(app.start()).rejects.toMatchObject({
      code: 'slack.unavailable',
      retryable: true,
      message: 'Socket Mode could not connect to Slack (no hello from Slack within 300 ms)',
    });
    expect(open.isDone()).toBe(true);
    expect(fake.sockets).toHaveLength(1);
    await fake.until(() => fake.closes.length === 1);
    expect(fake.closes).toEqual([1000]);
  });

  it('Slack unavailable: three bounded attempts, then a retryable error', async () => {
    const open = nock(api).post('/api/apps.connections.open').times(3).reply(503, 'down');
    const app = createSocketModeApp({ appToken, botToken: 'test-bot-token', ...listenerDeps() });
    await expect(app.start()).rejects.toMatchObject({
      code: 'slack.unavailable',
      retryable: true,
    });
    expect(open.isDone()).toBe(true);
    expect(fake.sockets).toHaveLength(0);
  }, 15_000);
});
