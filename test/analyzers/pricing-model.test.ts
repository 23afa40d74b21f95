import { describe, expect, it } from 'vitest';
import {
  createPricingModel,
  defaultPricingModelOptions,
  pricingModel,
} from '../../analyzers/pricing-model.js';
import type { CostLine, Recommendation } from '../../src/domain/analysis.js';
import { stableId, type AnalyzerContext } from '../../src/domain/context.js';
import type { CostFact, ReservationCapacityFact } from '../../src/domain/facts.js';
import { pricingFileSchema, resolvePricing, type PricingFile } from '../../src/domain/pricing.js';
import { context, costFact, TiB } from '../fixtures/context.js';

// Pinned compute prices, so a change of the built-in defaults cannot move these figures.
const pinned = {
  onDemandUsdPerTib: 6.25,
  editionsUsdPerSlotHour: {
    STANDARD: { payg: 0.04, oneYear: null, threeYear: null },
    ENTERPRISE: { payg: 0.06, oneYear: 0.048, threeYear: 0.036 },
    ENTERPRISE_PLUS: { payg: 0.1, oneYear: 0.08, threeYear: 0.06 },
  },
  autoscaleStepSlots: 50,
  autoscaleMinBillingSeconds: 60,
};
function pricingWith(extra: Partial<PricingFile> = {}) {
  return resolvePricing('us', pricingFileSchema.parse({ regions: { us: pinned }, ...extra }));
}
const pricing = pricingWith();

const slotMsPerHour = 3.6e6;
const days = Array.from({ length: 30 }, (_, i) => `2026-10-${String(i + 2).padStart(2, '0')}`);
const windowHours = 30 * 24;

/** On-demand bytes of a project spread over the 30 days, as 'project' and 'total' facts. */
function onDemand(project: string, tib: number): CostFact[] {
  return days.flatMap((day) => [
    costFact({ day, dimension: 'project', key: project, onDemandBytesBilled: (tib * TiB) / 30 }),
    costFact({ day, dimension: 'total', key: '', onDemandBytesBilled: (tib * TiB) / 30 }),
  ]);
}

/** On-demand slot usage of a project over the window, as the cost facts carry it. */
function slots(projectId: string, slotHours: number): CostFact {
  return costFact({
    day: days[0],
    dimension: 'project',
    key: projectId,
    jobs: 0,
    onDemandSlotMs: slotHours * slotMsPerHour,
  });
}

/** Reservation jobs' used slot-hours, spread over `onDays`, in every dimension they appear in. */
function reservationUse(
  reservationId: string,
  edition: string,
  slotHours: number,
  onDays = days,
): CostFact[] {
  return onDays.flatMap((day) => [
    costFact({
      day,
      dimension: 'total',
      reservationId,
      edition,
      reservationSlotMs: (slotHours * slotMsPerHour) / onDays.length,
    }),
    // Other dimensions repeat the same slot-ms: they must not be counted again.
    costFact({
      day,
      dimension: 'project',
      key: 'admin',
      reservationId,
      edition,
      reservationSlotMs: (slotHours * slotMsPerHour) / onDays.length,
    }),
  ]);
}

function timeline(
  reservationId: string,
  edition: string,
  perDay: { baseline: number; autoscale: number },
  onDays = days,
): ReservationCapacityFact[] {
  return onDays.map((day) => ({
    day,
    reservationId,
    edition,
    baselineSlotHours: perDay.baseline,
    autoscaleSlotHours: perDay.autoscale,
    minutes: 1440,
  }));
}

type Ctx = AnalyzerContext & { projectSlots?: CostFact[] };
function run(over: Partial<Ctx>, analyzer = pricingModel): Recommendation[] {
  const { projectSlots, ...rest } = over;
  const costFacts = [...(rest.costFacts ?? []), ...(projectSlots ?? [])];
  return analyzer.analyze(context({ pricing, ...rest, costFacts })).recommendations;
}

