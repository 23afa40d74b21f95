import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqlAntipattern } from '../../analyzers/sql-antipattern.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { GoogleSqlInspector } from '../../src/adapters/sql/googlesql-inspector.js';
import {
  runAnalysis,
  scriptRules,
  statementRules,
  type RunAnalysisDeps,
} from '../../src/app/run-analysis.js';
import {
  analysisResultSchema,
  lintRules,
  type Anomaly,
  type Recommendation,
} from '../../src/domain/analysis.js';
import type { Analyzer, AnalyzerContext } from '../../src/domain/context.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import type { InspectOptions, SqlInspector } from '../../src/ports/sql-inspector.js';
import {
  GiB,
  TiB,
  analysisJobs,
  analysisTables,
  analysisWindow,
  loadJobs,
} from '../fixtures/analysis-jobs.js';
import { job } from '../fixtures/builders.js';

const asOf = analysisWindow.end;
let warehouse: DuckDbWarehouse;

beforeEach(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  await loadJobs(
    warehouse,
    [
      ...analysisJobs(),
      // Before the 8-week history (which starts 2026-09-06): in no baseline.
      job({ jobId: 'ancient', createdAt: '2026-08-01T00:00:00Z', bytesBilled: TiB }),
    ],
    analysisTables(),
  );
});
afterEach(async () => {
  await warehouse.close();
});

function rec(
  id: string,
  monthlySavingsUsd: number | null,
  kind = 'partition_table',
): Recommendation {
  return {
    id,
    kind: kind as Recommendation['kind'],
    target: 'proj-a.sales.orders',
    monthlySavingsUsd,
    confidence: 'medium',
    summary: `finding ${id}`,
    evidence: { method: 'test', costLines: [], assumptions: [] },
    fix: { summary: 'fix it' },
  };
}

function anomaly(id: string, severity: string, usd: number): Anomaly {
  return { id, scope: 'project:proj-a', day: '2026-10-06', usd, expectedUsd: 1, severity };
}

/** Three fake analyzers in registry order: one records the context, one throws, one overlaps. */
function fakes() {
  const seen: AnalyzerContext[] = [];
  const first: Analyzer = {
    id: 'first',
    kinds: ['partition_table'],
    analyze: (context) => {
      seen.push(context);
      return {
        recommendations: [rec('r_ten', 10), rec('r_unknown', null)],
        anomalies: [anomaly('a_low_small', 'low', 5)],
      };
    },
  };
  const broken: Analyzer = {
    id: 'broken',
    kinds: ['cluster_table'],
    analyze: () => {
      throw new Error('kaput');
    },
  };
  const second: Analyzer = {
    id: 'second',
    kinds: ['partition_table'],
    analyze: () => ({
      recommendations: [
        rec('r_fifty', 50),
        // Same id as a finding of `first`: the first one (registry order) is kept.
        rec('r_ten', 999),
        rec('r_bad', 1, 'not_a_kind'),
      ],
      anomalies: [anomaly('a_low_big', 'low', 20), anomaly('a_critical', 'critical', 1)],
    }),
  };
  return { seen, analyzers: [first, broken, second] };
}

/** Parses only SELECTs, and records what it was asked. */
function fakeInspector() {
  const calls: { sql: string; options: InspectOptions | undefined }[] = [];
  const inspector: SqlInspector = {
    inspect: (sql, options) => {
      calls.push({ sql, options });
      return sql.startsWith('SELECT')
        ? { parsed: true, findings: [], filters: [], joins: [] }
        : { parsed: false, error: `cannot parse ${sql}`, findings: [], filters: [], joins: [] };
    },
  };
  return { calls, inspector };
}

function deps(analyzers: readonly Analyzer[], inspector: SqlInspector): RunAnalysisDeps {
  return { warehouse, pricing: resolvePricing('us'), inspector, analyzers };
}

