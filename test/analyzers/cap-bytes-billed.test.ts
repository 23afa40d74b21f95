import { describe, expect, it } from 'vitest';
import { capBytesBilled } from '../../analyzers/cap-bytes-billed.js';
import { recommendationSchema } from '../../src/domain/analysis.js';
import type { BytesDistributionFact } from '../../src/domain/context.js';
import { stableId } from '../../src/domain/context.js';
import { pricingFileSchema, resolvePricing } from '../../src/domain/pricing.js';
import { context, GiB, pattern, TiB } from '../fixtures/context.js';
import { demoContext } from '../fixtures/demo-context.js';

// Prices pinned at the US list price, $6.25 per TiB, unless a test says otherwise.
const usdPerTib = 6.25;
const marcus = 'marcus.webb@acme.example';

/** 101 quantiles from a function of the percentile. */
const quantiles = (at: (i: number) => number) => Array.from({ length: 101 }, (_, i) => at(i));

const distribution = (overrides: Partial<BytesDistributionFact> = {}): BytesDistributionFact => ({
  scope: 'user',
  key: marcus,
  jobs: 1000,
  // Ordinary work up to ~300 GiB, one runaway of 36 TiB.
  quantiles: quantiles((i) => (i === 100 ? 36 * TiB : i * 3 * GiB)),
  maxJobId: 'job_runaway',
  ...overrides,
});

describe('cap-bytes-billed: flagged', () => {
  it('caps at the next power of two above 2 × p99 and counts the largest job above it', () => {
    const { recommendations } = capBytesBilled.analyze(
      context({ bytesDistribution: [distribution()] }),
    );
    expect(recommendations).toHaveLength(1);
    const [rec] = recommendations;
    expect(rec).toMatchObject({
      id: stableId('rec', 'cap_bytes_billed', marcus),
      kind: 'cap_bytes_billed',
      target: marcus,
      confidence: 'medium',
    });
    // p99 = 297 GiB → 2 × p99 = 594 GiB → cap 1 TiB; the 36 TiB job is 35 TiB over it.
    const evidence = rec!.evidence as {
      capBytes: number;
      ordinaryCeilingPercentile: number;
      costLines: { quantity: number; usd: number }[];
    };
    expect(evidence.capBytes).toBe(TiB);
    expect(evidence.ordinaryCeilingPercentile).toBe(99);
    expect(rec!.monthlySavingsUsd).toBe(35 * usdPerTib);
    expect(evidence.costLines.map((l) => [l.quantity, l.usd])).toEqual([[35, 35 * usdPerTib]]);
    expect(rec!.summary).toBe(
      'Cap bytes billed per query at 1 TiB for marcus.webb@acme.example: their largest query billed 36 TiB against 297 GiB at p99; blocking what goes above the cap saves at least $219/month.',
    );
    const fix = rec!.fix as { summary: string; steps: string[]; caveats: string[] };
    expect(fix.summary).toContain('maximum_bytes_billed = 1099511627776');
    expect(fix.steps.join('\n')).toContain('bq query --maximum_bytes_billed=1099511627776');
    expect(fix.steps.join('\n')).toContain('QueryUsagePerUserPerDay');
    expect(fix.caveats.join('\n')).toContain('no SQL statement sets one');
    expect(() => recommendationSchema.parse(rec)).not.toThrow();
  });

  it('counts every run of a shape only that user runs (Σ excess ≥ total − runs × cap)', () => {
    const [rec] = capBytesBilled.analyze(
      context({
        bytesDistribution: [distribution()],
        patterns: [
          pattern({
            hash: 'runaway',
            runs: 4,
            distinctUsers: 1,
            userEmail: marcus,
            onDemandBytesBilled: 136 * TiB,
            maxBytesBilled: 36 * TiB,
          }),
          // Shared with others: not provably theirs.
          pattern({
            hash: 'shared',
            runs: 2,
            distinctUsers: 2,
            userEmail: marcus,
            onDemandBytesBilled: 80 * TiB,
            maxBytesBilled: 40 * TiB,
          }),
        ],
      }),
    ).recommendations;
    expect(rec!.monthlySavingsUsd).toBe(132 * usdPerTib);
    const shapes = (rec!.evidence as { shapesAboveCap: { hash: string }[] }).shapesAboveCap;
    expect(shapes.map((s) => s.hash)).toEqual(['runaway']);
  });

  it('looks below p99 when a few runaways already reach it (a user with few jobs)', () => {
    const [rec] = capBytesBilled.analyze(
      context({
        bytesDistribution: [
          distribution({
            jobs: 200,
            quantiles: quantiles((i) =>
              i === 100 ? 36 * TiB : i === 99 ? 33 * TiB : i === 98 ? 30 * TiB : i * 3 * GiB,
            ),
          }),
        ],
      }),
    ).recommendations;
    const evidence = rec!.evidence as { capBytes: number; ordinaryCeilingPercentile: number };
    expect(evidence.ordinaryCeilingPercentile).toBe(97);
    expect(evidence.capBytes).toBe(TiB);
    // From the top: 1 job ≥ 36 TiB, 2 ≥ 33 TiB, 4 ≥ 30 TiB → 35 + 32 + 2 × 29 = 125 TiB over the cap.
    expect(rec!.monthlySavingsUsd).toBe(125 * usdPerTib);
  });

  it('scales the window to a month and takes prices from the context', () => {
    const pricing = resolvePricing(
      'us',
      pricingFileSchema.parse({ regions: { us: { onDemandUsdPerTib: 5 } } }),
    );
    const [rec] = capBytesBilled.analyze(
      context({ windowDays: 60, pricing, bytesDistribution: [distribution()] }),
    ).recommendations;
    expect(rec!.monthlySavingsUsd).toBe(17.5 * 5);
  });

  it('flags a project, unless its largest job is a flagged user’s', () => {
    const project = (key: string, maxJobId: string) =>
      distribution({ scope: 'project', key, jobs: 20_000, maxJobId });
    const { recommendations } = capBytesBilled.analyze(
      context({
        bytesDistribution: [
          project('acme-analytics', 'job_runaway'),
          project('acme-ml', 'job_other'),
          distribution(),
        ],
      }),
    );
    expect(recommendations.map((r) => r.target)).toEqual([marcus, 'acme-ml']);
    const fix = recommendations[1]!.fix as { steps: string[] };
    expect(fix.steps.join('\n')).toContain('QueryUsagePerDay');
    expect(recommendations[1]!.id).toBe(stableId('rec', 'cap_bytes_billed', 'acme-ml'));
  });
});