interface ProjectEvidence {
  costLines: CostLine[];
  editionsUsdPerMonth: number;
  onDemandUsdPerMonth: number;
  slotUsageSource: string;
  autoscaleUplift: number;
  autoscaleUpliftObserved: boolean;
  options: { name: string; usdPerMonth: number }[];
}

describe('pricing-model: on-demand projects', () => {
  it.each([
    {
      name: 'bytes-heavy project, default 2x autoscale uplift',
      // 100 TiB × 6.25 = 625; 500 slot-h × 2 × 0.06 = 60
      costFacts: onDemand('mkt', 100),
      projectSlots: [slots('mkt', 500)],
      reservations: [],
      onDemandUsd: 625,
      editionsUsd: 60,
      option: 'pay-as-you-go',
      uplift: 2,
    },
    {
      name: 'uplift measured on an autoscale-only reservation (450 billed / 150 used = 3x)',
      // 500 slot-h × 3 × 0.06 = 90
      costFacts: [...onDemand('mkt', 100), ...reservationUse('admin:US.etl', 'ENTERPRISE', 150)],
      projectSlots: [slots('mkt', 500)],
      reservations: timeline('admin:US.etl', 'ENTERPRISE', { baseline: 0, autoscale: 15 }),
      onDemandUsd: 625,
      editionsUsd: 90,
      option: 'pay-as-you-go',
      uplift: 3,
    },
    {
      name: 'steady 200 slots: a 3-year commitment is cheapest',
      // 3000 TiB × 6.25 = 18750; 200 slots × 720 h × 0.036 = 5184 (1-yr 6912, payg 17280)
      costFacts: onDemand('big', 3000),
      projectSlots: [slots('big', 200 * windowHours)],
      reservations: [],
      onDemandUsd: 18750,
      editionsUsd: 5184,
      option: '3-year commitment of 200 slots',
      uplift: 2,
    },
    {
      name: 'commitment below the average use, the rest autoscaled',
      // 75 slots average = 54000 slot-h; commit 50: 36000 × 0.036 = 1296, + 18000 × 2 × 0.06 = 2160
      costFacts: onDemand('mid', 1000),
      projectSlots: [slots('mid', 75 * windowHours)],
      reservations: [],
      onDemandUsd: 6250,
      editionsUsd: 1296 + 2160,
      option: '3-year commitment of 50 slots',
      uplift: 2,
    },
  ])(
    '$name',
    ({ costFacts, projectSlots, reservations, onDemandUsd, editionsUsd, option, uplift }) => {
      const recs = run({ costFacts, projectSlots, reservations }).filter(
        (r) => !r.target.includes(':'),
      );
      expect(recs).toHaveLength(1);
      const rec = recs[0]!;
      const project = projectSlots[0]!.key;
      expect(rec.kind).toBe('pricing_model');
      expect(rec.target).toBe(project);
      expect(rec.id).toBe(stableId('rec', 'pricing_model', project));
      expect(rec.monthlySavingsUsd).toBeCloseTo(onDemandUsd - editionsUsd, 6);
      expect(rec.confidence).toBe('medium');
      expect(rec.summary).toContain(option);
      const evidence = rec.evidence as ProjectEvidence;
      expect(evidence.onDemandUsdPerMonth).toBeCloseTo(onDemandUsd, 6);
      expect(evidence.editionsUsdPerMonth).toBeCloseTo(editionsUsd, 6);
      expect(evidence.autoscaleUplift).toBeCloseTo(uplift, 9);
      expect(evidence.slotUsageSource).toBe('measured');
      const [onDemandLine, ...capacity] = evidence.costLines;
      expect(onDemandLine!.usd).toBeCloseTo(onDemandUsd, 6);
      expect(capacity.reduce((s, l) => s + l.usd!, 0)).toBeCloseTo(editionsUsd, 6);
      for (const line of evidence.costLines)
        expect(line.usd).toBeCloseTo(line.quantity! * line.unitPriceUsd, 6);
      // The chosen option is the cheapest one evaluated.
      expect(Math.min(...evidence.options.map((o) => o.usdPerMonth))).toBeCloseTo(editionsUsd, 6);
    },
  );

  it('scales a shorter window to a 30-day month', () => {
    const half = days.slice(0, 15);
    const costFacts = half.map((day) =>
      costFact({ day, dimension: 'project', key: 'mkt', onDemandBytesBilled: (50 * TiB) / 15 }),
    );
    const recs = run({
      windowDays: 15,
      window: { start: new Date('2026-10-17T00:00:00Z'), end: new Date('2026-11-01T00:00:00Z') },
      costFacts,
      projectSlots: [slots('mkt', 250)],
    });
    // (50 TiB × 6.25 − 250 × 2 × 0.06) × 30 / 15 = (312.5 − 30) × 2 = 565
    expect(recs.map((r) => r.monthlySavingsUsd)).toEqual([expect.closeTo(565, 9)]);
  });

  it('asks for the autoscale maximum to be sized to the peak, which no fact measures yet', () => {
    const [rec] = run({ costFacts: onDemand('mkt', 100), projectSlots: [slots('mkt', 500)] });
    expect((rec!.fix as { steps: string[] }).steps.join(' ')).toContain(
      'sized to the peak concurrent slots',
    );
  });

  it('with an assumed slot-ms per TiB (off by default), flags with low confidence', () => {
    const analyzer = createPricingModel({ assumedOnDemandSlotMsPerTib: 5 * slotMsPerHour });
    const recs = run({ costFacts: onDemand('mkt', 100) }, analyzer);
    // 100 TiB × 5 slot-h × 2 × 0.06 = 60
    expect(recs).toHaveLength(1);
    expect(recs[0]!.confidence).toBe('low');
    expect(recs[0]!.monthlySavingsUsd).toBeCloseTo(625 - 60, 6);
    expect((recs[0]!.evidence as ProjectEvidence).slotUsageSource).toBe('assumed');
    expect(defaultPricingModelOptions.assumedOnDemandSlotMsPerTib).toBeNull();
  });
});

