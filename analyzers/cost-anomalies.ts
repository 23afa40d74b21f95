// Cost anomalies: a day on which a project, a user or a label spent far more on-demand money than
// it usually does. On-demand spend has no ceiling (one unfiltered query over a multi-TiB table
// costs as much as a month of dashboards), so a spike caught the same day is money not spent the
// next. https://cloud.google.com/bigquery/docs/best-practices-costs and
// https://cloud.google.com/bigquery/docs/custom-quotas
//
// Baseline for day d (robust, weekly-seasonal):
//   seasonal = median of the same weekday over the previous 8 weeks (days the scope existed)
//   recent   = median of the previous 14 days
//   expected = max(seasonal, recent) — a spike must beat both the usual level of that weekday (a
//              big batch every Monday is seasonality) and the recent level (a workload that grew
//              a week ago is the new normal, not an alert every day).
//   scale    = 1.4826 × MAD of the sample `expected` came from, floored (see below).
// Flagged when all three hold: usd − expected ≥ $50, robust z ≥ 3.5 and usd ≥ 2 × expected.
// Only the upside is reported: spending less is not an incident.
//
// Missing days: a day with no facts counts as $0 only once the scope has appeared in the history
// (its first day with any job); before that the day is unknown and left out of the baseline. A
// scope needs 7 days of such history before its first possible alert.
//
// Scopes follow the contract: `project:<id>`, `user:<email>`, `label:<key>:<value>`. Unlabeled
// spend (`(none)`) and jobs without a user email (`(unknown)`) have no such scope: not reported.
//
// Severity, from size (excess = usd − expected) then shifted by surprise (ratio = usd/expected):
//   excess < $250 → low, < $1,000 → medium, < $5,000 → high, otherwise critical;
//   ratio ≥ 10 → one level up, ratio < 3 → one level down (within low … critical).

import type { Anomaly } from '../src/domain/analysis.js';
import { round6 } from '../src/domain/analysis.js';
import type { Analyzer, AnalyzerContext } from '../src/domain/context.js';
import { stableId } from '../src/domain/context.js';
import type { CostFact } from '../src/domain/facts.js';
import { bytesPerTib } from '../src/domain/pricing.js';
import { msPerDay, startOfUtcDay, utcDay } from '../src/domain/timestamps.js';

/** "$2 → $9" pages nobody: below this excess a spike is not worth a human's attention. */
export const minExcessUsd = 50;
/** Iglewicz & Hoaglin's cut-off for the modified (median/MAD) z-score. */
export const minRobustZ = 3.5;
export const minRatio = 2;
const madToSigma = 1.4826;
/** A flat history has MAD 0: the scale never falls below 10% of expected nor below $5. */
const scaleFloorShare = 0.1;
const scaleFloorUsd = 5;
const seasonalWeeks = 8;
const recentDays = 14;
const minHistoryDays = 7;

export const severities = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

/** An anomaly with the baseline that judged it, for alert cards and tests. */
export interface CostAnomaly {
  id: string;
  scope: string;
  day: string;
  usd: number;
  expectedUsd: number;
  severity: Severity;
  robustZ: number;
  ratio: number;
  baseline: {
    /** Median of the same weekday, null when no earlier same weekday is known. */
    seasonalUsd: number | null;
    sameWeekdays: number;
    recentUsd: number;
    recentDays: number;
    scaleUsd: number;
    method: string;
  };
}

export function severityOf(excessUsd: number, ratio: number): Severity {
  const size = excessUsd < 250 ? 0 : excessUsd < 1000 ? 1 : excessUsd < 5000 ? 2 : 3;
  const surprise = ratio >= 10 ? 1 : ratio < 3 ? -1 : 0;
  return severities[Math.min(3, Math.max(0, size + surprise))]!;
}

const scopePrefix = { project: 'project', user: 'user', label: 'label' } as const;

function scopeOf(fact: CostFact): string | null {
  if (fact.dimension !== 'project' && fact.dimension !== 'user' && fact.dimension !== 'label')
    return null;
  if (fact.key === '' || fact.key === '(none)' || fact.key === '(unknown)') return null;
  return `${scopePrefix[fact.dimension]}:${fact.key}`;
}

