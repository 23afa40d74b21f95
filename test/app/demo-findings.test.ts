import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { discoverExports } from '../../src/adapters/files/discover.js';
import { GoogleSqlInspector } from '../../src/adapters/sql/googlesql-inspector.js';
import { writeDemoExports } from '../../src/app/demo-export-writer.js';
import { runAnalysis } from '../../src/app/run-analysis.js';
import {
  analysisResultSchema,
  recommendationKinds,
  type AnalysisResult,
} from '../../src/domain/analysis.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import { tempDir } from '../fixtures/builders.js';

// The acceptance check: `bqcost analyze` on the demo organisation finds, for every kind,
// the waste the generator planted (its demo-truth.json), and none of the traps.

interface TruthItem {
  kind: string;
  target: string;
  rule?: string;
  note?: string;
}
interface Truth {
  planted: TruthItem[];
  traps: TruthItem[];
  anomalies: { scope: string; day: string; note: string }[];
}

// Rules that need table metadata: a syntactically clean query can still read a big unpartitioned
// table by date, and that is worth saying.
const metadataRules = new Set([
  'missing_partition_filter',
  'unpartitioned_date_filter',
  'wide_date_range',
  'distinct_on_large_table',
]);

let result: AnalysisResult;
let truth: Truth;

beforeAll(async () => {
  const dir = tempDir();
  await writeDemoExports(dir, {
    seed: 42,
    days: 60,
    jobsPerDay: 800,
    end: new Date('2026-11-28T00:00:00Z'),
  });
  truth = JSON.parse(readFileSync(join(dir, 'demo-truth.json'), 'utf8')) as Truth;
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    for (const file of discoverExports(dir)) await warehouse.importFile(file, { strict: false });
    const analysis = await runAnalysis(
      {
        warehouse,
        pricing: resolvePricing('us'),
        inspector: await GoogleSqlInspector.create(),
        analyzers,
      },
      { windowDays: 30, comparePrevious: false },
    );
    result = analysisResultSchema.parse(analysis.result);
  } finally {
    await warehouse.close();
  }
}, 120_000);

const contractKinds = new Set<string>(recommendationKinds);

describe('analyze on the demo organisation', () => {
  it('finds every planted waste, for every kind', () => {
    const planted = truth.planted.filter((p) => contractKinds.has(p.kind));
    expect(new Set(planted.map((p) => p.kind))).toEqual(contractKinds);
    const missing = planted.filter(
      (p) =>
        !result.recommendations.some(
          (r) => r.kind === p.kind && r.target === p.target && (!p.rule || r.rule === p.rule),
        ),
    );
    expect(missing).toEqual([]);
  });

  it('puts a dollar figure on every planted waste whose saving can be priced', () => {
    for (const p of truth.planted.filter(
      (x) => contractKinds.has(x.kind) && x.kind !== 'sql_antipattern',
    )) {
      const rec = result.recommendations.find((r) => r.kind === p.kind && r.target === p.target)!;
      expect(rec.monthlySavingsUsd, `${p.kind} ${p.target}`).toBeGreaterThan(0);
    }
  });

  it('falls into none of the traps', () => {
    for (const trap of truth.traps.filter((t) => contractKinds.has(t.kind))) {
      const hits = result.recommendations.filter(
        (r) =>
          r.kind === trap.kind &&
          r.target === trap.target &&
          !(r.rule && metadataRules.has(r.rule)),
      );
      expect(
        hits.map((h) => `${h.kind} ${h.rule ?? ''} ${h.target}`),
        trap.note,
      ).toEqual([]);
    }
  });

  it('finds the planted spike for its project, user and label, and never a weekly batch', () => {
    for (const planted of truth.anomalies.filter((a) => !a.note.startsWith('incidental'))) {
      expect(
        result.anomalies.some((a) => a.scope === planted.scope && a.day === planted.day),
        planted.scope,
      ).toBe(true);
    }
    for (const trap of truth.traps.filter((t) => t.kind === 'anomaly')) {
      const mondays = result.anomalies.filter(
        (a) => a.scope === trap.target && new Date(`${a.day}T00:00:00Z`).getUTCDay() === 1,
      );
      const runaway = truth.anomalies.filter((a) => a.scope === trap.target).map((a) => a.day);
      expect(
        mondays.filter((a) => !runaway.includes(a.day)),
        trap.target,
      ).toEqual([]);
    }
  });

  it('ranks by monthly savings, unknowns last, with stable unique ids', () => {
    const savings = result.recommendations.map((r) => r.monthlySavingsUsd);
    const known = savings.filter((s): s is number => s !== null);
    expect(known).toEqual([...known].sort((a, b) => b - a));
    expect(savings.slice(known.length).every((s) => s === null)).toBe(true);
    expect(new Set(result.recommendations.map((r) => r.id)).size).toBe(
      result.recommendations.length,
    );
  });
});
