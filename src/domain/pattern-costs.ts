import type { CostLine } from './analysis.js';
import { costLine } from './analysis.js';
import type { AnalyzerContext, ColumnPredicate, PatternSql, QueryPatternFact } from './context.js';
import type { TableStorageFact } from './facts.js';
import type { PricingContext } from './pricing.js';
import { bytesPerGib, bytesPerTib } from './pricing.js';
import { msPerDay } from './timestamps.js';

// What the query patterns that read a table cost, attributed to that table, and what their parsed
// SQL filters on it. Shared by the table analyzers (partition, cluster, require-partition-filter)
// so a pattern that reads several tables is split the same way everywhere.

/** Below this much scanning saved a month, a finding is noise (about $6 at US list price). */
export const minMonthlySavedBytes = bytesPerTib;

/** BigQuery bills on-demand queries at least 10 MB per table they read. */
export const minBytesBilledPerTable = 10 * 2 ** 20;

export function tableKey(table: Pick<TableStorageFact, 'projectId' | 'datasetId' | 'tableId'>) {
  return `${table.projectId}.${table.datasetId}.${table.tableId}`;
}

/** One pattern's reads of one table over the window. */
export interface TableRead {
  pattern: QueryPatternFact;
  /** The pattern's parsed SQL; null when it was not inspected or did not parse. */
  sql: PatternSql | null;
  /** Share of the pattern's bytes put on this table (1 when it reads only this table). */
  share: number;
  /** The pattern's on-demand bytes billed in the window × share. */
  onDemandBytesBilled: number;
  /** The pattern's reservation slot-ms in the window × share. */
  reservationSlotMs: number;
  /** Filters the SQL applies to this table (empty when `sql` is null). */
  filters: ColumnPredicate[];
  /** Filters on a name that cannot be told apart between the tables the pattern reads. */
  ambiguousFilters: ColumnPredicate[];
}

/**
 * Every pattern's reads, by `project.dataset.table`. A pattern reading several tables has its
 * bytes split in proportion to their logical size (evenly when a size is unknown), and by the
 * share of its runs that read each table. Each list is sorted by attributed bytes, then hash.
 */
export function readsByTable(context: AnalyzerContext): Map<string, TableRead[]> {
  const sizes = new Map(
    context.tables.map((t) => [tableKey(t).toLowerCase(), t.totalLogicalBytes]),
  );
  const sqlByHash = new Map(context.sql.map((s) => [s.hash, s]));
  const reads = new Map<string, TableRead[]>();
  for (const pattern of context.patterns) {
    const refs = pattern.referencedTables;
    const known = refs.map((r) => sizes.get(r.table.toLowerCase()));
    const totalSize = known.every((s) => s !== undefined)
      ? known.reduce((sum: number, s) => sum + (s ?? 0), 0)
      : 0;
    const parsed = sqlByHash.get(pattern.hash);
    const sql = parsed?.parsed ? parsed : null;
    refs.forEach((ref, i) => {
      const sizeShare = totalSize > 0 ? (known[i] ?? 0) / totalSize : 1 / refs.length;
      const runShare = pattern.runs > 0 ? Math.min(1, ref.runs / pattern.runs) : 1;
      const share = sizeShare * runShare;
      const { own, ambiguous } = sql
        ? splitFilters(
            sql.filters,
            ref.table,
            refs.map((r) => r.table),
          )
        : { own: [], ambiguous: [] };
      const read: TableRead = {
        pattern,
        sql,
        share,
        onDemandBytesBilled: pattern.onDemandBytesBilled * share,
        reservationSlotMs: pattern.reservationSlotMs * share,
        filters: own,
        ambiguousFilters: ambiguous,
      };
      const key = ref.table.toLowerCase();
      const list = reads.get(key);
      if (list) list.push(read);
      else reads.set(key, [read]);
    });
  }
  // The same facts in another order give the same lists (and the same floating-point sums).
  for (const list of reads.values()) {
    list.sort(
      (a, b) =>
        b.onDemandBytesBilled - a.onDemandBytesBilled ||
        b.reservationSlotMs - a.reservationSlotMs ||
        (a.pattern.hash < b.pattern.hash ? -1 : a.pattern.hash > b.pattern.hash ? 1 : 0),
    );
  }
  return reads;
}