export function detectCostAnomalies(ctx: AnalyzerContext): CostAnomaly[] {
  const usdPerTib = ctx.pricing.prices.onDemandUsdPerTib;
  // History covers the 8 weeks before the window end; without it the window is all there is.
  const facts = ctx.history.length > 0 ? ctx.history : ctx.costFacts;

  const byScope = new Map<string, { first: number; usdByDay: Map<number, number> }>();
  for (const fact of facts) {
    const scope = scopeOf(fact);
    if (scope === null) continue;
    const day = Date.parse(`${fact.day}T00:00:00Z`) / msPerDay;
    const entry = byScope.get(scope) ?? { first: day, usdByDay: new Map<number, number>() };
    entry.first = Math.min(entry.first, day);
    const usd = (fact.onDemandBytesBilled / bytesPerTib) * usdPerTib;
    entry.usdByDay.set(day, (entry.usdByDay.get(day) ?? 0) + usd);
    byScope.set(scope, entry);
  }

  const firstDay = startOfUtcDay(ctx.window.start).getTime() / msPerDay;
  const endMs = ctx.window.end.getTime();
  const out: CostAnomaly[] = [];
  for (const [scope, { first, usdByDay }] of byScope) {
    const observed = (day: number): number | null =>
      day < first ? null : (usdByDay.get(day) ?? 0);
    for (let day = firstDay; day * msPerDay < endMs; day += 1) {
      const usd = usdByDay.get(day) ?? 0;
      if (usd < minExcessUsd || day - first < minHistoryDays) continue;

      const sameWeekday: number[] = [];
      for (let w = 1; w <= seasonalWeeks; w += 1) {
        const value = observed(day - 7 * w);
        if (value !== null) sameWeekday.push(value);
      }
      const recent: number[] = [];
      for (let back = 1; back <= recentDays; back += 1) {
        const value = observed(day - back);
        if (value !== null) recent.push(value);
      }
      const seasonalUsd = sameWeekday.length > 0 ? median(sameWeekday) : null;
      const recentUsd = median(recent);
      const useSeasonal = seasonalUsd !== null && seasonalUsd >= recentUsd;
      const expectedUsd = useSeasonal ? seasonalUsd : recentUsd;
      const sample = useSeasonal ? sameWeekday : recent;
      const scaleUsd = Math.max(
        madToSigma * mad(sample),
        scaleFloorShare * expectedUsd,
        scaleFloorUsd,
      );
      const excess = usd - expectedUsd;
      const robustZ = excess / scaleUsd;
      const ratio = expectedUsd > 0 ? usd / expectedUsd : Number.POSITIVE_INFINITY;
      if (excess < minExcessUsd || robustZ < minRobustZ || ratio < minRatio) continue;

      const dayText = utcDay(new Date(day * msPerDay));
      out.push({
        id: stableId('anom', scope, dayText),
        scope,
        day: dayText,
        usd,
        expectedUsd,
        severity: severityOf(excess, ratio),
        robustZ,
        ratio,
        baseline: {
          seasonalUsd,
          sameWeekdays: sameWeekday.length,
          recentUsd,
          recentDays: recent.length,
          scaleUsd,
          method: `on-demand bytes billed × $${usdPerTib}/TiB per UTC day; expected = max(median of the same weekday over ${sameWeekday.length} earlier weeks, median of the previous ${recent.length} days); scale = 1.4826 × MAD (floored at 10% of expected and $${scaleFloorUsd})`,
        },
      });
    }
  }
  return out.sort((a, b) => cmp(a.day, b.day) || cmp(a.scope, b.scope));
}

export const costAnomalies: Analyzer = {
  id: 'cost-anomalies',
  kinds: [],
  analyze(ctx) {
    const anomalies: Anomaly[] = detectCostAnomalies(ctx).map((a) => ({
      id: a.id,
      scope: a.scope,
      day: a.day,
      usd: round6(a.usd),
      expectedUsd: round6(a.expectedUsd),
      severity: a.severity,
    }));
    return { recommendations: [], anomalies };
  },
};

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
