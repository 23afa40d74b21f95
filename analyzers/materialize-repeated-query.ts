// Materialize a query that runs over and over.
//
// A dashboard refreshing every 15 minutes runs the same aggregation ~96 times a day, and on-demand
// bills its full scan every time (the result cache misses as soon as a base table changes, or when
// the tool turns it off). A materialized view, or a summary table rebuilt by a scheduled query,
// scans once per refresh, and the dashboard reads a small result instead
// (https://cloud.google.com/bigquery/docs/materialized-views-intro,
// https://cloud.google.com/bigquery/docs/scheduling-queries).
//
// Costed conservatively: the refresh is the whole query again every hour of every day (24 × 30 a
// month, at its largest run's bytes; an incremental materialized view usually reads far less),
// and each run then bills the 10 MB minimum reading the result. So a shape that runs hourly or
// less saves nothing here and is not reported. Lookups by key (`customer_id = ?`, another value
// each run) and queries that do not aggregate are not candidates: a summary cannot answer them.
// Nor are shapes several people run: the facts do not show whether their literals vary between
// runs, and a shape shared by analysts usually is a template they fill in; a dashboard or
// scheduler runs as one principal. (BI tools that query with each viewer's credentials are missed.)

import type { Recommendation } from '../src/domain/analysis.js';
import type {
  Analyzer,
  AnalyzerContext,
  Evidence,
  Fix,
  PatternSql,
  QueryPatternFact,
} from '../src/domain/context.js';
import { stableId } from '../src/domain/context.js';
import {
  bytesPerMonth,
  formatBytes,
  formatUsd,
  isIdLikeColumn,
  minBytesBilledPerTable,
  minMonthlySavedBytes,
  scanLine,
} from '../src/domain/pattern-costs.js';
import { bytesPerTib, onDemandUsd } from '../src/domain/pricing.js';

