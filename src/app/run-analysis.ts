import {
  detectPatternRegressions,
  type PatternRegression,
} from '../../analyzers/pattern-regression.js';
import type { Anomaly, LintRule, Recommendation } from '../domain/analysis.js';
import { anomalySchema, lintRules, recommendationSchema } from '../domain/analysis.js';
import type { Analyzer, AnalyzerContext, AnalyzerOutput, PatternSql } from '../domain/context.js';
import { rankRecommendations } from '../domain/context.js';
import type { TableStorageFact } from '../domain/facts.js';
import type { PricingContext } from '../domain/pricing.js';
import { msPerDay } from '../domain/timestamps.js';
import type { SqlInspector, TableMeta } from '../ports/sql-inspector.js';
import type { Warehouse } from '../ports/warehouse.js';
import { analyzeCosts, type AnalyzeOptions, type CostAnalysis } from './analyze.js';

export interface RunAnalysisDeps {
  warehouse: Warehouse;
  pricing: PricingContext;
  inspector: SqlInspector;
  /** Run in this order (the registry's). */
  analyzers: readonly Analyzer[];
}

export interface RunAnalysisOptions extends AnalyzeOptions {
  /** Query patterns per ordering (on-demand bytes, slot-ms); default 200. */
  patternLimit?: number;
  /** Scripts (SCRIPT parents) inspected as a whole, the most run first; default 50. */
  scriptLimit?: number;
}

export const defaultPatternLimit = 200;
export const defaultScriptLimit = 50;
/** Anomaly baselines: 8 weeks, so every weekday is seen 8 times. */
export const historyDays = 56;

// The rules that need a whole script (is the table dropped by a later statement?). A pattern is a
// single statement, often a script's child: `CREATE TEMP TABLE` alone always looks undropped.
// A script gets only these: its statements are already inspected as their own patterns, with
// their costs, and inspecting them again here would report each finding twice.
export const scriptRules: readonly LintRule[] = [
  'missing_drop_temp_table',
  'dropped_persistent_table',
];
export const statementRules: readonly LintRule[] = lintRules.filter(
  (rule) => !scriptRules.includes(rule),
);

/** The cost analysis plus the analyzers' recommendations (ranked) and anomalies. */
export interface FullAnalysis extends CostAnalysis {
  /** Query shapes whose cost per run jumped; not part of the offline contract's JSON. */
  regressions: PatternRegression[];
}

export async function runAnalysis(
  deps: RunAnalysisDeps,
  options: RunAnalysisOptions,
): Promise<FullAnalysis> {
  const analysis = await analyzeCosts(deps, options);
  const { context, warnings } = await buildContext(deps, analysis, options);
  const output = runAnalyzers(deps.analyzers, context, warnings);
  analysis.result.recommendations = rankRecommendations(uniqueById(output.recommendations));
  analysis.result.anomalies = sortAnomalies(uniqueById(output.anomalies));
  analysis.result.warnings.push(...warnings);
  return { ...analysis, regressions: detectPatternRegressions(context) };
}

async function buildContext(
  deps: RunAnalysisDeps,
  analysis: CostAnalysis,
  options: RunAnalysisOptions,
): Promise<{ context: AnalyzerContext; warnings: string[] }> {
  const { warehouse } = deps;
  const { window, inputs } = analysis;
  const historyWindow = {
    start: new Date(window.end.getTime() - historyDays * msPerDay),
    end: window.end,
  };
  const [history, patterns, scripts, tableUsage, bytesDistribution] = await Promise.all([
    warehouse.costFacts(historyWindow),
    warehouse.queryPatterns(window, options.patternLimit ?? defaultPatternLimit),
    warehouse.scriptSamples(window, options.scriptLimit ?? defaultScriptLimit),
    warehouse.tableUsage(window),
    warehouse.bytesDistribution(window),
  ]);
  const inspect = inspectWith(deps.inspector, inputs.tables);
  const patternSql = patterns.flatMap((p) =>
    p.sampleQuery === null ? [] : [inspect(p.hash, p.sampleQuery, p.projectId, statementRules)],
  );
  const scriptSql = scripts.map((s) => inspect(s.key, s.sampleQuery, s.projectId, scriptRules));
  const context: AnalyzerContext = {
    asOf: window.end,
    window,
    windowDays: options.windowDays,
    pricing: deps.pricing,
    costFacts: inputs.costFacts,
    history,
    tables: inputs.tables,
    reservations: inputs.reservations,
    patterns,
    tableUsage,
    bytesDistribution,
    // A script's findings are keyed by its key; sql-antipattern reports them with cost unknown.
    sql: [...patternSql, ...scriptSql],
  };
  const warnings = [
    ...parseWarnings(patternSql, 'query patterns'),
    ...parseWarnings(scriptSql, 'scripts'),
  ];
  return { context, warnings };
}

