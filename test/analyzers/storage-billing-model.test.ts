import { describe, expect, it } from 'vitest';
import {
  minMonthlySavingsUsd,
  minSavingsShare,
  storageBillingModel,
} from '../../analyzers/storage-billing-model.js';
import type { CostLine, Recommendation } from '../../src/domain/analysis.js';
import { stableId } from '../../src/domain/context.js';
import type { TableStorageFact } from '../../src/domain/facts.js';
import { pricingFileSchema, resolvePricing, storageUsdPerMonth } from '../../src/domain/pricing.js';
import { context, GiB, tableFact } from '../fixtures/context.js';

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

function run(tables: TableStorageFact[]): Recommendation[] {
  return storageBillingModel.analyze(context({ pricing, tables })).recommendations;
}

/** A table with only active bytes: `logical` and `physical` in GiB. */
function active(
  logical: number,
  physical: number,
  over: Partial<TableStorageFact> & { table?: string } = {},
) {
  return tableFact({
    totalLogicalBytes: logical * GiB,
    activeLogicalBytes: logical * GiB,
    longTermLogicalBytes: 0,
    totalPhysicalBytes: physical * GiB,
    activePhysicalBytes: physical * GiB,
    longTermPhysicalBytes: 0,
    ...over,
  });
}

describe('storage-billing-model: flagged', () => {
  it.each([
    {
      name: 'LOGICAL dataset compressing 3.3x: PHYSICAL is cheaper',
      tables: [active(1000, 300)],
      // logical 1000 × 0.02 = 20; physical 300 × 0.04 = 12
      current: 'LOGICAL',
      proposed: 'PHYSICAL',
      currentUsd: 20,
      proposedUsd: 12,
    },
    {
      name: 'PHYSICAL dataset that barely compresses and churns: LOGICAL is cheaper',
      tables: [
        active(1000, 900, {
          failSafePhysicalBytes: 100 * GiB,
          storageBillingModelOption: 'PHYSICAL',
        }),
      ],
      // physical (900 + 100 fail-safe) × 0.04 = 40; logical 1000 × 0.02 = 20
      current: 'PHYSICAL',
      proposed: 'LOGICAL',
      currentUsd: 40,
      proposedUsd: 20,
    },
    {
      name: 'quoted option as SCHEMATA_OPTIONS shows it',
      tables: [active(1000, 1000, { storageBillingModelOption: '"PHYSICAL"' })],
      current: 'PHYSICAL',
      proposed: 'LOGICAL',
      currentUsd: 40,
      proposedUsd: 20,
    },
    {
      name: 'several tables and long-term bytes are summed per dataset',
      tables: [
        tableFact({
          table: 'proj.ds.a',
          activeLogicalBytes: 400 * GiB,
          longTermLogicalBytes: 600 * GiB,
          activePhysicalBytes: 50 * GiB,
          longTermPhysicalBytes: 100 * GiB,
          timeTravelPhysicalBytes: 10 * GiB,
          failSafePhysicalBytes: 20 * GiB,
        }),
        active(200, 40, { table: 'proj.ds.b' }),
      ],
      // logical: (400 + 200) × 0.02 + 600 × 0.01 = 18
      // physical: (50 + 40 + 20 fail-safe) × 0.04 + 100 × 0.02 = 6.4
      current: 'LOGICAL',
      proposed: 'PHYSICAL',
      currentUsd: 18,
      proposedUsd: 6.4,
    },
  ])('$name', ({ tables, current, proposed, currentUsd, proposedUsd }) => {
    const [rec, ...rest] = run(tables);
    expect(rest).toEqual([]);
    expect(rec).toBeDefined();
    expect(rec!.kind).toBe('storage_billing_model');
    expect(rec!.target).toBe('proj.ds');
    expect(rec!.id).toBe(stableId('rec', 'storage_billing_model', 'proj.ds'));
    expect(rec!.monthlySavingsUsd).toBeCloseTo(currentUsd - proposedUsd, 9);
    expect(rec!.confidence).toBe('high');
    expect(rec!.summary).toContain(`$${(currentUsd - proposedUsd).toFixed(2)}/month`);
    const evidence = rec!.evidence as {
      costLines: CostLine[];
      currentModel: string;
      proposedModel: string;
    };
    expect(evidence.currentModel).toBe(current);
    expect(evidence.proposedModel).toBe(proposed);
    const sum = (role: string) =>
      evidence.costLines
        .filter((l) => l.label.includes(`(${role},`))
        .reduce((s, l) => s + l.usd!, 0);
    expect(sum('current')).toBeCloseTo(currentUsd, 9);
    expect(sum('proposed')).toBeCloseTo(proposedUsd, 9);
    for (const line of evidence.costLines)
      expect(line.usd).toBeCloseTo(line.quantity! * line.unitPriceUsd, 12);
    const fix = rec!.fix as { sql: string; caveats: string[] };
    expect(fix.sql).toBe(
      `ALTER SCHEMA \`proj.ds\` SET OPTIONS(storage_billing_model = '${proposed}')`,
    );
    expect(fix.caveats.join(' ')).toMatch(/14 days/);
    expect(fix.caveats.join(' ')).toMatch(/time travel/i);
  });

  it('mentions that the time travel window can be reduced when proposing PHYSICAL', () => {
    const fix = run([active(1000, 300)])[0]!.fix as { caveats: string[] };
    expect(fix.caveats.join(' ')).toMatch(/fail-safe/);
    expect(fix.caveats.join(' ')).toMatch(/max_time_travel_hours/);
  });

  it('one recommendation per dataset, only for the datasets that gain', () => {
    const recs = run([
      active(1000, 300, { table: 'p1.raw.a' }),
      active(1000, 300, { table: 'p1.raw.b' }),
      active(1000, 300, { table: 'p2.ledger.a', storageBillingModelOption: 'PHYSICAL' }),
    ]);
    expect(recs.map((r) => [r.target, r.monthlySavingsUsd])).toEqual([['p1.raw', 16]]);
  });

  it('a small share of tables with unknown bytes lowers confidence and is named', () => {
    const recs = run([
      active(1000, 300, { table: 'proj.ds.a' }),
      active(50, 0, { table: 'proj.ds.no_physical' }),
    ]);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.confidence).toBe('medium');
    expect(recs[0]!.monthlySavingsUsd).toBeCloseTo(8, 9);
    expect((recs[0]!.evidence as { assumptions: string[] }).assumptions.join(' ')).toContain(
      'proj.ds.no_physical',
    );
  });
});

