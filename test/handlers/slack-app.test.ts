import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.js';
import { createSlackApp, type SlackAppDeps } from '../../handlers/app.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { SlackWebChat } from '../../src/adapters/slack/web-chat.js';
import { answerQuery, type CostQuery } from '../../src/app/answer-query.js';
import type { RunAnalysisDeps } from '../../src/app/run-analysis.js';
import { createInspector } from '../../src/cli/compose.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import { isAppError } from '../../src/errors.js';
import { analysisJobs, analysisTables, loadJobs } from '../fixtures/analysis-jobs.js';
import { job } from '../fixtures/builders.js';
import {
  commandBody,
  listen,
  postSigned,
  sign,
  testSecret,
  type Receiver,
  blockText,
  ephemeralCommand,
  type Reply,
} from '../helpers/slack.js';

let warehouse: DuckDbWarehouse;
let deps: RunAnalysisDeps;

beforeAll(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  await loadJobs(
    warehouse,
    [
      ...analysisJobs(),
      job({
        jobId: 'evil',
        projectId: 'proj-c',
        userEmail: 'x<!channel>&y@example.com',
        createdAt: '2026-10-20T10:00:00Z',
        bytesBilled: 2 ** 30,
      }),
      // The same SELECT * over a large table, daily: material for recommendations.
      ...Array.from({ length: 20 }, (_, i) =>
        job({
          jobId: `star${i}`,
          hash: 'hStar',
          createdAt: new Date(Date.UTC(2026, 9, 10 + i, 8)),
          bytesBilled: 2 ** 40,
          query: 'SELECT * FROM `proj-a.sales.orders` ORDER BY order_id',
          tables: ['proj-a.sales.orders'],
        }),
      ),
    ],
    analysisTables(),
  );
  deps = {
    warehouse,
    pricing: resolvePricing('us'),
    inspector: await createInspector(),
    analyzers,
  };
});
afterAll(async () => {
  await warehouse.close();
});

let secret: string;
let receiver: Receiver | undefined;
let errors: unknown[];

