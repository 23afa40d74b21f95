import { describe, expect, it } from 'vitest';
import { maxPatterns, rewrite, sqlAntipattern } from '../../analyzers/sql-antipattern.js';
import type { CostLine, LintRule } from '../../src/domain/analysis.js';
import { lintRules, recommendationSchema } from '../../src/domain/analysis.js';
import type { Evidence, Fix, LintFinding, PatternSql } from '../../src/domain/context.js';
import { stableId } from '../../src/domain/context.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import { context, costFact, pattern, TiB } from '../fixtures/context.js';

// Prices pinned: $6.25/TiB, ENTERPRISE pay-as-you-go $0.06, ENTERPRISE_PLUS $0.10 per slot-hour.
// The fixture window is 30 days, so a window's cost is its monthly cost.

function finding(rule: LintRule, message = `${rule} found`, line = 1): LintFinding {
  return { rule, line, column: 1, message };
}

function sql(hash: string, findings: LintFinding[], over: Partial<PatternSql> = {}): PatternSql {
  return { hash, parsed: true, findings, filters: [], joins: [], ...over };
}

const evidenceOf = (r: { evidence: unknown }) => r.evidence as Evidence;
const fixOf = (r: { fix: unknown }) => r.fix as Fix;
const line = (r: { evidence: unknown }, label: string) =>
  evidenceOf(r).costLines.find((l: CostLine) => l.label.startsWith(label));

