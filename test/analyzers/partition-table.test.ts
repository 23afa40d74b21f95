import { describe, expect, it } from 'vitest';
import { partitionTable } from '../../analyzers/partition-table.js';
import { recommendationSchema } from '../../src/domain/analysis.js';
import type { ColumnPredicate, PatternSql, QueryPatternFact } from '../../src/domain/context.js';
import { stableId } from '../../src/domain/context.js';
import type { TableStorageFact } from '../../src/domain/facts.js';
import { pricingFileSchema, resolvePricing } from '../../src/domain/pricing.js';
import { asOf, context, GiB, pattern, tableFact, TiB } from '../fixtures/context.js';
import { demoContext } from '../fixtures/demo-context.js';

// Prices pinned at the US list price, $6.25 per TiB, unless a test says otherwise.
const usdPerTib = 6.25;
const key = 'acme-marketing.events.web_events';
const dayMs = 86_400_000;
const daysBefore = (days: number) => new Date(asOf.getTime() - days * dayMs);
const isoDaysBefore = (days: number) => daysBefore(days).toISOString().slice(0, 10);

/** 4 TiB, unpartitioned, created 1000 days before as-of. */
const events = (overrides: Partial<TableStorageFact> = {}) =>
  tableFact({
    table: key,
    totalLogicalBytes: 4096 * GiB,
    totalPartitions: 0,
    creationTime: daysBefore(1000),
    ...overrides,
  });

/** A recurring on-demand pattern reading only the events table. */
const reader = (hash: string, overrides: Partial<QueryPatternFact> = {}) =>
  pattern({
    hash,
    runs: 240,
    activeDays: 30,
    onDemandBytesBilled: 240 * TiB,
    referencedTables: [{ table: key, runs: 240 }],
    ...overrides,
  });

const sqlOf = (hash: string, filters: ColumnPredicate[], parsed = true): PatternSql => ({
  hash,
  parsed,
  findings: [],
  filters: parsed ? filters : [],
  joins: [],
});
const since = (
  days: number,
  column = 'event_date',
  table: string | null = key,
): ColumnPredicate => ({
  table,
  column,
  op: 'range',
  from: isoDaysBefore(days),
  to: null,
});

