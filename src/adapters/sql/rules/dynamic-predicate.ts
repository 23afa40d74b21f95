// A subquery in WHERE (`d = (SELECT MAX(d) …)`, `x IN (SELECT …)`) is a dynamic predicate: its
// value is unknown when the query is planned, so it cannot prune partitions up front the way a
// constant does. Google's recognizer: DynamicPredicate (any SELECT inside a WHERE clause).
// https://cloud.google.com/bigquery/docs/querying-partitioned-tables#use_a_constant_filter_expression
import { type SqlRule } from './rule.js';

export const dynamicPredicate: SqlRule = {
  id: 'dynamic_predicate',
  check({ model, report }) {
    for (const subquery of model.subqueries) {
      if (subquery.clause !== 'where') continue;
      report(
        subquery.pos,
        'Subquery in WHERE: its value is only known at run time, so it cannot prune partitions or clusters up front. Compute it first (DECLARE … SET … = (SELECT …) in a script, or a literal) and filter on the constant.',
      );
    }
  },
};
