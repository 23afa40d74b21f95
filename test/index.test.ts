// Every Cloud Functions entry point through functions-framework's own test server, the way the
// deployed functions receive requests: the Slack receiver gets signed HTTP requests (the body as
// Slack sends it, verified byte for byte), the workers get the push bodies Pub/Sub sends, which
// functions-framework turns into CloudEvents. Behind them the real runtime (src/runtime.ts) on
// the embedded warehouse, seeded with a small demo organisation; Slack's Web API through nock.
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../src/adapters/duckdb/duckdb-warehouse.js';
import { MemoryBus } from '../src/adapters/memory/memory-bus.js';
import { SlackWebChat } from '../src/adapters/slack/web-chat.js';
import { writeDemoExports } from '../src/app/demo-export-writer.js';
import { loadExports } from '../src/cli/load.js';
import { loadConfig } from '../src/config.js';
import { functionNames, topics, type TopicId } from '../src/domain/topology.js';
import { configureRuntime } from '../src/index.js';
import { createLogger } from '../src/logger.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { tempDir } from './fixtures/builders.js';
import { commandBody, postSigned, testSecret } from './helpers/slack.js';

const secret = testSecret();
const end = new Date('2026-11-20T00:00:00Z');
const logLines: Record<string, unknown>[] = [];
let runtime: Runtime;
let bus: MemoryBus;
let warehouse: DuckDbWarehouse;
const servers = new Map<string, { server: Server; port: number }>();

beforeAll(async () => {
  const dir = tempDir('bqcost-entry-');
  await writeDemoExports(join(dir, 'demo'), { seed: 7, days: 40, jobsPerDay: 120, end });
  warehouse = await DuckDbWarehouse.open(join(dir, 'bqcost.duckdb'));
  await loadExports(warehouse, join(dir, 'demo'), { strict: false, quiet: true });
  const config = loadConfig({
    BQCOST_DB: join(dir, 'bqcost.duckdb'),
    SLACK_SIGNING_SECRET: secret,
    SLACK_BOT_TOKEN: 'entry-points-bot-token',
    SLACK_TEAM_ID: 'T0ACME',
    BQCOST_ROUTING_FILE: fileURLToPath(new URL('../config/routing.demo.json', import.meta.url)),
    BQCOST_ONCALL_CHANNEL: 'C0ONCALL00',
  });
  bus = new MemoryBus();
  runtime = await createRuntime({
    config,
    bus,
    duckdb: warehouse,
    chat: new SlackWebChat(config.SLACK_BOT_TOKEN!, { sleep: () => Promise.resolve() }),
    // As deployed: a /bqcost answer that is not ready at once goes to the notifier.
    deferSlowAnswers: true,
    answerBudgetMs: 0,
    logger: createLogger({
      level: 'info',
      destination: { write: (line: string) => logLines.push(JSON.parse(line)) },
      secrets: [config.SLACK_BOT_TOKEN, secret],
    }),
  });
  configureRuntime(() => Promise.resolve(runtime));
  for (const name of Object.values(functionNames)) {
    const server = getTestServer(name);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.set(name, { server, port: (server.address() as AddressInfo).port });
  }
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
}, 120_000);

