import type { Anomaly, Recommendation, RecommendationKind } from '../domain/analysis.js';
import type { AttributionDimension, TimeWindow } from '../domain/facts.js';
import { msPerDay, startOfUtcDay } from '../domain/timestamps.js';
import { analyzeCosts, type DailyCost, type KeyedCost } from './analyze.js';
import { runAnalysis, type RunAnalysisDeps } from './run-analysis.js';

// The questions `/bqcost` answers, computed from the warehouse. Plain data out; the Slack handler
// renders it. Periods end where the data ends (the UTC day of the latest job), like the CLI.

export const periods = ['7d', '30d', 'mtd'] as const;
export type Period = (typeof periods)[number];

export const topDimensions = {
  users: 'user',
  projects: 'project',
  labels: 'label',
  queries: 'query_pattern',
  tables: 'table',
} as const satisfies Record<string, AttributionDimension>;
export type TopDimension = keyof typeof topDimensions;

export type CostQuery =
  | { kind: 'summary'; period: Period }
  | { kind: 'top'; dimension: TopDimension; period: Period }
  | { kind: 'recs'; recKind: RecommendationKind | null }
  | { kind: 'anomalies' };

export interface SummaryAnswer {
  kind: 'summary';
  period: Period;
  window: TimeWindow;
  jobs: number;
  onDemandUsd: number;
  capacityUsd: number;
  previousUsd: number;
  storageUsdPerMonth: number | null;
  daily: DailyCost[];
}

export interface TopAnswer {
  kind: 'top';
  dimension: TopDimension;
  period: Period;
  window: TimeWindow;
  rows: KeyedCost[];
}

export interface RecsAnswer {
  kind: 'recs';
  recKind: RecommendationKind | null;
  total: number;
  recommendations: Recommendation[];
}

export interface AnomaliesAnswer {
  kind: 'anomalies';
  total: number;
  anomalies: Anomaly[];
}

export type QueryAnswer = SummaryAnswer | TopAnswer | RecsAnswer | AnomaliesAnswer;

/** Rows per answer; Slack allows 50 blocks a message. */
export const answerRows = 10;
/** The window recommendations and anomalies are computed over. */
export const findingsWindowDays = 30;

export async function answerQuery(deps: RunAnalysisDeps, query: CostQuery): Promise<QueryAnswer> {
  switch (query.kind) {
    case 'summary': {
      const a = await analyzeCosts(deps, await periodOptions(deps, query.period));
      const previous = a.previousDimensions.project;
      return {
        kind: 'summary',
        period: query.period,
        window: a.window,
        jobs: a.result.totals.jobs,
        onDemandUsd: a.result.totals.onDemandUsd,
        capacityUsd: a.result.totals.capacityUsd,
        previousUsd: previous.reduce((s, r) => s + r.onDemandUsd + r.capacityUsd, 0),
        storageUsdPerMonth: a.result.totals.storageUsdPerMonth,
        daily: a.daily,
      };
    }
    case 'top': {
      const options = await periodOptions(deps, query.period);
      const a = await analyzeCosts(deps, { ...options, comparePrevious: false });
      return {
        kind: 'top',
        dimension: query.dimension,
        period: query.period,
        window: a.window,
        rows: a.dimensions[topDimensions[query.dimension]].slice(0, answerRows),
      };
    }
    case 'recs': {
      const full = await runAnalysis(deps, { windowDays: findingsWindowDays });
      const all = full.result.recommendations.filter(
        (r) => query.recKind === null || r.kind === query.recKind,
      );
      return {
        kind: 'recs',
        recKind: query.recKind,
        total: all.length,
        recommendations: all.slice(0, answerRows),
      };
    }
    case 'anomalies': {
      const full = await runAnalysis(deps, { windowDays: findingsWindowDays });
      const all = full.result.anomalies;
      return { kind: 'anomalies', total: all.length, anomalies: all.slice(0, answerRows) };
    }
  }
}

async function periodOptions(
  deps: RunAnalysisDeps,
  period: Period,
): Promise<{ asOf: Date; windowDays: number }> {
  const range = await deps.warehouse.dataRange();
  const last = range.lastCreationTime ?? new Date();
  const asOf = new Date(startOfUtcDay(last).getTime() + msPerDay);
  if (period === '7d') return { asOf, windowDays: 7 };
  if (period === '30d') return { asOf, windowDays: 30 };
  // Month to date: from the first of the month of the last day with data.
  const monthStart = Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1);
  return { asOf, windowDays: Math.round((asOf.getTime() - monthStart) / msPerDay) };
}