/** Inspects one sample query with the given rules; `hash` names the result. */
function inspectWith(inspector: SqlInspector, tables: readonly TableStorageFact[]) {
  const meta = tableMetaByName(tables);
  return (hash: string, sql: string, project: string, rules: readonly LintRule[]): PatternSql => {
    try {
      return { hash, ...inspector.inspect(sql, { tables: meta, defaultProject: project, rules }) };
    } catch (error) {
      // The port promises never to throw on bad SQL; a bug in it must not end the run either.
      return { hash, parsed: false, error: message(error), findings: [], filters: [], joins: [] };
    }
  };
}

/** By `project.dataset.table`, and by `dataset.table` where only one project has that name. */
function tableMetaByName(tables: readonly TableStorageFact[]): Map<string, TableMeta> {
  const byName = new Map<string, TableMeta>();
  const shortNames = new Map<string, TableMeta | null>();
  for (const t of tables) {
    const meta: TableMeta = {
      table: `${t.projectId}.${t.datasetId}.${t.tableId}`,
      totalLogicalBytes: t.totalLogicalBytes,
      // TABLE_STORAGE says how many partitions, not on which column (that is in COLUMNS).
      partitioned: t.totalPartitions > 1,
      partitionColumn: null,
      clusteringColumns: [],
    };
    byName.set(meta.table, meta);
    const short = `${t.datasetId}.${t.tableId}`;
    shortNames.set(short, shortNames.has(short) ? null : meta);
  }
  for (const [short, meta] of shortNames) if (meta) byName.set(short, meta);
  return byName;
}

function parseWarnings(sql: readonly PatternSql[], what: string): string[] {
  const failed = sql.filter((s) => !s.parsed);
  if (failed.length === 0) return [];
  const first = failed[0]!.error ?? 'no parser message';
  return [
    `the SQL of ${failed.length} of ${sql.length} ${what} could not be parsed; checks that need a parse were skipped for them (first error: ${first})`,
  ];
}

/** Every analyzer runs; one that throws or returns malformed findings is named in `warnings`. */
function runAnalyzers(
  analyzers: readonly Analyzer[],
  context: AnalyzerContext,
  warnings: string[],
): AnalyzerOutput {
  const recommendations: Recommendation[] = [];
  const anomalies: Anomaly[] = [];
  for (const analyzer of analyzers) {
    let output: AnalyzerOutput;
    try {
      output = analyzer.analyze(context);
    } catch (error) {
      warnings.push(`analyzer ${analyzer.id} failed and was skipped: ${message(error)}`);
      continue;
    }
    const valid = validOutput(output);
    if (valid.dropped > 0)
      warnings.push(`analyzer ${analyzer.id}: ${valid.dropped} malformed findings dropped`);
    recommendations.push(...valid.recommendations);
    anomalies.push(...valid.anomalies);
  }
  return { recommendations, anomalies };
}

/** Keeps the findings that fit the offline contract, so the JSON output always validates. */
function validOutput(output: AnalyzerOutput): AnalyzerOutput & { dropped: number } {
  const recommendations = output.recommendations.filter(
    (r) => recommendationSchema.safeParse(r).success,
  );
  const anomalies = output.anomalies.filter((a) => anomalySchema.safeParse(a).success);
  const dropped =
    output.recommendations.length +
    output.anomalies.length -
    recommendations.length -
    anomalies.length;
  return { recommendations, anomalies, dropped };
}

/** The first finding with an id wins (registry order): ids name the same finding. */
function uniqueById<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.id)) return false;
    seen.add(item.id);
    return true;
  });
}

// Severity is free text in the contract; these are ranked, anything else comes after them.
const severityOrder = ['critical', 'high', 'medium', 'low', 'info'];
const severityRank = (severity: string) => {
  const rank = severityOrder.indexOf(severity.toLowerCase());
  return rank === -1 ? severityOrder.length : rank;
};

/** Most severe first, then the largest cost, then id (stable output). */
function sortAnomalies(anomalies: Anomaly[]): Anomaly[] {
  return [...anomalies].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      b.usd - a.usd ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
