import type {
  CostFact,
  DataRange,
  FactDimension,
  ReservationCapacityFact,
  TableStorageFact,
  TimeWindow,
} from '../domain/facts.js';
import type { ExportView } from '../domain/columns.js';
import type {
  BytesDistributionFact,
  QueryPatternFact,
  ScriptSampleFact,
  TableUsageFact,
} from '../domain/context.js';

/** Where job history and storage metadata live: BigQuery in production, DuckDB embedded. */
export interface Warehouse {
  /** Daily cost quantities per attribution dimension for jobs created inside the window. */
  costFacts(window: TimeWindow): Promise<CostFact[]>;
  /**
   * `costFacts` of these dimensions only: readers that need no tables or query shapes (the
   * digest) skip the two largest dimensions, and in BigQuery the stored facts are clustered by
   * dimension, so fewer blocks are read too. No dimensions, no rows (and no query).
   */
  costFactsFor(window: TimeWindow, dimensions: readonly FactDimension[]): Promise<CostFact[]>;
  /** The latest storage snapshot, one row per table. */
  tableStorage(): Promise<TableStorageFact[]>;
  /** Billed reservation capacity per day; empty when no timeline data is available. */
  reservationCapacity(window: TimeWindow): Promise<ReservationCapacityFact[]>;
  /**
   * The costliest query shapes in the window: the top `limit` by on-demand bytes billed plus the
   * top `limit` by reservation slot-ms (so at most 2 × `limit`), with the tables each reads.
   */
  queryPatterns(window: TimeWindow, limit: number): Promise<QueryPatternFact[]>;
  /** The text of the `limit` most-run scripts (SCRIPT parents) in the window, for inspection. */
  scriptSamples(window: TimeWindow, limit: number): Promise<ScriptSampleFact[]>;
  /** Reads and writes per table over the window. */
  tableUsage(window: TimeWindow): Promise<TableUsageFact[]>;
  /** Bytes billed per on-demand query job, as quantiles per user and per project. */
  bytesDistribution(window: TimeWindow): Promise<BytesDistributionFact[]>;
  /** The span of job history available. */
  dataRange(): Promise<DataRange>;
  /** One job by id; null when the history does not hold it. */
  jobById(jobId: string): Promise<JobDetail | null>;
  /**
   * Asks the engine what a statement would process without running it (BigQuery's dry run).
   * null: this warehouse has no dry run (embedded DuckDB); callers fall back to table sizes.
   */
  dryRun(sql: string): Promise<DryRunResult | null>;
  close(): Promise<void>;
}

/**
 * A dry run's outcome. `rejected`: the engine found a problem in the statement itself (syntax, a
 * missing table or column), named in `message`. `unavailable`: the dry run could not be made
 * (permission, quota, the engine not answering), `message` says why; the statement may be fine.
 */
export type DryRunResult =
  | { outcome: 'estimated'; bytesProcessed: number }
  | { outcome: 'rejected'; reason: string; message: string }
  | { outcome: 'unavailable'; reason: string; message: string };

export interface JobDetail {
  jobId: string;
  creationTime: Date;
  projectId: string;
  userEmail: string | null;
  statementType: string | null;
  /** null when the job did not record it (cached, failed, capacity without on-demand billing). */
  bytesBilled: number | null;
  slotMs: number | null;
  /** The normalized-literals hash; null for non-query jobs and cache hits. */
  queryHash: string | null;
  query: string | null;
}

export interface ExportFile {
  view: ExportView;
  path: string;
  /** Display name used in messages (relative to the export directory). */
  name: string;
}

export interface ImportIssue {
  file: string;
  /** 1-based line for NDJSON, 1-based element index for JSON arrays and rows for Parquet. */
  line: number | null;
  field: string | null;
  reason: string;
}

export interface ImportReport {
  file: string;
  view: ExportView;
  rowsRead: number;
  rowsImported: number;
  rowsSkipped: number;
  duplicatesDropped: number;
  issues: ImportIssue[];
}

export interface ImportOptions {
  /** Stop at the first unreadable row instead of skipping it. */
  strict: boolean;
  /** At most this many issues are kept per file (the count stays exact). */
  maxIssues?: number;
}

/** Loads export files (INFORMATION_SCHEMA dumps) into a warehouse that can hold them. */
export interface ExportLoader {
  importFile(file: ExportFile, options: ImportOptions): Promise<ImportReport>;
  /** Replace the contents of every view with nothing (a fresh import). */
  clear(views?: readonly ExportView[]): Promise<void>;
  rowCount(view: ExportView): Promise<number>;
}
