// Require a partition filter on a partitioned table that queries scan whole.
//
// Partitioning saves nothing for a query that does not filter on the partition column: it reads
// every partition, and on-demand bills all of it. With require_partition_filter, BigQuery rejects
// such queries, so each one has to say which dates it needs
// (https://cloud.google.com/bigquery/docs/managing-partitioned-tables).
//
// The partition column is not in the facts, so a query counts as a full scan when none of its
// filters on the table touches a date/time-like column. The saving assumes each such query gets a
// 30-day filter once one is required, on a table whose rows spread evenly over its age.

import type { Recommendation } from '../src/domain/analysis.js';
import type { Analyzer, AnalyzerContext, Evidence, Fix } from '../src/domain/context.js';
import { stableId } from '../src/domain/context.js';
import type { TableStorageFact } from '../src/domain/facts.js';
import type { TableRead } from '../src/domain/pattern-costs.js';
import {
  bytesPerMonth,
  daysBetween,
  formatBytes,
  formatPercent,
  formatUsd,
  isDatePredicate,
  isRecurring,
  minMonthlySavedBytes,
  readsByTable,
  scanLine,
  tableKey,
} from '../src/domain/pattern-costs.js';
import { onDemandUsd } from '../src/domain/pricing.js';

/** The filter each full scan is assumed to get once one is required. */
const assumedFilterDays = 30;

