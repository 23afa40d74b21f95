import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackApp } from '../../handlers/app.js';
import { MemoryDedupeStore } from '../../src/adapters/memory/memory-dedupe.js';
import { MemoryRecommendationStore } from '../../src/adapters/memory/memory-recommendations.js';
import { SlackWebChat } from '../../src/adapters/slack/web-chat.js';
import type { CostQuery, MeAnswer, QueryAnswer } from '../../src/app/answer-query.js';
import type { Recommendation } from '../../src/domain/analysis.js';
import type { StoredRecommendation } from '../../src/ports/recommendations.js';
import { ackEvent } from '../fixtures/ack-events.js';
import { MemoryLedger } from '../helpers/memory-ledger.js';
import { eventBody, listen, postEvent, testSecret, type Receiver } from '../helpers/slack.js';

// app_home_opened through the real receiver: signed JSON deliveries, nock on the Web API, the
// memory dedupe store, recommendation store and ledger underneath.

const viewer = 'U0VIEWER';
const team = 'T0001';
const now = new Date('2026-11-28T12:00:00Z');
const api = 'https://slack.com';

const stored = (
  id: string,
  overrides: Partial<StoredRecommendation> & { summary?: string } = {},
): StoredRecommendation => {
  const recommendation: Recommendation = {
    id,
    kind: 'partition_table',
    target: `acme.sales.${id}`,
    monthlySavingsUsd: 40,
    confidence: 'high',
    summary: overrides.summary ?? `Partition ${id}`,
    evidence: null,
    fix: null,
  };
  return {
    recommendation,
    teamId: overrides.teamId ?? team,
    channelId: overrides.channelId ?? 'C0DATA',
    ownerSlackIds: overrides.ownerSlackIds ?? [viewer],
  };
};

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

let secret: string;
let receiver: Receiver | undefined;
let errors: unknown[];
let dedupe: MemoryDedupeStore;
let ledger: MemoryLedger;
let store: MemoryRecommendationStore;
let published: { user_id: string; view: { type: string; blocks: Block[] } }[];
let answered: CostQuery[];

interface Block {
  type: string;
  text?: { text: string };
  elements?: { text: string }[];
}

async function start(
  options: { answer?: (q: CostQuery) => Promise<QueryAnswer>; spendBudgetMs?: number } = {},
): Promise<void> {
  const app = createSlackApp({
    signingSecret: secret,
    botToken: 'test-bot-token',
    chat: new SlackWebChat('test-bot-token', { retryConfig: { retries: 0 } }),
    answer:
      options.answer ??
      ((q) => {
        answered.push(q);
        return q.kind === 'me'
          ? Promise.resolve(meAnswer(q.email))
          : Promise.reject(new Error('unused'));
      }),
    onError: (error) => errors.push(error),
    recommendations: { store, ledger, admins: [] },
    events: {
      dedupe,
      clock: { now: () => now },
      ...(options.spendBudgetMs === undefined ? {} : { spendBudgetMs: options.spendBudgetMs }),
    },
  });
  receiver = await listen(app.requestListener);
}

function usersInfo(email = 'viewer@acme.example'): nock.Scope {
  return nock(api)
    .persist()
    .post('/api/users.info')
    .reply(200, { ok: true, user: { id: viewer, profile: { email } } });
}

function viewsPublish(status = 200, times = 1, body: unknown = { ok: true }): nock.Scope {
  const scope = nock(api)
    .post('/api/views.publish')
    .times(times)
    .reply(status, status === 200 ? (body as Record<string, unknown>) : 'down');
  scope.on('request', (_req: unknown, _i: unknown, raw: string) => {
    const form = new URLSearchParams(raw);
    if (status === 200 && (body as { ok?: boolean }).ok)
      published.push({
        user_id: form.get('user_id') ?? '',
        view: JSON.parse(form.get('view') ?? '{}') as { type: string; blocks: Block[] },
      });
  });
  return scope;
}

const homeOpened = (overrides: Record<string, unknown> = {}, eventId = 'Ev0001') =>
  eventBody(
    {
      type: 'app_home_opened',
      user: viewer,
      channel: 'D0VIEWER',
      tab: 'home',
      event_ts: '1764331200.000100',
      ...overrides,
    },
    { event_id: eventId },
  );

const text = (blocks: Block[]) =>
  blocks.map((b) => b.text?.text ?? (b.elements ?? []).map((e) => e.text).join(' ')).join('\n');

