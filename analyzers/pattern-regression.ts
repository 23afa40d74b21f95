// Pattern regressions: a recurring query shape (same normalized-literals hash) whose cost per run
// jumps and stays up — a dropped partition filter, a join that lost its key, a view that now
// reads a bigger table. Nothing about the schedule changes, so project-level spend may hide it
// among other work, yet it bills the new price on every run from then on.
// https://cloud.google.com/bigquery/docs/information-schema-jobs (query_info.query_hashes) and
// https://cloud.google.com/bigquery/docs/best-practices-costs
//
// Detection, per hash, from the daily query_pattern facts of the 8-week history:
//   cost of a day = on-demand bytes billed × $/TiB + reservation slot-hours × the reservation's rate;
//   per-run cost of a day = cost / runs (runs include cache hits and failures, which bill nothing —
//   the same on both sides). The first day d in the window where
//   - the shape ran on ≥ 7 days before d (recurring), and
//   - d's cost per run ≥ 3 × the median daily cost per run before d, the previous active day's
//     is not (d is where the new level starts), and
//   - it stays: the median daily cost per run from d to the window end (≥ 2 active days) is also
//     ≥ 3 × that median — a one-off run with a wider literal range is not a regression, and
//   - the extra cost is ≥ $25 per calendar day from d on ($750/month: worth a look),
// is reported, with before/after evidence.
//
// Why no contract output: the offline contract's anomalies[].scope is `project:`, `user:` or
// `label:` only, and its `usd`/`expectedUsd` are that scope's spend for the day. A regression is
// about a query shape; reporting it as `project:<id>` would misstate the project's spend, as a
// made-up `label:query_pattern:<hash>` would pose as a label that no job carries, and no
// recommendation kind means "this got worse". So `analyze` adds nothing to the contract, and the
// regressions are exposed as `detectPatternRegressions(ctx)` for the digest and `/bqcost` to show
// with their evidence. When the contract gains a `query:<hash>` scope, mapping each regression to
// one anomaly is a one-line change here.

import type { CostLine } from '../src/domain/analysis.js';
import { costLine, round6 } from '../src/domain/analysis.js';
import type { Analyzer, AnalyzerContext } from '../src/domain/context.js';
import { stableId } from '../src/domain/context.js';
import { bytesPerTib, slotHourRate, slotHours } from '../src/domain/pricing.js';
import { msPerDay, startOfUtcDay, utcDay } from '../src/domain/timestamps.js';

export const minBeforeDays = 7;
export const minAfterDays = 2;
export const minJump = 3;
/** $25 a day is $750 a month: below that a regression is not worth a card. */
export const minExcessUsdPerDay = 25;
const lookbackDays = 56;

export interface PatternPeriod {
  /** First and last UTC day of the period, inclusive. */
  from: string;
  to: string;
  /** Days the shape ran. */
  activeDays: number;
  runs: number;
  /** Median over active days of (day's cost ÷ day's runs): the figure compared. */
  usdPerRun: number;
  usdPerActiveDay: number;
}

export interface PatternRegression {
  id: string;
  hash: string;
  /** First day at the new cost. */
  day: string;
  before: PatternPeriod;
  after: PatternPeriod;
  /** after.usdPerRun ÷ before.usdPerRun (Infinity when the runs were free before). */
  ratio: number;
  excessUsdPerDay: number;
  excessUsdPerMonth: number;
  projectId: string | null;
  userEmail: string | null;
  sampleJobId: string | null;
  evidence: { method: string; costLines: CostLine[]; assumptions: string[] };
}

interface Day {
  day: number;
  runs: number;
  usd: number;
}

