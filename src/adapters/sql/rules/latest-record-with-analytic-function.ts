// Keeping the latest row per key with ROW_NUMBER() … = 1 numbers (and sorts) every row of every
// partition; ARRAY_AGG(… ORDER BY … LIMIT 1)[OFFSET(0)] or MAX_BY keeps one row per group while
// aggregating. Google's recognizer: LatestRecordWithAnalyticFun.
// https://cloud.google.com/bigquery/docs/best-practices-performance-compute#optimize-your-query-operation
import {
  functionCall,
  identValue,
  isNode,
  numberLiteral,
  unwrap,
  variant,
  firstPos,
} from '../ast.js';
import type { Block } from '../model.js';
import { conjuncts } from '../predicates.js';
import { lineOf, type RuleContext, type SqlRule } from './rule.js';

const rankFunctions = new Set(['ROW_NUMBER', 'RANK', 'DENSE_RANK']);

interface RankCall {
  name: string;
  partitionBy: string[];
  orderBy: string[];
  node: unknown;
}

function rankCall(expr: unknown): RankCall | undefined {
  const call = functionCall(unwrap(expr));
  if (!call || !rankFunctions.has(call.name)) return undefined;
  const spec = variant(call.node.over, 'WindowSpec');
  if (!spec) return undefined;
  const names = (list: unknown, pick: (item: unknown) => unknown) =>
    (Array.isArray(list) ? list : []).map((item) => exprText(pick(item))).filter(Boolean);
  return {
    name: call.name,
    partitionBy: names(spec.partition_by, (item) => item),
    orderBy: names(spec.order_by, (item) => {
      if (!isNode(item)) return undefined;
      const desc = isNode(item.options) && item.options.asc === false ? ' DESC' : '';
      return { text: `${exprText(item.expr)}${desc}` };
    }),
    node: expr,
  };
}

function exprText(expr: unknown): string {
  if (isNode(expr) && typeof expr.text === 'string') return expr.text;
  const value = unwrap(expr);
  const ident = variant(value, 'Identifier');
  if (ident && typeof ident.value === 'string') return ident.value;
  const compound = isNode(value) ? value.CompoundIdentifier : undefined;
  if (Array.isArray(compound)) return compound.map((part) => identValue(part) ?? '?').join('.');
  return '';
}

/** `x = 1`, `x <= 1`, `x < 2`, `1 = x`: the non-constant side, else undefined. */
function firstRowFilter(expr: unknown): unknown {
  const binary = variant(unwrap(expr), 'BinaryOp');
  if (!binary) return undefined;
  const { op, left, right } = binary;
  const l = numberLiteral(unwrap(left));
  const r = numberLiteral(unwrap(right));
  if ((op === 'Eq' || op === 'LtEq') && r === 1) return left;
  if (op === 'Lt' && r === 2) return left;
  if ((op === 'Eq' || op === 'GtEq') && l === 1) return right;
  if (op === 'Gt' && l === 2) return right;
  return undefined;
}

function suggestion(call: RankCall): string {
  const order = call.orderBy.length > 0 ? ` ORDER BY ${call.orderBy.join(', ')}` : '';
  if (call.partitionBy.length === 0)
    return `ORDER BY … LIMIT 1 (or MAX_BY) returns the first row${order ? ` by${order.slice(9)}` : ''} without numbering every row`;
  return `ARRAY_AGG(t${order} LIMIT 1)[OFFSET(0)] … GROUP BY ${call.partitionBy.join(', ')} (or MAX_BY) keeps one row per group without numbering every row`;
}

function projectedRank(block: Block, column: string): RankCall | undefined {
  const projected = block.projection.find((p) => p.name === column);
  return projected ? rankCall(projected.expr) : undefined;
}

function checkBlock(block: Block, { resolver, report }: RuleContext) {
  for (const conjunct of block.qualify ? conjuncts(block.qualify) : []) {
    const side = firstRowFilter(conjunct);
    if (side === undefined) continue;
    const alias = exprText(side).toLowerCase();
    const call = rankCall(side) ?? (alias ? projectedRank(block, alias) : undefined);
    if (!call) continue;
    report(
      firstPos(conjunct),
      `${call.name}() … = 1 in QUALIFY to keep the latest record: ${suggestion(call)}.`,
    );
  }
  for (const conjunct of block.where ? conjuncts(block.where) : []) {
    const side = firstRowFilter(conjunct);
    if (side === undefined) continue;
    const ref = resolver.column(side, block);
    const item = ref?.item;
    if (!ref || !item || (item.kind !== 'derived' && item.kind !== 'cte')) continue;
    const query = item.kind === 'cte' ? item.cte?.query : item.query;
    const inner = query?.outputs.length === 1 ? query.outputs[0] : undefined;
    const call = inner ? projectedRank(inner, ref.column) : undefined;
    if (!call) continue;
    const callPos = firstPos(call.node);
    report(
      firstPos(conjunct),
      `${call.name}() (${lineOf(callPos)}) filtered to 1 to keep the latest record: ${suggestion(call)}.`,
    );
  }
}

export const latestRecordWithAnalyticFunction: SqlRule = {
  id: 'latest_record_with_analytic_function',
  check(context) {
    for (const block of context.model.blocks) checkBlock(block, context);
  },
};