beforeEach(async () => {
  secret = testSecret();
  errors = [];
  published = [];
  answered = [];
  dedupe = new MemoryDedupeStore();
  ledger = new MemoryLedger();
  store = new MemoryRecommendationStore([
    stored('open_one', { summary: 'Partition <!channel> & friends' }),
    stored('snoozed_one'),
    stored('accepted_one'),
    stored('not_mine', { ownerSlackIds: ['U0OTHER'] }),
    stored('other_team', { teamId: 'T0OTHER' }),
  ]);
  ledger.rows.push(
    ackEvent({ recommendationId: 'accepted_one', action: 'accepted' }),
    ackEvent({
      recommendationId: 'snoozed_one',
      action: 'snoozed',
      snoozeUntil: new Date('2026-12-08T00:00:00Z'),
      reason: { code: null, text: 'after <the> freeze' },
    }),
  );
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
  await start();
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('App Home (app_home_opened)', () => {
  it("publishes the viewer's spend, open recommendations and snoozes, escaped", async () => {
    usersInfo();
    const publish = viewsPublish();
    const res = await postEvent(receiver!.url, secret, homeOpened());
    expect(res.status).toBe(200);
    expect(publish.isDone()).toBe(true);
    expect(published).toHaveLength(1);
    const { user_id, view } = published[0]!;
    expect(user_id).toBe(viewer);
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const body = text(view.blocks);
    expect(answered).toEqual([{ kind: 'me', email: 'viewer@acme.example', period: '30d' }]);
    expect(body).toContain('*viewer@acme.example:* $120.50 (10.0% of $1,205.00)');
    expect(body).toContain('*Your open recommendations (1)*');
    expect(body).toContain('Partition &lt;!channel&gt; &amp; friends');
    expect(body).not.toContain('<!channel>');
    expect(body).toContain('card in <#C0DATA>');
    expect(body).toContain('*Your snoozes (1)*');
    expect(body).toContain('Snoozed until 2026-12-08: after &lt;the&gt; freeze');
    for (const hidden of ['accepted_one', 'not_mine', 'other_team'])
      expect(body).not.toContain(hidden);
    expect(dedupe.marks.has('Ev0001')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a retry of a delivery that succeeded publishes nothing more', async () => {
    usersInfo();
    // One interceptor: a second publish would fail (and be reported as an error).
    const publish = viewsPublish();
    const first = await postEvent(receiver!.url, secret, homeOpened());
    const retry = await postEvent(receiver!.url, secret, homeOpened(), 1);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(publish.isDone()).toBe(true);
    expect(published).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('a retry after a failed first attempt is processed: 500 first, then published once', async () => {
    usersInfo();
    const failing = viewsPublish(500);
    const first = await postEvent(receiver!.url, secret, homeOpened());
    expect(failing.isDone()).toBe(true);
    expect(first.status).toBe(500);
    expect(dedupe.marks.has('Ev0001')).toBe(false);
    expect(errors).toEqual([expect.objectContaining({ code: 'slack.http_error' })]);

    viewsPublish();
    const retry = await postEvent(receiver!.url, secret, homeOpened(), 1);
    expect(retry.status).toBe(200);
    expect(published).toHaveLength(1);
    expect(dedupe.marks.has('Ev0001')).toBe(true);

    const again = await postEvent(receiver!.url, secret, homeOpened(), 2);
    expect(again.status).toBe(200);
    expect(published).toHaveLength(1);
  });

  it('a permanent failure is reported and answered 200 (a retry cannot help), not marked', async () => {
    usersInfo();
    viewsPublish(200, 1, { ok: false, error: 'invalid_blocks' });
    const res = await postEvent(receiver!.url, secret, homeOpened());
    expect(res.status).toBe(200);
    expect(errors).toEqual([expect.objectContaining({ code: 'slack.platform_error' })]);
    expect(dedupe.marks.size).toBe(0);
  });

  it('two different events are both handled', async () => {
    usersInfo();
    viewsPublish(200, 2);
    await postEvent(receiver!.url, secret, homeOpened({}, 'Ev0001'));
    await postEvent(receiver!.url, secret, homeOpened({}, 'Ev0002'));
    expect(published).toHaveLength(2);
  });

  it('the Messages tab publishes nothing', async () => {
    const res = await postEvent(receiver!.url, secret, homeOpened({ tab: 'messages' }));
    expect(res.status).toBe(200);
    expect(published).toHaveLength(0);
    expect(errors).toEqual([]);
  });

  it('a slow spend: published at once without it, then again with it', async () => {
    await receiver!.close();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await start({
      spendBudgetMs: 30,
      answer: async (q) => {
        await gate;
        if (q.kind !== 'me') throw new Error('unused');
        return meAnswer(q.email);
      },
    });
    usersInfo();
    const publish = viewsPublish(200, 2);
    const res = await postEvent(receiver!.url, secret, homeOpened());
    expect(res.status).toBe(200);
    expect(published).toHaveLength(1);
    expect(text(published[0]!.view.blocks)).toContain('Still computing');
    release();
    await vi_waitFor(() => published.length === 2);
    expect(publish.isDone()).toBe(true);
    expect(text(published[1]!.view.blocks)).toContain('$120.50');
  });

  it('no email on the profile, the store failing: the tab still publishes and says so', async () => {
    nock(api)
      .post('/api/users.info')
      .reply(200, { ok: true, user: { id: viewer, profile: {} } });
    store.list = () => Promise.reject(new Error('store down'));
    viewsPublish();
    const res = await postEvent(receiver!.url, secret, homeOpened());
    expect(res.status).toBe(200);
    const body = text(published[0]!.view.blocks);
    expect(body).toContain('Slack has no email for you');
    expect(body).toContain('could not be loaded just now');
    expect(errors).toEqual([expect.objectContaining({ message: 'store down' })]);
  });

  it('stays within 100 blocks however many recommendations the viewer owns', async () => {
    for (let i = 0; i < 150; i++) store.put(stored(`bulk_${String(i).padStart(3, '0')}`));
    usersInfo();
    viewsPublish();
    await postEvent(receiver!.url, secret, homeOpened());
    const { blocks } = published[0]!.view;
    expect(blocks.length).toBeLessThanOrEqual(100);
    expect(text(blocks)).toContain('*Your open recommendations (151)*');
    expect(text(blocks)).toContain('and 111 more');
  });

  it('a bad signature is refused before any work', async () => {
    const res = await postEvent(receiver!.url, 'wrong-secret', homeOpened());
    expect(res.status).toBe(401);
    expect(published).toHaveLength(0);
  });

  it('answers the url_verification challenge', async () => {
    const res = await postEvent(
      receiver!.url,
      secret,
      JSON.stringify({ token: 't', challenge: 'abc123', type: 'url_verification' }),
    );
    expect(res.status).toBe(200);
    expect(res.text).toContain('abc123');
  });
});

async function vi_waitFor(done: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
