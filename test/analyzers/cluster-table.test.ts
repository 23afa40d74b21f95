import { describe, expect, it } from 'vitest';
import { clusterTable } from '../../analyzers/cluster-table.js';
import { recommendationSchema } from '../../src/domain/analysis.js';
import type { ColumnPredicate, PatternSql, QueryPatternFact } from '../../src/domain/context.js';
import { stableId } from '../../src/domain/context.js';
import type { TableStorageFact } from '../../src/domain/facts.js';
import { context, GiB, pattern, tableFact, TiB } from '../fixtures/context.js';
import { demoContext } from '../fixtures/demo-context.js';

// Prices pinned at the US list price, $6.25 per TiB.
const usdPerTib = 6.25;
const key = 'acme-analytics.sales.order_items';

/** 450 GiB, unpartitioned. */
const items = (overrides: Partial<TableStorageFact> = {}) =>
  tableFact({ table: key, totalLogicalBytes: 450 * GiB, totalPartitions: 0, ...overrides });

/** A recurring on-demand lookup pattern on the items table. */
const lookup = (hash: string, overrides: Partial<QueryPatternFact> = {}) =>
  pattern({
    hash,
    runs: 1200,
    activeDays: 30,
    onDemandBytesBilled: 120 * TiB,
    referencedTables: [{ table: key, runs: 1200 }],
    sampleQuery: `SELECT * FROM \`${key}\` WHERE customer_id = 42`,
    ...overrides,
  });

const sqlOf = (hash: string, filters: ColumnPredicate[], parsed = true): PatternSql => ({
  hash,
  parsed,
  findings: [],
  filters: parsed ? filters : [],
  joins: [],
});
const eq = (column: string, table: string | null = key): ColumnPredicate => ({
  table,
  column,
  op: 'eq',
});
const inList = (column: string, table: string | null = key): ColumnPredicate => ({
  table,
  column,
  op: 'in',
});

describe('cluster-table: flagged', () => {
  it('estimates half the bytes of the lookups that have the equality on every run', () => {
    const { recommendations } = clusterTable.analyze(
      context({
        tables: [items()],
        patterns: [lookup('orders'), lookup('ltv', { onDemandBytesBilled: 60 * TiB })],
        sql: [sqlOf('orders', [eq('customer_id')]), sqlOf('ltv', [eq('customer_id')])],
      }),
    );
    expect(recommendations).toHaveLength(1);
    const [rec] = recommendations;
    expect(rec).toMatchObject({
      id: stableId('rec', 'cluster_table', key),
      kind: 'cluster_table',
      target: key,
      confidence: 'medium',
    });
    // (120 + 60) TiB a month × 50% skipped × $6.25.
    expect(rec!.monthlySavingsUsd).toBe(180 * 0.5 * usdPerTib);
    expect(rec!.summary).toContain('$563/month');
    const evidence = rec!.evidence as {
      column: string;
      assumedPrunedFraction: number;
      costLines: { quantity: number; usd: number }[];
    };
    expect(evidence.column).toBe('customer_id');
    expect(evidence.assumedPrunedFraction).toBe(0.5);
    expect(evidence.costLines.map((l) => l.quantity)).toEqual([180, 90, 450 / 1024]);
    expect(evidence.costLines[0]!.usd - evidence.costLines[1]!.usd).toBe(rec!.monthlySavingsUsd);
    const fix = rec!.fix as { sql: string; steps: string[] };
    expect(fix.sql).toContain(
      'CLUSTER BY customer_id\nAS SELECT * FROM `acme-analytics.sales.order_items`;',
    );
    expect(fix.steps.join('\n')).toContain(
      'bq update --clustering_fields=customer_id acme-analytics:sales.order_items',
    );
    expect(() => recommendationSchema.parse(rec)).not.toThrow();
  });

  it('picks the id carrying the most bytes and lists the others', () => {
    const [rec] = clusterTable.analyze(
      context({
        tables: [items()],
        patterns: [lookup('a'), lookup('b', { onDemandBytesBilled: 200 * TiB })],
        sql: [sqlOf('a', [eq('customer_id')]), sqlOf('b', [eq('order_id', 'i')])],
      }),
    ).recommendations;
    const evidence = rec!.evidence as { column: string; otherCandidateColumns: string[] };
    expect(evidence.column).toBe('order_id');
    expect(evidence.otherCandidateColumns).toEqual(['customer_id']);
    expect(rec!.monthlySavingsUsd).toBe(100 * usdPerTib);
  });

  it('repeats the partitioning of a partitioned table in the rebuild', () => {
    const [rec] = clusterTable.analyze(
      context({
        tables: [items({ totalPartitions: 700 })],
        patterns: [lookup('a')],
        sql: [sqlOf('a', [eq('customer_id')])],
      }),
    ).recommendations;
    const fix = rec!.fix as { sql: string; caveats: string[] };
    expect(fix.sql).toContain('PARTITION BY');
    expect(fix.caveats.join('\n')).toContain('repeat its PARTITION BY');
  });

  it('says unknown (null, medium) for IN lists only', () => {
    const [rec] = clusterTable.analyze(
      context({
        tables: [items()],
        patterns: [lookup('a')],
        sql: [sqlOf('a', [inList('customer_id')])],
      }),
    ).recommendations;
    expect(rec!.monthlySavingsUsd).toBeNull();
    expect(rec!.confidence).toBe('medium');
    const lines = (rec!.evidence as { costLines: { usd: number | null }[] }).costLines;
    expect(lines.slice(0, 2).map((l) => l.usd)).toEqual([null, null]);
  });

  it('gives the same id on every run, whatever the order of the facts', () => {
    const ctx = context({
      tables: [items(), tableFact({ table: 'p.d.other', totalLogicalBytes: 20 * GiB })],
      patterns: [lookup('a'), lookup('b', { onDemandBytesBilled: 30 * TiB })],
      sql: [sqlOf('a', [eq('customer_id')]), sqlOf('b', [eq('customer_id')])],
    });
    const first = clusterTable.analyze(ctx).recommendations;
    const again = clusterTable.analyze({
      ...ctx,
      tables: [...ctx.tables].reverse(),
      patterns: [...ctx.patterns].reverse(),
      sql: [...ctx.sql].reverse(),
    }).recommendations;
    expect(first.map((r) => r.id)).toEqual([stableId('rec', 'cluster_table', key)]);
    expect(again).toEqual(first);
  });
});