export const requirePartitionFilter: Analyzer = {
  id: 'require-partition-filter',
  kinds: ['require_partition_filter'],
  analyze(context) {
    const reads = readsByTable(context);
    const recommendations: Recommendation[] = [];
    for (const table of context.tables) {
      if (table.totalPartitions <= 1) continue;
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

/** No filter on the table touches a date-like column, and none could be this table's. */
function scansWhole(read: TableRead): boolean {
  return (
    read.sql !== null &&
    !read.filters.some(isDatePredicate) &&
    !read.ambiguousFilters.some(isDatePredicate)
  );
}

function recommend(
  context: AnalyzerContext,
  table: TableStorageFact,
  reads: TableRead[],
): Recommendation | null {
  const key = tableKey(table);
  const counted: TableRead[] = [];
  const notCounted: { hash: string; reason: string }[] = [];
  /** Every reader seen without a partition-like filter: these fail once a filter is required. */
  const wouldFail: string[] = [];
  for (const read of reads) {
    const hash = read.pattern.hash;
    if (read.sql === null) {
      notCounted.push({ hash, reason: 'SQL not parsed: filters unknown' });
      continue;
    }
    if (!scansWhole(read)) continue;
    wouldFail.push(hash);
    if (read.onDemandBytesBilled <= 0) {
      notCounted.push({ hash, reason: 'runs on reservation capacity: slot savings not estimated' });
    } else if (!isRecurring(read.pattern)) {
      notCounted.push({
        hash,
        reason: `not recurring (${read.pattern.runs} runs on ${read.pattern.activeDays} days): a cap on bytes billed fits one-off scans better`,
      });
    } else counted.push(read);
  }
  if (counted.length === 0) return null;

  // The partitions span the table's age; without a creation time, assume one partition a day.
  const spanDays = table.creationTime
    ? daysBetween(table.creationTime, context.asOf)
    : table.totalPartitions;
  if (spanDays <= assumedFilterDays) return null;
  const scannedFraction = assumedFilterDays / spanDays;

  const perMonth = (bytes: number) => bytesPerMonth(bytes, context.windowDays);
  const fullScanBytes = perMonth(sum(counted.map((r) => r.onDemandBytesBilled)));
  const afterBytes = fullScanBytes * scannedFraction;
  const savedBytes = fullScanBytes - afterBytes;
  if (savedBytes < minMonthlySavedBytes) return null;
  const pricing = context.pricing;
  const savingsUsd = onDemandUsd(savedBytes, pricing);

  const evidence: Evidence = {
    method:
      'Bytes billed on this table by recurring on-demand patterns with no filter on a date/time-like ' +
      `column, × (1 − ${assumedFilterDays} ÷ days the partitions span), scaled from the ` +
      `${context.windowDays}-day window to 30 days.`,
    costLines: [
      scanLine(
        `Full scans of ${key} by ${counted.length} recurring pattern(s), per month`,
        fullScanBytes,
        pricing,
      ),
      scanLine(
        `The same queries with a ${assumedFilterDays}-day partition filter, per month`,
        afterBytes,
        pricing,
        `${assumedFilterDays} ÷ ${Math.round(spanDays)} days of partitions`,
      ),
    ],
    assumptions: [
      `Each full scan gets a ${assumedFilterDays}-day filter on the partition column once one is required; queries that truly need all history will instead need rewriting (or a summary table).`,
      table.creationTime
        ? `Partitions span the table's age (${Math.round(spanDays)} days since creation_time) with rows spread evenly over it.`
        : `creation_time unknown: one partition a day assumed (${table.totalPartitions} partitions).`,
      'The partition column is not in the facts: a query counts as a full scan when none of its filters on this table touches a date/time-like column.',
      'A pattern that reads several tables has its bytes split among them by table size.',
    ],
    table: key,
    logicalBytes: table.totalLogicalBytes,
    totalPartitions: table.totalPartitions,
    partitionSpanDays: spanDays,
    assumedFilterDays,
    scannedFraction,
    patterns: counted.map((r) => ({
      hash: r.pattern.hash,
      runs: r.pattern.runs,
      activeDays: r.pattern.activeDays,
      userEmail: r.pattern.userEmail,
      onDemandBytesBilledOnTable: r.onDemandBytesBilled,
      shareOfPatternBytes: r.share,
      filters: r.filters,
    })),
    notCounted,
  };

  return {
    id: stableId('rec', 'require_partition_filter', key),
    kind: 'require_partition_filter',
    target: key,
    monthlySavingsUsd: savingsUsd,
    confidence: 'medium',
    summary: `Require a partition filter on ${key} (${formatBytes(table.totalLogicalBytes)}, ${table.totalPartitions} partitions): ${counted.length} recurring pattern(s) scan it whole, ${formatBytes(fullScanBytes)} a month; with a ${assumedFilterDays}-day filter they would read ${formatPercent(scannedFraction)} of that, saving about ${formatUsd(savingsUsd)}/month.`,
    evidence,
    fix: fixFor(key, wouldFail, notCounted),
  };
}

function fixFor(
  key: string,
  wouldFail: string[],
  notCounted: { hash: string; reason: string }[],
): Fix {
  const unparsed = notCounted
    .filter((n) => n.reason.startsWith('SQL not parsed'))
    .map((n) => n.hash);
  return {
    summary: `Set require_partition_filter on ${key}, after the queries that scan it whole have a filter on its partition column.`,
    sql: `ALTER TABLE \`${key}\`\nSET OPTIONS (require_partition_filter = TRUE);`,
    steps: [
      'Find the partition column: bq show --format=prettyjson (timePartitioning.field), or INFORMATION_SCHEMA.COLUMNS.is_partitioning_column.',
      `Tell the owners of these query patterns and add a filter on it: ${wouldFail.join(', ')}.`,
      'Run the ALTER TABLE statement.',
    ],
    caveats: [
      `Queries without a filter on the partition column will start failing ("Cannot query over table … without a filter over column(s) … that can be used for partition elimination"), including dashboards and scheduled jobs: ${wouldFail.join(', ')}.`,
      ...(unparsed.length > 0
        ? [`Patterns whose SQL did not parse may also lack a filter: ${unparsed.join(', ')}.`]
        : []),
      'Only a filter usable for partition elimination satisfies the option: compare the partition column with constants; a subquery (col IN (SELECT …)) may not qualify.',
    ],
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
