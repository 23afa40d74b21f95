import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzers as registry } from '../../analyzers/index.js';
import { DuckDbLedger } from '../../src/adapters/duckdb/duckdb-ledger.js';
import {
  DuckDbAnomalyStore,
  DuckDbRecommendationStore,
  DuckDbRunLog,
} from '../../src/adapters/duckdb/duckdb-recommendations.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { discoverExports } from '../../src/adapters/files/discover.js';
import { GoogleSqlInspector } from '../../src/adapters/sql/googlesql-inspector.js';
import {
  runAnalysisJob,
  systemActor,
  type AnalysisJobDeps,
  type RouteResult,
} from '../../src/app/analysis-job.js';
import { writeDemoExports } from '../../src/app/demo-export-writer.js';
import { recordAck, type AckInput } from '../../src/app/record-ack.js';
import { runAnalysis } from '../../src/app/run-analysis.js';
import type { Anomaly, Recommendation } from '../../src/domain/analysis.js';
import type { Analyzer } from '../../src/domain/context.js';
import type { AnalysisRequest, TopicMessage } from '../../src/domain/messages.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import type { RoutingTarget } from '../../src/domain/routing.js';
import type { TopicId } from '../../src/domain/topology.js';
import { topics } from '../../src/domain/topology.js';
import { AppError } from '../../src/errors.js';
import type { Bus } from '../../src/ports/bus.js';
import type { SqlInspector } from '../../src/ports/sql-inspector.js';
import {
  analysisJobs,
  analysisTables,
  analysisWindow,
  loadJobs,
} from '../fixtures/analysis-jobs.js';
import { tempDir } from '../fixtures/builders.js';

/** Records every publish; can be told to fail the next ones. */
class RecordingBus implements Bus {
  readonly published: { topic: TopicId; message: Record<string, unknown> }[] = [];
  failNext = 0;
  publish<T extends TopicId>(topic: T, message: TopicMessage<T>): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new AppError('bus.unavailable', 'down', { retryable: true }));
    }
    this.published.push({ topic, message: message as Record<string, unknown> });
    return Promise.resolve();
  }
  cards(): { key: string; ids: string[] }[] {
    return this.published
      .filter((p) => p.topic === topics.notifications)
      .map((p) => ({ key: String(p.message.key), ids: p.message.recommendationIds as string[] }));
  }
  alerts(): { key: string; anomalyId: string }[] {
    return this.published
      .filter((p) => p.topic === topics.escalation)
      .map((p) => ({ key: String(p.message.key), anomalyId: String(p.message.anomalyId) }));
  }
}

const inspector: SqlInspector = {
  inspect: () => ({ parsed: true, findings: [], filters: [], joins: [] }),
};

function rec(id: string, monthlySavingsUsd: number | null, target = `proj-a.sales.${id}`) {
  const r: Recommendation = {
    id,
    kind: 'partition_table',
    target,
    monthlySavingsUsd,
    confidence: 'high',
    summary: `Partition ${target}`,
    evidence: { method: 'test', costLines: [] },
    fix: { summary: 'partition it' },
  };
  return r;
}

function anomaly(id: string, severity: string, scope = 'project:proj-a'): Anomaly {
  return { id, scope, day: '2026-10-20', usd: 900, expectedUsd: 100, severity };
}

/** What the fake analyzer finds in the next run. */
let findings: { recommendations: Recommendation[]; anomalies: Anomaly[] };
const fakeAnalyzer: Analyzer = {
  id: 'fake',
  kinds: ['partition_table'],
  analyze: () => findings,
};

let warehouse: DuckDbWarehouse;
let bus: RecordingBus;
let ledger: DuckDbLedger;
let store: DuckDbRecommendationStore;
let time: Date;
let routed: string[];
let deps: AnalysisJobDeps;
let logs: Record<string, unknown>[];

const routes: Record<string, RouteResult | null> = {};
async function route(target: RoutingTarget): Promise<RouteResult | null> {
  await Promise.resolve();
  const id = 'recommendation' in target ? target.recommendation.id : target.anomaly.id;
  routed.push(id);
  return id in routes
    ? routes[id]!
    : { teamId: 'T0ACME', channelId: 'C0DATA', ownerSlackIds: ['U0ANA'] };
}