describe('cluster-table: clean', () => {
  it.each<[string, Partial<Parameters<typeof context>[0]>]>([
    ['a table under ~10 GB', { tables: [items({ totalLogicalBytes: 9 * GiB })] }],
    ['a filter on a low-cardinality name', { sql: [sqlOf('a', [eq('status')])] }],
    [
      'a range on an id',
      { sql: [sqlOf('a', [{ table: key, column: 'customer_id', op: 'range' }])] },
    ],
    ['an equality on a date (partitioning’s job)', { sql: [sqlOf('a', [eq('event_date')])] }],
    [
      'an id compared with a subquery (the demo’s semi-join on sales.customers)',
      {
        patterns: [
          lookup('a', {
            sampleQuery: `SELECT * FROM \`${key}\` AS c WHERE c.customer_id IN (\n  SELECT o.customer_id FROM o)`,
          }),
        ],
        sql: [sqlOf('a', [inList('customer_id', 'c')])],
      },
    ],
    ['SQL that did not parse', { sql: [sqlOf('a', [], false)] }],
    ['no SQL inspection at all', { sql: [] }],
    ['a one-off', { patterns: [lookup('a', { runs: 6, activeDays: 2 })] }],
    [
      'a pattern run on reservation capacity',
      { patterns: [lookup('a', { onDemandBytesBilled: 0, reservationSlotMs: 1e9 })] },
    ],
    [
      'lookups worth under 1 TiB a month',
      { patterns: [lookup('a', { onDemandBytesBilled: 1.9 * TiB })] },
    ],
    [
      'an id filter on the other table of a join',
      {
        tables: [items(), tableFact({ table: 'p.d.customers', totalLogicalBytes: 40 * GiB })],
        patterns: [
          lookup('a', {
            referencedTables: [
              { table: key, runs: 1200 },
              { table: 'p.d.customers', runs: 1200 },
            ],
            onDemandBytesBilled: 0.1 * TiB,
          }),
        ],
        sql: [sqlOf('a', [eq('customer_id', 'p.d.customers')])],
      },
    ],
  ])('%s', (_name, overrides) => {
    const ctx = context({
      tables: [items()],
      patterns: [lookup('a')],
      sql: [sqlOf('a', [eq('customer_id')])],
      ...overrides,
    });
    expect(clusterTable.analyze(ctx)).toEqual({ recommendations: [], anomalies: [] });
  });
});

describe('cluster-table on the demo organisation', () => {
  it('finds the planted table and nothing else', async () => {
    const { context: ctx, truth } = await demoContext();
    const planted = truth.planted.filter((p) => p.kind === 'cluster_table').map((p) => p.target);
    expect(planted).toEqual([key]);
    const { recommendations } = clusterTable.analyze(ctx);
    expect(recommendations.map((r) => r.target)).toEqual(planted);
    expect((recommendations[0]!.evidence as { column: string }).column).toBe('customer_id');
    expect(recommendations[0]!.monthlySavingsUsd).toBeGreaterThan(0);
  });
});
