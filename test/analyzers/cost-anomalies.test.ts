import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { discoverExports } from '../../src/adapters/files/discover.js';
import { writeDemoExports } from '../../src/app/demo-export-writer.js';
import { demoTruth } from '../../src/app/demo-org.js';
import {
  costAnomalies,
  detectCostAnomalies,
  minExcessUsd,
  severityOf,
} from '../../analyzers/cost-anomalies.js';
import { anomalySchema } from '../../src/domain/analysis.js';
import { stableId } from '../../src/domain/context.js';
import type { CostFact } from '../../src/domain/facts.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import { tempDir } from '../fixtures/builders.js';
import { context, costFact, TiB } from '../fixtures/context.js';

// The fixture window is [2026-10-02, 2026-11-01); history is the 56 days before 2026-11-01.
// 2026-10-05 is a Monday. Prices pinned at $6.25/TiB unless a test says otherwise.
const usdPerTib = 6.25;
const historyDays = Array.from({ length: 56 }, (_, i) =>
  new Date(Date.UTC(2026, 8, 6 + i)).toISOString().slice(0, 10),
);
const isMonday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay() === 1;
/** Deterministic ±5% noise that does not line up with weekdays. */
const wobble = (i: number) => [1, 0.95, 1.03, 0.98, 1.05][i % 5]!;

function spend(
  dimension: CostFact['dimension'],
  key: string,
  usdOf: (day: string, i: number) => number | null,
): CostFact[] {
  return historyDays.flatMap((day, i) => {
    const usd = usdOf(day, i);
    return usd === null
      ? []
      : [costFact({ day, dimension, key, onDemandBytesBilled: (usd / usdPerTib) * TiB })];
  });
}

const steady =
  (base: number, spikes: Record<string, number> = {}) =>
  (day: string, i: number) =>
    spikes[day] ?? base * wobble(i);

function run(history: CostFact[], overrides: Parameters<typeof context>[0] = {}) {
  return detectCostAnomalies(context({ history, ...overrides }));
}

describe('cost-anomalies: flagged', () => {
  it.each([
    ['project', 'acme-marketing', 'project:acme-marketing'],
    ['user', 'priya@acme.example', 'user:priya@acme.example'],
    ['label', 'team:growth', 'label:team:growth'],
  ] as const)(
    'finds the planted spike for a %s (8 days before the end)',
    (dimension, key, scope) => {
      const found = run(spend(dimension, key, steady(100, { '2026-10-24': 900 })));
      expect(found.map((a) => [a.scope, a.day])).toEqual([[scope, '2026-10-24']]);
      expect(found[0]!.usd).toBeCloseTo(900, 6);
      expect(found[0]!.expectedUsd).toBeGreaterThan(95);
      expect(found[0]!.expectedUsd).toBeLessThan(105);
    },
  );

  it('finds a spike on a Wednesday while the Monday batch goes by', () => {
    const history = spend('project', 'acme-analytics', (day, i) =>
      day === '2026-10-21' ? 1500 : isMonday(day) ? 1000 : 100 * wobble(i),
    );
    expect(run(history).map((a) => a.day)).toEqual(['2026-10-21']);
  });

  it('treats missing days as $0 once the scope has appeared', () => {
    // One job in September, silence, then a big day: the silent days are $0, not unknown.
    const history = spend('user', 'bo@acme.example', (day) =>
      day === '2026-09-10' ? 80 : day === '2026-10-20' ? 500 : null,
    );
    const [found] = run(history);
    expect(found).toMatchObject({ scope: 'user:bo@acme.example', day: '2026-10-20' });
    expect(found!.expectedUsd).toBe(0);
    expect(found!.ratio).toBe(Number.POSITIVE_INFINITY);
  });

  it('prices with the context’s on-demand rate', () => {
    const history = spend('project', 'p', steady(100, { '2026-10-24': 900 }));
    const pricing = resolvePricing('eu', {
      regions: { eu: { extends: 'us', onDemandUsdPerTib: 12.5 } },
      reservations: {},
      defaultEdition: 'ENTERPRISE',
    });
    const [found] = run(history, { pricing });
    expect(found!.usd).toBeCloseTo(1800, 6);
  });

  it('reads the window facts when no history is given', () => {
    const facts = spend('project', 'p', steady(100, { '2026-10-24': 900 }));
    expect(run([], { costFacts: facts }).map((a) => a.day)).toEqual(['2026-10-24']);
  });
});

