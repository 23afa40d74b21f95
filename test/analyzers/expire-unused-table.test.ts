import { describe, expect, it } from 'vitest';
import {
  expireUnusedTable,
  graceDays,
  minLogicalBytes,
} from '../../analyzers/expire-unused-table.js';
import type { CostLine, Recommendation } from '../../src/domain/analysis.js';
import { stableId, type AnalyzerContext, type TableUsageFact } from '../../src/domain/context.js';
import type { TableStorageFact } from '../../src/domain/facts.js';
import { pricingFileSchema, resolvePricing } from '../../src/domain/pricing.js';
import { context, GiB, tableFact, tableUsage } from '../fixtures/context.js';

// Pinned storage prices, so a change of the built-in defaults cannot move these figures.
const pricing = resolvePricing(
  'us',
  pricingFileSchema.parse({
    regions: {
      us: {
        storageUsdPerGibMonth: {
          logicalActive: 0.02,
          logicalLongTerm: 0.01,
          physicalActive: 0.04,
          physicalLongTerm: 0.02,
        },
      },
    },
  }),
);

const target = 'proj.archive.old';
// The fixture window is [2026-10-02, 2026-11-01).

/** 500 GiB active + 1500 GiB long-term logical; 200 + 300 GiB physical, 20 GiB fail-safe. */
function big(over: Partial<TableStorageFact> & { table?: string } = {}): TableStorageFact {
  return tableFact({
    table: target,
    creationTime: new Date('2025-01-01T00:00:00Z'),
    storageLastModifiedTime: new Date('2026-05-01T00:00:00Z'),
    totalLogicalBytes: 2000 * GiB,
    activeLogicalBytes: 500 * GiB,
    longTermLogicalBytes: 1500 * GiB,
    totalPhysicalBytes: 500 * GiB,
    activePhysicalBytes: 200 * GiB,
    longTermPhysicalBytes: 300 * GiB,
    failSafePhysicalBytes: 20 * GiB,
    ...over,
  });
}
// LOGICAL: 500 × 0.02 + 1500 × 0.01 = 25. PHYSICAL: (200 + 20) × 0.04 + 300 × 0.02 = 14.8.
const logicalUsd = 25;
const physicalUsd = 14.8;

function run(
  tables: TableStorageFact[],
  usage: TableUsageFact[] = [],
  over: Partial<AnalyzerContext> = {},
): Recommendation[] {
  return expireUnusedTable.analyze(context({ pricing, tables, tableUsage: usage, ...over }))
    .recommendations;
}