export function detectPatternRegressions(ctx: AnalyzerContext): PatternRegression[] {
  // History covers the 8 weeks before the window end; without it the window is all there is.
  const facts = ctx.history.length > 0 ? ctx.history : ctx.costFacts;
  const byHash = new Map<string, Map<number, Day>>();
  for (const fact of facts) {
    if (fact.dimension !== 'query_pattern' || fact.key === '' || fact.key === '(none)') continue;
    const day = Date.parse(`${fact.day}T00:00:00Z`) / msPerDay;
    const days = byHash.get(fact.key) ?? new Map<number, Day>();
    const entry = days.get(day) ?? { day, runs: 0, usd: 0 };
    entry.runs += fact.jobs;
    entry.usd +=
      (fact.onDemandBytesBilled / bytesPerTib) * ctx.pricing.prices.onDemandUsdPerTib +
      slotHours(fact.reservationSlotMs) *
        slotHourRate(ctx.pricing, fact.reservationId, fact.edition).usdPerSlotHour;
    days.set(day, entry);
    byHash.set(fact.key, days);
  }

  const windowFirst = startOfUtcDay(ctx.window.start).getTime() / msPerDay;
  const windowEnd = Math.ceil(ctx.window.end.getTime() / msPerDay);
  const patterns = new Map(ctx.patterns.map((p) => [p.hash, p]));
  const out: PatternRegression[] = [];
  for (const [hash, byDay] of [...byHash].sort(([a], [b]) => cmp(a, b))) {
    const active = [...byDay.values()]
      .filter((d) => d.runs > 0 && d.day < windowEnd)
      .sort((a, b) => a.day - b.day);
    for (let i = 0; i < active.length; i += 1) {
      const jump = active[i]!;
      if (jump.day < windowFirst) continue;
      const before = active.slice(0, i).filter((d) => d.day >= jump.day - lookbackDays);
      const after = active.slice(i);
      if (before.length < minBeforeDays || after.length < minAfterDays) continue;
      const beforePerRun = median(before.map(perRun));
      if (perRun(jump) < minJump * beforePerRun || perRun(jump) === 0) continue;
      // The first day at the new level: a jump that happened before the window is not new.
      const previous = perRun(active[i - 1]!);
      if (previous > 0 && previous >= minJump * beforePerRun) continue;
      const afterPerRun = median(after.map(perRun));
      if (afterPerRun < minJump * beforePerRun) continue;
      const calendarDaysAfter = windowEnd - jump.day;
      const runsAfter = sum(after, (d) => d.runs);
      const runsPerDay = runsAfter / calendarDaysAfter;
      const excessUsdPerDay = (afterPerRun - beforePerRun) * runsPerDay;
      if (excessUsdPerDay < minExcessUsdPerDay) continue;

      const pattern = patterns.get(hash);
      const dayText = utcDay(new Date(jump.day * msPerDay));
      const beforePeriod = period(before);
      const afterPeriod = period(after);
      out.push({
        id: stableId('regr', hash, dayText),
        hash,
        day: dayText,
        before: beforePeriod,
        after: afterPeriod,
        ratio: beforePerRun > 0 ? afterPerRun / beforePerRun : Number.POSITIVE_INFINITY,
        excessUsdPerDay,
        excessUsdPerMonth: excessUsdPerDay * 30,
        projectId: pattern?.projectId ?? null,
        userEmail: pattern?.userEmail ?? null,
        sampleJobId: pattern?.sampleJobId ?? null,
        evidence: {
          method:
            'per UTC day: on-demand bytes billed × $/TiB + reservation slot-hours × rate, divided by the runs that day; medians of those daily per-run costs before and from the jump day',
          costLines: [
            costLine(
              'Runs since the jump',
              round6(runsPerDay),
              'runs per day',
              afterPerRun,
              `median cost per run from ${dayText} to ${afterPeriod.to}`,
            ),
            costLine(
              'Runs at the old cost',
              round6(runsPerDay),
              'runs per day',
              beforePerRun,
              `median cost per run ${beforePeriod.from} to ${beforePeriod.to}`,
            ),
            costLine(
              'Extra cost per month',
              30,
              'days',
              excessUsdPerDay,
              'extra cost per calendar day since the jump × 30',
            ),
          ],
          assumptions: [
            'runs include cache hits and failed runs (they bill nothing) on both sides of the jump',
            'capacity is priced on slot-hours used, a lower bound of billed capacity',
            `the shape keeps running as often as it did since ${dayText}`,
          ],
        },
      });
      break;
    }
  }
  return out;
}

export const patternRegression: Analyzer = {
  id: 'pattern-regression',
  kinds: [],
  // Regressions have no place in the contract (see the header): detectPatternRegressions.
  analyze: () => ({ recommendations: [], anomalies: [] }),
};

function period(days: Day[]): PatternPeriod {
  const runs = sum(days, (d) => d.runs);
  return {
    from: utcDay(new Date(days[0]!.day * msPerDay)),
    to: utcDay(new Date(days.at(-1)!.day * msPerDay)),
    activeDays: days.length,
    runs,
    usdPerRun: median(days.map(perRun)),
    usdPerActiveDay: sum(days, (d) => d.usd) / days.length,
  };
}

function perRun(day: Day): number {
  return day.usd / day.runs;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += of(item);
  return total;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