const minRuns = 50;
const minActiveDays = 5;
/** Below this much scanning a month the query is cheap: not worth a pipeline to maintain. */
const minMonthlyScannedBytes = 10 * bytesPerTib;
const refreshesPerDay = 24;
const aggregation =
  /\bGROUP\s+BY\b|\bSELECT\s+DISTINCT\b|\b(COUNT|COUNTIF|SUM|AVG|MIN|MAX|APPROX_COUNT_DISTINCT|APPROX_QUANTILES|APPROX_TOP_COUNT|HLL_COUNT\.\w+|ANY_VALUE|LOGICAL_AND|LOGICAL_OR)\s*\(/i;

export const materializeRepeatedQuery: Analyzer = {
  id: 'materialize-repeated-query',
  kinds: ['materialize_repeated_query'],
  analyze(context) {
    const sqlByHash = new Map(context.sql.map((s) => [s.hash, s]));
    const recommendations: Recommendation[] = [];
    for (const pattern of context.patterns) {
      const recommendation = recommend(context, pattern, sqlByHash.get(pattern.hash));
      if (recommendation) recommendations.push(recommendation);
    }
    return { recommendations, anomalies: [] };
  },
};

function recommend(
  context: AnalyzerContext,
  pattern: QueryPatternFact,
  sql: PatternSql | undefined,
): Recommendation | null {
  if (pattern.statementType?.toUpperCase() !== 'SELECT') return null;
  if (pattern.runs < minRuns || pattern.activeDays < minActiveDays) return null;
  if (pattern.distinctUsers > 1) return null;
  if (pattern.onDemandBytesBilled <= 0 || pattern.referencedTables.length === 0) return null;
  const parsed = sql?.parsed ? sql : null;
  if (parsed?.filters.some((p) => (p.op === 'eq' || p.op === 'in') && isIdLikeColumn(p.column)))
    return null;
  if (pattern.sampleQuery !== null && !aggregation.test(pattern.sampleQuery)) return null;

  const perMonth = (value: number) => bytesPerMonth(value, context.windowDays);
  const currentBytes = perMonth(pattern.onDemandBytesBilled);
  if (currentBytes < minMonthlyScannedBytes) return null;
  const runsPerMonth = perMonth(pattern.runs);
  const bytesPerRefresh = Math.max(
    pattern.maxBytesBilled,
    pattern.onDemandBytesBilled / pattern.runs,
  );
  const refreshesPerMonth = refreshesPerDay * 30;
  const refreshBytes = refreshesPerMonth * bytesPerRefresh;
  const resultBytes = runsPerMonth * minBytesBilledPerTable;
  const savedBytes = currentBytes - refreshBytes - resultBytes;
  if (savedBytes < minMonthlySavedBytes) return null;

  const pricing = context.pricing;
  const savingsUsd = onDemandUsd(savedBytes, pricing);
  const runsPerActiveDay = pattern.runs / pattern.activeDays;
  const evidence: Evidence = {
    method:
      `Current on-demand bytes of the shape, minus an hourly refresh (${refreshesPerMonth} full runs a month at its largest run's bytes) ` +
      `and each run reading the result at the 10 MB minimum; scaled from the ${context.windowDays}-day window to 30 days.`,
    costLines: [
      scanLine(
        `Now: ${Math.round(runsPerMonth)} runs a month × ${formatBytes(pattern.onDemandBytesBilled / pattern.runs)} on average`,
        currentBytes,
        pricing,
      ),
      scanLine(
        `Refresh: ${refreshesPerMonth} runs a month (hourly) × ${formatBytes(bytesPerRefresh)}`,
        refreshBytes,
        pricing,
        'the whole query per refresh, at its largest run in the window',
      ),
      scanLine(
        `Reads of the result: ${Math.round(runsPerMonth)} runs a month × 10 MB minimum`,
        resultBytes,
        pricing,
        'assumes the summary is under 10 MB, as dashboard aggregates usually are',
      ),
    ],
    assumptions: [
      'Results up to an hour old are acceptable to the people who run it; a fresher refresh costs more, an incremental materialized view usually less.',
      'The refresh scans what the query scans now; the summary’s storage is negligible.',
      'The window is representative of a month.',
      ...(parsed
        ? []
        : [
            'The SQL was not parsed: it was not checked for per-run parameters (a lookup by key would not materialize).',
          ]),
    ],
    hash: pattern.hash,
    runs: pattern.runs,
    activeDays: pattern.activeDays,
    runsPerActiveDay,
    distinctUsers: pattern.distinctUsers,
    userEmail: pattern.userEmail,
    projectId: pattern.projectId,
    onDemandBytesBilled: pattern.onDemandBytesBilled,
    maxBytesBilled: pattern.maxBytesBilled,
    referencedTables: pattern.referencedTables,
    sampleJobId: pattern.sampleJobId,
    filters: parsed?.filters ?? null,
  };

  return {
    id: stableId('rec', 'materialize_repeated_query', pattern.hash),
    kind: 'materialize_repeated_query',
    target: pattern.hash,
    monthlySavingsUsd: savingsUsd,
    confidence: pattern.sampleQuery !== null && parsed ? 'medium' : 'low',
    summary: `Materialize query ${pattern.hash}: it ran ${pattern.runs} times in ${pattern.activeDays} days (~${Math.round(runsPerActiveDay)} a day) reading ${formatBytes(pattern.onDemandBytesBilled / pattern.runs)} each; an hourly-refreshed summary would save about ${formatUsd(savingsUsd)}/month.`,
    evidence,
    fix: fixFor(pattern),
  };
}

function fixFor(pattern: QueryPatternFact): Fix {
  const [first] = pattern.referencedTables;
  const dataset = first ? first.table.split('.').slice(0, 2).join('.') : pattern.projectId;
  const name = `${dataset}.summary_${pattern.hash.slice(0, 12)}`;
  const body =
    pattern.sampleQuery?.trim().replace(/;\s*$/, '') ??
    '-- the query text (see job ' + pattern.sampleJobId + ')';
  return {
    summary: `Serve query ${pattern.hash} from a summary refreshed hourly: a materialized view, or a table rebuilt by a scheduled query; then point the dashboard at it.`,
    sql: [
      '-- Option 1: a materialized view, refreshed incrementally when the base tables change.',
      '-- Move literal date filters out of the view (group by the date instead) and into the',
      '-- dashboard query that reads it.',
      `CREATE MATERIALIZED VIEW \`${name}\``,
      'OPTIONS (enable_refresh = TRUE, refresh_interval_minutes = 60)',
      'AS',
      body + ';',
      '',
      '-- Option 2: a scheduled query (every 1 hours) that rebuilds a table:',
      `CREATE OR REPLACE TABLE \`${name}\` AS`,
      body + ';',
    ].join('\n'),
    steps: [
      'Pick one option: a materialized view when the query fits its limits, otherwise the scheduled query.',
      `Create it, then change the dashboard or job (run by ${pattern.userEmail ?? 'its service account'} in ${pattern.projectId}) to read \`${name}\` instead of the base tables.`,
      'After a week, check the new job history: the shape should have gone and the summary reads should bill ~10 MB each.',
    ],
    caveats: [
      'Materialized views accept a subset of SQL (aggregations, limited joins, no non-deterministic functions such as CURRENT_DATE()) and must live in the same project or organization as their base tables.',
      'Data in the summary is up to an hour old.',
      'In the scheduled query, write literal dates relative to the run (DATE_SUB(@run_date, INTERVAL 90 DAY), or CURRENT_DATE()) so the window keeps moving.',
      'If the base tables change only once a day, refresh daily instead: the saving grows.',
    ],
  };
}
