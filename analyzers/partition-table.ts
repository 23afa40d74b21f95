// Partition a large table that queries filter by date.
//
// An unpartitioned table is read whole by every query, however narrow its date filter: on-demand
// bills every byte of the columns read. Partitioned on that date, the same queries read only the
// partitions their filter names (https://cloud.google.com/bigquery/docs/partitioned-tables,
// https://cloud.google.com/bigquery/docs/querying-partitioned-tables). Google's recommender only
// suggests it from ~100 GB, and so do we.
//
// The saving is estimated from the filters the queries actually use: the days a filter covers
// over the days the table has existed is the share a query would still read. Patterns whose SQL
// did not parse add nothing and are listed as such; with no parsed date filter at all there is no
// recommendation, and when no filter has usable bounds (an IN list of dates, a month column) or
// the table's creation time is unknown, the saving is null with low confidence.

import type { Recommendation } from '../src/domain/analysis.js';
import type {
  Analyzer,
  AnalyzerContext,
  ColumnPredicate,
  Evidence,
  Fix,
} from '../src/domain/context.js';
import { stableId } from '../src/domain/context.js';
import type { TableStorageFact } from '../src/domain/facts.js';
import type { TableRead } from '../src/domain/pattern-costs.js';
import {
  bytesPerMonth,
  comparedToSubquery,
  daysBetween,
  formatBytes,
  formatPercent,
  formatUsd,
  isDatePredicate,
  isRecurring,
  minMonthlySavedBytes,
  parseIsoDate,
  readsByTable,
  scanLine,
  tableKey,
} from '../src/domain/pattern-costs.js';
import { bytesPerGib, onDemandUsd } from '../src/domain/pricing.js';
import { msPerDay } from '../src/domain/timestamps.js';

const minLogicalBytes = 100 * bytesPerGib;
/** Columns whose equality pins one day (not a month, week or year). */
const dayLevelName = /date|(^|_)(day|dt|ts|time|timestamp|datetime|hour)(_|$)|_at$/i;
/** Filters covering at most this share of the table keep most of the saving even if recent
 * days hold several times the bytes of old ones (tables tend to grow). */
const robustScannedFraction = 0.25;

export const partitionTable: Analyzer = {
  id: 'partition-table',
  kinds: ['partition_table'],
  analyze(context) {
    const reads = readsByTable(context);
    const recommendations: Recommendation[] = [];
    for (const table of context.tables) {
      if (table.totalPartitions > 1 || table.totalLogicalBytes < minLogicalBytes) continue;
      if (table.tableType !== null && table.tableType !== 'BASE TABLE') continue;
      const recommendation = recommend(
        context,
        table,
        reads.get(tableKey(table).toLowerCase()) ?? [],
      );
      if (recommendation) recommendations.push(recommendation);
    }
    return { recommendations, anomalies: [] };
  },
};

interface Counted {
  read: TableRead;
  predicates: ColumnPredicate[];
  /** Share of the table the filter still reads; null when its bounds are not literals. */
  scannedFraction: number | null;
}