describe('pricing-model: on-demand projects left alone', () => {
  it.each([
    {
      // The acme-ml trap: 17 TiB ($106) with 7000 slot-h: editions ≥ 7000 × 0.036 = $252.
      name: 'slot-heavy, bytes-light project',
      costFacts: onDemand('ml', 17),
      projectSlots: [slots('ml', 7000)],
    },
    {
      // Like acme-analytics: 800 TiB ($5000) at 260 slot-h per TiB.
      name: 'bytes-heavy but also slot-heavy project',
      costFacts: onDemand('analytics', 800),
      projectSlots: [slots('analytics', 800 * 260)],
    },
    {
      name: 'no measured slot usage and no assumption: unknown, not a guess',
      costFacts: onDemand('mkt', 100),
      projectSlots: undefined,
    },
    {
      name: 'slot usage measured for other projects only',
      costFacts: onDemand('mkt', 100),
      projectSlots: [slots('other', 10)],
    },
    {
      name: 'zero slot-ms measured for billed bytes (missing measurement)',
      costFacts: onDemand('mkt', 100),
      projectSlots: [slots('mkt', 0)],
    },
    {
      name: 'saving under $100/month',
      // 10 TiB = 62.50 on-demand
      costFacts: onDemand('tiny', 10),
      projectSlots: [slots('tiny', 1)],
    },
    {
      name: 'saving under 20%',
      // 640 TiB = 4000; 29166.67 slot-h (40.5 slots, below one 50-slot step) × 2 × 0.06 = 3500
      costFacts: onDemand('close', 640),
      projectSlots: [slots('close', 3500 / 0.12)],
    },
    {
      name: 'reservation jobs are not on-demand spend',
      costFacts: reservationUse('admin:US.etl', 'ENTERPRISE', 100),
      projectSlots: [slots('admin', 100)],
    },
  ])('$name', ({ costFacts, projectSlots }) => {
    expect(run({ costFacts, ...(projectSlots ? { projectSlots } : {}) })).toEqual([]);
  });
});

