import type { Anomaly, Recommendation, RecommendationKind } from '../domain/analysis.js';
import type { AttributionDimension, TimeWindow } from '../domain/facts.js';
import type { LintFinding, TableUsageFact } from '../domain/context.js';
import { deriveState, type RecommendationState } from '../domain/ledger.js';
import { bytesPerTib, parseStorageBillingModel, storageUsdPerMonth } from '../domain/pricing.js';
import { msPerDay, startOfUtcDay } from '../domain/timestamps.js';
import { AppError } from '../errors.js';
import type { AckLedger } from '../ports/ledger.js';
import type { RecommendationStore, StoredRecommendation } from '../ports/recommendations.js';
import type { TableMeta } from '../ports/sql-inspector.js';
import type { JobDetail } from '../ports/warehouse.js';
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
  | {
      kind: 'recs';
      recKind: RecommendationKind | null;
      /** `recs mine`: only the stored recommendations this Slack user owns, in their team. */
      owner?: { slackId: string; teamId: string };
    }
  | { kind: 'anomalies' }
  | { kind: 'rec'; id: string }
  | { kind: 'table'; table: string }
  | { kind: 'check'; sql: string }
  | { kind: 'query'; ref: string }
  | { kind: 'me'; email: string; period: Period };

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
  /** `recs mine`: each one's state (open or snoozed) and the channel its card is in. */
  mine: { states: Record<string, RecommendationState>; channels: Record<string, string> } | null;
}

export interface AnomaliesAnswer {
  kind: 'anomalies';
  total: number;
  anomalies: Anomaly[];
}

export interface RecAnswer {
  kind: 'rec';
  id: string;
  /** null when no open recommendation has this id. */
  recommendation: Recommendation | null;
  /** The largest open recommendations' ids, to suggest when the id is unknown. */
  suggestions: { id: string; summary: string }[];
}

export interface TableAnswer {
  kind: 'table';
  table: string;
  window: TimeWindow;
  /** null when the storage snapshot does not hold the table. */
  storage: {
    totalLogicalBytes: number;
    totalPhysicalBytes: number;
    model: string;
    usdPerMonth: number;
  } | null;
  usage: TableUsageFact | null;
  /** On-demand cost of the queries that read the table (byTable attribution). */
  readers: KeyedCost | null;
  recommendations: Recommendation[];
}

export interface CheckAnswer {
  kind: 'check';
  parsed: boolean;
  error: string | null;
  findings: LintFinding[];
  /** Referenced tables and their logical size; null size when the snapshot lacks the table. */
  tables: { table: string; totalLogicalBytes: number | null }[];
  /**
   * `dry_run`: the bytes BigQuery's dry run says the statement processes, priced on demand.
   * `table_sizes`: an upper bound, a full scan of the known referenced tables (embedded mode, or
   * when the dry run could not be made). null when neither gives a figure.
   */
  estimateMethod: 'dry_run' | 'table_sizes';
  estimateUsd: number | null;
  estimateBytes: number | null;
  /** BigQuery's dry run found a problem in the statement (its words); the estimate is null. */
  rejected: string | null;
  /** Why a dry run was not used although the warehouse has one (permission, BigQuery down). */
  dryRunNote: string | null;
}

export interface QueryLookupAnswer {
  kind: 'query';
  ref: string;
  window: TimeWindow;
  /** The job when `ref` is a job id. */
  job: (JobDetail & { onDemandUsd: number | null }) | null;
  /** The shape when `ref` (or the job's hash) is among the window's costliest shapes. */
  pattern: {
    hash: string;
    runs: number;
    onDemandUsd: number;
    reservationSlotHours: number;
    distinctUsers: number;
    lastUser: string | null;
    sampleQuery: string | null;
    findings: LintFinding[];
  } | null;
}

export interface MeAnswer {
  kind: 'me';
  email: string;
  period: Period;
  window: TimeWindow;
  /** The user's attribution row; null when they ran nothing billed in the period. */
  row: KeyedCost | null;
  /** 1 = the costliest user. */
  rank: number | null;
  users: number;
  totalUsd: number;
}

export type QueryAnswer =
  | SummaryAnswer
  | TopAnswer
  | RecsAnswer
  | AnomaliesAnswer
  | RecAnswer
  | TableAnswer
  | CheckAnswer
  | QueryLookupAnswer
  | MeAnswer;

/** Rows per answer; Slack allows 50 blocks a message. */
export const answerRows = 10;
/** The window recommendations and anomalies are computed over. */
export const findingsWindowDays = 30;

export interface AnswerQueryDeps extends RunAnalysisDeps {
  /** Stored recommendations (owner routing): `recs mine` needs them; absent = not available. */
  recommendations?: RecommendationStore;
  /** Their acknowledgement ledger: acted-on ones are left out of `recs mine`. */
  ledger?: AckLedger;
  clock?: { now(): Date };
}

/** Read per owner: enough that counts are true for anyone (a person owns dozens, not thousands). */
export const ownedLimit = 1000;

