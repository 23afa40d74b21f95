import { describe, expect, it } from 'vitest';
import { requirePartitionFilter } from '../../analyzers/require-partition-filter.js';
import { recommendationSchema } from '../../src/domain/analysis.js';
import type { ColumnPredicate, PatternSql, QueryPatternFact } from '../../src/domain/context.js';
import { stableId } from '../../src/domain/context.js';
import type { TableStorageFact } from '../../src/domain/facts.js';
import { asOf, context, GiB, pattern, tableFact, TiB } from '../fixtures/context.js';
import { demoContext } from '../fixtures/demo-context.js';

// Prices pinned at the US list price, $6.25 per TiB.
const usdPerTib = 6.25;
const key = 'acme-analytics.logs.app_events';
const dayMs = 86_400_000;

/** 6 TiB, 300 daily partitions, created 300 days before as-of. */
const appEvents = (overrides: Partial<TableStorageFact> = {}) =>
  tableFact({
    table: key,
    totalLogicalBytes: 6144 * GiB,
    totalPartitions: 300,
    creationTime: new Date(asOf.getTime() - 300 * dayMs),
    ...overrides,
  });

/** A recurring on-demand dashboard reading the table. */
const dashboard = (hash: string, overrides: Partial<QueryPatternFact> = {}) =>
  pattern({
    hash,
    runs: 360,
    activeDays: 30,
    onDemandBytesBilled: 150 * TiB,
    referencedTables: [{ table: key, runs: 360 }],
    ...overrides,
  });

const sqlOf = (hash: string, filters: ColumnPredicate[], parsed = true): PatternSql => ({
  hash,
  parsed,
  findings: [],
  filters: parsed ? filters : [],
  joins: [],
});
const byName: ColumnPredicate = { table: key, column: 'event_name', op: 'in' };

describe('require-partition-filter: flagged', () => {
  it('prices the full scans down to a 30-day filter', () => {
    const { recommendations } = requirePartitionFilter.analyze(
      context({
        tables: [appEvents()],
        patterns: [dashboard('health'), dashboard('adhoc', { onDemandBytesBilled: 50 * TiB })],
        sql: [
          sqlOf('health', [byName]),
          sqlOf('adhoc', [{ table: 'e', column: 'event_name', op: 'like' }]),
        ],
      }),
    );
    expect(recommendations).toHaveLength(1);
    const [rec] = recommendations;
    expect(rec).toMatchObject({
      id: stableId('rec', 'require_partition_filter', key),
      kind: 'require_partition_filter',
      target: key,
      confidence: 'medium',
    });
    // 200 TiB a month, of which a 30-day filter on 300 days of partitions keeps 10%.
    expect(rec!.monthlySavingsUsd).toBeCloseTo(200 * 0.9 * usdPerTib, 9);
    expect(rec!.summary).toContain('$1,125/month');
    const evidence = rec!.evidence as {
      costLines: { quantity: number; usd: number }[];
      scannedFraction: number;
      assumedFilterDays: number;
    };
    expect(evidence.assumedFilterDays).toBe(30);
    expect(evidence.scannedFraction).toBeCloseTo(0.1, 12);
    expect(evidence.costLines.map((l) => l.quantity)).toEqual([200, expect.closeTo(20, 9)]);
    const fix = rec!.fix as { sql: string; caveats: string[] };
    expect(fix.sql).toBe(
      'ALTER TABLE `acme-analytics.logs.app_events`\nSET OPTIONS (require_partition_filter = TRUE);',
    );
    expect(fix.caveats[0]).toContain('will start failing');
    expect(fix.caveats[0]).toContain('health, adhoc');
    expect(() => recommendationSchema.parse(rec)).not.toThrow();
  });

  it('falls back to one partition a day without a creation time', () => {
    const [rec] = requirePartitionFilter.analyze(
      context({
        tables: [appEvents({ creationTime: null, totalPartitions: 600 })],
        patterns: [dashboard('health')],
        sql: [sqlOf('health', [byName])],
      }),
    ).recommendations;
    expect(rec!.monthlySavingsUsd).toBeCloseTo(150 * (1 - 30 / 600) * usdPerTib, 9);
  });

  it('counts the recurring scans only, and lists the one-off and capacity-billed ones', () => {
    const [rec] = requirePartitionFilter.analyze(
      context({
        tables: [appEvents()],
        patterns: [
          dashboard('health'),
          dashboard('runaway', { runs: 4, activeDays: 4, onDemandBytesBilled: 130 * TiB }),
          dashboard('etl', { onDemandBytesBilled: 0, reservationSlotMs: 1e9 }),
        ],
        sql: [sqlOf('health', [byName]), sqlOf('runaway', [byName]), sqlOf('etl', [])],
      }),
    ).recommendations;
    expect(rec!.monthlySavingsUsd).toBeCloseTo(150 * 0.9 * usdPerTib, 9);
    const notCounted = (rec!.evidence as { notCounted: { hash: string }[] }).notCounted;
    expect(notCounted.map((n) => n.hash)).toEqual(['runaway', 'etl']);
    // All three would fail once a filter is required.
    expect((rec!.fix as { caveats: string[] }).caveats[0]).toContain('health, runaway, etl');
  });

  it('splits a join’s bytes by table size', () => {
    const raw = 'acme-analytics.raw_logs.clickstream_raw';
    const [rec] = requirePartitionFilter.analyze(
      context({
        tables: [
          appEvents(),
          tableFact({ table: raw, totalLogicalBytes: 2048 * GiB, totalPartitions: 1 }),
        ],
        patterns: [
          dashboard('join', {
            referencedTables: [
              { table: key, runs: 360 },
              { table: raw, runs: 360 },
            ],
          }),
        ],
        sql: [sqlOf('join', [{ table: 'e', column: 'event_name', op: 'eq' }])],
      }),
    ).recommendations;
    // 6 TiB of 8 TiB: three quarters of 150 TiB.
    expect(rec!.monthlySavingsUsd).toBeCloseTo(150 * 0.75 * 0.9 * usdPerTib, 9);
  });
});

