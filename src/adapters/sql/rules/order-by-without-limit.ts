// An ORDER BY on the final result without LIMIT sorts every row on a single worker: slow, and
// "Resources exceeded" on large results. https://cloud.google.com/bigquery/docs/best-practices-performance-compute#use-limit-with-order-by
import { lastTokenBefore } from '../lexer.js';
import { firstPos } from '../ast.js';
import { type SqlRule } from './rule.js';

export const orderByWithoutLimit: SqlRule = {
  id: 'order_by_without_limit',
  check({ model, tokens, report }) {
    for (const statement of model.statements) {
      for (const query of statement.queries) {
        if (query.role !== 'top' || query.orderBy.length === 0 || query.hasLimit) continue;
        const first = firstPos(query.orderBy);
        const keyword = first
          ? lastTokenBefore(tokens, first.line, first.column, 'ORDER')
          : undefined;
        const written = statement.kind === 'Insert' || statement.kind === 'CreateTable';
        report(
          keyword ?? first,
          written
            ? 'ORDER BY on rows written to a table: the order is not kept, but the whole result is still sorted on one worker. Drop the ORDER BY.'
            : 'ORDER BY without LIMIT sorts the whole result on a single worker: add a LIMIT, or sort where the result is displayed.',
        );
      }
    }
  },
};