export interface OwnedRecommendation {
  stored: StoredRecommendation;
  state: RecommendationState;
}

/**
 * The recommendations a Slack user owns that still want something from them: open or snoozed
 * (accepted, dismissed and verified ones are done). Without a ledger every one counts as open.
 */
export async function ownedRecommendations(
  deps: { recommendations: RecommendationStore; ledger?: AckLedger },
  filter: { ownerSlackId: string; teamId?: string; kind?: RecommendationKind },
  now: Date,
): Promise<OwnedRecommendation[]> {
  const stored = await deps.recommendations.list({ ...filter, limit: ownedLimit });
  const events =
    deps.ledger && stored.length > 0
      ? await deps.ledger.eventsFor(stored.map((s) => s.recommendation.id))
      : [];
  return stored
    .map((s) => ({
      stored: s,
      state: deriveState(
        events.filter((e) => e.recommendationId === s.recommendation.id),
        now,
      ),
    }))
    .filter((o) => o.state.state === 'open' || o.state.state === 'snoozed');
}

async function answerMyRecs(
  deps: AnswerQueryDeps,
  recKind: RecommendationKind | null,
  owner: { slackId: string; teamId: string },
): Promise<RecsAnswer> {
  if (!deps.recommendations) {
    throw new AppError('recs.no_store', 'recs mine: no recommendation store configured', {
      userMessage:
        '`recs mine` needs the recommendation store (cards posted by owner routing), which is not set up here. Try `recs`.',
    });
  }
  const owned = await ownedRecommendations(
    { recommendations: deps.recommendations, ...(deps.ledger ? { ledger: deps.ledger } : {}) },
    {
      ownerSlackId: owner.slackId,
      teamId: owner.teamId,
      ...(recKind === null ? {} : { kind: recKind }),
    },
    deps.clock?.now() ?? new Date(),
  );
  const shown = owned.slice(0, answerRows);
  return {
    kind: 'recs',
    recKind,
    total: owned.length,
    recommendations: shown.map((o) => o.stored.recommendation),
    mine: {
      states: Object.fromEntries(shown.map((o) => [o.stored.recommendation.id, o.state])),
      channels: Object.fromEntries(
        shown.map((o) => [o.stored.recommendation.id, o.stored.channelId]),
      ),
    },
  };
}

export async function answerQuery(deps: AnswerQueryDeps, query: CostQuery): Promise<QueryAnswer> {
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
      if (query.owner) return answerMyRecs(deps, query.recKind, query.owner);
      const full = await runAnalysis(deps, { windowDays: findingsWindowDays });
      const all = full.result.recommendations.filter(
        (r) => query.recKind === null || r.kind === query.recKind,
      );
      return {
        kind: 'recs',
        recKind: query.recKind,
        total: all.length,
        recommendations: all.slice(0, answerRows),
        mine: null,
      };
    }
    case 'anomalies': {
      const full = await runAnalysis(deps, { windowDays: findingsWindowDays });
      const all = full.result.anomalies;
      return { kind: 'anomalies', total: all.length, anomalies: all.slice(0, answerRows) };
    }
    case 'rec': {
      const full = await runAnalysis(deps, { windowDays: findingsWindowDays });
      const all = full.result.recommendations;
      return {
        kind: 'rec',
        id: query.id,
        recommendation: all.find((r) => r.id === query.id) ?? null,
        suggestions: all.slice(0, 5).map((r) => ({ id: r.id, summary: r.summary })),
      };
    }
    case 'table':
      return answerTable(deps, query.table);
    case 'check':
      return answerCheck(deps, query.sql);
    case 'query':
      return answerLookup(deps, query.ref);
    case 'me': {
      const options = await periodOptions(deps, query.period);
      const a = await analyzeCosts(deps, { ...options, comparePrevious: false });
      const users = a.dimensions.user;
      const email = query.email.toLowerCase();
      const index = users.findIndex((r) => r.key.toLowerCase() === email);
      return {
        kind: 'me',
        email: query.email,
        period: query.period,
        window: a.window,
        row: index < 0 ? null : (users[index] ?? null),
        rank: index < 0 ? null : index + 1,
        users: users.length,
        totalUsd: a.result.totals.onDemandUsd + a.result.totals.capacityUsd,
      };
    }
  }
}

/** Shapes searched for a hash: the costliest this many by bytes and by slots. */
export const lookupPatternLimit = 500;

