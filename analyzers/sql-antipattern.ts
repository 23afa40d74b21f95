// SQL antipatterns in the costliest query shapes. Each finding comes from the SQL inspector
// (ctx.sql, one entry per normalized-literals hash); this analyzer puts a price next to it: the
// shape's monthly cost, on-demand bytes billed plus reservation slot-hours. Bytes billed depend on
// the columns and partitions a query reads; slot time on how it joins, sorts and aggregates — so a
// shape that runs hundreds of times a month multiplies the waste of one bad clause.
// https://cloud.google.com/bigquery/docs/best-practices-performance-compute and
// https://github.com/GoogleCloudPlatform/bigquery-antipattern-recognition
//
// Savings are always `null` (unknown): no rule lets us state a defensible number from the query
// text and the window's totals alone. A column list, a partition filter or a date range saves
// what the query no longer reads, which depends on column sizes and the range the consumer really
// needs; the compute rules (sorts, regexes, analytic functions, semi-joins) change slot time,
// not bytes billed, and slot time is not observable per clause. Evidence says which cost the rule
// affects and that the saving is at most the shape's monthly cost; the ranking of shapes by cost
// is what makes these worth reading.
//
// Quiet by construction: only the 50 costliest shapes, one recommendation per (shape, rule).
// Inspected shapes missing from the window's patterns (SCRIPT parents: their bytes are counted
// under their statements) are still reported, after the costed ones, with their cost unknown.

import type { CostLine, LintRule, Recommendation } from '../src/domain/analysis.js';
import { costLine, lintRules, round6 } from '../src/domain/analysis.js';
import type {
  Analyzer,
  AnalyzerContext,
  Evidence,
  Fix,
  LintFinding,
  PatternSql,
  QueryPatternFact,
} from '../src/domain/context.js';
import { perMonth, stableId } from '../src/domain/context.js';
import { bytesPerTib, slotHourRate, slotHours } from '../src/domain/pricing.js';

export const maxPatterns = 50;

type Confidence = Recommendation['confidence'];

interface RuleSpec {
  title: string;
  /** Which part of the bill the rule wastes. */
  affects: 'bytes billed' | 'slot time' | 'storage';
  confidence: Confidence;
  whyUnknown: string;
  steps: string[];
}

