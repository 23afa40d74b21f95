// Cluster a large table on the id that queries look it up by.
//
// Without clustering, `WHERE customer_id = 123` reads every block of the columns it touches, and
// on-demand bills all of them. Clustered on customer_id, rows are sorted by it and BigQuery skips
// the blocks whose range excludes the value (https://cloud.google.com/bigquery/docs/clustered-tables).
// Google's recommender suggests clustering from ~10 GB, and so do we.
//
// How much is skipped depends on the table's layout and the id's cardinality, which the facts do
// not show. So the estimate is deliberately modest: half the bytes, and only for query shapes whose
// every run has the equality (a normalized-literals hash fixes the shape, so if the sample has it,
// every run does). IN lists prune by how many values they hold: they get no figure (null).

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
  formatBytes,
  formatUsd,
  isDateLikeColumn,
  isIdLikeColumn,
  isRecurring,
  minMonthlySavedBytes,
  readsByTable,
  scanLine,
  tableKey,
} from '../src/domain/pattern-costs.js';
import { bytesPerGib, onDemandUsd } from '../src/domain/pricing.js';

const minLogicalBytes = 10 * bytesPerGib;
/** Assumed share of bytes skipped for an equality on an id (point lookups often skip far more). */
const assumedPrunedFraction = 0.5;

