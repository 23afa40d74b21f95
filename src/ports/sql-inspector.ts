import type { LintRule } from '../domain/analysis.js';
import type { ColumnPredicate, LintFinding } from '../domain/context.js';

/** What is known of a table the SQL reads, for the metadata-aware rules. */
export interface TableMeta {
  /** `project.dataset.table` */
  table: string;
  totalLogicalBytes: number;
  partitioned: boolean;
  /** The partitioning column when known (INFORMATION_SCHEMA.COLUMNS), else null. */
  partitionColumn: string | null;
  clusteringColumns: string[];
}

export interface InspectOptions {
  /** Tables by `project.dataset.table` (and by `dataset.table` for unqualified references). */
  tables?: ReadonlyMap<string, TableMeta>;
  /** Project used to qualify `dataset.table` references. */
  defaultProject?: string;
  /** Only these rules (default: all). */
  rules?: readonly LintRule[];
}

export interface SqlInspection {
  parsed: boolean;
  /** Parser message when `parsed` is false. */
  error?: string;
  findings: LintFinding[];
  /** Predicates in WHERE / QUALIFY, resolved to tables where possible. */
  filters: ColumnPredicate[];
  /** Join conditions. */
  joins: ColumnPredicate[];
}

/** Parses GoogleSQL and reports antipatterns and predicates. Never throws on bad SQL. */
export interface SqlInspector {
  inspect(sql: string, options?: InspectOptions): SqlInspection;
}