describe('partition-table: flagged', () => {
  it.each([
    // [name, predicate, fraction of the table still read]
    ['an open-ended >= literal (as-of minus from)', since(7), 7 / 1000],
    [
      'a BETWEEN (both days included)',
      {
        table: key,
        column: 'event_date',
        op: 'range',
        from: '2026-10-01',
        to: '2026-10-10',
      } as ColumnPredicate,
      10 / 1000,
    ],
    [
      'an equality on a date (one day)',
      { table: key, column: 'event_date', op: 'eq', from: '2026-10-30' } as ColumnPredicate,
      1 / 1000,
    ],
    [
      'an equality on a date with no literal (DATE(ts) = @run_date: still one day)',
      { table: key, column: 'event_ts', op: 'eq' } as ColumnPredicate,
      1 / 1000,
    ],
    [
      'an unresolved alias when the pattern reads only this table',
      since(7, 'event_date', 'e'),
      7 / 1000,
    ],
    ['a timestamp column', since(14, 'event_ts'), 14 / 1000],
  ])('%s', (_name, predicate, fraction) => {
    const { recommendations } = partitionTable.analyze(
      context({
        tables: [events()],
        patterns: [reader('h1')],
        sql: [sqlOf('h1', [predicate])],
      }),
    );
    expect(recommendations).toHaveLength(1);
    const [rec] = recommendations;
    expect(rec!.kind).toBe('partition_table');
    expect(rec!.target).toBe(key);
    // 240 TiB a month now; partitioned, each run reads `fraction` of it.
    expect(rec!.monthlySavingsUsd).toBeCloseTo(240 * (1 - fraction) * usdPerTib, 9);
    expect(rec!.confidence).toBe('high');
    expect(() => recommendationSchema.parse(rec)).not.toThrow();
  });

  it('sums the patterns, each with its own filter, and shows the arithmetic in cost lines', () => {
    const { recommendations } = partitionTable.analyze(
      context({
        tables: [events()],
        patterns: [reader('week'), reader('ten', { onDemandBytesBilled: 100 * TiB })],
        sql: [
          sqlOf('week', [since(7)]),
          sqlOf('ten', [
            { table: key, column: 'event_date', op: 'range', from: '2026-10-01', to: '2026-10-10' },
          ]),
        ],
      }),
    );
    const [rec] = recommendations;
    // 240 × (1 − 0.007) + 100 × (1 − 0.010) = 238.32 + 99 = 337.32 TiB saved a month.
    expect(rec!.monthlySavingsUsd).toBeCloseTo(337.32 * usdPerTib, 9);
    const evidence = rec!.evidence as {
      costLines: { quantity: number; usd: number; unitPriceUsd: number }[];
      patterns: { hash: string; scannedFraction: number; monthlySavingsUsd: number }[];
      column: string;
    };
    expect(evidence.column).toBe('event_date');
    expect(evidence.costLines.map((l) => l.quantity)).toEqual([
      340,
      expect.closeTo(240 * 0.007 + 100 * 0.01, 9),
      4, // one-time: the whole table, 4 TiB
    ]);
    expect(evidence.costLines.every((l) => l.unitPriceUsd === usdPerTib)).toBe(true);
    expect(evidence.costLines[0]!.usd - evidence.costLines[1]!.usd).toBeCloseTo(
      rec!.monthlySavingsUsd!,
      9,
    );
    expect(evidence.patterns.map((p) => [p.hash, p.scannedFraction])).toEqual([
      ['week', expect.closeTo(0.007, 12)],
      ['ten', expect.closeTo(0.01, 12)],
    ]);
    expect(rec!.summary).toContain('$2,108/month');
    expect(rec!.fix).toMatchObject({
      sql: expect.stringContaining(
        'CREATE TABLE `acme-marketing.events.web_events__partitioned`\nPARTITION BY event_date\nOPTIONS (require_partition_filter = TRUE)\nAS SELECT * FROM `acme-marketing.events.web_events`;',
      ),
    });
  });

  it('scales a 60-day window to a month and takes prices from the context', () => {
    const pricing = resolvePricing(
      'us',
      pricingFileSchema.parse({ regions: { us: { onDemandUsdPerTib: 5 } } }),
    );
    const [rec] = partitionTable.analyze(
      context({
        windowDays: 60,
        pricing,
        tables: [events()],
        patterns: [reader('h1')],
        sql: [sqlOf('h1', [since(7)])],
      }),
    ).recommendations;
    expect(rec!.monthlySavingsUsd).toBeCloseTo(120 * 0.993 * 5, 9);
  });

  it('partitions a timestamp column through DATE()', () => {
    const [rec] = partitionTable.analyze(
      context({
        tables: [events()],
        patterns: [reader('h1')],
        sql: [sqlOf('h1', [since(7, 'event_ts')])],
      }),
    ).recommendations;
    expect((rec!.fix as { sql: string }).sql).toContain('PARTITION BY DATE(event_ts)');
  });

  it('splits a pattern reading two tables by their sizes', () => {
    const other = 'acme-marketing.events.sessions';
    const [rec] = partitionTable.analyze(
      context({
        tables: [events(), tableFact({ table: other, totalLogicalBytes: 1024 * GiB })],
        patterns: [
          reader('h1', {
            referencedTables: [
              { table: key, runs: 240 },
              { table: other, runs: 240 },
            ],
          }),
        ],
        sql: [sqlOf('h1', [since(7, 'event_date', key), since(7, 'session_date', other)])],
      }),
    ).recommendations;
    // 4 TiB of 5 TiB read: 80% of the pattern's 240 TiB is put on the events table.
    expect(rec!.monthlySavingsUsd).toBeCloseTo(240 * 0.8 * 0.993 * usdPerTib, 9);
  });

  it('keeps require_partition_filter out of the DDL while a reader has no date filter', () => {
    const [rec] = partitionTable.analyze(
      context({
        tables: [events()],
        patterns: [reader('dated'), reader('undated', { onDemandBytesBilled: TiB })],
        sql: [
          sqlOf('dated', [since(7)]),
          sqlOf('undated', [{ table: key, column: 'user_id', op: 'eq' }]),
        ],
      }),
    ).recommendations;
    const fix = rec!.fix as { sql: string; caveats: string[]; steps: string[] };
    expect(fix.sql).not.toContain('require_partition_filter');
    expect(fix.caveats.join('\n')).toContain('undated');
    expect(fix.steps.join('\n')).toContain('require_partition_filter = TRUE');
    // The undated reader saves nothing and is listed as such.
    expect(rec!.monthlySavingsUsd).toBeCloseTo(240 * 0.993 * usdPerTib, 9);
    expect((rec!.evidence as { notCounted: { hash: string }[] }).notCounted).toEqual([
      { hash: 'undated', reason: 'no filter on event_date: partitioning would not prune it' },
    ]);
  });

  it('is less sure when some readers could not be parsed', () => {
    const [rec] = partitionTable.analyze(
      context({
        tables: [events()],
        patterns: [reader('h1'), reader('h2')],
        sql: [sqlOf('h1', [since(7)]), sqlOf('h2', [], false)],
      }),
    ).recommendations;
    expect(rec!.confidence).toBe('medium');
    expect(rec!.monthlySavingsUsd).toBeCloseTo(240 * 0.993 * usdPerTib, 9);
  });

  it('says unknown (null, low confidence) when it cannot size the pruning', () => {
    const cases: [string, Partial<TableStorageFact>, ColumnPredicate][] = [
      ['no creation time', { creationTime: null }, since(7)],
      [
        'an IN list of dates',
        {},
        { table: key, column: 'event_date', op: 'in' } as ColumnPredicate,
      ],
      [
        'an equality on a month',
        {},
        { table: key, column: 'event_month', op: 'eq' } as ColumnPredicate,
      ],
    ];
    for (const [name, table, predicate] of cases) {
      const [rec] = partitionTable.analyze(
        context({
          tables: [events(table)],
          patterns: [reader('h1')],
          sql: [sqlOf('h1', [predicate])],
        }),
      ).recommendations;
      expect(rec, name).toBeDefined();
      expect(rec!.monthlySavingsUsd, name).toBeNull();
      expect(rec!.confidence, name).toBe('low');
      const lines = (rec!.evidence as { costLines: { usd: number | null }[] }).costLines;
      expect(lines[0]!.usd, name).toBeNull();
    }
  });

  it('gives the same id on every run, whatever the order of the facts', () => {
    const ctx = context({
      tables: [events(), tableFact({ table: 'p.d.other', totalLogicalBytes: 200 * GiB })],
      patterns: [reader('h1'), reader('h2', { onDemandBytesBilled: 10 * TiB })],
      sql: [sqlOf('h1', [since(7)]), sqlOf('h2', [since(30)])],
    });
    const first = partitionTable.analyze(ctx).recommendations;
    const again = partitionTable.analyze({
      ...ctx,
      tables: [...ctx.tables].reverse(),
      patterns: [...ctx.patterns].reverse(),
      sql: [...ctx.sql].reverse(),
    }).recommendations;
    expect(first.map((r) => r.id)).toEqual([stableId('rec', 'partition_table', key)]);
    expect(again).toEqual(first);
  });
});