describe('runAnalysis', () => {
  it('builds the analyzer context from the warehouse', async () => {
    const { seen, analyzers } = fakes();
    const { inspector, calls } = fakeInspector();
    const analysis = await runAnalysis(deps(analyzers, inspector), { asOf, windowDays: 31 });

    expect(seen).toHaveLength(1);
    const context = seen[0]!;
    expect(context.asOf).toEqual(asOf);
    expect(context.window).toEqual(analysisWindow);
    expect(context.windowDays).toBe(31);
    expect(context.costFacts).toBe(analysis.inputs.costFacts);
    expect(context.tables.map((t) => t.tableId)).toEqual(['items', 'orders']);
    expect(context.reservations).toEqual([]);

    // history: 56 days up to the window end; `old` (09-20) in it, `ancient` (08-01) not.
    const totals = context.history.filter((f) => f.dimension === 'total');
    expect([...new Set(totals.map((f) => f.day))].sort()).toEqual([
      '2026-09-20',
      '2026-10-03',
      '2026-10-04',
      '2026-10-05',
      '2026-10-06',
      '2026-10-07',
      '2026-10-08',
      '2026-10-09',
      '2026-10-15',
    ]);
    expect(totals.reduce((n, f) => n + f.jobs, 0)).toBe(11);
    expect(context.history).toHaveLength(
      (
        await warehouse.costFacts({
          start: new Date('2026-09-06T00:00:00Z'),
          end: asOf,
        })
      ).length,
    );

    expect(context.patterns.map((p) => p.hash)).toEqual(['hA', 'hC', 'hB']);
    expect(context.patterns[0]).toMatchObject({
      runs: 4,
      onDemandBytesBilled: 6 * TiB,
      sampleQuery: 'SELECT a3',
      referencedTables: [
        { table: 'proj-a.sales.orders', runs: 3 },
        { table: 'proj-a.sales.items', runs: 2 },
      ],
    });
    expect(context.tableUsage.find((u) => u.table === 'proj-a.sales.orders')).toEqual({
      table: 'proj-a.sales.orders',
      reads: 3,
      readDays: 2,
      lastRead: new Date('2026-10-06T18:00:00Z'),
      readOnDemandBytesBilled: 6 * TiB,
      writes: 0,
      lastWrite: null,
    });
    expect(context.tableUsage.map((u) => u.table)).toEqual([
      'proj-a.etl.clean',
      'proj-a.etl.raw',
      'proj-a.sales.items',
      'proj-a.sales.orders',
    ]);
    expect(context.bytesDistribution.map((d) => `${d.scope}:${d.key}:${d.jobs}`)).toEqual([
      'project:proj-a:3',
      'project:proj-b:1',
      'user:(unknown):1',
      'user:ana@example.com:2',
      'user:bo@example.com:1',
    ]);
    const ana = context.bytesDistribution.find((d) => d.key === 'ana@example.com')!;
    expect([ana.quantiles.length, ana.quantiles[0], ana.quantiles[50], ana.quantiles[100]]).toEqual(
      [101, TiB, TiB, 2 * TiB],
    );
    expect(context.bytesDistribution.find((d) => d.key === '(unknown)')!.quantiles[0]).toBe(GiB);

    // One inspection per pattern sample, with the table metadata and the pattern's project, and
    // the rules for one statement; then one per script (SCRIPT parent) with the script rules.
    expect(calls.map((c) => [c.sql, c.options?.rules])).toEqual([
      ['SELECT a3', statementRules],
      ['SELECT 1', statementRules],
      ['MERGE clean 2', statementRules],
      ['SELECT 1', scriptRules],
    ]);
    expect([...statementRules, ...scriptRules].sort()).toEqual([...lintRules].sort());
    expect(statementRules).not.toContain('missing_drop_temp_table');
    expect(calls[0]!.options!.defaultProject).toBe('proj-b');
    const tables = calls[0]!.options!.tables!;
    expect(tables.get('proj-a.sales.orders')).toEqual({
      table: 'proj-a.sales.orders',
      totalLogicalBytes: 500 * GiB,
      partitioned: true,
      partitionColumn: null,
      clusteringColumns: [],
    });
    expect(tables.get('proj-a.sales.items')!.partitioned).toBe(false);
    expect(tables.get('sales.orders')).toBe(tables.get('proj-a.sales.orders'));
    expect(context.sql).toEqual([
      { hash: 'hA', parsed: true, findings: [], filters: [], joins: [] },
      { hash: 'hC', parsed: true, findings: [], filters: [], joins: [] },
      {
        hash: 'hB',
        parsed: false,
        error: 'cannot parse MERGE clean 2',
        findings: [],
        filters: [],
        joins: [],
      },
      { hash: 'hS', parsed: true, findings: [], filters: [], joins: [] },
    ]);
    expect(analysis.result.warnings).toContain(
      'the SQL of 1 of 3 query patterns could not be parsed; checks that need a parse were skipped for them (first error: cannot parse MERGE clean 2)',
    );
  });

  it('ranks recommendations by savings (nulls last), sorts anomalies, dedupes ids, survives a throwing analyzer', async () => {
    const { analyzers } = fakes();
    const { result } = await runAnalysis(deps(analyzers, fakeInspector().inspector), {
      asOf,
      windowDays: 31,
    });

    expect(result.recommendations.map((r) => [r.id, r.monthlySavingsUsd])).toEqual([
      ['r_fifty', 50],
      ['r_ten', 10],
      ['r_unknown', null],
    ]);
    expect(result.anomalies.map((a) => a.id)).toEqual(['a_critical', 'a_low_big', 'a_low_small']);
    expect(result.warnings).toContain('analyzer broken failed and was skipped: kaput');
    expect(result.warnings).toContain('analyzer second: 1 malformed findings dropped');
    // The cost analysis is still there, and the whole result is the offline contract.
    expect(result.totals.jobs).toBe(10);
    expect(() => analysisResultSchema.parse(result)).not.toThrow();
  });

  it('passes patternLimit to the warehouse (per ordering)', async () => {
    const { seen, analyzers } = fakes();
    await runAnalysis(deps(analyzers, fakeInspector().inspector), {
      asOf,
      windowDays: 31,
      patternLimit: 1,
    });
    expect(seen[0]!.patterns.map((p) => p.hash)).toEqual(['hA', 'hB']);
  });

  it('with no analyzers, leaves recommendations and anomalies empty', async () => {
    const { result } = await runAnalysis(deps([], fakeInspector().inspector), {
      asOf,
      windowDays: 31,
    });
    expect(result.recommendations).toEqual([]);
    expect(result.anomalies).toEqual([]);
  });
});

