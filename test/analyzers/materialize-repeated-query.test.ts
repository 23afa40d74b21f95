import { describe, expect, it } from 'vitest';
import { materializeRepeatedQuery } from '../../analyzers/materialize-repeated-query.js';
import { recommendationSchema } from '../../src/domain/analysis.js';
import type { PatternSql, QueryPatternFact } from '../../src/domain/context.js';
import { stableId } from '../../src/domain/context.js';
import { context, GiB, pattern, TiB } from '../fixtures/context.js';
import { demoContext } from '../fixtures/demo-context.js';

// Prices pinned at the US list price, $6.25 per TiB.
const usdPerTib = 6.25;
const MiB = 2 ** 20;
const table = 'acme-analytics.reporting.orders_enriched';
const revenueSql = `SELECT o.order_date, o.region, SUM(o.net_revenue) AS revenue
FROM \`${table}\` AS o
WHERE o.order_date >= '2026-08-03'
GROUP BY o.order_date, o.region`;

/** The exec-revenue dashboard: every 15 minutes for 30 days, ~80 GiB a run, one service account. */
const dashboard = (overrides: Partial<QueryPatternFact> = {}) =>
  pattern({
    hash: 'exec',
    runs: 2880,
    activeDays: 30,
    distinctUsers: 1,
    userEmail: 'looker@acme-analytics.iam.gserviceaccount.com',
    projectId: 'acme-analytics',
    onDemandBytesBilled: 2880 * 80 * GiB,
    maxBytesBilled: 90 * GiB,
    statementType: 'SELECT',
    sampleQuery: revenueSql,
    referencedTables: [{ table, runs: 2880 }],
    ...overrides,
  });

const parsedSql = (filters: PatternSql['filters'] = []): PatternSql => ({
  hash: 'exec',
  parsed: true,
  findings: [],
  filters,
  joins: [],
});
const dateRange: PatternSql['filters'] = [
  { table: 'o', column: 'order_date', op: 'range', from: '2026-08-03', to: null },
];

describe('materialize-repeated-query: flagged', () => {
  it('prices now against an hourly refresh plus 10 MB reads of the result', () => {
    const { recommendations } = materializeRepeatedQuery.analyze(
      context({ patterns: [dashboard()], sql: [parsedSql(dateRange)] }),
    );
    expect(recommendations).toHaveLength(1);
    const [rec] = recommendations;
    expect(rec).toMatchObject({
      id: stableId('rec', 'materialize_repeated_query', 'exec'),
      kind: 'materialize_repeated_query',
      target: 'exec',
      confidence: 'medium',
    });
    // Now 225 TiB; refresh 720 × 90 GiB = 63.28125 TiB; reads 2880 × 10 MiB.
    const now = 225;
    const refresh = (720 * 90) / 1024;
    const reads = (2880 * 10 * MiB) / TiB;
    expect(rec!.monthlySavingsUsd).toBeCloseTo((now - refresh - reads) * usdPerTib, 9);
    expect(rec!.summary).toContain('$1,011/month');
    const lines = (rec!.evidence as { costLines: { quantity: number; usd: number }[] }).costLines;
    expect(lines.map((l) => l.quantity)).toEqual([now, refresh, expect.closeTo(reads, 12)]);
    expect(lines[0]!.usd - lines[1]!.usd - lines[2]!.usd).toBeCloseTo(rec!.monthlySavingsUsd!, 9);
    const fix = rec!.fix as { sql: string; steps: string[] };
    expect(fix.sql).toContain('CREATE MATERIALIZED VIEW `acme-analytics.reporting.summary_exec`');
    expect(fix.sql).toContain(revenueSql);
    expect(fix.steps.join('\n')).toContain('looker@acme-analytics.iam.gserviceaccount.com');
    expect(() => recommendationSchema.parse(rec)).not.toThrow();
  });

  it('scales a 60-day window to a month', () => {
    const [rec] = materializeRepeatedQuery.analyze(
      context({ windowDays: 60, patterns: [dashboard()], sql: [parsedSql(dateRange)] }),
    ).recommendations;
    const now = 112.5;
    const refresh = (720 * 90) / 1024;
    const reads = (1440 * 10 * MiB) / TiB;
    expect(rec!.monthlySavingsUsd).toBeCloseTo((now - refresh - reads) * usdPerTib, 9);
  });

  it('is less sure without parsed SQL, and says so', () => {
    const [rec] = materializeRepeatedQuery.analyze(
      context({ patterns: [dashboard()], sql: [] }),
    ).recommendations;
    expect(rec!.confidence).toBe('low');
    expect((rec!.evidence as { assumptions: string[] }).assumptions.join(' ')).toContain(
      'not parsed',
    );
  });

  it('still sketches a fix without the query text', () => {
    const [rec] = materializeRepeatedQuery.analyze(
      context({ patterns: [dashboard({ sampleQuery: null })], sql: [] }),
    ).recommendations;
    expect(rec!.confidence).toBe('low');
    expect((rec!.fix as { sql: string }).sql).toContain('see job job_1');
  });
});

describe('materialize-repeated-query: clean', () => {
  it.each<[string, Partial<QueryPatternFact>, PatternSql['filters']]>([
    [
      'a cheap repeated query (the demo’s marketing-funnel dashboard: ~3 GiB, 34 a day)',
      { runs: 1020, onDemandBytesBilled: 1020 * 3 * GiB, maxBytesBilled: 3.2 * GiB },
      dateRange,
    ],
    [
      'an hourly query (the hourly refresh would cost as much)',
      { runs: 720, onDemandBytesBilled: 720 * 80 * GiB, maxBytesBilled: 80 * GiB },
      dateRange,
    ],
    [
      'a lookup by key (another customer each run)',
      {},
      [{ table: 'o', column: 'customer_id', op: 'eq' }],
    ],
    [
      'a query that does not aggregate',
      { sampleQuery: `SELECT order_id, net_revenue FROM \`${table}\` ORDER BY net_revenue DESC` },
      dateRange,
    ],
    ['a DML statement', { statementType: 'INSERT' }, dateRange],
    ['a shape several people run (an ad-hoc template)', { distinctUsers: 3 }, dateRange],
    ['fewer than 50 runs', { runs: 49, onDemandBytesBilled: 49 * 4 * TiB }, dateRange],
    ['fewer than 5 active days', { activeDays: 4 }, dateRange],
    [
      'a query on reservation capacity',
      { onDemandBytesBilled: 0, maxBytesBilled: 0, reservationSlotMs: 1e12 },
      dateRange,
    ],
  ])('%s', (_name, overrides, filters) => {
    const ctx = context({ patterns: [dashboard(overrides)], sql: [parsedSql(filters)] });
    expect(materializeRepeatedQuery.analyze(ctx)).toEqual({ recommendations: [], anomalies: [] });
  });
});

describe('materialize-repeated-query on the demo organisation', () => {
  it('finds the exec-revenue dashboard and nothing else', async () => {
    const { context: ctx, truth } = await demoContext();
    const planted = truth.planted
      .filter((p) => p.kind === 'materialize_repeated_query')
      .map((p) => p.target);
    expect(planted).toEqual([truth.queryPatterns.dashExecRevenue]);
    const { recommendations } = materializeRepeatedQuery.analyze(ctx);
    expect(recommendations.map((r) => r.target)).toEqual(planted);
    expect(recommendations[0]!.monthlySavingsUsd).toBeGreaterThan(0);
  });
});