describe('storage-billing-model: clean', () => {
  it.each([
    {
      // The acme-ml.feature_store trap: low compression, heavy time travel and fail-safe.
      name: 'LOGICAL dataset where PHYSICAL would cost more',
      tables: [
        active(1000, 800, { timeTravelPhysicalBytes: 300 * GiB, failSafePhysicalBytes: 300 * GiB }),
      ],
    },
    {
      // The acme-finance.ledger trap: already on the cheaper model.
      name: 'PHYSICAL dataset that is already the cheaper model',
      tables: [active(1000, 300, { storageBillingModelOption: 'PHYSICAL' })],
    },
    {
      name: 'LOGICAL dataset already the cheaper model (absent option)',
      tables: [active(1000, 600)],
    },
    {
      name: `saving under $${minMonthlySavingsUsd}/month`,
      // 40 × 0.02 = 0.80 vs 12 × 0.04 = 0.48
      tables: [active(40, 12)],
    },
    {
      name: `saving under ${minSavingsShare * 100}%`,
      // 10000 × 0.02 = 200 vs 4800 × 0.04 = 192: $8 but 4%
      tables: [active(10000, 4800)],
    },
    {
      name: 'physical bytes missing from the export (would show a fake saving)',
      tables: [active(1000, 0)],
    },
    {
      name: 'tables of one dataset disagree on the model',
      tables: [
        active(1000, 300, { table: 'proj.ds.a' }),
        active(1000, 300, { table: 'proj.ds.b', storageBillingModelOption: 'PHYSICAL' }),
      ],
    },
    {
      name: 'unknown bytes in more than a tenth of the dataset',
      tables: [active(1000, 300, { table: 'proj.ds.a' }), active(500, 0, { table: 'proj.ds.b' })],
    },
    {
      name: 'non-finite bytes',
      tables: [active(1000, 300, { activePhysicalBytes: Number.NaN })],
    },
    { name: 'no tables', tables: [] },
  ])('$name', ({ tables }) => {
    expect(run(tables)).toEqual([]);
  });
});

describe('storage-billing-model: invariants', () => {
  const cases: TableStorageFact[] = [];
  for (const logical of [10, 100, 1000, 10000])
    for (const ratio of [0.1, 0.3, 0.5, 0.6, 1, 1.5])
      for (const option of [null, 'PHYSICAL', 'LOGICAL'])
        cases.push(
          active(logical, logical * ratio, {
            table: `proj.ds_${cases.length}.t`,
            storageBillingModelOption: option,
            failSafePhysicalBytes: logical * ratio * 0.1 * GiB,
          }),
        );

  it('never recommends a model that costs more, and never the current one', () => {
    const recs = run(cases);
    expect(recs.length).toBeGreaterThan(0);
    for (const rec of recs) {
      const table = cases.find((t) => `${t.projectId}.${t.datasetId}` === rec.target)!;
      const evidence = rec.evidence as {
        currentModel: 'LOGICAL' | 'PHYSICAL';
        proposedModel: 'LOGICAL' | 'PHYSICAL';
      };
      expect(evidence.proposedModel).not.toBe(evidence.currentModel);
      const now = storageUsdPerMonth(table, evidence.currentModel, pricing);
      const then = storageUsdPerMonth(table, evidence.proposedModel, pricing);
      expect(then).toBeLessThan(now);
      expect(rec.monthlySavingsUsd).toBeCloseTo(now - then, 9);
      expect(rec.monthlySavingsUsd!).toBeGreaterThanOrEqual(minMonthlySavingsUsd);
    }
  });

  it('gives the same ids on the same data, whatever the order of tables', () => {
    const first = run(cases).map((r) => r.id);
    const second = run([...cases].reverse()).map((r) => r.id);
    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });
});
