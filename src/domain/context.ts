import type {
  Anomaly,
  CostLine,
  LintRule,
  Recommendation,
  RecommendationKind,
} from './analysis.js';
import type { CostFact, ReservationCapacityFact, TableStorageFact, TimeWindow } from './facts.js';
import type { PricingContext } from './pricing.js';

// What analyzers see: bounded, aggregated facts (computed inside the warehouse) plus the parsed
// SQL of the expensive query patterns. Analyzers are pure functions of this context: no I/O, no
// clock (`asOf` is the time), no prices but those in `pricing`.

/** One normalized-literals query shape over the analysis window (SCRIPT parents excluded). */
export interface QueryPatternFact {
  hash: string;
  runs: number;
  onDemandBytesBilled: number;
  reservationSlotMs: number;
  bytesProcessed: number;
  maxBytesBilled: number;
  activeDays: number;
  distinctUsers: number;
  /** The project that ran it most recently, and one of its users. */
  projectId: string;
  userEmail: string | null;
  firstSeen: Date;
  lastSeen: Date;
  statementType: string | null;
  /** Text of the most recent run (representative: same shape, other literals). */
  sampleQuery: string | null;
  sampleJobId: string;
  /** Tables it reads, `project.dataset.table`, with how many of its runs read each. */
  referencedTables: { table: string; runs: number }[];
}

/**
 * The text of a multi-statement script (SCRIPT parent job), for the checks that need the whole
 * script. No cost: the parent repeats its children's, which are counted as their own patterns.
 */
export interface ScriptSampleFact {
  /** The normalized-literals hash, or `script:<job id>` when BigQuery set none. */
  key: string;
  runs: number;
  /** Text, project and job of the most recent run. */
  sampleQuery: string;
  projectId: string;
  sampleJobId: string;
  lastSeen: Date;
}

/** Reads (referenced_tables) and writes (destination_table) of a table over the window. */
export interface TableUsageFact {
  table: string;
  reads: number;
  readDays: number;
  lastRead: Date | null;
  readOnDemandBytesBilled: number;
  writes: number;
  lastWrite: Date | null;
}

/** Distribution of bytes billed per on-demand job, per user or project, over the window. */
export interface BytesDistributionFact {
  scope: 'user' | 'project';
  key: string;
  jobs: number;
  /** Bytes billed at p0, p1, … p100 (101 values). */
  quantiles: number[];
  maxJobId: string | null;
}

/** A column predicate a query applies to a table, from its parsed SQL. */
export interface ColumnPredicate {
  /** `project.dataset.table` when it can be resolved, else the alias/name as written. */
  table: string | null;
  column: string;
  op: 'eq' | 'in' | 'range' | 'like' | 'other';
  /** Literal bounds of a range on a date/timestamp column, ISO dates when known. */
  from?: string | null;
  to?: string | null;
}

export interface LintFinding {
  rule: LintRule;
  line: number;
  column: number;
  message: string;
}

/** What the SQL analysis found in one pattern's (or script's) sample query. */
export interface PatternSql {
  /** The pattern's hash, or the script sample's key. */
  hash: string;
  parsed: boolean;
  error?: string;
  findings: LintFinding[];
  /** Predicates in WHERE / ON / QUALIFY clauses, for partition and cluster analysis. */
  filters: ColumnPredicate[];
  joins: ColumnPredicate[];
}

export interface AnalyzerContext {
  asOf: Date;
  window: TimeWindow;
  windowDays: number;
  pricing: PricingContext;
  /** Daily cost facts for the window, every dimension. */
  costFacts: CostFact[];
  /** Daily cost facts for the 8 weeks before the window end (anomaly baselines). */
  history: CostFact[];
  tables: TableStorageFact[];
  reservations: ReservationCapacityFact[];
  patterns: QueryPatternFact[];
  tableUsage: TableUsageFact[];
  bytesDistribution: BytesDistributionFact[];
  sql: PatternSql[];
}

/** Every recommendation explains itself with the same parts. */
export interface Evidence {
  method: string;
  costLines: CostLine[];
  assumptions: string[];
  [detail: string]: unknown;
}

export interface Fix {
  summary: string;
  sql?: string;
  steps?: string[];
  caveats?: string[];
}

export interface AnalyzerOutput {
  recommendations: Recommendation[];
  anomalies: Anomaly[];
}

export interface Analyzer {
  /** Equals the file name in analyzers/. */
  id: string;
  kinds: readonly RecommendationKind[];
  analyze(context: AnalyzerContext): AnalyzerOutput;
}

/** FNV-1a 64-bit of the parts: the same finding on the same data gets the same id. */
export function stableId(prefix: string, ...parts: string[]): string {
  let hash = 0xcbf29ce484222325n;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i += 1) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `${prefix}_${hash.toString(16).padStart(16, '0')}`;
}

/** Recommendations sorted by monthly savings desc, nulls last, then id. */
export function rankRecommendations(recommendations: Recommendation[]): Recommendation[] {
  return [...recommendations].sort((a, b) => {
    const x = a.monthlySavingsUsd;
    const y = b.monthlySavingsUsd;
    if (x === null && y !== null) return 1;
    if (y === null && x !== null) return -1;
    if (x !== null && y !== null && x !== y) return y - x;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** A cost observed over the window, scaled to a 30-day month. */
export function perMonth(usdInWindow: number, windowDays: number): number {
  return (usdInWindow * 30) / windowDays;
}