const ruleSpecs: Record<LintRule, RuleSpec> = {
  select_star: {
    title: 'SELECT *',
    affects: 'bytes billed',
    confidence: 'medium',
    whyUnknown:
      'BigQuery bills the columns a query reads: the saving depends on which columns the consumers use and their sizes, which the query text does not tell',
    steps: [
      'List only the columns the consumers use, or drop the wide ones with SELECT * EXCEPT (...).',
      'LIMIT does not reduce the bytes billed of a table scan; a preview (tabledata.list) is free.',
    ],
  },
  semi_join_without_aggregation: {
    title: 'IN (subquery) without DISTINCT',
    affects: 'slot time',
    confidence: 'medium',
    whyUnknown:
      'a semi-join over duplicate keys costs slot time, not bytes billed; its share of the query is not observable',
    steps: ['Deduplicate the subquery: IN (SELECT DISTINCT …) or GROUP BY the key.'],
  },
  cte_referenced_multiple_times: {
    title: 'CTE referenced more than once',
    affects: 'bytes billed',
    confidence: 'medium',
    whyUnknown:
      'BigQuery may evaluate a non-recursive CTE once per reference; how much of the bill the repeated evaluation is depends on the CTE, which the totals do not break down',
    steps: [
      'Compute the CTE once: CREATE TEMP TABLE in a script, then read the temp table where the CTE was referenced.',
    ],
  },
  order_by_without_limit: {
    title: 'ORDER BY without LIMIT',
    affects: 'slot time',
    confidence: 'medium',
    whyUnknown:
      'a final sort costs slot time (it runs on one worker and can exceed resources), not bytes billed',
    steps: [
      'Add LIMIT with the number of rows the consumer shows, or drop the ORDER BY when the consumer sorts anyway.',
    ],
  },
  regexp_contains_instead_of_like: {
    title: 'REGEXP_CONTAINS where LIKE would do',
    affects: 'slot time',
    confidence: 'high',
    whyUnknown: 'LIKE is cheaper to evaluate than a regex, but the bytes billed stay the same',
    steps: ['Use LIKE for a plain substring, prefix or suffix match.'],
  },
  latest_record_with_analytic_function: {
    title: 'latest record with ROW_NUMBER()/RANK() = 1',
    affects: 'slot time',
    confidence: 'medium',
    whyUnknown:
      'numbering every row of every partition costs slot time, not bytes billed; the share is not observable',
    steps: [
      'Keep one row per key with ARRAY_AGG(... ORDER BY ... LIMIT 1)[OFFSET(0)] and GROUP BY the key.',
    ],
  },
  dynamic_predicate: {
    title: 'subquery in WHERE (dynamic predicate)',
    affects: 'bytes billed',
    confidence: 'medium',
    whyUnknown:
      'a predicate computed by a subquery defeats partition pruning; what pruning would save depends on the partitions the constant selects',
    steps: [
      'Compute the value first (DECLARE v DEFAULT (SELECT …)) and filter on the variable, so the partitions are pruned.',
    ],
  },
  where_order: {
    title: 'less selective WHERE conditions first',
    affects: 'slot time',
    confidence: 'low',
    whyUnknown:
      'the optimizer often reorders conditions; any saving is slot time and not observable',
    steps: [
      'Put the most selective (and cheapest) conditions first, e.g. equality before LIKE or functions.',
    ],
  },
  missing_drop_temp_table: {
    title: 'TEMP table never dropped',
    affects: 'storage',
    confidence: 'low',
    whyUnknown:
      'temporary tables are billed as storage until the session ends (at most 24 h); their size is not in the job history',
    steps: ['DROP TABLE the temp table at the end of the script.'],
  },
  dropped_persistent_table: {
    title: 'persistent table created and dropped in the same script',
    affects: 'storage',
    confidence: 'low',
    whyUnknown:
      'a short-lived persistent table is billed for storage (and kept in time travel); its size is not in the job history',
    steps: ['Use CREATE TEMP TABLE for intermediate results.'],
  },
  missing_partition_filter: {
    title: 'partitioned table queried without a partition filter',
    affects: 'bytes billed',
    confidence: 'high',
    whyUnknown:
      'a partition filter saves the partitions it excludes; which range the consumer needs is not in the query',
    steps: [
      'Filter on the partition column (a constant range), so only the needed partitions are read.',
      'Consider require_partition_filter on the table so unfiltered queries fail instead of billing.',
    ],
  },
  unpartitioned_date_filter: {
    title: 'large unpartitioned table filtered on a date column',
    affects: 'bytes billed',
    confidence: 'medium',
    whyUnknown:
      'the filter cannot prune an unpartitioned table; the saving comes from partitioning it, which the partition_table recommendation prices',
    steps: ['Partition the table on the date column the queries filter on (see partition_table).'],
  },
  wide_date_range: {
    title: 'very wide date range',
    affects: 'bytes billed',
    confidence: 'medium',
    whyUnknown:
      'a narrower range reads fewer partitions, but the range the consumer needs is not in the query',
    steps: ['Narrow the date range to what the consumer needs, or read a pre-aggregated table.'],
  },
  distinct_on_large_table: {
    title: 'DISTINCT / COUNT(DISTINCT) on a large table',
    affects: 'slot time',
    confidence: 'medium',
    whyUnknown: 'exact distinct counts cost slot time (shuffle), not bytes billed',
    steps: [
      'Use APPROX_COUNT_DISTINCT where about 1% error is acceptable, or count from a pre-aggregated table.',
    ],
  },
};

interface PatternCost {
  onDemandUsd: number;
  capacityUsd: number;
  lines: CostLine[];
}

