// BigQuery evaluates WHERE conditions in the order written and does not reorder them, so a
// costly, unselective condition (LIKE, a regular expression, a function) placed before a
// selective equality runs on rows the equality would have discarded. Google's recognizer:
// WhereOrder. https://cloud.google.com/bigquery/docs/best-practices-performance-compute#order_expressions_in_the_where_clause
import { firstPos, functionCall, unwrap, variant } from '../ast.js';
import { conjuncts, type Resolver } from '../predicates.js';
import type { Block } from '../model.js';
import { lineOf, type SqlRule } from './rule.js';

type Kind = { selective: true; column: string } | { selective: false; label: string } | null;

function classify(expr: unknown, block: Block, resolver: Resolver): Kind {
  const value = unwrap(expr);
  const binary = variant(value, 'BinaryOp');
  if (binary?.op === 'Eq') {
    // f(column) = constant: the function runs on every row before the comparison
    for (const side of [binary.left, binary.right]) {
      const call = functionCall(unwrap(side));
      if (call && call.args.length > 0 && !resolver.column(side, block))
        return { selective: false, label: `${call.name}()` };
    }
    const left = resolver.column(binary.left, block);
    const right = resolver.column(binary.right, block);
    // column = constant (not column = column, which is a join)
    if (left && !right && !variant(unwrap(binary.left), 'Function'))
      return { selective: true, column: left.column };
    if (right && !left && !variant(unwrap(binary.right), 'Function'))
      return { selective: true, column: right.column };
    return null;
  }
  if (binary?.op === 'NotEq') return { selective: false, label: 'inequality (!=)' };
  if (variant(value, 'Like') || variant(value, 'ILike')) return { selective: false, label: 'LIKE' };
  const call = functionCall(value);
  if (call) return { selective: false, label: `${call.name}()` };
  return null;
}

export const whereOrder: SqlRule = {
  id: 'where_order',
  check({ model, resolver, report }) {
    for (const block of model.blocks) {
      if (!block.where) continue;
      const kinds = conjuncts(block.where).map((expr) => ({
        expr,
        kind: classify(expr, block, resolver),
      }));
      for (let i = 0; i < kinds.length; i += 1) {
        const costly = kinds[i]!.kind;
        if (!costly || costly.selective) continue;
        const later = kinds.slice(i + 1).find((k) => k.kind?.selective);
        if (!later || !later.kind?.selective) continue;
        report(
          firstPos(kinds[i]!.expr),
          `${costly.label} condition comes before the more selective equality on \`${later.kind.column}\` (${lineOf(firstPos(later.expr))}): BigQuery evaluates WHERE conditions in the order written, so put the equality first.`,
        );
        break;
      }
    }
  },
};