function recommend(
  context: AnalyzerContext,
  table: TableStorageFact,
  reads: TableRead[],
): Recommendation | null {
  const key = tableKey(table);
  const onDemand = reads.filter((r) => r.onDemandBytesBilled > 0);
  const column = chooseColumn(onDemand);
  if (column === null) return null;

  const ageDays = table.creationTime ? daysBetween(table.creationTime, context.asOf) : null;
  if (ageDays !== null && ageDays <= 1) return null;

  const counted: Counted[] = [];
  const notCounted: { hash: string; reason: string }[] = [];
  /** Readers that would still scan the whole table, and fail once a filter is required. */
  const filterless: string[] = [];
  for (const read of reads) {
    const hash = read.pattern.hash;
    const predicates = datePredicates(read).filter((p) => p.column.toLowerCase() === column);
    if (read.sql === null || predicates.length === 0) filterless.push(hash);
    if (read.onDemandBytesBilled <= 0) {
      notCounted.push({ hash, reason: 'runs on reservation capacity: slot savings not estimated' });
    } else if (read.sql === null) {
      notCounted.push({ hash, reason: 'SQL not parsed: filters unknown' });
    } else if (predicates.length === 0) {
      notCounted.push({ hash, reason: `no filter on ${column}: partitioning would not prune it` });
    } else if (!isRecurring(read.pattern)) {
      notCounted.push({
        hash,
        reason: `not recurring (${read.pattern.runs} runs on ${read.pattern.activeDays} days)`,
      });
    } else {
      const covered = coveredDays(predicates, table.creationTime, context.asOf);
      const scannedFraction =
        covered === null || ageDays === null ? null : Math.min(1, covered / ageDays);
      counted.push({ read, predicates, scannedFraction });
    }
  }
  if (counted.length === 0) return null;

  const known = counted.filter((c) => c.scannedFraction !== null);
  const perMonth = (bytes: number) => bytesPerMonth(bytes, context.windowDays);
  const atStakeBytes = perMonth(sum(counted.map((c) => c.read.onDemandBytesBilled)));
  const knownBytes = perMonth(sum(known.map((c) => c.read.onDemandBytesBilled)));
  const afterBytes = perMonth(
    sum(known.map((c) => c.read.onDemandBytesBilled * (c.scannedFraction ?? 1))),
  );
  const estimated = known.length > 0;
  const savedBytes = estimated ? knownBytes - afterBytes : null;
  if (savedBytes !== null ? savedBytes < minMonthlySavedBytes : atStakeBytes < minMonthlySavedBytes)
    return null;

  const pricing = context.pricing;
  const savingsUsd = savedBytes === null ? null : onDemandUsd(savedBytes, pricing);
  const scannedShare = estimated && knownBytes > 0 ? afterBytes / knownBytes : null;
  const everyReaderKnown =
    notCounted.every((n) => !n.reason.startsWith('SQL not parsed')) &&
    known.length === counted.length;
  const confidence =
    savingsUsd === null
      ? 'low'
      : everyReaderKnown && scannedShare !== null && scannedShare <= robustScannedFraction
        ? 'high'
        : 'medium';

  const expression = partitionExpression(column);
  const costLines = [
    scanLine(
      `Scans of ${key} by the ${known.length} pattern(s) filtering ${column} with literal bounds, per month`,
      estimated ? knownBytes : null,
      pricing,
    ),
    scanLine(
      `The same scans partitioned by ${expression}, per month`,
      estimated ? afterBytes : null,
      pricing,
      'each pattern reads (days its filter covers ÷ table age) of its current bytes',
    ),
    scanLine(
      'One-time: CREATE TABLE … AS SELECT * reads the whole table once',
      table.totalLogicalBytes,
      pricing,
      'one-time, not monthly: total_logical_bytes',
    ),
  ];
  const evidence: Evidence = {
    method:
      'For each recurring on-demand pattern that filters the column with literal bounds: its bytes ' +
      'billed on this table × (1 − days the filter covers ÷ days since the table was created), ' +
      `summed and scaled from the ${context.windowDays}-day window to 30 days.`,
    costLines,
    assumptions: [
      'Rows are spread evenly over the table’s age (creation_time to as-of). Tables that grow keep ' +
        'more bytes in recent days, so recent-date filters would save somewhat less; data loaded ' +
        'from before creation_time makes the estimate conservative.',
      'Daily partitions; the queries keep their current filters.',
      'A pattern that reads several tables has its bytes split among them by table size.',
      ...(notCounted.length > 0
        ? ['Patterns listed under notCounted add nothing to the estimate.']
        : []),
    ],
    table: key,
    logicalBytes: table.totalLogicalBytes,
    tableAgeDays: ageDays,
    column,
    patterns: counted.map((c) => ({
      hash: c.read.pattern.hash,
      runs: c.read.pattern.runs,
      activeDays: c.read.pattern.activeDays,
      userEmail: c.read.pattern.userEmail,
      onDemandBytesBilledOnTable: c.read.onDemandBytesBilled,
      shareOfPatternBytes: c.read.share,
      predicates: c.predicates,
      scannedFraction: c.scannedFraction,
      monthlySavingsUsd:
        c.scannedFraction === null
          ? null
          : onDemandUsd(perMonth(c.read.onDemandBytesBilled * (1 - c.scannedFraction)), pricing),
    })),
    notCounted,
  };

  const summary =
    savingsUsd === null
      ? `Partition ${key} (${formatBytes(table.totalLogicalBytes)}, unpartitioned) by ${expression}: ${counted.length} recurring pattern(s) filter on ${column}, but the saving cannot be estimated (${ageDays === null ? 'table creation time unknown' : 'filter bounds are not literals'}).`
      : `Partition ${key} (${formatBytes(table.totalLogicalBytes)}, unpartitioned) by ${expression}: the ${known.length} recurring pattern(s) filtering on ${column} would read about ${formatPercent(scannedShare ?? 1)} of what they read now, saving about ${formatUsd(savingsUsd)}/month.`;

  return {
    id: stableId('rec', 'partition_table', key),
    kind: 'partition_table',
    target: key,
    monthlySavingsUsd: savingsUsd,
    confidence,
    summary,
    evidence,
    fix: fixFor(table, column, expression, filterless),
  };
}

function datePredicates(read: TableRead): ColumnPredicate[] {
  return read.filters.filter(
    (p) =>
      (p.op === 'range' || p.op === 'eq' || p.op === 'in') &&
      isDatePredicate(p) &&
      !comparedToSubquery(read.pattern.sampleQuery, p.column),
  );
}