export const clusterTable: Analyzer = {
  id: 'cluster-table',
  kinds: ['cluster_table'],
  analyze(context) {
    const reads = readsByTable(context);
    const recommendations: Recommendation[] = [];
    for (const table of context.tables) {
      if (table.totalLogicalBytes < minLogicalBytes) continue;
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

/** Equality / IN-list filters on id-like columns, compared with constants. */
function lookups(read: TableRead): ColumnPredicate[] {
  return read.filters.filter(
    (p) =>
      (p.op === 'eq' || p.op === 'in') &&
      isIdLikeColumn(p.column) &&
      // Date columns are the partitioning's job (and usually already its column).
      !isDateLikeColumn(p.column) &&
      !comparedToSubquery(read.pattern.sampleQuery, p.column),
  );
}

function recommend(
  context: AnalyzerContext,
  table: TableStorageFact,
  reads: TableRead[],
): Recommendation | null {
  const key = tableKey(table);
  const eligible = reads.filter(
    (r) => r.onDemandBytesBilled > 0 && r.sql !== null && isRecurring(r.pattern),
  );
  const bytesByColumn = new Map<string, number>();
  for (const read of eligible) {
    for (const column of new Set(lookups(read).map((p) => p.column.toLowerCase()))) {
      bytesByColumn.set(column, (bytesByColumn.get(column) ?? 0) + read.onDemandBytesBilled);
    }
  }
  const ranked = [...bytesByColumn].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const column = ranked[0]?.[0];
  if (column === undefined) return null;

  const perMonth = (bytes: number) => bytesPerMonth(bytes, context.windowDays);
  const counted: { read: TableRead; predicates: ColumnPredicate[]; equality: boolean }[] = [];
  const notCounted: { hash: string; reason: string }[] = [];
  for (const read of reads) {
    const hash = read.pattern.hash;
    const predicates = lookups(read).filter((p) => p.column.toLowerCase() === column);
    if (read.onDemandBytesBilled <= 0) {
      notCounted.push({ hash, reason: 'runs on reservation capacity: slot savings not estimated' });
    } else if (read.sql === null) {
      notCounted.push({ hash, reason: 'SQL not parsed: filters unknown' });
    } else if (predicates.length === 0) {
      notCounted.push({ hash, reason: `no equality or IN filter on ${column}` });
    } else if (!isRecurring(read.pattern)) {
      notCounted.push({
        hash,
        reason: `not recurring (${read.pattern.runs} runs on ${read.pattern.activeDays} days)`,
      });
    } else {
      counted.push({ read, predicates, equality: predicates.some((p) => p.op === 'eq') });
    }
  }

  const pricing = context.pricing;
  const equalityBytes = perMonth(
    sum(counted.filter((c) => c.equality).map((c) => c.read.onDemandBytesBilled)),
  );
  const lookupBytes = perMonth(sum(counted.map((c) => c.read.onDemandBytesBilled)));
  const estimatedSaved = equalityBytes * assumedPrunedFraction;
  const estimated = estimatedSaved >= minMonthlySavedBytes;
  if (!estimated && lookupBytes * assumedPrunedFraction < minMonthlySavedBytes) return null;
  const savingsUsd = estimated ? onDemandUsd(estimatedSaved, pricing) : null;

  const equalityCount = counted.filter((c) => c.equality).length;
  const costLines = [
    scanLine(
      `Scans of ${key} by the ${equalityCount} pattern(s) with ${column} = <value> on every run, per month`,
      estimated ? equalityBytes : null,
      pricing,
    ),
    scanLine(
      `The same scans clustered by ${column}, per month`,
      estimated ? equalityBytes * (1 - assumedPrunedFraction) : null,
      pricing,
      `assumed: ${assumedPrunedFraction * 100}% of the bytes skipped`,
    ),
    scanLine(
      'One-time: rebuilding the table clustered reads it once',
      table.totalLogicalBytes,
      pricing,
      'one-time, not monthly: total_logical_bytes (none with bq update, which clusters new data only)',
    ),
  ];
  const evidence: Evidence = {
    method: estimated
      ? `Bytes billed on this table by recurring on-demand patterns with an equality on ${column} in every run, × ${assumedPrunedFraction} assumed skipped, scaled from the ${context.windowDays}-day window to 30 days.`
      : `Recurring on-demand patterns filter ${column} with IN lists only (or equalities too small to estimate on their own): how much clustering skips depends on the values per run, so no figure is given.`,
    costLines,
    assumptions: [
      `Clustering on ${column} skips ${assumedPrunedFraction * 100}% of the bytes these lookups read. Point lookups on a high-cardinality id usually skip much more; an id with few distinct values, or values spread across the table by late updates, skips less.`,
      'TABLE_STORAGE does not say whether the table is already clustered; bytes this large per lookup suggest it is not clustered on this column.',
      'A pattern that reads several tables has its bytes split among them by table size.',
    ],
    table: key,
    logicalBytes: table.totalLogicalBytes,
    partitioned: table.totalPartitions > 1,
    column,
    otherCandidateColumns: ranked.slice(1).map(([c]) => c),
    assumedPrunedFraction,
    patterns: counted.map((c) => ({
      hash: c.read.pattern.hash,
      runs: c.read.pattern.runs,
      activeDays: c.read.pattern.activeDays,
      userEmail: c.read.pattern.userEmail,
      onDemandBytesBilledOnTable: c.read.onDemandBytesBilled,
      shareOfPatternBytes: c.read.share,
      predicates: c.predicates,
      equalityOnEveryRun: c.equality,
    })),
    notCounted,
  };

  const summary =
    savingsUsd === null
      ? `Cluster ${key} (${formatBytes(table.totalLogicalBytes)}) by ${column}: ${counted.length} recurring pattern(s) read ${formatBytes(lookupBytes)} a month filtering ${column} IN (…); the saving depends on the values per run and is not estimated.`
      : `Cluster ${key} (${formatBytes(table.totalLogicalBytes)}) by ${column}: ${equalityCount} recurring pattern(s) look it up by ${column} on every run, reading ${formatBytes(equalityBytes)} a month; if clustering skips half of that, it saves about ${formatUsd(savingsUsd)}/month.`;

  return {
    id: stableId('rec', 'cluster_table', key),
    kind: 'cluster_table',
    target: key,
    monthlySavingsUsd: savingsUsd,
    confidence: 'medium',
    summary,
    evidence,
    fix: fixFor(table, column),
  };
}

function fixFor(table: TableStorageFact, column: string): Fix {
  const key = tableKey(table);
  const dataset = `${table.projectId}.${table.datasetId}`;
  const copy = `${table.tableId}__clustered`;
  const partitioned = table.totalPartitions > 1;
  return {
    summary: `Rebuild ${key} clustered by ${column} (copy and swap), or set clustering with bq update so that new data is clustered from now on.`,
    sql: [
      `CREATE TABLE \`${dataset}.${copy}\``,
      ...(partitioned ? ['PARTITION BY <the table’s current partitioning expression>'] : []),
      `CLUSTER BY ${column}`,
      `AS SELECT * FROM \`${key}\`;`,
      '',
      `ALTER TABLE \`${key}\` RENAME TO \`${table.tableId}__unclustered\`;`,
      `ALTER TABLE \`${dataset}.${copy}\` RENAME TO \`${table.tableId}\`;`,
    ].join('\n'),
    steps: [
      `Check the table is not already clustered on ${column}: bq show --format=prettyjson ${table.projectId}:${table.datasetId}.${table.tableId} (or INFORMATION_SCHEMA.COLUMNS.clustering_ordinal_position).`,
      'Either, without rewriting anything:',
      `  bq update --clustering_fields=${column} ${table.projectId}:${table.datasetId}.${table.tableId}`,
      '  (ALTER TABLE … SET OPTIONS has no clustering option.) Only data written after the change is clustered; the existing data is not reorganised, so the saving arrives gradually.',
      'Or, for the full saving now: pause the writers, run the CREATE TABLE … CLUSTER BY … AS SELECT (one full read, see the one-time cost line), compare row counts, swap the names with the two RENAME statements, re-apply table IAM, labels and description, resume the writers, and drop the old copy once checked.',
    ],
    caveats: [
      `Clustering prunes only when ${column} is compared with constants (=, IN (…), ranges); not with a subquery or another column.`,
      ...(partitioned
        ? [
            'The table is partitioned: repeat its PARTITION BY (and require_partition_filter) in the copy, since CREATE TABLE … AS SELECT does not inherit them.',
          ]
        : []),
      'BigQuery’s dry-run estimate does not reflect clustering; the bytes billed do.',
    ],
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
