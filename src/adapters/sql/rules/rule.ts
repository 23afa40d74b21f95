import type { LintRule } from '../../../domain/analysis.js';
import type { Pos } from '../ast.js';
import type { Token } from '../lexer.js';
import type { Model } from '../model.js';
import type { Predicate, Resolver } from '../predicates.js';

export interface LintSettings {
  /** "Large" for unpartitioned_date_filter and distinct_on_large_table (default 100 GiB). */
  largeTableBytes: number;
  /** wide_date_range: ranges wider than this many days (default 365). */
  wideRangeDays: number;
  /** The present, for open-ended ranges from a literal date. */
  now: () => Date;
}

export interface RuleContext {
  model: Model;
  predicates: readonly Predicate[];
  resolver: Resolver;
  tokens: readonly Token[];
  settings: LintSettings;
  /** Tables dropped by statements that did not parse (lower-cased name parts). */
  unparsedDrops: readonly string[][];
  report(pos: Pos | null, message: string): void;
}

export interface SqlRule {
  id: LintRule;
  check(context: RuleContext): void;
}

export const quote = (name: string) => `\`${name}\``;

export function formatBytes(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1024 ? `${(gib / 1024).toFixed(1)} TiB` : `${gib.toFixed(gib >= 10 ? 0 : 1)} GiB`;
}

export const lineOf = (pos: Pos | null) => (pos ? `line ${pos.line}` : 'an unknown line');

/** Column names that usually hold a date or time (the partition candidates). */
export function looksLikeDateColumn(column: string): boolean {
  return /(^|_)(date|day|dt|time|ts|timestamp|datetime)$|_at$|^_partition(time|date)$/i.test(
    column,
  );
}