export const sqlAntipattern: Analyzer = {
  id: 'sql-antipattern',
  kinds: ['sql_antipattern'],
  analyze(ctx) {
    const sqlByHash = new Map<string, PatternSql>();
    for (const entry of ctx.sql) if (entry.findings.length > 0) sqlByHash.set(entry.hash, entry);

    const costed = ctx.patterns
      .filter((p) => sqlByHash.has(p.hash))
      .map((pattern) => ({ pattern, cost: patternCost(ctx, pattern) }))
      .filter((c) => c.cost.onDemandUsd + c.cost.capacityUsd > 0)
      .sort(
        (a, b) =>
          b.cost.onDemandUsd + b.cost.capacityUsd - (a.cost.onDemandUsd + a.cost.capacityUsd) ||
          cmp(a.pattern.hash, b.pattern.hash),
      )
      .slice(0, maxPatterns);

    // Inspected shapes that are not among the window's patterns (a SCRIPT parent, whose cost is
    // counted under its statements): the cost is unknown, not $0. They come after the costed ones.
    const known = new Set(ctx.patterns.map((p) => p.hash));
    const uncosted = [...sqlByHash.values()]
      .filter((s) => !known.has(s.hash))
      .sort((a, b) => cmp(a.hash, b.hash))
      .slice(0, Math.max(0, maxPatterns - costed.length))
      .map((s) => ({ hash: s.hash, pattern: null, cost: null }));

    const recommendations: Recommendation[] = [];
    for (const { hash, pattern, cost } of [
      ...costed.map((c) => ({ hash: c.pattern.hash, ...c })),
      ...uncosted,
    ]) {
      const sql = sqlByHash.get(hash)!;
      for (const rule of lintRules) {
        const findings = sql.findings.filter((f) => f.rule === rule);
        if (findings.length > 0)
          recommendations.push(recommend(hash, pattern, sql, rule, findings, cost));
      }
    }
    return { recommendations, anomalies: [] };
  },
};

/** Monthly cost of a shape: on-demand bytes, and slot-hours priced per reservation from costFacts. */
function patternCost(ctx: AnalyzerContext, pattern: QueryPatternFact): PatternCost {
  const month = (value: number) => perMonth(value, ctx.windowDays);
  const tib = pattern.onDemandBytesBilled / bytesPerTib;
  const lines: CostLine[] = [];
  if (tib > 0) {
    lines.push(
      costLine(
        'On-demand bytes billed',
        month(tib),
        'TiB per month',
        ctx.pricing.prices.onDemandUsdPerTib,
        `${round6(tib)} TiB over the ${ctx.windowDays}-day window, scaled to 30 days`,
      ),
    );
  }
  let capacityUsd = 0;
  if (pattern.reservationSlotMs > 0) {
    const byReservation = new Map<string, { slotMs: number; edition: string | null }>();
    for (const fact of ctx.costFacts) {
      if (fact.dimension !== 'query_pattern' || fact.key !== pattern.hash) continue;
      if (fact.reservationSlotMs === 0 || fact.reservationId === null) continue;
      const entry = byReservation.get(fact.reservationId) ?? { slotMs: 0, edition: fact.edition };
      entry.slotMs += fact.reservationSlotMs;
      byReservation.set(fact.reservationId, entry);
    }
    const known = [...byReservation.values()].reduce((s, r) => s + r.slotMs, 0);
    // Daily facts missing for the shape (or partly): price the rest at the default edition.
    const rest = pattern.reservationSlotMs - known;
    const parts: { id: string | null; slotMs: number; edition: string | null }[] = [
      ...[...byReservation.entries()]
        .sort(([a], [b]) => cmp(a, b))
        .map(([id, r]) => ({ id, ...r })),
      ...(rest > 1e-6 * pattern.reservationSlotMs
        ? [{ id: null, slotMs: rest, edition: null }]
        : []),
    ];
    for (const part of parts) {
      const rate = slotHourRate(ctx.pricing, part.id, part.edition);
      const hours = month(slotHours(part.slotMs));
      capacityUsd += hours * rate.usdPerSlotHour;
      lines.push(
        costLine(
          `Capacity ${part.id ?? '(reservation unknown)'}`,
          hours,
          `slot-hours per month (${rate.edition} ${rate.commitment})`,
          rate.usdPerSlotHour,
          `slot-hours used × rate, a lower bound of billed capacity${rate.assumed ? `; edition unknown, priced as ${rate.edition}` : ''}`,
        ),
      );
    }
  }
  const onDemandUsd = month(tib) * ctx.pricing.prices.onDemandUsdPerTib;
  return { onDemandUsd, capacityUsd, lines };
}