describe('pricing-model: idle reservations', () => {
  const finance = 'admin-proj:US.finance';

  it.each([
    {
      name: 'baseline of 100 slots used 6.4%: lower to 0, autoscale the use (edition from timeline)',
      extra: {},
      // released 72000 × 0.10 = 7200; added 4600 × 2 × 0.10 = 920
      savings: 7200 - 920,
      confidence: 'high',
      newBaseline: 0,
    },
    {
      name: 'baseline priced at its configured 1-year commitment; autoscale at pay-as-you-go',
      extra: {
        reservations: { [finance]: { edition: 'ENTERPRISE_PLUS', commitment: 'oneYear' } },
      } as Partial<PricingFile>,
      // released 72000 × 0.08 = 5760; added 4600 × 2 × 0.10 = 920
      savings: 5760 - 920,
      confidence: 'high',
      newBaseline: 0,
    },
  ])('$name', ({ extra, savings, confidence, newBaseline }) => {
    const recs = run({
      pricing: pricingWith(extra),
      reservations: timeline(finance, 'ENTERPRISE_PLUS', { baseline: 2400, autoscale: 0 }),
      costFacts: reservationUse(finance, 'ENTERPRISE_PLUS', 4600),
    });
    expect(recs).toHaveLength(1);
    const rec = recs[0]!;
    expect(rec.target).toBe(finance);
    expect(rec.id).toBe(stableId('rec', 'pricing_model', finance));
    expect(rec.monthlySavingsUsd).toBeCloseTo(savings, 6);
    expect(rec.confidence).toBe(confidence);
    const evidence = rec.evidence as {
      baselineUtilization: number;
      proposedBaselineSlots: number;
      costLines: CostLine[];
    };
    expect(evidence.baselineUtilization).toBeCloseTo(4600 / 72000, 12);
    expect(evidence.proposedBaselineSlots).toBe(newBaseline);
    const [released, added] = evidence.costLines;
    expect(released!.usd! - added!.usd!).toBeCloseTo(savings, 6);
    expect((rec.fix as { sql: string }).sql).toBe(
      'ALTER RESERVATION `admin-proj.region-us.finance` SET OPTIONS(slot_capacity = 0)',
    );
  });

  it('keeps the steps of baseline the use fills on average', () => {
    // 1000 slots baseline; 120 slots used on average (12%): keep 100, autoscale the rest.
    const recs = run({
      reservations: timeline(finance, 'ENTERPRISE', { baseline: 24000, autoscale: 0 }),
      costFacts: reservationUse(finance, 'ENTERPRISE', 120 * windowHours),
    });
    // released (720000 − 72000) × 0.06 = 38880; added (86400 − 72000) × 2 × 0.06 = 1728
    expect(recs.map((r) => r.monthlySavingsUsd)).toEqual([expect.closeTo(38880 - 1728, 6)]);
    expect((recs[0]!.evidence as { proposedBaselineSlots: number }).proposedBaselineSlots).toBe(
      100,
    );
  });

  it('counts use only on the days the timeline covers, and scales those days to a month', () => {
    const tenDays = days.slice(0, 10);
    const recs = run({
      reservations: timeline(finance, 'ENTERPRISE_PLUS', { baseline: 2400, autoscale: 0 }, tenDays),
      costFacts: [
        ...reservationUse(finance, 'ENTERPRISE_PLUS', 1000, tenDays),
        ...reservationUse(finance, 'ENTERPRISE_PLUS', 50000, days.slice(10)),
      ],
    });
    // released 24000 × 0.10 = 2400; added 1000 × 2 × 0.10 = 200; × 30 / 10
    expect(recs.map((r) => r.monthlySavingsUsd)).toEqual([expect.closeTo((2400 - 200) * 3, 6)]);
  });

  it('names the reservation when its id has no admin project to derive DDL from', () => {
    const recs = run({
      reservations: timeline('finance', 'ENTERPRISE_PLUS', { baseline: 2400, autoscale: 0 }),
      costFacts: reservationUse('finance', 'ENTERPRISE_PLUS', 100),
    });
    expect(recs[0]!.target).toBe('finance');
    expect((recs[0]!.fix as { sql?: string }).sql).toBeUndefined();
  });

  it.each([
    {
      name: 'baseline used 50%',
      reservations: timeline(finance, 'ENTERPRISE', { baseline: 2400, autoscale: 0 }),
      costFacts: reservationUse(finance, 'ENTERPRISE', 36000),
    },
    {
      name: 'autoscale-only reservation (billed on use)',
      reservations: timeline(finance, 'ENTERPRISE', { baseline: 0, autoscale: 100 }),
      costFacts: reservationUse(finance, 'ENTERPRISE', 10),
    },
    {
      name: 'idle, but autoscaling its use would cost more than the baseline released',
      // 50 slots: released 36000 × 0.06 = 2160 vs 10000 × 4 × 0.06 = 2400 (uplift 4 measured)
      reservations: [
        ...timeline(finance, 'ENTERPRISE', { baseline: 1200, autoscale: 0 }),
        ...timeline('admin-proj:US.etl', 'ENTERPRISE', { baseline: 0, autoscale: 40 }),
      ],
      costFacts: [
        ...reservationUse(finance, 'ENTERPRISE', 10000),
        ...reservationUse('admin-proj:US.etl', 'ENTERPRISE', 300),
      ],
    },
    {
      name: 'saving under $100/month',
      // 1 slot of baseline: 720 × 0.06 = 43.20
      reservations: timeline(finance, 'ENTERPRISE', { baseline: 24, autoscale: 0 }),
      costFacts: reservationUse(finance, 'ENTERPRISE', 1),
    },
    { name: 'no timeline', reservations: [], costFacts: reservationUse(finance, 'ENTERPRISE', 1) },
  ])('clean: $name', ({ reservations, costFacts }) => {
    expect(run({ reservations, costFacts })).toEqual([]);
  });
});

