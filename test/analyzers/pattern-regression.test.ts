import { describe, expect, it } from 'vitest';
import {
  detectPatternRegressions,
  minExcessUsdPerDay,
  patternRegression,
} from '../../analyzers/pattern-regression.js';
import { stableId } from '../../src/domain/context.js';
import type { CostFact } from '../../src/domain/facts.js';
import { context, costFact, pattern, TiB } from '../fixtures/context.js';

// The fixture window is [2026-10-02, 2026-11-01); history is the 56 days before 2026-11-01.
// Prices pinned: $6.25/TiB, ENTERPRISE pay-as-you-go $0.06 per slot-hour.
const usdPerTib = 6.25;
const historyDays = Array.from({ length: 56 }, (_, i) =>
  new Date(Date.UTC(2026, 8, 6 + i)).toISOString().slice(0, 10),
);

/** Daily query_pattern facts: `runs` runs a day costing `usdPerRun` each (null = did not run). */
function shape(
  hash: string,
  plan: (day: string) => { runs: number; usdPerRun: number } | null,
): CostFact[] {
  return historyDays.flatMap((day) => {
    const p = plan(day);
    if (p === null) return [];
    return [
      costFact({
        day,
        dimension: 'query_pattern',
        key: hash,
        jobs: p.runs,
        onDemandBytesBilled: ((p.runs * p.usdPerRun) / usdPerTib) * TiB,
      }),
    ];
  });
}

const jumpOn =
  (day: string, before: number, after: number, runs = 4) =>
  (d: string) => ({ runs, usdPerRun: d >= day ? after : before });

describe('pattern-regression: flagged', () => {
  it('finds the day a recurring shape got dearer per run, with before/after evidence', () => {
    const history = shape('h1', jumpOn('2026-10-20', 5, 50));
    const ctx = context({ history, patterns: [pattern({ hash: 'h1', projectId: 'acme-bi' })] });
    const [regression, ...rest] = detectPatternRegressions(ctx);
    expect(rest).toEqual([]);
    expect(regression).toMatchObject({
      id: stableId('regr', 'h1', '2026-10-20'),
      hash: 'h1',
      day: '2026-10-20',
      before: { from: '2026-09-06', to: '2026-10-19', activeDays: 44, runs: 176 },
      after: { from: '2026-10-20', to: '2026-10-31', activeDays: 12, runs: 48 },
      projectId: 'acme-bi',
    });
    expect(regression!.before.usdPerRun).toBeCloseTo(5, 9);
    expect(regression!.after.usdPerRun).toBeCloseTo(50, 9);
    expect(regression!.ratio).toBeCloseTo(10, 9);
    // 4 runs a day × $45 more each.
    expect(regression!.excessUsdPerDay).toBeCloseTo(180, 9);
    expect(regression!.excessUsdPerMonth).toBeCloseTo(5400, 6);
    const total = regression!.evidence.costLines.find((l) => l.label === 'Extra cost per month');
    expect(total!.usd).toBeCloseTo(5400, 6);
  });

  it('prices reservation runs at the reservation’s rate', () => {
    const slotMsPerRun = (day: string) => (day >= '2026-10-25' ? 1000 : 100) * 3.6e6;
    const history = historyDays.map((day) =>
      costFact({
        day,
        dimension: 'query_pattern',
        key: 'h1',
        jobs: 1,
        reservationId: 'admin:US.etl',
        edition: 'ENTERPRISE',
        reservationSlotMs: slotMsPerRun(day),
      }),
    );
    const [regression] = detectPatternRegressions(context({ history }));
    expect(regression!.day).toBe('2026-10-25');
    expect(regression!.before.usdPerRun).toBeCloseTo(6, 9); // 100 slot-hours × $0.06
    expect(regression!.after.usdPerRun).toBeCloseTo(60, 9);
  });

  it('counts runs that were free before (cache hits) as a jump', () => {
    const history = shape('h1', jumpOn('2026-10-15', 0, 20, 3));
    const [regression] = detectPatternRegressions(context({ history }));
    expect(regression).toMatchObject({ day: '2026-10-15', ratio: Number.POSITIVE_INFINITY });
  });
});

describe('pattern-regression: clean', () => {
  it.each<[string, CostFact[]]>([
    ['a steady shape', shape('h1', () => ({ runs: 4, usdPerRun: 5 }))],
    [
      'a one-off expensive run (a wider literal range), then back to normal',
      shape('h1', (d) => ({ runs: 4, usdPerRun: d === '2026-10-20' ? 50 : 5 })),
    ],
    [
      'more runs at the same cost per run (volume, not regression)',
      shape('h1', (d) => ({ runs: d >= '2026-10-20' ? 40 : 4, usdPerRun: 5 })),
    ],
    [
      'a shape seen on fewer than 7 days before the jump',
      shape('h1', (d) => (d >= '2026-10-14' ? jumpOn('2026-10-20', 5, 50)(d) : null)),
    ],
    [`an extra cost under $${minExcessUsdPerDay} a day`, shape('h1', jumpOn('2026-10-20', 0.5, 5))],
    ['a jump before the window', shape('h1', jumpOn('2026-09-25', 5, 50))],
    ['a jump on the last day only (does not stay yet)', shape('h1', jumpOn('2026-10-31', 5, 50))],
    ['a 2× rise (under 3×)', shape('h1', jumpOn('2026-10-20', 50, 100))],
    ['jobs without a hash', shape('(none)', jumpOn('2026-10-20', 5, 50))],
  ])('%s: nothing', (_name, history) => {
    expect(detectPatternRegressions(context({ history }))).toEqual([]);
  });
});

describe('pattern-regression: the contract', () => {
  it('adds nothing to the contract output (no scope there fits a query shape)', () => {
    const history = shape('h1', jumpOn('2026-10-20', 5, 50));
    expect(detectPatternRegressions(context({ history }))).toHaveLength(1);
    expect(patternRegression.analyze(context({ history }))).toEqual({
      recommendations: [],
      anomalies: [],
    });
  });

  it('gives the same ids on every run', () => {
    const history = [
      ...shape('h1', jumpOn('2026-10-20', 5, 50)),
      ...shape('h2', jumpOn('2026-10-10', 8, 40)),
    ];
    const ids = detectPatternRegressions(context({ history })).map((r) => r.id);
    const again = detectPatternRegressions(context({ history: [...history].reverse() })).map(
      (r) => r.id,
    );
    expect(again).toEqual(ids);
    expect(ids).toEqual([
      stableId('regr', 'h1', '2026-10-20'),
      stableId('regr', 'h2', '2026-10-10'),
    ]);
  });

  it('falls back to the window facts without history', () => {
    const facts = shape('h1', jumpOn('2026-10-20', 5, 50));
    const [regression] = detectPatternRegressions(context({ costFacts: facts }));
    expect(regression!.day).toBe('2026-10-20');
  });
});