describe('sql-antipattern: flagged', () => {
  const confidence: Record<LintRule, 'high' | 'medium' | 'low'> = {
    select_star: 'medium',
    semi_join_without_aggregation: 'medium',
    cte_referenced_multiple_times: 'medium',
    order_by_without_limit: 'medium',
    regexp_contains_instead_of_like: 'high',
    latest_record_with_analytic_function: 'medium',
    dynamic_predicate: 'medium',
    where_order: 'low',
    missing_drop_temp_table: 'low',
    dropped_persistent_table: 'low',
    missing_partition_filter: 'high',
    unpartitioned_date_filter: 'medium',
    wide_date_range: 'medium',
    distinct_on_large_table: 'medium',
  };

  it.each(lintRules.map((rule) => [rule, confidence[rule]] as const))(
    '%s: one recommendation, cost traced, saving unknown, confidence %s',
    (rule, expected) => {
      const ctx = context({
        patterns: [pattern({ hash: 'h1', onDemandBytesBilled: 4 * TiB, runs: 40 })],
        sql: [sql('h1', [finding(rule, 'the inspector says why')])],
      });
      const { recommendations, anomalies } = sqlAntipattern.analyze(ctx);
      expect(anomalies).toEqual([]);
      expect(recommendations).toHaveLength(1);
      const [rec] = recommendations;
      expect(recommendationSchema.parse(rec)).toBeTruthy();
      expect(rec).toMatchObject({
        id: stableId('rec', 'sql_antipattern', 'h1', rule),
        kind: 'sql_antipattern',
        rule,
        target: 'h1',
        monthlySavingsUsd: null,
        confidence: expected,
      });
      expect(line(rec!, 'On-demand')).toMatchObject({
        quantity: 4,
        unitPriceUsd: 6.25,
        usd: 25,
      });
      expect(line(rec!, 'Estimated saving')).toMatchObject({ quantity: null, usd: null });
      expect(line(rec!, 'Estimated saving')!.method).toMatch(/^unknown: /);
      expect(evidenceOf(rec!).monthlyCostUsd).toBe(25);
      expect(fixOf(rec!).summary).toBe('the inspector says why');
      expect(rec!.summary).toContain('$25.00/month');
    },
  );

  it('gives one recommendation per (pattern, rule), listing every location', () => {
    const ctx = context({
      patterns: [pattern({ hash: 'h1' })],
      sql: [
        sql('h1', [
          finding('select_star', 'a', 1),
          finding('select_star', 'b', 7),
          finding('order_by_without_limit', 'c', 9),
        ]),
      ],
    });
    const recs = sqlAntipattern.analyze(ctx).recommendations;
    expect(recs.map((r) => r.rule)).toEqual(['select_star', 'order_by_without_limit']);
    expect(evidenceOf(recs[0]!).findings).toEqual([
      { line: 1, column: 1, message: 'a' },
      { line: 7, column: 1, message: 'b' },
    ]);
  });

  it('prices reservation runs per reservation from the daily facts', () => {
    const slotMs = 100 * 3.6e6;
    const ctx = context({
      patterns: [pattern({ hash: 'h1', onDemandBytesBilled: 0, reservationSlotMs: slotMs })],
      costFacts: [
        costFact({
          dimension: 'query_pattern',
          key: 'h1',
          reservationId: 'admin:US.finance',
          edition: 'ENTERPRISE_PLUS',
          reservationSlotMs: slotMs,
        }),
      ],
      sql: [sql('h1', [finding('distinct_on_large_table')])],
    });
    const [rec] = sqlAntipattern.analyze(ctx).recommendations;
    expect(line(rec!, 'Capacity admin:US.finance')).toMatchObject({
      quantity: 100,
      unitPriceUsd: 0.1,
      usd: 10,
    });
    expect(line(rec!, 'On-demand')).toBeUndefined();
  });

  it('prices slot-hours without daily facts at the default edition and says so', () => {
    const ctx = context({
      patterns: [pattern({ hash: 'h1', onDemandBytesBilled: 0, reservationSlotMs: 50 * 3.6e6 })],
      sql: [sql('h1', [finding('distinct_on_large_table')])],
    });
    const capacity = line(sqlAntipattern.analyze(ctx).recommendations[0]!, 'Capacity');
    expect(capacity).toMatchObject({ quantity: 50, unitPriceUsd: 0.06, usd: 3 });
    expect(capacity!.method).toContain('edition unknown');
  });

  it('scales the window to a month and uses the context’s prices', () => {
    const pricing = resolvePricing('eu', {
      regions: { eu: { extends: 'us', onDemandUsdPerTib: 5 } },
      reservations: {},
      defaultEdition: 'ENTERPRISE',
    });
    const ctx = context({
      windowDays: 15,
      pricing,
      patterns: [pattern({ hash: 'h1', onDemandBytesBilled: 2 * TiB })],
      sql: [sql('h1', [finding('select_star')])],
    });
    const rec = sqlAntipattern.analyze(ctx).recommendations[0]!;
    expect(line(rec, 'On-demand')).toMatchObject({ quantity: 4, unitPriceUsd: 5, usd: 20 });
  });

  it('lowers confidence when the query did not fully parse', () => {
    const ctx = context({
      patterns: [pattern({ hash: 'h1' })],
      sql: [
        sql('h1', [finding('missing_partition_filter'), finding('select_star')], {
          parsed: false,
          error: 'Syntax error at 3:1',
        }),
      ],
    });
    const recs = sqlAntipattern.analyze(ctx).recommendations;
    expect(recs.map((r) => [r.rule, r.confidence])).toEqual([
      ['select_star', 'low'],
      ['missing_partition_filter', 'medium'],
    ]);
    expect(evidenceOf(recs[0]!).assumptions.join(' ')).toContain('Syntax error at 3:1');
  });

  it(`keeps only the ${maxPatterns} costliest patterns`, () => {
    const patterns = Array.from({ length: maxPatterns + 10 }, (_, i) =>
      pattern({ hash: `h${String(i).padStart(3, '0')}`, onDemandBytesBilled: (i + 1) * TiB }),
    );
    const ctx = context({
      patterns,
      sql: patterns.map((p) => sql(p.hash, [finding('select_star')])),
    });
    const targets = sqlAntipattern.analyze(ctx).recommendations.map((r) => r.target);
    expect(targets).toHaveLength(maxPatterns);
    expect(targets[0]).toBe('h059');
    expect(targets).not.toContain('h009');
    expect(targets).toContain('h010');
  });

  it('reports an inspected shape missing from the patterns (a SCRIPT parent) with its cost unknown', () => {
    const ctx = context({
      patterns: [pattern({ hash: 'h1' })],
      sql: [
        sql('h1', [finding('select_star')]),
        sql('script-parent', [
          finding('missing_drop_temp_table', 'TEMP TABLE new_orders is never dropped'),
        ]),
      ],
    });
    const [costed, uncosted] = sqlAntipattern.analyze(ctx).recommendations;
    expect(costed!.target).toBe('h1');
    expect(uncosted).toMatchObject({
      id: stableId('rec', 'sql_antipattern', 'script-parent', 'missing_drop_temp_table'),
      target: 'script-parent',
      rule: 'missing_drop_temp_table',
      monthlySavingsUsd: null,
      summary: 'TEMP table never dropped in query shape script-parent (cost unknown)',
    });
    expect(evidenceOf(uncosted!).monthlyCostUsd).toBeNull();
    expect(line(uncosted!, 'Query shape cost')).toMatchObject({ quantity: null, usd: null });
  });

  it('gives the same ids on every run', () => {
    const ctx = context({
      patterns: [pattern({ hash: 'h1' }), pattern({ hash: 'h2', onDemandBytesBilled: 3 * TiB })],
      sql: [sql('h1', [finding('select_star')]), sql('h2', [finding('where_order')])],
    });
    const first = sqlAntipattern.analyze(ctx).recommendations.map((r) => r.id);
    const again = sqlAntipattern
      .analyze({ ...ctx, patterns: [...ctx.patterns].reverse(), sql: [...ctx.sql].reverse() })
      .recommendations.map((r) => r.id);
    expect(again).toEqual(first);
    expect(first).toEqual([
      stableId('rec', 'sql_antipattern', 'h2', 'where_order'),
      stableId('rec', 'sql_antipattern', 'h1', 'select_star'),
    ]);
  });
});