describe('cap-bytes-billed: clean', () => {
  it.each<[string, Partial<BytesDistributionFact>]>([
    [
      'steady large queries (the demo’s segment-sync: ~1.1 TiB every run)',
      {
        key: 'segment-sync@acme-marketing.iam.gserviceaccount.com',
        quantiles: quantiles((i) => 1.0 * TiB + i * 3 * GiB),
      },
    ],
    [
      'a burst of large jobs (the demo’s backfill day: 9% of the user’s jobs at 1.5 TiB)',
      { quantiles: quantiles((i) => (i >= 91 ? 1.5 * TiB : i * 4 * GiB)) },
    ],
    [
      'a largest job under 1 TiB',
      { quantiles: quantiles((i) => (i === 100 ? 900 * GiB : i * 0.1 * GiB)) },
    ],
    [
      'runaway-sized jobs up to p95: a habit, not an accident',
      { quantiles: quantiles((i) => (i >= 95 ? 30 * TiB : i * 3 * GiB)) },
    ],
    [
      'under 1 TiB a month above the cap',
      { quantiles: quantiles((i) => (i === 100 ? 1.1 * TiB : i * 0.5 * GiB)) },
    ],
    ['malformed quantiles', { quantiles: [0, 36 * TiB] }],
  ])('%s', (_name, overrides) => {
    const ctx = context({ bytesDistribution: [distribution(overrides)] });
    expect(capBytesBilled.analyze(ctx)).toEqual({ recommendations: [], anomalies: [] });
  });
});

describe('cap-bytes-billed on the demo organisation', () => {
  it.each([150, 800])(
    'finds the runaway analyst and no one else (%i jobs a day)',
    async (jobsPerDay) => {
      const { context: ctx, truth } = await demoContext({ jobsPerDay });
      const planted = truth.planted
        .filter((p) => p.kind === 'cap_bytes_billed')
        .map((p) => p.target);
      expect(planted).toEqual([marcus]);
      const { recommendations } = capBytesBilled.analyze(ctx);
      expect(recommendations.map((r) => r.target)).toEqual(planted);
      const evidence = recommendations[0]!.evidence as { maxJobId: string };
      expect(truth.planted.find((p) => p.kind === 'cap_bytes_billed')!.jobIds).toContain(
        evidence.maxJobId,
      );
    },
  );
});
