import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.js';
import { createSlackApp } from '../../handlers/app.js';
import { parseBqcost, parseTableName } from '../../handlers/commands/bqcost.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { SlackWebChat } from '../../src/adapters/slack/web-chat.js';
import { answerQuery, referencedTables, type CostQuery } from '../../src/app/answer-query.js';
import type { RunAnalysisDeps } from '../../src/app/run-analysis.js';
import { createInspector } from '../../src/cli/compose.js';
import type { Recommendation } from '../../src/domain/analysis.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import type { DryRunResult, Warehouse } from '../../src/ports/warehouse.js';
import { analysisJobs, analysisTables, loadJobs } from '../fixtures/analysis-jobs.js';
import { job } from '../fixtures/builders.js';
import {
  blockText,
  ephemeralCommand,
  listen,
  testSecret,
  type Receiver,
} from '../helpers/slack.js';

// `/bqcost rec`, `table` and `check`: signed requests into the real receiver, answered from a
// DuckDB warehouse loaded with builder jobs.

let warehouse: DuckDbWarehouse;
let deps: RunAnalysisDeps;
let recs: Recommendation[];
/** What the warehouse's dry run answers (null: none, as DuckDB; set per `check` test). */
let dryRun: DryRunResult | null = null;

beforeAll(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  await loadJobs(
    warehouse,
    [
      ...analysisJobs(),
      job({
        jobId: 'evil_job',
        projectId: 'proj-c',
        userEmail: 'x<!channel>@example.com',
        createdAt: '2026-10-21T10:00:00Z',
        bytesBilled: 2 ** 30,
        slotMs: 7_200_000,
        hash: 'hEvil',
        query: 'SELECT "<!channel> ```" AS x FROM `proj-a.sales.items`',
        tables: ['proj-a.sales.items'],
      }),
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
  const withDryRun = Object.create(warehouse) as Warehouse;
  withDryRun.dryRun = () => Promise.resolve(dryRun);
  deps = {
    warehouse: withDryRun,
    pricing: resolvePricing('us'),
    inspector: await createInspector(),
    analyzers,
  };
  const answer = await answerQuery(deps, { kind: 'recs', recKind: null });
  if (answer.kind !== 'recs') throw new Error('expected recs');
  recs = answer.recommendations;
});
afterAll(async () => {
  await warehouse.close();
});

let secret: string;
let receiver: Receiver | undefined;
let errors: unknown[];

beforeEach(async () => {
  dryRun = null;
  secret = testSecret();
  errors = [];
  nock.disableNetConnect();
  nock.enableNetConnect(/^127\.0\.0\.1/);
  const app = createSlackApp({
    signingSecret: secret,
    botToken: 'test-bot-token',
    chat: new SlackWebChat('test-bot-token'),
    answer: (query: CostQuery) => answerQuery(deps, query),
    onError: (error) => errors.push(error),
    answerBudgetMs: 10_000,
  });
  receiver = await listen(app.requestListener);
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
  expect(errors).toEqual([]);
});

async function command(text: string): Promise<string> {
  return blockText(await ephemeralCommand(receiver!.url, secret, text));
}

describe('/bqcost help', () => {
  it('lists rec, table, query and check, escaped for mrkdwn', async () => {
    const body = await command('help');
    // Escaped: a bare <hash|job_id> would be read as a link by Slack.
    for (const sub of [
      'rec &lt;id&gt;',
      'table &lt;project.dataset.table&gt;',
      'query &lt;hash|job_id&gt;',
      'check &lt;sql&gt;',
    ])
      expect(body).toContain(`/bqcost ${sub}`);
    expect(body).not.toMatch(/<(id|sql|hash)/);
  });
});

describe('/bqcost rec <id>', () => {
  it('shows one recommendation in full: kind, target, $, method, cost lines, fix', async () => {
    const rec = recs.find((r) => typeof (r.fix as { sql?: unknown }).sql === 'string');
    expect(rec).toBeDefined();
    const body = await command(`rec ${rec!.id}`);
    expect(body).toContain(`*Kind:* ${rec!.kind}`);
    expect(body).toContain(rec!.target);
    expect(body).toContain('*Saves:* ');
    expect(body).toContain(`*Confidence:* ${rec!.confidence}`);
    expect(body).toContain('*Method:*');
    expect(body).toMatch(/• .+: .+ × \$[\d.,]+ = (\$[\d.,]+|unknown)/);
    expect(body).toContain('*Fix:*');
    expect(body).toContain('```');
    expect(body).toContain(rec!.id);
  });

  it('an unknown id gets a helpful answer with ids to try', async () => {
    const body = await command('rec rec_nope');
    expect(body).toContain('No open recommendation has the id `rec_nope`');
    expect(body).toContain('/bqcost recs');
    expect(body).toContain(recs[0]!.id);
  });

  it.each(['rec', 'rec a b', 'rec <!channel>'])('%j gets the help text', async (text) => {
    const body = await command(text);
    expect(body).toContain('`rec` takes one recommendation id');
    expect(body).not.toContain('<!channel>');
  });
});

describe('/bqcost table <name>', () => {
  it('storage, reads, query cost and recommendations of a table (backticks allowed)', async () => {
    const body = await command('table `proj-a.sales.orders`');
    expect(body).toContain('Table proj-a.sales.orders');
    expect(body).toMatch(/\*Storage:\* 500 GiB logical/);
    expect(body).toMatch(/billing · \$\d+\.\d{2} per month/);
    expect(body).toMatch(/\*Reads:\* [1-9]\d* on \d+ days/);
    expect(body).toMatch(/\*Queries reading it:\* \$[\d,]+\.\d{2} on demand · [1-9]\d* jobs/);
    const targeted = recs.filter((r) => r.target === 'proj-a.sales.orders');
    expect(targeted.length).toBeGreaterThan(0);
    for (const r of targeted) expect(body).toContain(`/bqcost rec ${r.id}`);
  });

  it('an unknown table says so', async () => {
    const body = await command('table proj-a.sales.nothing_here');
    expect(body).toContain('I know nothing of `proj-a.sales.nothing_here`');
  });

  it.each([
    'table',
    'table orders',
    'table a.b',
    'table a.b.c.d',
    'table <!here>.x.y',
    'table a b',
  ])('a malformed name (%j) gets a clear error', async (text) => {
    const body = await command(text);
    expect(body).toContain('`table` takes one fully qualified name');
    expect(body).not.toMatch(/<!here>/);
  });
});

describe('/bqcost check <sql>', () => {
  it('lints and estimates an upper bound from the referenced tables', async () => {
    const body = await command('check SELECT * FROM `proj-a.sales.orders` ORDER BY order_id');
    expect(body).toContain('select_star');
    expect(body).toContain('`proj-a.sales.orders` — 500 GiB');
    // 500 GiB at $6.25 per TiB.
    expect(body).toContain('*Estimate:* at most $3.05 on demand');
    expect(body).toContain("Upper bound: a full scan of the referenced tables. BigQuery's dry run");
  });

  it('keeps the case of the SQL and accepts a code fence', async () => {
    const body = await command('check ```SELECT id FROM `proj-a.sales.items` WHERE id = 1```');
    expect(body).toContain('No lint findings');
    expect(body).toContain('`proj-a.sales.items` — 20 GiB');
  });

  it('decodes the entities Slack puts in command text (a &lt; b is a < b)', async () => {
    expect(parseBqcost('check SELECT 1 FROM t WHERE a &lt; 2 AND b = &apos;x&amp;y&apos;')).toEqual(
      {
        kind: 'query',
        query: { kind: 'check', sql: 'SELECT 1 FROM t WHERE a < 2 AND b = &apos;x&y&apos;' },
      },
    );
    const body = await command('check SELECT id FROM `proj-a.sales.items` WHERE id &lt; 5');
    expect(body).toContain('No lint findings');
  });

  it('unknown tables: the estimate is unknown, not $0', async () => {
    const body = await command('check SELECT id FROM `p.d.t`');
    expect(body).toContain('`p.d.t` — size unknown');
    expect(body).toContain('*Estimate:* unknown');
  });

  it('unparseable SQL is reported, not an error; data is escaped', async () => {
    const body = await command('check SELEC <!channel> FROM (');
    expect(body).toContain('could not parse this SQL');
    expect(body).not.toContain('<!channel>');
  });

  it('with a dry run: its figure, labelled as a dry run, not an upper bound', async () => {
    dryRun = { outcome: 'estimated', bytesProcessed: 3 * 2 ** 40 };
    const body = await command('check SELECT order_id FROM `proj-a.sales.orders`');
    // 3 TiB at $6.25 per TiB.
    expect(body).toContain('*Estimate:* $18.75 on demand (dry run: 3 TiB processed)');
    expect(body).toContain('BigQuery dry run: the bytes the statement would process');
    expect(body).not.toContain('at most');
    expect(body).not.toContain('Upper bound');
    expect(body).toContain('`proj-a.sales.orders` — 500 GiB');
  });

  it('BigQuery rejects the statement: its words, escaped, and no estimate', async () => {
    dryRun = {
      outcome: 'rejected',
      reason: 'invalidQuery',
      message: 'Unrecognized name: <!channel> at [1:8]',
    };
    const body = await command('check SELECT nope FROM `proj-a.sales.orders`');
    expect(body).toContain(
      "*Estimate:* none — BigQuery's dry run rejected the statement: Unrecognized name: &lt;!channel&gt; at [1:8]",
    );
    expect(body).not.toContain('<!channel>');
    expect(body).not.toContain('$');
  });

  it('the dry run was refused: the upper bound, and why there is no dry run figure', async () => {
    dryRun = {
      outcome: 'unavailable',
      reason: 'accessDenied',
      message: "BigQuery denied bqcost's service account the dry run: needs bigquery.jobs.create.",
    };
    const body = await command('check SELECT * FROM `proj-a.sales.orders` ORDER BY order_id');
    expect(body).toContain('*Estimate:* at most $3.05 on demand');
    expect(body).toContain(
      'Upper bound: a full scan of the referenced tables, because the dry run was not possible: BigQuery denied',
    );
    expect(body).toContain('bigquery.jobs.create');
  });

  it('an empty check gets the help text', async () => {
    expect(await command('check')).toContain('`check` takes a SQL statement');
  });
});

describe('/bqcost query <hash|job_id>', () => {
  it('a hash: runs, on-demand $, users, the latest SQL in a code block, lint findings', async () => {
    const body = await command('query hStar');
    expect(body).toContain('*Hash:* `hStar`');
    // 20 runs × 1 TiB at $6.25.
    expect(body).toContain('*Runs:* 20   *On-demand:* $125.00');
    expect(body).toContain('*Users:* 1 (latest: ana@example.com)');
    expect(body).toContain('```SELECT * FROM `proj-a.sales.orders` ORDER BY order_id```');
    expect(body).toMatch(/\*Lint \(\d+\):\*\n• line 1: `select_star`/);
  });

  it('a job id: the job from job-by-id.sql, plus its shape; data is escaped', async () => {
    const body = await command('query evil_job');
    expect(body).toContain('*Job* `evil_job`');
    expect(body).toContain('*Created:* 2026-10-21 10:00:00 UTC   *Project:* `proj-c`');
    expect(body).toContain('*User:* x&lt;!channel&gt;@example.com');
    expect(body).toContain('*Bytes billed:* 1 GiB ($0.01 at the on-demand price)');
    expect(body).toContain('*Slot time:* 2 slot-hours');
    expect(body).toContain('*Hash:* `hEvil`');
    expect(body).toContain('*Runs:* 1');
    expect(body).not.toContain('<!channel>');
    // A ``` inside the SQL cannot close the code block early.
    expect(body.match(/```/g)?.length).toBe(2);
  });

  it('neither a job nor a known hash: a helpful answer', async () => {
    const body = await command('query nothing_like_this');
    expect(body).toContain('No job has the id `nothing_like_this`');
    expect(body).toContain('/bqcost top queries');
  });

  it.each(['query', 'query a b', 'query <@U1>'])('%j gets the help text', async (text) => {
    const body = await command(text);
    expect(body).toContain('`query` takes one normalized query hash or one job id');
    expect(body).not.toContain('<@U1>');
  });
});

describe('DuckDbWarehouse.jobById', () => {
  it('returns the job, or null for an unknown id', async () => {
    expect(await warehouse.jobById('evil_job')).toEqual({
      jobId: 'evil_job',
      creationTime: new Date('2026-10-21T10:00:00Z'),
      projectId: 'proj-c',
      userEmail: 'x<!channel>@example.com',
      statementType: 'SELECT',
      bytesBilled: 2 ** 30,
      slotMs: 7_200_000,
      queryHash: 'hEvil',
      query: 'SELECT "<!channel> ```" AS x FROM `proj-a.sales.items`',
    });
    expect(await warehouse.jobById("x' OR '1'='1")).toBeNull();
  });
});

describe('/bqcost me', () => {
  const usersInfo = (email: string | undefined, times = 1) =>
    nock('https://slack.com')
      .post('/api/users.info', (body: Record<string, string>) => body.user === 'U0001')
      .times(times)
      .reply(200, {
        ok: true,
        user: { id: 'U0001', profile: email === undefined ? {} : { email } },
      });

  it("the caller's spend by their Slack email (users.info, asked once per process)", async () => {
    const scope = usersInfo('Ana@Example.com');
    const body = await command('me 30d');
    expect(body).toContain('Your BigQuery spend, 30d');
    expect(body).toMatch(/\*Ana@Example\.com:\* \$[\d,]+\.\d{2} \([\d.]+% of \$[\d,]+\.\d{2}\)/);
    expect(body).toMatch(/\*Jobs:\* [1-9][\d,]* {3}\*Rank:\* 1 of \d+ users/);
    // Cached: no second users.info (nock would refuse it and the answer would be an error).
    expect(await command('me')).toContain('Your BigQuery spend, 7d');
    scope.done();
  });

  it('an email with no jobs gets a helpful answer, escaped', async () => {
    const scope = usersInfo('nobody<!here>@example.com');
    const body = await command('me');
    expect(body).toContain('No billed jobs ran as nobody&lt;!here&gt;@example.com');
    expect(body).not.toContain('<!here>');
    scope.done();
  });

  it('no email on the Slack profile: a helpful answer', async () => {
    const scope = usersInfo(undefined);
    expect(await command('me')).toContain('Slack has no email for you');
    scope.done();
  });

  it('a users.info error shows its userMessage, not the error', async () => {
    const scope = nock('https://slack.com')
      .post('/api/users.info')
      .reply(200, { ok: false, error: 'user_not_found' });
    const body = await command('me');
    expect(body).toContain(':warning: Slack refused');
    expect(body).not.toContain('user_not_found');
    scope.done();
    expect(errors).toHaveLength(1);
    errors = [];
  });

  it('a bad period gets the help text', async () => {
    expect(await command('me yesterday')).toContain('`me` takes 7d, 30d, mtd');
  });
});

describe('argument parsing', () => {
  it('table names: backticks whole or per part; malformed names are null', () => {
    expect(parseTableName('`my-proj.ds.t_1`')).toBe('my-proj.ds.t_1');
    expect(parseTableName('`my-proj`.`ds`.`t`')).toBe('my-proj.ds.t');
    expect(parseTableName('ds.t')).toBeNull();
    expect(parseTableName('p.d.t.x')).toBeNull();
    expect(parseTableName('p.d-x.t')).toBeNull();
  });

  it('rec ids keep their case', () => {
    expect(parseBqcost('REC Rec_ABC')).toEqual({
      kind: 'query',
      query: { kind: 'rec', id: 'Rec_ABC' },
    });
  });

  it('referencedTables finds FROM and JOIN targets once each', () => {
    expect(
      referencedTables('select 1 from `a.b.c` x join a.b.d on 1=1 left join `a.b.c` z on true'),
    ).toEqual(['a.b.c', 'a.b.d']);
  });
});