describe('expire-unused-table: flagged', () => {
  it.each([
    {
      name: 'absent from usage (no job touched it), LOGICAL dataset',
      table: big(),
      usage: [],
      savings: logicalUsd,
      confidence: 'medium',
      written: false,
    },
    {
      name: 'in usage with zero reads and zero writes',
      table: big(),
      usage: [tableUsage({ table: target })],
      savings: logicalUsd,
      confidence: 'medium',
      written: false,
    },
    {
      name: 'PHYSICAL dataset: priced by physical byte class incl. fail-safe',
      table: big({ storageBillingModelOption: 'PHYSICAL' }),
      usage: [],
      savings: physicalUsd,
      confidence: 'medium',
      written: false,
    },
    {
      name: 'written but never read',
      table: big({ storageLastModifiedTime: new Date('2026-10-30T00:00:00Z') }),
      usage: [
        tableUsage({ table: target, writes: 30, lastWrite: new Date('2026-10-30T00:00:00Z') }),
      ],
      savings: logicalUsd,
      confidence: 'low',
      written: true,
    },
    {
      name: 'modified in the window by something no visible job did (streaming, other projects)',
      table: big({ storageLastModifiedTime: new Date('2026-10-20T00:00:00Z') }),
      usage: [],
      savings: logicalUsd,
      confidence: 'low',
      written: true,
    },
    {
      name: 'usage of other tables does not count',
      table: big(),
      usage: [tableUsage({ table: 'proj.archive.other', reads: 100, readDays: 30 })],
      savings: logicalUsd,
      confidence: 'medium',
      written: false,
    },
    {
      name: 'a snapshot table holds bytes too',
      table: big({ tableType: 'SNAPSHOT' }),
      usage: [],
      savings: logicalUsd,
      confidence: 'medium',
      written: false,
    },
  ])('$name', ({ table, usage, savings, confidence, written }) => {
    const recs = run([table], usage);
    expect(recs).toHaveLength(1);
    const rec = recs[0]!;
    expect(rec.kind).toBe('expire_unused_table');
    expect(rec.target).toBe(target);
    expect(rec.id).toBe(stableId('rec', 'expire_unused_table', target));
    expect(rec.monthlySavingsUsd).toBeCloseTo(savings, 9);
    expect(rec.confidence).toBe(confidence);
    expect(rec.summary).toContain(`$${savings.toFixed(2)}/month`);
    expect(rec.summary.includes('is written')).toBe(written);
    const evidence = rec.evidence as {
      costLines: CostLine[];
      lastRead: unknown;
      readsInWindow: number;
      storageLastModifiedTime: string;
      totalLogicalBytes: number;
    };
    expect(evidence.costLines.reduce((s, l) => s + l.usd!, 0)).toBeCloseTo(savings, 9);
    for (const line of evidence.costLines)
      expect(line.usd).toBeCloseTo(line.quantity! * line.unitPriceUsd, 12);
    expect(evidence.lastRead).toBeNull();
    expect(evidence.readsInWindow).toBe(0);
    expect(evidence.storageLastModifiedTime).toBe(table.storageLastModifiedTime!.toISOString());
    expect(evidence.totalLogicalBytes).toBe(2000 * GiB);
    const fix = rec.fix as { sql: string; caveats: string[]; steps: string[] };
    expect(fix.sql).toBe(
      `ALTER TABLE \`${target}\` SET OPTIONS(expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL ${graceDays} DAY))`,
    );
    const caveats = fix.caveats.join(' ');
    expect(caveats).toMatch(/180 days/);
    expect(caveats).toMatch(/other projects/);
    expect(caveats).toMatch(/fail-safe/);
    expect(fix.steps.join(' ').includes('stop the job')).toBe(written);
  });

  it('cost lines follow the byte classes of the current model', () => {
    const lines = (
      run([big({ storageBillingModelOption: 'PHYSICAL' })])[0]!.evidence as {
        costLines: CostLine[];
      }
    ).costLines;
    expect(lines.map((l) => [l.quantity, l.unitPriceUsd])).toEqual([
      [200, 0.04],
      [20, 0.04],
      [300, 0.02],
    ]);
  });

  it('shows an unknown saving as null, never $0, when physical bytes are missing', () => {
    const recs = run([
      big({
        storageBillingModelOption: 'PHYSICAL',
        totalPhysicalBytes: 0,
        activePhysicalBytes: 0,
        longTermPhysicalBytes: 0,
        failSafePhysicalBytes: 0,
      }),
    ]);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.monthlySavingsUsd).toBeNull();
    expect(recs[0]!.summary).toContain('unknown');
    expect((recs[0]!.evidence as { costLines: CostLine[] }).costLines.map((l) => l.usd)).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('is low confidence when the window is too short to see monthly readers', () => {
    const recs = run([big()], [], {
      windowDays: 7,
      window: { start: new Date('2026-10-25T00:00:00Z'), end: new Date('2026-11-01T00:00:00Z') },
    });
    expect(recs[0]!.confidence).toBe('low');
  });
});

describe('expire-unused-table: clean', () => {
  it.each([
    {
      // The archive.orders_history trap: unmodified for over a year, all long-term, read daily.
      name: 'a table read every day',
      tables: [
        big({
          activeLogicalBytes: 0,
          longTermLogicalBytes: 3000 * GiB,
          totalLogicalBytes: 3000 * GiB,
          storageLastModifiedTime: new Date('2025-09-16T00:00:00Z'),
        }),
      ],
      usage: [
        tableUsage({
          table: target,
          reads: 30,
          readDays: 30,
          lastRead: new Date('2026-10-31T06:00:00Z'),
        }),
      ],
    },
    {
      name: 'read once in the window',
      tables: [big()],
      usage: [tableUsage({ table: target, reads: 1, readDays: 1 })],
    },
    {
      name: 'read and written',
      tables: [big()],
      usage: [tableUsage({ table: target, reads: 3, readDays: 3, writes: 30 })],
    },
    {
      name: 'below the size floor',
      tables: [
        big({
          totalLogicalBytes: minLogicalBytes - 1,
          activeLogicalBytes: minLogicalBytes - 1,
          longTermLogicalBytes: 0,
        }),
      ],
      usage: [],
    },
    {
      name: 'large but cheap: saving under $1/month',
      // 60 GiB long-term logical × 0.01 = 0.60
      tables: [
        big({ totalLogicalBytes: 60 * GiB, activeLogicalBytes: 0, longTermLogicalBytes: 60 * GiB }),
      ],
      usage: [],
    },
    { name: 'a view', tables: [big({ tableType: 'VIEW' })], usage: [] },
    { name: 'an external table', tables: [big({ tableType: 'EXTERNAL' })], usage: [] },
    { name: 'a materialized view', tables: [big({ tableType: 'MATERIALIZED VIEW' })], usage: [] },
    {
      name: 'created inside the window (too new to judge)',
      tables: [big({ creationTime: new Date('2026-10-10T00:00:00Z') })],
      usage: [],
    },
    { name: 'no tables', tables: [], usage: [] },
  ])('$name', ({ tables, usage }) => {
    expect(run(tables, usage)).toEqual([]);
  });
});

describe('expire-unused-table: invariants', () => {
  const tables = [
    big(),
    big({ table: 'proj.archive.b', storageBillingModelOption: 'PHYSICAL' }),
    big({ table: 'proj.archive.c' }),
  ];
  const usage = [tableUsage({ table: 'proj.archive.c', reads: 2, readDays: 2 })];

  it('gives the same ids on the same data', () => {
    const first = run(tables, usage).map((r) => r.id);
    expect(first).toHaveLength(2);
    expect(run(tables, usage).map((r) => r.id)).toEqual(first);
    expect(new Set(first).size).toBe(2);
  });

  it('only ever claims a positive saving', () => {
    for (const rec of run(tables, usage)) expect(rec.monthlySavingsUsd!).toBeGreaterThan(0);
  });
});