describe('cost-anomalies: clean', () => {
  it.each<[string, CostFact[]]>([
    [
      'a big batch every Monday (seasonality)',
      spend('project', 'acme-analytics', (day, i) => (isMonday(day) ? 1000 : 100 * wobble(i))),
    ],
    [
      'the Monday batch of a robot that does nothing else',
      spend('user', 'weekly-reports@acme.example', (day) => (isMonday(day) ? 400 : 2)),
    ],
    [
      '$2 → $9 (small dollars, however surprising)',
      spend('user', 'u@x', steady(2, { '2026-10-24': 9 })),
    ],
    [
      `an excess just under $${minExcessUsd}`,
      spend('user', 'u@x', (day) => (day === '2026-10-24' ? 69.9 : 20)),
    ],
    ['less than 2× the baseline', spend('project', 'p', steady(1000, { '2026-10-24': 1900 }))],
    [
      'a level shift that lasts (recent median catches up after a week)',
      spend('project', 'p', (day, i) => (day >= '2026-09-20' ? 400 : 100) * wobble(i)),
    ],
    [
      'a scope with less than a week of history',
      spend('user', 'new@x', (day) =>
        day >= '2026-10-20' ? (day === '2026-10-24' ? 900 : 100) : null,
      ),
    ],
    ['a spike before the window', spend('project', 'p', steady(100, { '2026-09-25': 5000 }))],
    [
      'capacity-only spend (not on-demand)',
      historyDays.map((day) =>
        costFact({
          day,
          dimension: 'project',
          key: 'etl',
          reservationId: 'admin:US.etl',
          reservationSlotMs: day === '2026-10-24' ? 3.6e9 : 3.6e6,
        }),
      ),
    ],
    [
      'scopes outside the contract: unlabeled and unknown user',
      [
        ...spend('label', '(none)', steady(100, { '2026-10-24': 900 })),
        ...spend('user', '(unknown)', steady(100, { '2026-10-24': 900 })),
        ...spend('total', '', steady(100, { '2026-10-24': 900 })),
        ...spend('query_pattern', 'h1', steady(100, { '2026-10-24': 900 })),
      ],
    ],
  ])('%s: not flagged', (_name, history) => {
    expect(run(history)).toEqual([]);
  });
});

describe('cost-anomalies: contract output', () => {
  const history = [
    ...spend('project', 'acme-marketing', steady(100, { '2026-10-24': 900 })),
    ...spend('label', 'team:growth', steady(40, { '2026-10-24': 800 })),
  ];

  it('emits contract anomalies with stable ids', () => {
    const first = costAnomalies.analyze(context({ history }));
    const second = costAnomalies.analyze(context({ history: [...history].reverse() }));
    expect(first).toEqual(second);
    expect(first.recommendations).toEqual([]);
    for (const anomaly of first.anomalies) {
      expect(anomalySchema.strict().parse(anomaly)).toEqual(anomaly);
      expect(anomaly.id).toBe(stableId('anom', anomaly.scope, anomaly.day));
    }
    expect(first.anomalies.map((a) => a.scope)).toEqual([
      'label:team:growth',
      'project:acme-marketing',
    ]);
    expect(new Set(first.anomalies.map((a) => a.id)).size).toBe(2);
  });

  it('gives another day another id', () => {
    const other = spend('project', 'acme-marketing', steady(100, { '2026-10-25': 900 }));
    const [a] = costAnomalies.analyze(context({ history })).anomalies;
    const [b] = costAnomalies.analyze(context({ history: other })).anomalies;
    expect(a!.id).not.toBe(b!.id);
  });
});

describe('cost-anomalies: severity bands', () => {
  it.each([
    // excess, ratio, severity
    [60, 5, 'low'],
    [249, 5, 'low'],
    [250, 5, 'medium'],
    [999, 5, 'medium'],
    [1000, 5, 'high'],
    [4999, 5, 'high'],
    [5000, 5, 'critical'],
    // surprise: ratio ≥ 10 one level up, ratio < 3 one level down
    [60, 10, 'medium'],
    [1000, Number.POSITIVE_INFINITY, 'critical'],
    [5000, 50, 'critical'],
    [250, 2.5, 'low'],
    [60, 2.5, 'low'],
    [6000, 2.1, 'high'],
  ] as const)('excess $%d at %d× → %s', (excess, ratio, severity) => {
    expect(severityOf(excess, ratio)).toBe(severity);
  });

  it('rates the analyzer output by the bands', () => {
    const [found] = run(spend('project', 'p', steady(100, { '2026-10-24': 900 })));
    // $800 over $100: medium by size, 9× is not yet the ≥ 10× bump.
    expect(found!.severity).toBe('medium');
  });
});

describe('cost-anomalies on the demo organisation', () => {
  it('finds the planted spike and leaves the Monday batch alone', async () => {
    const end = new Date('2026-11-01T00:00:00Z');
    const options = { seed: 7, days: 56, jobsPerDay: 150, end };
    const dir = tempDir();
    const warehouse = await DuckDbWarehouse.open(':memory:');
    try {
      await writeDemoExports(dir, options);
      for (const file of discoverExports(dir)) await warehouse.importFile(file, { strict: true });
      const dayMs = 86_400_000;
      const history = await warehouse.costFacts({
        start: new Date(end.getTime() - 56 * dayMs),
        end,
      });
      const found = costAnomalies.analyze(
        context({
          asOf: end,
          window: { start: new Date(end.getTime() - 30 * dayMs), end },
          history,
        }),
      ).anomalies;
      const truth = demoTruth(options);
      const key = (a: { scope: string; day: string }) => `${a.scope} ${a.day}`;
      const planted = truth.anomalies.filter((a) => !a.note.startsWith('incidental'));
      expect(planted).toHaveLength(3);
      expect(found.map(key)).toEqual(expect.arrayContaining(planted.map(key)));
      const seasonal = truth.traps.filter((t) => t.kind === 'anomaly').map((t) => t.target);
      expect(seasonal.length).toBeGreaterThan(0);
      expect(found.filter((a) => seasonal.includes(a.scope) && isMonday(a.day))).toEqual([]);
      for (const a of found) expect(a.scope).toMatch(/^(project|user|label):.+/);
    } finally {
      await warehouse.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