/** The date column carrying the most recurring on-demand bytes among the filters. */
function chooseColumn(reads: TableRead[]): string | null {
  const bytesByColumn = new Map<string, number>();
  for (const read of reads) {
    if (read.sql === null || !isRecurring(read.pattern)) continue;
    const columns = new Set(datePredicates(read).map((p) => p.column.toLowerCase()));
    for (const column of columns) {
      bytesByColumn.set(column, (bytesByColumn.get(column) ?? 0) + read.onDemandBytesBilled);
    }
  }
  let best: string | null = null;
  let bestBytes = -1;
  for (const [column, bytes] of [...bytesByColumn].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (bytes > bestBytes) {
      best = column;
      bestBytes = bytes;
    }
  }
  return best;
}

/**
 * Days of the table's life a pattern's filters cover: from the latest lower bound (or creation)
 * to the earliest upper bound (or as-of), the upper bound's day included, at least one day. An
 * open-ended `>= d` covers d → as-of; an equality on a day-level column covers one day, whatever
 * its value (`DATE(ts) = @run_date` too). Null when nothing bounds it (an IN list, a month).
 */
function coveredDays(
  predicates: ColumnPredicate[],
  creationTime: Date | null,
  asOf: Date,
): number | null {
  let from = creationTime?.getTime() ?? Number.NEGATIVE_INFINITY;
  let to = asOf.getTime();
  let bounded = false;
  for (const predicate of predicates) {
    if (predicate.op === 'eq' && dayLevelName.test(predicate.column)) return 1;
    const lower = parseIsoDate(predicate.from);
    const upper = predicate.op === 'eq' ? lower : parseIsoDate(predicate.to);
    if (lower) {
      from = Math.max(from, lower.getTime());
      bounded = true;
    }
    if (upper) {
      to = Math.min(to, upper.getTime() + msPerDay);
      bounded = true;
    }
  }
  if (!bounded || !Number.isFinite(from)) return null;
  return Math.max(1, (to - from) / msPerDay);
}

/** A DATE column partitions as itself; TIMESTAMP and DATETIME columns through DATE(). */
function partitionExpression(column: string): string {
  return /(^|_)(date|day|dt)$|date$/i.test(column) ? column : `DATE(${column})`;
}

function fixFor(
  table: TableStorageFact,
  column: string,
  expression: string,
  filterless: string[],
): Fix {
  const key = tableKey(table);
  const copy = `${table.tableId}__partitioned`;
  const old = `${table.tableId}__unpartitioned`;
  const requireFilter = filterless.length === 0;
  return {
    summary: `Create a copy of ${key} partitioned by ${expression}, check it, and swap it in${requireFilter ? ' with require_partition_filter on' : ''}.`,
    sql: [
      `CREATE TABLE \`${table.projectId}.${table.datasetId}.${copy}\``,
      `PARTITION BY ${expression}`,
      ...(requireFilter ? ['OPTIONS (require_partition_filter = TRUE)'] : []),
      `AS SELECT * FROM \`${key}\`;`,
      '',
      `ALTER TABLE \`${key}\` RENAME TO \`${old}\`;`,
      `ALTER TABLE \`${table.projectId}.${table.datasetId}.${copy}\` RENAME TO \`${table.tableId}\`;`,
    ].join('\n'),
    steps: [
      'Pause the loads, streaming and scheduled queries that write the table.',
      `Run the CREATE TABLE … AS SELECT (one full read of the table, see the one-time cost line) and compare row counts with ${key}.`,
      'Swap the names with the two ALTER TABLE … RENAME TO statements.',
      'Re-apply table-level IAM, labels and description to the new table, resume the writers, and drop the old copy once the queries have been checked.',
      ...(requireFilter
        ? []
        : [
            `Once every query filters on ${column}: ALTER TABLE \`${key}\` SET OPTIONS (require_partition_filter = TRUE).`,
          ]),
    ],
    caveats: [
      'CREATE OR REPLACE TABLE cannot change a table’s partitioning (BigQuery rejects a different partitioning spec): copy and swap.',
      `${expression === column ? `If ${column} is a TIMESTAMP or DATETIME, partition by DATE(${column}) instead.` : `If ${column} is a DATE, partition by ${column} itself.`}`,
      'A table holds at most 10,000 partitions: beyond ~27 years of daily data, partition by month (DATE_TRUNC).',
      'Only filters comparing the partition column with constants prune partitions; a subquery (col IN (SELECT …)) does not.',
      ...(filterless.length > 0
        ? [
            `These patterns read the table without a known filter on ${column} and would still scan it whole (and fail once a partition filter is required): ${filterless.join(', ')}.`,
          ]
        : []),
    ],
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
