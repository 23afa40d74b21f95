import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackApp } from '../../handlers/app.js';
import { MemoryRecommendationStore } from '../../src/adapters/memory/memory-recommendations.js';
import { SlackWebChat } from '../../src/adapters/slack/web-chat.js';
import { answerQuery, type AnswerQueryDeps, type CostQuery } from '../../src/app/answer-query.js';
import type { Recommendation, RecommendationKind } from '../../src/domain/analysis.js';
import type { StoredRecommendation } from '../../src/ports/recommendations.js';
import { ackEvent } from '../fixtures/ack-events.js';
import { MemoryLedger } from '../helpers/memory-ledger.js';
import {
  blockText,
  ephemeralCommand,
  listen,
  testSecret,
  type Receiver,
} from '../helpers/slack.js';

// `/bqcost recs [kind] [mine]`: `mine` reads the stored recommendations (owner routing) the caller
// owns in their team, leaving out the ones already acted on (ledger state).

const me = 'U0001'; // the caller in commandBody
const team = 'T0001';
const now = new Date('2026-11-28T12:00:00Z');

const stored = (
  id: string,
  overrides: Partial<StoredRecommendation> & { kind?: RecommendationKind; usd?: number } = {},
): StoredRecommendation => {
  const recommendation: Recommendation = {
    id,
    kind: overrides.kind ?? 'partition_table',
    target: `acme.sales.${id}`,
    monthlySavingsUsd: overrides.usd ?? 10,
    confidence: 'high',
    summary: `Partition <${id}>`,
    evidence: null,
    fix: null,
  };
  return {
    recommendation,
    teamId: overrides.teamId ?? team,
    channelId: overrides.channelId ?? 'C0DATA',
    ownerSlackIds: overrides.ownerSlackIds ?? [me],
  };
};

let ledger: MemoryLedger;
let secret: string;
let receiver: Receiver | undefined;
let errors: unknown[];

async function start(withStore: boolean): Promise<void> {
  const store = new MemoryRecommendationStore([
    stored('open_big', { usd: 300 }),
    stored('open_small', { usd: 5 }),
    stored('accepted_one', { usd: 200 }),
    stored('snoozed_one', { usd: 100 }),
    stored('storage_one', { kind: 'storage_billing_model', usd: 50 }),
    stored('not_mine', { ownerSlackIds: ['U0OTHER'], usd: 1000 }),
    stored('other_team', { teamId: 'T0OTHER', usd: 1000 }),
  ]);
  ledger = new MemoryLedger();
  ledger.rows.push(
    ackEvent({ recommendationId: 'accepted_one', action: 'accepted', actorSlackId: me }),
    ackEvent({
      recommendationId: 'snoozed_one',
      action: 'snoozed',
      snoozeUntil: new Date('2026-12-08T00:00:00Z'),
      reason: { code: null, text: 'busy' },
    }),
  );
  // Only the store part of the use case runs for `recs mine`: no warehouse is needed.
  const deps = {
    clock: { now: () => now },
    ...(withStore ? { recommendations: store, ledger } : {}),
  } as unknown as AnswerQueryDeps;
  const app = createSlackApp({
    signingSecret: secret,
    botToken: 'test-bot-token',
    chat: new SlackWebChat('test-bot-token'),
    answer: (query: CostQuery) => answerQuery(deps, query),
    onError: (error) => errors.push(error),
  });
  receiver = await listen(app.requestListener);
}

beforeEach(() => {
  secret = testSecret();
  errors = [];
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('/bqcost recs mine', () => {
  it('lists what the caller owns in this team, open or snoozed, largest first', async () => {
    await start(true);
    const reply = await ephemeralCommand(receiver!.url, secret, 'recs mine');
    expect(reply.blocks![0]!.text!.text).toBe('Your recommendations');
    expect(reply.text).toBe('Your recommendations (4)');
    const body = blockText(reply);
    const order = ['open_big', 'snoozed_one', 'storage_one', 'open_small'].map((id) =>
      body.indexOf(`\`${id}\``),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(body).toContain('snoozed until 2026-12-08');
    expect(body).toContain('card in <#C0DATA>');
    expect(body).toContain('Partition &lt;open_big&gt;');
    for (const hidden of ['accepted_one', 'not_mine', 'other_team'])
      expect(body).not.toContain(hidden);
    expect(errors).toEqual([]);
  });

  it.each(['recs storage_billing_model mine', 'recs mine storage_billing_model'])(
    '%s filters one kind',
    async (text) => {
      await start(true);
      const reply = await ephemeralCommand(receiver!.url, secret, text);
      expect(reply.text).toBe('Your recommendations: storage_billing_model (1)');
      expect(blockText(reply)).toContain('storage_one');
    },
  );

  it('says so when nothing is owned', async () => {
    await start(true);
    const reply = await ephemeralCommand(receiver!.url, secret, 'recs cluster_table mine');
    expect(blockText(reply)).toContain('Nothing open that you own');
  });

  it('without a recommendation store: a helpful answer, the error reported', async () => {
    await start(false);
    const reply = await ephemeralCommand(receiver!.url, secret, 'recs mine');
    expect(blockText(reply)).toContain('`recs mine` needs the recommendation store');
    expect(errors).toEqual([expect.objectContaining({ code: 'recs.no_store' })]);
  });
});