describe('pricing-model: invariants', () => {
  const ctx: Partial<Ctx> = {
    costFacts: [
      ...onDemand('mkt', 1200),
      ...onDemand('ml', 17),
      ...onDemand('analytics', 800),
      ...reservationUse('admin-proj:US.finance', 'ENTERPRISE_PLUS', 4600),
      ...reservationUse('admin-proj:US.etl', 'ENTERPRISE', 1161),
    ],
    projectSlots: [slots('mkt', 10311), slots('ml', 7000), slots('analytics', 211808)],
    reservations: [
      ...timeline('admin-proj:US.finance', 'ENTERPRISE_PLUS', { baseline: 2400, autoscale: 51 }),
      ...timeline('admin-proj:US.etl', 'ENTERPRISE', { baseline: 0, autoscale: 81.2 }),
    ],
  };

  it('on a demo-like organisation flags only the bytes-heavy project and the idle reservation', () => {
    expect(run(ctx).map((r) => r.target)).toEqual(['mkt', 'admin-proj:US.finance']);
  });

  it('gives the same ids on the same data', () => {
    const first = run(ctx).map((r) => r.id);
    expect(run(ctx).map((r) => r.id)).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });

  it('never proposes something that costs more than today', () => {
    for (const rec of run(ctx)) {
      expect(rec.monthlySavingsUsd!).toBeGreaterThan(0);
      const evidence = rec.evidence as Partial<ProjectEvidence>;
      if (evidence.onDemandUsdPerMonth !== undefined)
        expect(evidence.editionsUsdPerMonth!).toBeLessThan(evidence.onDemandUsdPerMonth);
    }
  });
});