describe('runAnalysis on scripts', () => {
  const at = '2026-10-20T06:00:00Z';
  const createTemp =
    "CREATE TEMP TABLE new_orders AS SELECT order_id FROM sales.orders WHERE order_date = '2026-10-19'";
  const insert = 'INSERT INTO sales.summary (order_id) SELECT order_id FROM new_orders';
  /** A SCRIPT parent and its children, one per statement, each a costed query pattern. */
  const script = (
    jobId: string,
    hash: string | null,
    statements: { sql: string; type: string; hash: string }[],
  ) => [
    job({
      jobId,
      hash,
      createdAt: at,
      statementType: 'SCRIPT',
      query: statements.map((s) => `${s.sql};`).join('\n'),
    }),
    ...statements.map((s, i) =>
      job({
        jobId: `${jobId}_${i + 1}`,
        parentJobId: jobId,
        hash: s.hash,
        createdAt: at,
        statementType: s.type,
        query: s.sql,
      }),
    ),
  ];

  async function sqlFindings() {
    const inspector = await GoogleSqlInspector.create({ now: () => asOf });
    const { result } = await runAnalysis(
      { warehouse, pricing: resolvePricing('us'), inspector, analyzers: [sqlAntipattern] },
      { asOf, windowDays: 31 },
    );
    return result.recommendations.filter(
      (r) => r.rule === 'missing_drop_temp_table' || r.rule === 'dropped_persistent_table',
    );
  }

  it('flags a script that never drops its TEMP table once, on the script, not on its CREATE', async () => {
    // No hash on the parent: keyed by its job id.
    await loadJobs(
      warehouse,
      script('etl', null, [
        { sql: createTemp, type: 'CREATE_TABLE_AS_SELECT', hash: 'hCreateTemp' },
        { sql: insert, type: 'INSERT', hash: 'hInsert' },
      ]),
    );
    const findings = await sqlFindings();
    expect(findings.map((r) => [r.rule, r.target])).toEqual([
      ['missing_drop_temp_table', 'script:etl'],
    ]);
    expect(findings[0]!.summary).toBe(
      'TEMP table never dropped in query shape script:etl (cost unknown)',
    );
  });

  it('says nothing of a script that drops its TEMP table, nor of its statements', async () => {
    await loadJobs(
      warehouse,
      script('tidy', 'hTidy', [
        { sql: createTemp, type: 'CREATE_TABLE_AS_SELECT', hash: 'hCreateTemp' },
        { sql: insert, type: 'INSERT', hash: 'hInsert' },
        { sql: 'DROP TABLE new_orders', type: 'DROP_TABLE', hash: 'hDrop' },
      ]),
    );
    expect(await sqlFindings()).toEqual([]);
  });
});