describe('require-partition-filter: clean', () => {
  it.each<[string, Partial<Parameters<typeof context>[0]>]>([
    [
      'readers that filter on a date (the demo’s dashboards on reporting tables)',
      {
        sql: [
          sqlOf('health', [{ table: key, column: 'event_date', op: 'range', from: '2026-10-01' }]),
        ],
      },
    ],
    [
      'a filter through DATE() on a timestamp column',
      { sql: [sqlOf('health', [{ table: key, column: 'event_ts', op: 'eq' }])] },
    ],
    [
      'a date filter on an alias that may be this table',
      {
        tables: [appEvents(), tableFact({ table: 'p.d.t2', totalPartitions: 0 })],
        patterns: [
          dashboard('health', {
            referencedTables: [
              { table: key, runs: 360 },
              { table: 'p.d.t2', runs: 360 },
            ],
          }),
        ],
        sql: [sqlOf('health', [{ table: 'x', column: 'created_at', op: 'range' }])],
      },
    ],
    ['an unpartitioned table', { tables: [appEvents({ totalPartitions: 0 })] }],
    ['SQL that did not parse', { sql: [sqlOf('health', [], false)] }],
    ['no SQL inspection at all', { sql: [] }],
    [
      'a one-off scan (the demo’s runaway join: a cap fits it better)',
      { patterns: [dashboard('health', { runs: 4, activeDays: 4 })] },
    ],
    [
      'a pattern run on reservation capacity',
      { patterns: [dashboard('health', { onDemandBytesBilled: 0, reservationSlotMs: 1e9 })] },
    ],
    [
      'a table younger than the assumed filter',
      { tables: [appEvents({ creationTime: new Date(asOf.getTime() - 20 * dayMs) })] },
    ],
    [
      'scans worth under 1 TiB a month',
      { patterns: [dashboard('health', { onDemandBytesBilled: TiB })] },
    ],
    ['a view', { tables: [appEvents({ tableType: 'VIEW' })] }],
  ])('%s', (_name, overrides) => {
    const ctx = context({
      tables: [appEvents()],
      patterns: [dashboard('health')],
      sql: [sqlOf('health', [byName])],
      ...overrides,
    });
    expect(requirePartitionFilter.analyze(ctx)).toEqual({ recommendations: [], anomalies: [] });
  });
});

describe('require-partition-filter on the demo organisation', () => {
  it('finds the planted table, not the runaway’s one-off scans', async () => {
    const { context: ctx, truth } = await demoContext();
    const planted = truth.planted
      .filter((p) => p.kind === 'require_partition_filter')
      .map((p) => p.target);
    expect(planted).toEqual([key]);
    const { recommendations } = requirePartitionFilter.analyze(ctx);
    expect(recommendations.map((r) => r.target)).toEqual(planted);
    const counted = (recommendations[0]!.evidence as { patterns: { hash: string }[] }).patterns;
    expect(counted.map((p) => p.hash).sort()).toEqual(
      [truth.queryPatterns.dashAppHealth!, truth.queryPatterns.biAppEventsAdhoc!].sort(),
    );
  });
});