describe('partition-table: clean', () => {
  const dated = sqlOf('h1', [since(7)]);
  it.each<[string, Partial<Parameters<typeof context>[0]>]>([
    [
      'a partitioned table (the demo trap: reporting.orders_enriched)',
      { tables: [events({ totalPartitions: 1460 })] },
    ],
    [
      'a large table read with no date filter (the demo trap: sales.order_items)',
      { sql: [sqlOf('h1', [{ table: key, column: 'customer_id', op: 'eq' }])] },
    ],
    ['a table under ~100 GB', { tables: [events({ totalLogicalBytes: 99 * GiB })] }],
    ['a view', { tables: [events({ tableType: 'VIEW' })] }],
    ['SQL that did not parse', { sql: [sqlOf('h1', [], false)] }],
    ['no SQL inspection at all', { sql: [] }],
    [
      'a one-off burst (the demo backfill: 80 runs on one day)',
      { patterns: [reader('h1', { runs: 80, activeDays: 1 })] },
    ],
    [
      'a pattern run on reservation capacity',
      { patterns: [reader('h1', { onDemandBytesBilled: 0, reservationSlotMs: 1e9 })] },
    ],
    ['a filter that covers the whole table', { sql: [sqlOf('h1', [since(5000)])] }],
    [
      'a saving under 1 TiB a month',
      { patterns: [reader('h1', { onDemandBytesBilled: 0.5 * TiB })] },
    ],
    [
      'a date compared with a subquery',
      {
        patterns: [
          reader('h1', {
            sampleQuery: `SELECT 1 FROM \`${key}\` WHERE event_date IN (SELECT MAX(event_date) FROM \`${key}\`)`,
          }),
        ],
        sql: [sqlOf('h1', [{ table: key, column: 'event_date', op: 'in' }])],
      },
    ],
    [
      'a date filter on another table of a join',
      {
        tables: [events(), tableFact({ table: 'p.d.calendar', totalLogicalBytes: GiB })],
        patterns: [
          reader('h1', {
            referencedTables: [
              { table: key, runs: 240 },
              { table: 'p.d.calendar', runs: 240 },
            ],
          }),
        ],
        sql: [sqlOf('h1', [since(7, 'day', 'p.d.calendar')])],
      },
    ],
    ['a table younger than a day', { tables: [events({ creationTime: daysBefore(0.5) })] }],
  ])('%s', (_name, overrides) => {
    const ctx = context({
      tables: [events()],
      patterns: [reader('h1')],
      sql: [dated],
      ...overrides,
    });
    expect(partitionTable.analyze(ctx)).toEqual({ recommendations: [], anomalies: [] });
  });
});

describe('partition-table on the demo organisation', () => {
  it('finds the planted table and nothing else', async () => {
    const { context: ctx, truth } = await demoContext();
    const planted = truth.planted.filter((p) => p.kind === 'partition_table').map((p) => p.target);
    expect(planted).toEqual([key]);
    const { recommendations } = partitionTable.analyze(ctx);
    expect(recommendations.map((r) => r.target)).toEqual(planted);
    // Filters of 1 to 90 days on a 1200-day-old table: nearly all of ~1,000 TiB a month saved.
    expect(recommendations[0]!.monthlySavingsUsd).toBeGreaterThan(5000);
    expect(recommendations[0]!.confidence).toBe('high');
  });
});