function recommend(
  hash: string,
  pattern: QueryPatternFact | null,
  sql: PatternSql,
  rule: LintRule,
  findings: LintFinding[],
  cost: PatternCost | null,
): Recommendation {
  const spec = ruleSpecs[rule];
  const monthlyCostUsd = cost ? cost.onDemandUsd + cost.capacityUsd : null;
  const confidence = sql.parsed ? spec.confidence : lower(spec.confidence);
  const sketch = pattern?.sampleQuery ? rewrite(rule, pattern.sampleQuery) : null;
  const first = findings[0]!;
  const unknownCost: CostLine = {
    label: 'Query shape cost',
    quantity: null,
    unit: 'USD per month',
    unitPriceUsd: 1,
    usd: null,
    method:
      'unknown: the shape is not among the window’s query patterns (a SCRIPT parent’s cost is counted under its statements)',
  };

  const evidence: Evidence = {
    method:
      'monthly cost of the query shape (normalized-literals hash) over the window, scaled to 30 days; the saving is unknown',
    costLines: [
      ...(cost ? cost.lines : [unknownCost]),
      {
        label: 'Estimated saving',
        quantity: null,
        unit: 'USD per month',
        unitPriceUsd: 1,
        usd: null,
        method: `unknown: ${spec.whyUnknown}`,
      },
    ],
    assumptions: [
      `the rule affects ${spec.affects}; the saving is at most the shape's monthly cost (${money(monthlyCostUsd)})`,
      'findings come from the text of the most recent run; other runs of the shape differ only in literals',
      ...(sql.parsed
        ? []
        : [`the query did not fully parse (${sql.error ?? 'no message'}); confidence lowered`]),
    ],
    hash,
    rule,
    findings: findings.map((f) => ({ line: f.line, column: f.column, message: f.message })),
    monthlyCostUsd: monthlyCostUsd === null ? null : round6(monthlyCostUsd),
    runs: pattern?.runs ?? null,
    activeDays: pattern?.activeDays ?? null,
    distinctUsers: pattern?.distinctUsers ?? null,
    projectId: pattern?.projectId ?? null,
    userEmail: pattern?.userEmail ?? null,
    sampleJobId: pattern?.sampleJobId ?? null,
    parsed: sql.parsed,
  };
  const fix: Fix = {
    summary: first.message,
    steps: spec.steps,
    ...(sketch
      ? {
          sql: sketch,
          caveats: [
            'A sketch rewritten from the most recent run: check the result matches before you replace the query.',
            ...(rule === 'latest_record_with_analytic_function'
              ? [
                  'The sketch replaces the numbered subquery and its rn = 1 filter; keep the outer query’s other clauses.',
                  'RANK() = 1 keeps ties; ARRAY_AGG … LIMIT 1 keeps one row per key.',
                ]
              : []),
          ],
        }
      : {}),
  };
  return {
    id: stableId('rec', 'sql_antipattern', hash, rule),
    kind: 'sql_antipattern',
    rule,
    target: hash,
    monthlySavingsUsd: null,
    confidence,
    summary: pattern
      ? `${spec.title} in a query shape costing ${money(monthlyCostUsd)}/month (${pattern.runs} runs, ${pattern.projectId})`
      : `${spec.title} in query shape ${hash} (cost unknown)`,
    evidence,
    fix,
  };
}

// ---------------------------------------------------------------------------------------------
// Mechanical rewrites. They work on a masked copy of the query (string literals, quoted
// identifiers and comments blanked to spaces, same length) so that keywords and parentheses
// inside them are never matched; slices are taken from the original text.

/** A rewritten query for the rules where the rewrite is mechanical, else null. */
export function rewrite(rule: LintRule, query: string): string | null {
  switch (rule) {
    case 'regexp_contains_instead_of_like':
      return rewriteRegexpContains(query);
    case 'order_by_without_limit':
      return addLimit(query);
    case 'semi_join_without_aggregation':
      return distinctSemiJoin(query);
    case 'latest_record_with_analytic_function':
      return latestRecord(query);
    default:
      return null;
  }
}