// A job id and a hash cannot be told apart by their text, so the id is tried first.
async function answerLookup(deps: RunAnalysisDeps, ref: string): Promise<QueryLookupAnswer> {
  const [job, options] = await Promise.all([
    deps.warehouse.jobById(ref),
    periodOptions(deps, '30d'),
  ]);
  const window = {
    start: new Date(options.asOf.getTime() - options.windowDays * msPerDay),
    end: options.asOf,
  };
  const hash = job === null ? ref : job.queryHash;
  const price = deps.pricing.prices.onDemandUsdPerTib;
  const fact =
    hash === null
      ? undefined
      : (await deps.warehouse.queryPatterns(window, lookupPatternLimit)).find(
          (p) => p.hash === hash,
        );
  return {
    kind: 'query',
    ref,
    window,
    job:
      job === null
        ? null
        : {
            ...job,
            onDemandUsd: job.bytesBilled === null ? null : (job.bytesBilled / bytesPerTib) * price,
          },
    pattern:
      fact === undefined
        ? null
        : {
            hash: fact.hash,
            runs: fact.runs,
            onDemandUsd: (fact.onDemandBytesBilled / bytesPerTib) * price,
            reservationSlotHours: fact.reservationSlotMs / 3_600_000,
            distinctUsers: fact.distinctUsers,
            lastUser: fact.userEmail,
            sampleQuery: fact.sampleQuery,
            findings:
              fact.sampleQuery === null ? [] : deps.inspector.inspect(fact.sampleQuery).findings,
          },
  };
}

async function answerTable(deps: RunAnalysisDeps, table: string): Promise<TableAnswer> {
  const full = await runAnalysis(deps, { windowDays: findingsWindowDays });
  const window = full.window;
  const [usage, snapshot] = await Promise.all([
    deps.warehouse.tableUsage(window),
    deps.warehouse.tableStorage(),
  ]);
  const fact = snapshot.find((t) => tableKey(t) === table);
  const storage =
    fact === undefined
      ? null
      : (() => {
          const model = parseStorageBillingModel(fact.storageBillingModelOption);
          return {
            totalLogicalBytes: fact.totalLogicalBytes,
            totalPhysicalBytes: fact.totalPhysicalBytes,
            model,
            usdPerMonth: storageUsdPerMonth(
              {
                activeLogicalBytes: fact.activeLogicalBytes,
                longTermLogicalBytes: fact.longTermLogicalBytes,
                activePhysicalBytes: fact.activePhysicalBytes,
                longTermPhysicalBytes: fact.longTermPhysicalBytes,
                failSafePhysicalBytes: fact.failSafePhysicalBytes,
              },
              model,
              deps.pricing,
            ),
          };
        })();
  return {
    kind: 'table',
    table,
    window,
    storage,
    usage: usage.find((u) => u.table === table) ?? null,
    readers: full.dimensions.table.find((r) => r.key === table) ?? null,
    recommendations: full.result.recommendations.filter((r) => r.target === table),
  };
}

// Production asks BigQuery's dry run what the statement processes. Embedded mode has none, and a
// dry run can be refused (permission) or fail: then the estimate is the referenced tables' full
// logical size, an upper bound (partition pruning and column selection only lower it).
async function answerCheck(deps: RunAnalysisDeps, sql: string): Promise<CheckAnswer> {
  const [snapshot, dryRun] = await Promise.all([
    deps.warehouse.tableStorage(),
    deps.warehouse.dryRun(sql),
  ]);
  const metas = new Map<string, TableMeta>();
  for (const t of snapshot) {
    const meta: TableMeta = {
      table: tableKey(t),
      totalLogicalBytes: t.totalLogicalBytes,
      partitioned: t.totalPartitions > 1,
      partitionColumn: null,
      clusteringColumns: [],
    };
    metas.set(meta.table, meta);
  }
  const inspection = deps.inspector.inspect(sql, { tables: metas });
  const tables = referencedTables(sql).map((table) => ({
    table,
    totalLogicalBytes: metas.get(table)?.totalLogicalBytes ?? null,
  }));
  const known = tables.filter((t) => t.totalLogicalBytes !== null);
  const fromDryRun = dryRun !== null && dryRun.outcome !== 'unavailable';
  const estimateBytes =
    dryRun?.outcome === 'estimated'
      ? dryRun.bytesProcessed
      : fromDryRun || known.length === 0
        ? null
        : known.reduce((s, t) => s + (t.totalLogicalBytes ?? 0), 0);
  return {
    kind: 'check',
    parsed: inspection.parsed,
    error: inspection.parsed ? null : (inspection.error ?? 'could not parse the SQL'),
    findings: inspection.findings,
    tables,
    estimateMethod: fromDryRun ? 'dry_run' : 'table_sizes',
    estimateBytes,
    estimateUsd:
      estimateBytes === null
        ? null
        : (estimateBytes / bytesPerTib) * deps.pricing.prices.onDemandUsdPerTib,
    rejected: dryRun?.outcome === 'rejected' ? dryRun.message : null,
    dryRunNote: dryRun?.outcome === 'unavailable' ? dryRun.message : null,
  };
}

/** `project.dataset.table` names after FROM / JOIN, backticks removed, in order of appearance. */
export function referencedTables(sql: string): string[] {
  const names = new Set<string>();
  const pattern = /\b(?:from|join)\s+`?([\w-]+\.[\w-]+\.[\w$-]+)`?/gi;
  for (const match of sql.matchAll(pattern)) if (match[1]) names.add(match[1]);
  return [...names];
}

function tableKey(t: { projectId: string; datasetId: string; tableId: string }): string {
  return `${t.projectId}.${t.datasetId}.${t.tableId}`;
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