beforeEach(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  await loadJobs(warehouse, analysisJobs(), analysisTables());
  const connection = await warehouse.connect();
  ledger = await DuckDbLedger.open(connection);
  store = await DuckDbRecommendationStore.open(connection);
  bus = new RecordingBus();
  time = new Date('2026-11-01T06:00:00Z');
  routed = [];
  logs = [];
  for (const key of Object.keys(routes)) delete routes[key];
  findings = { recommendations: [], anomalies: [] };
  deps = {
    analysis: { warehouse, pricing: resolvePricing('us'), inspector, analyzers: [fakeAnalyzer] },
    route,
    recommendations: store,
    history: store,
    anomalies: await DuckDbAnomalyStore.open(connection),
    ledger,
    bus,
    runs: await DuckDbRunLog.open(connection),
    clock: { now: () => time },
    log: (entry) => logs.push(entry),
  };
});
afterEach(async () => {
  await warehouse.close();
});

function request(key: string, overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return {
    v: 1,
    type: 'analysis.request',
    key,
    publishedAt: time.toISOString(),
    scope: 'org',
    windowEnd: analysisWindow.end.toISOString(),
    windowDays: 31,
    ...overrides,
  };
}

const count = async (table: string) =>
  Number((await warehouse.sql(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

async function click(input: Partial<AckInput> & Pick<AckInput, 'recommendationId' | 'action'>) {
  return recordAck(
    { ledger, clock: { now: () => time }, sleep: () => Promise.resolve() },
    {
      actorSlackId: 'U0ANA',
      actorEmail: null,
      reason: null,
      snoozeUntil: null,
      teamId: 'T0ACME',
      channelId: 'C0DATA',
      messageTs: null,
      sourceRequestId: 'trigger',
      ...input,
    },
  );
}

/** Moves the clock on a day (each run stores its rows at the clock's time). */
const nextDay = () => {
  time = new Date(time.getTime() + 86_400_000);
};

describe('runAnalysisJob', () => {
  it('first run: routes, stores, publishes every recommendation as new and alerts at ≥ high', async () => {
    findings = {
      recommendations: [rec('r1', 500), rec('r2', null)],
      anomalies: [
        anomaly('a-high', 'high'),
        anomaly('a-low', 'low'),
        anomaly('a-crit', 'critical'),
      ],
    };
    const result = await runAnalysisJob(deps, request('run-1'));
    expect(result).toMatchObject({
      runId: 'run-1',
      recommendations: 2,
      anomalies: 3,
      new: ['r1', 'r2'],
      changed: [],
      woken: [],
      alerts: ['a-crit', 'a-high'],
    });
    expect(routed.sort()).toEqual(['r1', 'r2']);
    expect(await store.find('r1')).toMatchObject({
      teamId: 'T0ACME',
      channelId: 'C0DATA',
      ownerSlackIds: ['U0ANA'],
      foundAt: time,
      recommendation: { monthlySavingsUsd: 500 },
    });
    expect(await deps.anomalies.find('a-low')).toMatchObject({ runId: 'run-1' });
    expect(bus.cards()).toEqual([{ key: 'notify:0:run-1', ids: ['r1', 'r2'] }]);
    expect(bus.alerts()).toEqual([
      { key: 'alert:a-crit', anomalyId: 'a-crit' },
      { key: 'alert:a-high', anomalyId: 'a-high' },
    ]);
    const attempts = await deps.runs.attempts('run-1');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      outcome: 'succeeded',
      scope: 'org',
      recommendations: 2,
      anomalies: 3,
      windowEnd: analysisWindow.end,
      windowStart: new Date('2026-10-01T00:00:00Z'),
    });
    expect(logs.find((l) => l.event === 'analysis_run')).toMatchObject({ new: 2, alerts: 2 });
  });

  it('a redelivered message stores once and publishes the same messages (same keys)', async () => {
    findings = { recommendations: [rec('r1', 500)], anomalies: [anomaly('a1', 'high')] };
    const first = await runAnalysisJob(deps, request('run-1'));
    time = new Date(time.getTime() + 60_000);
    const again = await runAnalysisJob(deps, request('run-1'));
    expect(again.new).toEqual(first.new);
    expect(await count('recommendations')).toBe(1);
    expect(await count('anomalies')).toBe(1);
    expect(bus.cards().map((c) => c.key)).toEqual(['notify:0:run-1', 'notify:0:run-1']);
    expect(bus.alerts().map((c) => c.key)).toEqual(['alert:a1', 'alert:a1']);
    expect(await deps.runs.attempts('run-1')).toHaveLength(2);
  });

  it('the next run publishes only what is new or moved materially', async () => {
    findings = {
      recommendations: [
        rec('steady', 1000),
        rec('grew', 1000),
        rec('shrank', 1000),
        rec('unk', null),
      ],
      anomalies: [],
    };
    await runAnalysisJob(deps, request('run-1'));
    nextDay();
    findings = {
      recommendations: [
        rec('steady', 1100), // +10 %: not material
        rec('grew', 1500), // +50 %, +$500
        rec('shrank', 600), // −40 %, −$400
        rec('unk', 80), // unknown → known
        rec('fresh', 20),
      ],
      anomalies: [],
    };
    const result = await runAnalysisJob(deps, request('run-2'));
    expect(result.new).toEqual(['fresh']);
    expect(result.changed.sort()).toEqual(['grew', 'shrank', 'unk']);
    expect(bus.cards().at(-1)).toEqual({
      key: 'notify:0:run-2',
      ids: [...result.new, ...result.changed],
    });
    expect((await store.find('grew'))?.firstFoundAt).toEqual(new Date('2026-11-01T06:00:00Z'));
  });

  it('nothing new or changed: no notification message at all', async () => {
    findings = { recommendations: [rec('r1', 100)], anomalies: [] };
    await runAnalysisJob(deps, request('run-1'));
    nextDay();
    await runAnalysisJob(deps, request('run-2'));
    expect(bus.cards()).toHaveLength(1);
  });

  it('acted-on cards are not published again, even when their figure moved', async () => {
    findings = { recommendations: [rec('acc', 100), rec('dis', 100)], anomalies: [] };
    await runAnalysisJob(deps, request('run-1'));
    await click({ recommendationId: 'acc', action: 'accepted' });
    await click({
      recommendationId: 'dis',
      action: 'dismissed',
      reason: { code: 'not_worth_it', text: null },
    });
    nextDay();
    findings = { recommendations: [rec('acc', 5000), rec('dis', 5000)], anomalies: [] };
    const result = await runAnalysisJob(deps, request('run-2'));
    expect([...result.new, ...result.changed, ...result.woken]).toEqual([]);
  });

  describe('snoozed cards', () => {
    async function snoozedAt(usd: number, grownTo: number) {
      findings = { recommendations: [rec('zz', usd)], anomalies: [] };
      await runAnalysisJob(deps, request('run-1'));
      time = new Date(time.getTime() + 3_600_000);
      await click({
        recommendationId: 'zz',
        action: 'snoozed',
        snoozeUntil: new Date('2026-12-31T00:00:00Z'),
        reason: { code: null, text: 'quarter end' },
      });
      nextDay();
      findings = { recommendations: [rec('zz', grownTo)], anomalies: [] };
    }

    it('grown past the threshold: reopened by bqcost with the reason, and published', async () => {
      await snoozedAt(200, 400);
      const result = await runAnalysisJob(deps, request('run-2'));
      expect(result.woken).toEqual(['zz']);
      expect(bus.cards().at(-1)).toEqual({ key: 'notify:0:run-2', ids: ['zz'] });
      const events = await ledger.eventsFor(['zz']);
      expect(events.map((e) => [e.action, e.actorSlackId])).toEqual([
        ['snoozed', 'U0ANA'],
        ['reopened', systemActor],
      ]);
      expect(events[1]).toMatchObject({
        sourceRequestId: 'run-2',
        teamId: 'T0ACME',
        channelId: 'C0DATA',
        reason: {
          code: null,
          text: 'Woken early: its estimated saving grew from $200 to $400 a month since it was snoozed.',
        },
      });
    });

    it('a redelivered run wakes it once and publishes it again', async () => {
      await snoozedAt(200, 400);
      await runAnalysisJob(deps, request('run-2'));
      time = new Date(time.getTime() + 60_000);
      const again = await runAnalysisJob(deps, request('run-2'));
      expect(again.woken).toEqual(['zz']);
      expect((await ledger.eventsFor(['zz'])).filter((e) => e.action === 'reopened')).toHaveLength(
        1,
      );
      expect(bus.cards().map((c) => c.ids)).toEqual([['zz'], ['zz'], ['zz']]);
    });

    it('compared with the figure when it was snoozed, not the latest run', async () => {
      // 200 at the snooze, 280 the day after (+40 %: stays asleep), 320 the day after that:
      // +60 % and +$120 since the snooze, though only +14 % on the day before.
      await snoozedAt(200, 280);
      expect((await runAnalysisJob(deps, request('run-2'))).woken).toEqual([]);
      nextDay();
      findings = { recommendations: [rec('zz', 320)], anomalies: [] };
      expect((await runAnalysisJob(deps, request('run-3'))).woken).toEqual(['zz']);
    });

    it.each([
      ['not grown enough', 200, 290],
      ['shrunk', 200, 50],
      ['now unknown', 200, null],
    ] as const)('%s: stays asleep, not published', async (_, usd, now) => {
      await snoozedAt(usd, now as number);
      const result = await runAnalysisJob(deps, request('run-2'));
      expect(result.woken).toEqual([]);
      expect(result.changed).toEqual([]);
      expect(bus.cards()).toHaveLength(1);
      expect((await ledger.eventsFor(['zz'])).map((e) => e.action)).toEqual(['snoozed']);
    });

    it('configured threshold', async () => {
      await snoozedAt(200, 230);
      deps.wakeThreshold = { ratio: 0.1, usd: 20 };
      expect((await runAnalysisJob(deps, request('run-2'))).woken).toEqual(['zz']);
    });
  });

  it('an unrouted recommendation is stored without a channel and not published', async () => {
    routes.lonely = null;
    findings = { recommendations: [rec('lonely', 900), rec('r1', 100)], anomalies: [] };
    const result = await runAnalysisJob(deps, request('run-1'));
    expect(result.unrouted).toEqual(['lonely']);
    expect(result.new).toEqual(['r1']);
    expect(await store.find('lonely')).toMatchObject({ channelId: '', teamId: '' });
  });

  it('routed at last counts as new; moved to another channel counts as changed', async () => {
    routes.lonely = null;
    findings = { recommendations: [rec('lonely', 900), rec('mover', 100)], anomalies: [] };
    await runAnalysisJob(deps, request('run-1'));
    nextDay();
    delete routes.lonely;
    routes.mover = { teamId: 'T0ACME', channelId: 'C0OTHER', ownerSlackIds: ['U0BEN'] };
    const result = await runAnalysisJob(deps, request('run-2'));
    expect(result.new).toEqual(['lonely']);
    expect(result.changed).toEqual(['mover']);
    expect(await store.find('mover')).toMatchObject({ channelId: 'C0OTHER' });
  });

  it('a project scope keeps only that project’s findings', async () => {
    findings = {
      recommendations: [
        rec('in-table', 100, 'proj-a.sales.orders'),
        rec('in-dataset', 100, 'proj-a.sales'),
        rec('in-project', 100, 'proj-a'),
        rec('other', 100, 'proj-ab.sales.orders'),
        rec('hash', 100, 'hA'),
      ],
      anomalies: [anomaly('a-in', 'high'), anomaly('a-out', 'high', 'project:proj-b')],
    };
    const result = await runAnalysisJob(deps, request('run-p', { scope: 'project:proj-a' }));
    expect(result.new.sort()).toEqual(['in-dataset', 'in-project', 'in-table']);
    expect(result.alerts).toEqual(['a-in']);
    expect(await count('anomalies')).toBe(1);
  });

  it('a routing failure stores nothing, records a failed run and throws (retryable) for redelivery', async () => {
    findings = { recommendations: [rec('r1', 100)], anomalies: [anomaly('a1', 'high')] };
    deps.route = () =>
      Promise.reject(
        new AppError('slack.rate_limited', 'users.lookupByEmail 429', { retryable: true }),
      );
    await expect(runAnalysisJob(deps, request('run-1'))).rejects.toMatchObject({
      code: 'slack.rate_limited',
      retryable: true,
    });
    expect(await count('recommendations')).toBe(0);
    expect(bus.published).toEqual([]);
    expect(await deps.runs.attempts('run-1')).toMatchObject([
      { outcome: 'failed', errorCode: 'slack.rate_limited', recommendations: null },
    ]);
  });

  it('a publish failure throws; the redelivery stores nothing twice and publishes everything', async () => {
    findings = { recommendations: [rec('r1', 100)], anomalies: [anomaly('a1', 'high')] };
    bus.failNext = 1;
    await expect(runAnalysisJob(deps, request('run-1'))).rejects.toMatchObject({
      code: 'bus.unavailable',
    });
    const result = await runAnalysisJob(deps, request('run-1'));
    expect(result.new).toEqual(['r1']);
    expect(bus.cards()).toEqual([{ key: 'notify:0:run-1', ids: ['r1'] }]);
    expect(bus.alerts()).toEqual([{ key: 'alert:a1', anomalyId: 'a1' }]);
    expect(await count('recommendations')).toBe(1);
    expect((await deps.runs.attempts('run-1')).map((a) => a.outcome)).toEqual([
      'failed',
      'succeeded',
    ]);
  });

  it('a run log that cannot be written is logged; the run still succeeds', async () => {
    findings = { recommendations: [rec('r1', 100)], anomalies: [] };
    deps.runs = {
      record: () => Promise.reject(new AppError('store.write_failed', 'disk full')),
      attempts: () => Promise.resolve([]),
    };
    await expect(runAnalysisJob(deps, request('run-1'))).resolves.toMatchObject({ new: ['r1'] });
    expect(logs).toContainEqual(
      expect.objectContaining({ event: 'analysis_run_not_recorded', error: 'store.write_failed' }),
    );
  });

  it('more than 1,000 cards go out in several messages', async () => {
    findings = {
      recommendations: Array.from({ length: 1001 }, (_, i) => rec(`r${i}`, i)),
      anomalies: [],
    };
    await runAnalysisJob(deps, request('run-big'));
    expect(bus.cards().map((c) => [c.key, c.ids.length])).toEqual([
      ['notify:0:run-big', 1000],
      ['notify:1:run-big', 1],
    ]);
  });

  it('with the real analyzers over the demo organisation, stores what runAnalysis finds', async () => {
    const dir = tempDir();
    const end = new Date('2026-11-28T00:00:00Z');
    await writeDemoExports(dir, { seed: 7, days: 60, jobsPerDay: 150, end });
    const demo = await DuckDbWarehouse.open(':memory:');
    try {
      for (const file of discoverExports(dir)) await demo.importFile(file, { strict: false });
      const connection = await demo.connect();
      const demoStore = await DuckDbRecommendationStore.open(connection);
      const analysis = {
        warehouse: demo,
        pricing: resolvePricing('us'),
        inspector: await GoogleSqlInspector.create(),
        analyzers: registry,
      };
      const expected = await runAnalysis(analysis, {
        asOf: end,
        windowDays: 30,
        comparePrevious: false,
      });
      expect(expected.result.recommendations.length).toBeGreaterThan(5);
      const result = await runAnalysisJob(
        {
          ...deps,
          analysis,
          recommendations: demoStore,
          history: demoStore,
          anomalies: await DuckDbAnomalyStore.open(connection),
          ledger: await DuckDbLedger.open(connection),
          runs: await DuckDbRunLog.open(connection),
        },
        request('run-demo', { windowEnd: end.toISOString(), windowDays: 30 }),
      );
      expect(result.recommendations).toBe(expected.result.recommendations.length);
      expect(result.anomalies).toBe(expected.result.anomalies.length);
      // Two runs of the analysis may differ in the last bits of a float (DuckDB sums in
      // parallel), so the figures are compared closely and everything else exactly.
      const shape = (r: Recommendation) => ({ ...r, monthlySavingsUsd: null, evidence: null });
      const byId = (a: Recommendation, b: Recommendation) => a.id.localeCompare(b.id);
      const stored = (await demoStore.list({ limit: 1000 }))
        .map((s) => s.recommendation)
        .sort(byId);
      const found = [...expected.result.recommendations].sort(byId);
      expect(stored.map(shape)).toEqual(found.map(shape));
      stored.forEach((r, i) => {
        const want = found[i]!.monthlySavingsUsd;
        if (want === null) expect(r.monthlySavingsUsd).toBeNull();
        else expect(r.monthlySavingsUsd).toBeCloseTo(want, 6);
      });
      expect(result.new.sort()).toEqual(expected.result.recommendations.map((r) => r.id).sort());
    } finally {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