function mask(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    let end = -1;
    if (c === '-' && next === '-') end = lineEnd(sql, i);
    else if (c === '#') end = lineEnd(sql, i);
    else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close === -1 ? sql.length : close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const triple = c !== '`' && sql.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < sql.length && !sql.startsWith(quote, j)) j += sql[j] === '\\' ? 2 : 1;
      end = Math.min(sql.length, j + quote.length);
      // Keep the quotes so a literal is still recognizable as one; blank its content.
      const inner = end - i - 2 * quote.length;
      out += inner >= 0 ? quote + ' '.repeat(inner) + quote : ' '.repeat(end - i);
      i = end;
      continue;
    }
    if (end !== -1) {
      out += ' '.repeat(end - i);
      i = end;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

function lineEnd(sql: string, from: number): number {
  const nl = sql.indexOf('\n', from);
  return nl === -1 ? sql.length : nl;
}

/** Index of the parenthesis closing the one at `open`, in masked text; -1 when unbalanced. */
function closing(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i += 1) {
    if (masked[i] === '(') depth += 1;
    else if (masked[i] === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits the text between `from` and `to` at commas of depth 0. */
function splitArgs(masked: string, from: number, to: number): [number, number][] {
  const parts: [number, number][] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i += 1) {
    const c = masked[i];
    if (c === '(' || c === '[') depth += 1;
    else if (c === ')' || c === ']') depth -= 1;
    else if (c === ',' && depth === 0) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  parts.push([start, to]);
  return parts;
}

function depthAt(masked: string, index: number): number {
  let depth = 0;
  for (let i = 0; i < index; i += 1) {
    if (masked[i] === '(') depth += 1;
    else if (masked[i] === ')') depth -= 1;
  }
  return depth;
}

const regexMeta = /[.*+?()[\]{}|\\^$]/;

/** REGEXP_CONTAINS(x, 'word') → x LIKE '%word%' (and ^word → 'word%', word$ → '%word'). */
function rewriteRegexpContains(query: string): string | null {
  const masked = mask(query);
  const re = /\bREGEXP_CONTAINS\s*\(/gi;
  const edits: { from: number; to: number; text: string }[] = [];
  for (let m = re.exec(masked); m !== null; m = re.exec(masked)) {
    const open = m.index + m[0].length - 1;
    const close = closing(masked, open);
    if (close === -1) continue;
    const args = splitArgs(masked, open + 1, close);
    if (args.length !== 2) continue;
    const [[a0, a1], [b0, b1]] = args as [[number, number], [number, number]];
    const literal = /^\s*[rR]?(['"])(.*)\1\s*$/s.exec(query.slice(b0, b1));
    if (!literal) continue;
    let body = literal[2]!;
    const anchoredStart = body.startsWith('^');
    const anchoredEnd = body.endsWith('$') && !body.endsWith('\\$');
    body = body.slice(anchoredStart ? 1 : 0, anchoredEnd ? -1 : undefined);
    if (body === '' || regexMeta.test(body) || /[%_']/.test(body)) continue;
    const like = `${anchoredStart ? '' : '%'}${body}${anchoredEnd ? '' : '%'}`;
    edits.push({
      from: m.index,
      to: close + 1,
      text: `${query.slice(a0, a1).trim()} LIKE '${like}'`,
    });
    re.lastIndex = close + 1;
  }
  return applyEdits(query, edits);
}

/** A final ORDER BY (at depth 0, no LIMIT after it) gets a LIMIT. */
function addLimit(query: string): string | null {
  const body = query.replace(/[\s;]+$/, '');
  const masked = mask(body);
  const orders = [...masked.matchAll(/\bORDER\s+BY\b/gi)].filter(
    (m) => depthAt(masked, m.index) === 0,
  );
  const last = orders.at(-1);
  if (!last) return null;
  const tail = masked.slice(last.index);
  if (/\b(LIMIT|UNION|INTERSECT|EXCEPT)\b/i.test(tail) || tail.includes(';')) return null;
  return `${body}\nLIMIT 1000  -- the number of rows the consumer shows`;
}

const aggregated = /\b(DISTINCT|GROUP\s+BY|COUNT|SUM|MIN|MAX|AVG|ARRAY_AGG|ANY_VALUE)\b/i;

/** IN (SELECT key …) → IN (SELECT DISTINCT key …) where the subquery is not aggregated. */
function distinctSemiJoin(query: string): string | null {
  const masked = mask(query);
  const re = /\bIN\s*\(\s*SELECT\s+/gi;
  const edits: { from: number; to: number; text: string }[] = [];
  for (let m = re.exec(masked); m !== null; m = re.exec(masked)) {
    const open = masked.indexOf('(', m.index);
    const close = closing(masked, open);
    if (close === -1 || aggregated.test(masked.slice(open, close))) continue;
    const at = m.index + m[0].length;
    edits.push({ from: at, to: at, text: 'DISTINCT ' });
  }
  return applyEdits(query, edits);
}

/**
 * `SELECT … FROM (SELECT cols, ROW_NUMBER() OVER (PARTITION BY k ORDER BY o) AS rn FROM t WHERE …)
 * WHERE rn = 1` → one ARRAY_AGG(STRUCT(cols) ORDER BY o LIMIT 1) per key. Parts that cannot be
 * found become <placeholders>.
 */
function latestRecord(query: string): string | null {
  const masked = mask(query);
  const fn = /\b(ROW_NUMBER|RANK|DENSE_RANK)\s*\(\s*\)\s*OVER\s*\(/i.exec(masked);
  if (!fn) return null;
  const open = fn.index + fn[0].length - 1;
  const close = closing(masked, open);
  if (close === -1) return null;
  const spec = /^\s*PARTITION\s+BY\s+([\s\S]+?)\s+ORDER\s+BY\s+([\s\S]+?)\s*$/di.exec(
    masked.slice(open + 1, close),
  );
  const group = (n: 1 | 2, placeholder: string) => {
    const at = spec?.indices?.[n];
    return at ? query.slice(open + 1 + at[0], open + 1 + at[1]) : placeholder;
  };
  const keys = group(1, '<key columns>');
  const order = group(2, '<ordering>');

  // The SELECT that holds the analytic function: its column list and its FROM … up to the end of
  // that SELECT. With QUALIFY the function follows the FROM: the source stops at QUALIFY.
  const depth = depthAt(masked, fn.index);
  const atDepth = (re: RegExp, from: number, to: number) =>
    [...masked.slice(from, to).matchAll(re)]
      .map((m) => from + m.index)
      .filter((i) => depthAt(masked, i) === depth);
  const select = atDepth(/\bSELECT\b/gi, 0, fn.index).at(-1);
  if (select === undefined) return null;
  const fromBeforeFn = atDepth(/\bFROM\b/gi, select, fn.index)[0];
  const columnsEnd = fromBeforeFn ?? fn.index;
  let columns = query
    .slice(select + 'SELECT'.length, columnsEnd)
    .trim()
    .replace(/,$/, '')
    .trim()
    .replace(/\s*\n\s*/g, ' ');
  if (columns === '' || columns.includes('*')) columns = '<the columns you need>';
  let from: number | undefined;
  let end: number | undefined;
  if (fromBeforeFn !== undefined) {
    from = fromBeforeFn;
    end = atDepth(/\bQUALIFY\b/gi, from, fn.index).at(-1);
  } else {
    from = atDepth(/\bFROM\b/gi, close + 1, masked.length)[0];
    if (from !== undefined) {
      end = masked.length;
      for (let i = from, d = 0; i < masked.length; i += 1) {
        if (masked[i] === '(') d += 1;
        else if (masked[i] === ')' && d-- === 0) {
          end = i;
          break;
        }
      }
    }
  }
  const source =
    from !== undefined && end !== undefined
      ? query.slice(from, end).trim()
      : 'FROM <the table and filters>';
  const indented = (text: string) => text.split('\n').map((l) => `  ${l.trim()}`);
  return [
    'SELECT latest.*',
    'FROM (',
    `  SELECT ARRAY_AGG(STRUCT(${columns}) ORDER BY ${order} LIMIT 1)[OFFSET(0)] AS latest`,
    ...indented(source),
    `  GROUP BY ${keys}`,
    ')',
  ].join('\n');
}

function applyEdits(query: string, edits: { from: number; to: number; text: string }[]) {
  if (edits.length === 0) return null;
  let out = query;
  for (const edit of [...edits].sort((a, b) => b.from - a.from))
    out = out.slice(0, edit.from) + edit.text + out.slice(edit.to);
  return out;
}

function lower(confidence: Confidence): Confidence {
  return confidence === 'high' ? 'medium' : 'low';
}

function money(usd: number | null): string {
  if (usd === null) return 'unknown';
  return `$${usd >= 100 ? Math.round(usd).toLocaleString('en-US') : usd.toFixed(2)}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