afterAll(async () => {
  for (const { server } of servers.values()) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await runtime.close();
  await warehouse.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

beforeEach(() => {
  // Owner routing resolves the routing file's emails (answers are cached per email).
  nock('https://slack.com')
    .persist()
    .post('/api/users.lookupByEmail')
    .reply(200, { ok: true, user: { id: 'U0OWNER01' } });
});

afterEach(() => {
  nock.cleanAll();
});

let messageId = 0;
/** What Pub/Sub pushes to a function's URL (the subscription bqcost owns, see infra/). */
function push(name: string, topic: TopicId, data: unknown): Promise<number> {
  const body = JSON.stringify({
    message: {
      data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'),
      attributes: {
        key: typeof data === 'object' && data ? String((data as { key: string }).key) : '',
      },
      messageId: String(++messageId),
      publishTime: new Date().toISOString(),
    },
    subscription: `projects/acme/subscriptions/${topic}-${name}`,
  });
  const { port } = servers.get(name)!;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/projects/acme/topics/${topic}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const now = () => new Date().toISOString();

function slackPosts(): { scope: nock.Scope; bodies: Record<string, unknown>[] } {
  const bodies: Record<string, unknown>[] = [];
  const scope = nock('https://slack.com')
    .persist()
    .post('/api/chat.postMessage', (body: Record<string, unknown>) => {
      bodies.push(body);
      return true;
    })
    .reply(200, { ok: true, ts: '1700000000.000100', channel: 'C0' });
  return { scope, bodies };
}

describe('slack (HTTP)', () => {
  it('verifies the exact raw body functions-framework received: emoji, + and %20 intact', async () => {
    const url = `http://127.0.0.1:${servers.get('slack')!.port}/slack/events`;
    const body = commandBody('help 🚀 a+b%20c');
    expect(body).toContain('%F0%9F%9A%80');
    const ok = await postSigned(url, body, { secret });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('/bqcost summary');
    const forged = await postSigned(url, body, { secret: testSecret() });
    expect(forged.status).toBe(401);
    const stale = await postSigned(url, body, {
      secret,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(stale.status).toBe(401);
  });
});

describe('analysisWorker (Pub/Sub)', () => {
  const request = {
    v: 1,
    type: 'analysis.request',
    key: 'test-analysis-1',
    publishedAt: now(),
    scope: 'org',
    windowEnd: end.toISOString(),
    windowDays: 30,
  };

  it('stores the run and publishes cards and alerts; a redelivery stores and publishes nothing new', async () => {
    expect(await push('analysisWorker', topics.analysisRequests, request)).toBe(204);
    const stored = await runtime.stores.recommendations.list({ limit: 1000 });
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((s) => s.teamId === 'T0ACME' && s.channelId.startsWith('C0'))).toBe(true);
    const cards = bus.undelivered(topics.notifications);
    expect(cards).toBeGreaterThan(0);
    const processed = logLines.filter((l) => l.outcome === 'processed').length;

    expect(await push('analysisWorker', topics.analysisRequests, request)).toBe(204);
    expect(bus.undelivered(topics.notifications)).toBe(cards);
    expect(logLines.filter((l) => l.outcome === 'duplicate')).toHaveLength(1);
    expect(logLines.filter((l) => l.outcome === 'processed')).toHaveLength(processed);
  });

  it('acknowledges a poison message (not JSON) and logs it, instead of retrying it forever', async () => {
    expect(await push('analysisWorker', topics.analysisRequests, 'not json {')).toBe(204);
    const dropped = logLines.filter((l) => l.outcome === 'dropped');
    expect(dropped.length).toBeGreaterThan(0);
  });

  it('acknowledges a message of the wrong schema version', async () => {
    const before = logLines.filter((l) => l.outcome === 'dropped').length;
    expect(
      await push('analysisWorker', topics.analysisRequests, { ...request, v: 2, key: 'v2' }),
    ).toBe(204);
    expect(logLines.filter((l) => l.outcome === 'dropped')).toHaveLength(before + 1);
  });
});

describe('notifier (Pub/Sub)', () => {
  it('posts each card once; the same message delivered again posts nothing', async () => {
    const stored = await runtime.stores.recommendations.list({ channelId: 'C0ANALYTIC' });
    const ids = stored.slice(0, 2).map((s) => s.recommendation.id);
    expect(ids).toHaveLength(2);
    const { bodies } = slackPosts();
    const message = {
      v: 1,
      type: 'notification.cards',
      key: 'test-cards-1',
      publishedAt: now(),
      runId: 'test-analysis-1',
      recommendationIds: ids,
    };
    expect(await push('notifier', topics.notifications, message)).toBe(204);
    expect(bodies).toHaveLength(2);
    expect(bodies.every((b) => b.channel === 'C0ANALYTIC')).toBe(true);
    expect(JSON.stringify(bodies[0]!.blocks)).toContain('rec_accept');
    // The business counter behind the dashboard's "recommendations opened".
    const opened = logLines.filter((l) => l.metric === 'recommendation_opened');
    expect(opened.map((l) => l.recommendationId).sort()).toEqual([...ids].sort());

    // A publisher retry: same key, new message id → one post per card still.
    expect(await push('notifier', topics.notifications, message)).toBe(204);
    // Another message for the same run (a second publish of the same intent with a new key):
    // the posted ledger still holds the cards.
    expect(
      await push('notifier', topics.notifications, { ...message, key: 'test-cards-1-again' }),
    ).toBe(204);
    expect(bodies).toHaveLength(2);
  });

  it('answers 500 when Slack fails, so Pub/Sub redelivers; the redelivery posts', async () => {
    const stored = await runtime.stores.recommendations.list({ channelId: 'C0MARKETNG' });
    const id = stored[0]!.recommendation.id;
    const message = {
      v: 1,
      type: 'notification.cards',
      key: 'test-cards-500',
      publishedAt: now(),
      runId: 'run-500',
      recommendationIds: [id],
    };
    nock('https://slack.com').post('/api/chat.postMessage').times(3).reply(500, 'down');
    expect(await push('notifier', topics.notifications, message)).toBe(500);
    const { bodies } = slackPosts();
    expect(await push('notifier', topics.notifications, message)).toBe(204);
    expect(bodies).toHaveLength(1);
  });
});

describe('digest (Pub/Sub, Cloud Scheduler)', () => {
  it('posts one digest per routed channel, once per day', async () => {
    const { bodies } = slackPosts();
    const tick = {
      v: 1,
      type: 'digest.tick',
      key: 'digest-2026-11-19',
      publishedAt: now(),
      day: '2026-11-19',
    };
    expect(await push('digest', topics.digestTicks, tick)).toBe(204);
    const channels = bodies.map((b) => b.channel);
    expect(new Set(channels).size).toBe(channels.length);
    expect(channels).toContain('C0FINOPS00');
    expect(JSON.stringify(bodies)).toContain('2026-11-19');
    const count = bodies.length;
    expect(await push('digest', topics.digestTicks, { ...tick, key: 'digest-again' })).toBe(204);
    expect(bodies).toHaveLength(count);
  });
});

describe('escalation (Pub/Sub)', () => {
  it('posts an anomaly alert with an Acknowledge button once; a tick before N minutes does nothing', async () => {
    const run = await runtime.stores.recommendations.list({ limit: 1 });
    expect(run.length).toBe(1);
    const anomalies = logLines.flatMap((l) =>
      l.message === 'analysis stored' ? [Number(l.alerts)] : [],
    );
    expect(anomalies[0]).toBeGreaterThan(0);
    const { bodies } = slackPosts();
    // The analysis worker published one escalation.alert per anomaly at or above the threshold.
    const alertCount = bus.undelivered(topics.escalation);
    expect(alertCount).toBe(anomalies[0]);
    const stored = await findAnyAnomaly();
    const alert = {
      v: 1,
      type: 'escalation.alert',
      key: `alert-${stored}`,
      publishedAt: now(),
      anomalyId: stored,
    };
    expect(await push('escalation', topics.escalation, alert)).toBe(204);
    expect(await push('escalation', topics.escalation, { ...alert, key: 'alert-again' })).toBe(204);
    expect(bodies).toHaveLength(1);
    expect(JSON.stringify(bodies[0]!.blocks)).toContain('Acknowledge');
    const tick = { v: 1, type: 'escalation.tick', key: 'tick-1', publishedAt: now() };
    expect(await push('escalation', topics.escalation, tick)).toBe(204);
    expect(bodies).toHaveLength(1);
  });
});

/** An anomaly id the analysis stored (the alert messages on the bus carry them). */
async function findAnyAnomaly(): Promise<string> {
  const received: string[] = [];
  const sub = bus.subscribe(topics.escalation, 'probe', async (delivery) => {
    const message = JSON.parse(Buffer.from(delivery.data).toString('utf8')) as {
      anomalyId?: string;
    };
    if (message.anomalyId) received.push(message.anomalyId);
    return 'processed';
  });
  await bus.drain();
  await sub.close();
  expect(received.length).toBeGreaterThan(0);
  return received[0]!;
}

describe('a slow /bqcost answer (slack → notifier)', () => {
  it('is handed to the notifier before the acknowledgement and answered through response_url', async () => {
    const url = `http://127.0.0.1:${servers.get('slack')!.port}/slack/events`;
    const handedOver: Record<string, unknown>[] = [];
    const probe = bus.subscribe(topics.notifications, 'answer-probe', async (delivery) => {
      const message = JSON.parse(Buffer.from(delivery.data).toString('utf8')) as Record<
        string,
        unknown
      >;
      if (message.type === 'command.answer') handedOver.push(message);
      return 'processed';
    });
    const res = await postSigned(url, commandBody('summary 30d'), { secret });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Working on it');
    await bus.drain();
    await probe.close();
    expect(handedOver).toHaveLength(1);
    expect(handedOver[0]).toMatchObject({
      query: { kind: 'summary', period: '30d' },
      responseUrl: 'https://hooks.slack.com/commands/T0001/1234/abcdef',
    });

    const replies: Record<string, unknown>[] = [];
    nock('https://hooks.slack.com')
      .post('/commands/T0001/1234/abcdef', (body: Record<string, unknown>) => {
        replies.push(body);
        return true;
      })
      .reply(200, 'ok');
    expect(await push('notifier', topics.notifications, handedOver[0])).toBe(204);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(JSON.stringify(replies[0])).toContain('BigQuery spend, 30d');
  });

  it('refuses a hand-over whose response_url is not Slack’s', async () => {
    const before = logLines.filter((l) => l.outcome === 'dropped').length;
    const message = {
      v: 1,
      type: 'command.answer',
      key: 'answer-evil',
      publishedAt: now(),
      query: { kind: 'anomalies' },
      responseUrl: 'https://evil.example/collect',
    };
    expect(await push('notifier', topics.notifications, message)).toBe(204);
    expect(logLines.filter((l) => l.outcome === 'dropped')).toHaveLength(before + 1);
  });
});