async function start(overrides: Partial<SlackAppDeps> = {}): Promise<void> {
  const app = createSlackApp({
    signingSecret: secret,
    botToken: 'test-bot-token',
    chat: new SlackWebChat('test-bot-token'),
    answer: (query: CostQuery) => answerQuery(deps, query),
    onError: (error) => errors.push(error),
    ...overrides,
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

function command(text: string): Promise<Reply> {
  return ephemeralCommand(receiver!.url, secret, text);
}

describe('/bqcost subcommands', () => {
  beforeEach(() => start());

  it.each(['help', ''])('answers %j with the list of subcommands', async (text) => {
    const reply = await command(text);
    const body = blockText(reply);
    for (const sub of ['help', 'summary', 'top users', 'recs', 'anomalies'])
      expect(body).toContain(`/bqcost ${sub}`);
    expect(body).not.toContain('did not understand');
  });

  it('summary 30d: totals, storage and a daily sparkline for the window', async () => {
    const reply = await command('summary 30d');
    const expected = await answerQuery(deps, { kind: 'summary', period: '30d' });
    if (expected.kind !== 'summary') throw new Error('expected a summary');
    const total = expected.onDemandUsd + expected.capacityUsd;
    expect(total).toBeGreaterThan(0);
    expect(reply.blocks![0]!.text!.text).toBe('BigQuery spend, 30d');
    const body = blockText(reply);
    expect(body).toContain(
      `*Total:* $${total.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
    );
    expect(body).toMatch(/\*Daily:\* `[▁▂▃▄▅▆▇█]{30}`/);
    expect(body).toContain('2026-09-30 – 2026-10-29 (UTC)');
  });

  it('summary defaults to 7d and accepts mtd', async () => {
    expect((await command('summary')).blocks![0]!.text!.text).toBe('BigQuery spend, 7d');
    const mtd = await command('SUMMARY mtd');
    expect(mtd.blocks![0]!.text!.text).toBe('BigQuery spend, mtd');
    expect(blockText(mtd)).toContain('2026-10-01 – 2026-10-29 (UTC)');
  });

  it.each([
    ['users', 'ana@example.com'],
    ['projects', 'proj-b'],
    ['queries', 'hA'],
    ['tables', 'proj-a.sales.orders'],
  ])('top %s 30d lists the costliest keys, ranked', async (dimension, key) => {
    const reply = await command(`top ${dimension} 30d`);
    expect(reply.blocks![0]!.text!.text).toBe(`Top ${dimension}, 30d`);
    expect(blockText(reply)).toContain(`\`${key}\``);
  });

  it('top labels answers even when no job has labels', async () => {
    const reply = await command('top labels');
    expect(reply.blocks![0]!.text!.text).toBe('Top labels, 7d');
  });

  it('escapes mrkdwn in data: a user email cannot ping @channel', async () => {
    const body = blockText(await command('top users 30d'));
    expect(body).toContain('x&lt;!channel&gt;&amp;y@example.com');
    expect(body).not.toContain('<!channel>');
  });

  it('recs lists the recommendations of the 30-day analysis; recs <kind> filters', async () => {
    const expected = await answerQuery(deps, { kind: 'recs', recKind: null });
    if (expected.kind !== 'recs') throw new Error('expected recs');
    const reply = await command('recs');
    expect(reply.blocks![0]!.text!.text).toBe('Recommendations');
    expect(expected.total).toBeGreaterThan(0);
    expect(reply.text).toBe(`Recommendations (${expected.total})`);
    expect(blockText(reply)).toContain(expected.recommendations[0]!.target);
    expect(blockText(reply)).toContain('pricing_model ·');
    const filtered = await command('recs sql_antipattern');
    expect(filtered.blocks![0]!.text!.text).toBe('Recommendations: sql_antipattern');
    expect(blockText(filtered)).toContain('sql_antipattern ·');
    expect(blockText(filtered)).not.toContain('pricing_model ·');
  });

  it('anomalies answers with the anomalies of the last 30 days', async () => {
    const expected = await answerQuery(deps, { kind: 'anomalies' });
    if (expected.kind !== 'anomalies') throw new Error('expected anomalies');
    const reply = await command('anomalies');
    expect(reply.blocks![0]!.text!.text).toBe('Cost anomalies');
    expect(reply.text).toBe(`Cost anomalies (${expected.total})`);
    for (const a of expected.anomalies)
      expect(blockText(reply)).toContain(`*${a.day}* \`${a.scope}\``);
  });

  it.each([
    ['frobnicate', 'I do not know that subcommand'],
    ['summary 9y', '`summary` takes 7d, 30d, mtd'],
    ['top', '`top` needs one of users, projects, labels, queries, tables'],
    ['top users forever', 'the period is one of'],
    ['recs nonsense', '`recs` takes at most one kind'],
    ['recs mine mine', '`recs` takes at most one kind'],
    ['anomalies now', '`anomalies` takes no arguments'],
  ])('unknown or malformed %j gets help, not an error', async (text, hint) => {
    const reply = await command(text);
    const body = blockText(reply);
    expect(body).toContain('Sorry, I did not understand');
    expect(body).toContain(hint);
    expect(body).toContain('/bqcost summary [7d|30d|mtd]');
  });

  it('escapes the echoed argument', async () => {
    const body = blockText(await command('<!channel> & <https://evil.example|click>'));
    expect(body).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(body).not.toContain('<!channel>');
  });
});

describe('request verification', () => {
  beforeEach(() => start());

  it('rejects a bad signature with 401', async () => {
    const body = commandBody('help');
    const res = await postSigned(receiver!.url, body, {
      secret,
      signature: sign('another-secret', Math.floor(Date.now() / 1000), body),
    });
    expect(res.status).toBe(401);
  });

  it('rejects a body changed after signing', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const res = await postSigned(receiver!.url, commandBody('summary'), {
      secret,
      timestamp: ts,
      signature: sign(secret, ts, commandBody('help')),
    });
    expect(res.status).toBe(401);
  });

  it.each([
    ['301 s old', -301],
    ['301 s in the future', 301],
  ])('rejects a correctly signed request %s', async (_, offset) => {
    const res = await postSigned(receiver!.url, commandBody('help'), {
      secret,
      timestamp: Math.floor(Date.now() / 1000) + offset,
    });
    expect(res.status).toBe(401);
  });

  it.each([-290, 290])('accepts a timestamp %i s off', async (offset) => {
    const res = await postSigned(receiver!.url, commandBody('help'), {
      secret,
      timestamp: Math.floor(Date.now() / 1000) + offset,
    });
    expect(res.status).toBe(200);
  });

  it('rejects a timestamp that is not a number', async () => {
    const body = commandBody('help');
    const res = await postSigned(receiver!.url, body, {
      secret,
      signature: sign(secret, 0, body),
      timestamp: Number.NaN,
    });
    expect(res.status).toBe(401);
  });

  it('answers an unsigned ssl_check without running any listener', async () => {
    const res = await postSigned(receiver!.url, commandBody('summary', { ssl_check: '1' }), {
      secret,
      signature: 'v0=0000',
    });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('ephemeral');
    expect(res.text).not.toContain('BigQuery spend');
  });

  it('verifies the raw bytes: emoji, `+` and `%20` in the body', async () => {
    const raw = `${commandBody('placeholder')}`.replace(
      'text=placeholder',
      'text=top+users%2030d&note=☕️😀',
    );
    const res = await postSigned(receiver!.url, raw, { secret });
    expect(res.status).toBe(200);
    expect((res.json as Reply).blocks![0]!.text!.text).toBe('Top users, 30d');
  });
});

describe('start-up', () => {
  it.each([
    ['SLACK_SIGNING_SECRET', { signingSecret: '' }],
    ['SLACK_SIGNING_SECRET', { signingSecret: undefined }],
    ['SLACK_BOT_TOKEN', { botToken: '  ' }],
    ['SLACK_BOT_TOKEN', { botToken: undefined }],
  ])('refuses to start without %s', (name, missing) => {
    let thrown: unknown;
    try {
      createSlackApp({
        signingSecret: 'secret',
        botToken: 'test-bot-token',
        chat: new SlackWebChat('test-bot-token'),
        answer: () => Promise.reject(new Error('unused')),
        ...missing,
      });
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(name);
  });
});

describe('slow answers finish through response_url', () => {
  const slow = (query: CostQuery) =>
    new Promise<void>((resolve) => setTimeout(resolve, 50)).then(() => answerQuery(deps, query));

  it('acks at once, then posts the answer to hooks.slack.com', async () => {
    await start({ answerBudgetMs: 0, answer: slow });
    let posted: unknown;
    const hook = nock('https://hooks.slack.com')
      .post('/commands/T0001/1234/abcdef', (body: unknown) => {
        posted = body;
        return true;
      })
      .reply(200, 'ok');
    const res = await postSigned(receiver!.url, commandBody('top projects 30d'), { secret });
    expect(res.status).toBe(200);
    expect((res.json as Reply).text).toContain('Working on it');
    await expect.poll(() => hook.isDone(), { timeout: 5000 }).toBe(true);
    const reply = posted as Reply & { replace_original: boolean };
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.blocks![0]!.text!.text).toBe('Top projects, 30d');
    expect(errors).toEqual([]);
  });

  it('refuses a response_url that is not on hooks.slack.com', async () => {
    await start({ answerBudgetMs: 0, answer: slow });
    const res = await postSigned(
      receiver!.url,
      commandBody('summary', { response_url: 'https://evil.example/commands/T0001' }),
      { secret },
    );
    expect(res.status).toBe(200);
    await expect.poll(() => errors.length, { timeout: 5000 }).toBe(1);
    expect(errors[0]).toMatchObject({ code: 'slack.response_url_refused' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a failing use case shows its userMessage, never the error', async () => {
    await start({
      answer: () => Promise.reject(new Error('duckdb exploded at /secret/path')),
    });
    const reply = await command('summary');
    expect(blockText(reply)).toContain('Something went wrong');
    expect(JSON.stringify(reply)).not.toContain('/secret/path');
    expect(errors).toHaveLength(1);
  });
});