describe('sql-antipattern: clean', () => {
  it.each([
    ['no findings', context({ patterns: [pattern()], sql: [sql('h1', [])] })],
    ['no SQL analysis for the pattern', context({ patterns: [pattern()], sql: [] })],
    [
      'findings for a shape that billed nothing',
      context({
        patterns: [pattern({ onDemandBytesBilled: 0, reservationSlotMs: 0 })],
        sql: [sql('h1', [finding('select_star')])],
      }),
    ],
  ])('%s: no recommendation', (_name, ctx) => {
    expect(sqlAntipattern.analyze(ctx).recommendations).toEqual([]);
  });
});

describe('sql-antipattern: fix sketches', () => {
  it('attaches the rewritten sample query where the rewrite is mechanical', () => {
    const ctx = context({
      patterns: [
        pattern({
          hash: 'h1',
          sampleQuery: `SELECT url FROM t WHERE REGEXP_CONTAINS(url, 'checkout')`,
        }),
      ],
      sql: [sql('h1', [finding('regexp_contains_instead_of_like'), finding('select_star')])],
    });
    const [star, regexp] = sqlAntipattern.analyze(ctx).recommendations;
    expect([star!.rule, regexp!.rule]).toEqual(['select_star', 'regexp_contains_instead_of_like']);
    expect(fixOf(regexp!).sql).toBe(`SELECT url FROM t WHERE url LIKE '%checkout%'`);
    expect(fixOf(regexp!).caveats?.[0]).toContain('sketch');
    expect(fixOf(star!).sql).toBeUndefined();
    expect(fixOf(star!).steps?.length).toBeGreaterThan(0);
  });

  it.each<[LintRule, string, string | null]>([
    [
      'regexp_contains_instead_of_like',
      `SELECT 1 FROM t WHERE REGEXP_CONTAINS(LOWER(a), r'^/help') AND NOT REGEXP_CONTAINS(b, "x$")`,
      `SELECT 1 FROM t WHERE LOWER(a) LIKE '/help%' AND NOT b LIKE '%x'`,
    ],
    [
      'regexp_contains_instead_of_like',
      `SELECT 1 FROM t WHERE REGEXP_CONTAINS(a, r'^/products/[0-9]+$')`,
      null,
    ],
    [
      'regexp_contains_instead_of_like',
      `SELECT 'REGEXP_CONTAINS(a, ''b'')' -- REGEXP_CONTAINS(c, 'd')`,
      null,
    ],
    [
      'regexp_contains_instead_of_like',
      `SELECT 1 FROM t WHERE REGEXP_CONTAINS(a, 'snake_case')`,
      null,
    ],
    [
      'order_by_without_limit',
      `SELECT a, b\nFROM t\nORDER BY b DESC;\n`,
      `SELECT a, b\nFROM t\nORDER BY b DESC\nLIMIT 1000  -- the number of rows the consumer shows`,
    ],
    ['order_by_without_limit', `SELECT * FROM (SELECT a FROM t ORDER BY a)`, null],
    ['order_by_without_limit', `SELECT a FROM t ORDER BY a LIMIT 10`, null],
    [
      'semi_join_without_aggregation',
      `SELECT c FROM t WHERE c IN (\n  SELECT c FROM o\n) AND d IN (SELECT MAX(d) FROM o)`,
      `SELECT c FROM t WHERE c IN (\n  SELECT DISTINCT c FROM o\n) AND d IN (SELECT MAX(d) FROM o)`,
    ],
    [
      'latest_record_with_analytic_function',
      [
        'SELECT order_id, status FROM (',
        '  SELECT order_id, status, updated_at,',
        '    ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY updated_at DESC) AS rn',
        '  FROM `p.support.status_events`',
        "  WHERE event_date >= '2026-08-01'",
        ')',
        'WHERE rn = 1',
      ].join('\n'),
      [
        'SELECT latest.*',
        'FROM (',
        '  SELECT ARRAY_AGG(STRUCT(order_id, status, updated_at) ORDER BY updated_at DESC LIMIT 1)[OFFSET(0)] AS latest',
        '  FROM `p.support.status_events`',
        "  WHERE event_date >= '2026-08-01'",
        '  GROUP BY order_id',
        ')',
      ].join('\n'),
    ],
    [
      'latest_record_with_analytic_function',
      'SELECT id, v FROM t WHERE x > 0 QUALIFY RANK() OVER (PARTITION BY id ORDER BY ts DESC) = 1',
      [
        'SELECT latest.*',
        'FROM (',
        '  SELECT ARRAY_AGG(STRUCT(id, v) ORDER BY ts DESC LIMIT 1)[OFFSET(0)] AS latest',
        '  FROM t WHERE x > 0',
        '  GROUP BY id',
        ')',
      ].join('\n'),
    ],
    ['select_star', 'SELECT * FROM t', null],
    ['missing_partition_filter', 'SELECT a FROM t', null],
  ])('%s: %j', (rule, query, expected) => {
    expect(rewrite(rule, query)).toBe(expected);
  });
});