function bareName(name: string): string {
  return name.replace(/`/g, '').replace(':', '.').toLowerCase();
}

/** Does a name as written (`t`, `ds.t`, `p.ds.t`) name the table `p.ds.t`? */
function names(written: string, table: string): boolean {
  const name = bareName(written);
  const key = table.toLowerCase();
  return name === key || key.endsWith(`.${name}`);
}

function splitFilters(
  filters: readonly ColumnPredicate[],
  table: string,
  tables: readonly string[],
): { own: ColumnPredicate[]; ambiguous: ColumnPredicate[] } {
  const own: ColumnPredicate[] = [];
  const ambiguous: ColumnPredicate[] = [];
  for (const filter of filters) {
    if (filter.table !== null && names(filter.table, table)) own.push(filter);
    else if (filter.table !== null && tables.some((t) => names(filter.table!, t))) continue;
    // An alias or no qualifier: it is this table's when the pattern reads nothing else.
    else if (tables.length === 1) own.push(filter);
    else ambiguous.push(filter);
  }
  return { own, ambiguous };
}

// No column types reach the analyzers (INFORMATION_SCHEMA.COLUMNS is not exported), so columns are
// told apart by name: dates and times by the usual words, ids by an `_id`-like suffix.
const dateLikeName =
  /^_partition(time|date)$|(^|_)(date|datetime|time|timestamp|ts|dt|day|week|month|year|hour)(_|$)|(date|datetime|timestamp)$|_at$/i;
const idLikeName = /(^|_)(id|uuid|guid|key|sku|email)$|[a-z]Id$/;
const isoDatePrefix = /^\d{4}-\d{2}-\d{2}/;

export function isDateLikeColumn(column: string): boolean {
  return dateLikeName.test(column);
}

export function isIdLikeColumn(column: string): boolean {
  return idLikeName.test(column);
}

/** A predicate on a date/time column: by its name, or because its bounds are dates. */
export function isDatePredicate(predicate: ColumnPredicate): boolean {
  return (
    isDateLikeColumn(predicate.column) ||
    parseIsoDate(predicate.from) !== null ||
    parseIsoDate(predicate.to) !== null
  );
}

export function parseIsoDate(value: string | null | undefined): Date | null {
  if (!value || !isoDatePrefix.test(value)) return null;
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Is `column` compared with a subquery (`col IN (SELECT …)`, `col = (SELECT …)`) in the SQL?
 * Such values are known only at run time: they prune neither partitions nor clustered blocks.
 */
export function comparedToSubquery(sql: string | null, column: string): boolean {
  if (!sql) return false;
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w])${escaped}\\s*(=|IN)\\s*\\(\\s*(SELECT|WITH)\\b`, 'i').test(sql);
}

/**
 * A habit, not an accident: at least 10 runs on at least 5 days of the window. A few one-off
 * scans are what `maximum_bytes_billed` guards against; a month's figure from them is a guess.
 */
export function isRecurring(pattern: QueryPatternFact): boolean {
  return pattern.runs >= 10 && pattern.activeDays >= 5;
}

/** Whole days from `from` to `to` (fractional). */
export function daysBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / msPerDay;
}

/** Bytes seen over the window, scaled to a 30-day month. */
export function bytesPerMonth(bytesInWindow: number, windowDays: number): number {
  return (bytesInWindow * 30) / windowDays;
}

/** A cost line for scanned bytes: quantity in TiB at the on-demand price. */
export function scanLine(
  label: string,
  bytes: number | null,
  pricing: PricingContext,
  method?: string,
): CostLine {
  return costLine(
    label,
    bytes === null ? null : bytes / bytesPerTib,
    'TiB',
    pricing.prices.onDemandUsdPerTib,
    method,
  );
}

/** `$1,234` from $100 up, `$12.34` below. */
export function formatUsd(usd: number): string {
  if (Math.abs(usd) < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

/** `4.5 TiB`, `320 GiB`, `12 MiB`. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [bytesPerTib * 1024, 'PiB'],
    [bytesPerTib, 'TiB'],
    [bytesPerGib, 'GiB'],
    [2 ** 20, 'MiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(3))} ${unit}`;
    }
  }
  return `${Math.round(bytes)} B`;
}

/** `0.4%`, `37%`. */
export function formatPercent(fraction: number): string {
  const pct = fraction * 100;
  return `${pct >= 10 ? Math.round(pct) : Number(pct.toPrecision(2))}%`;
}
