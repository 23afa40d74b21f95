// `x IN (SELECT y …)` without DISTINCT or GROUP BY carries every duplicate of y into the
// semi-join; deduplicating in the subquery shrinks what is shuffled (Google's recognizer:
// InSubqueryWithoutAgg). https://github.com/GoogleCloudPlatform/bigquery-antipattern-recognition
import type { SqlRule } from './rule.js';

export const semiJoinWithoutAggregation: SqlRule = {
  id: 'semi_join_without_aggregation',
  check({ model, report }) {
    for (const subquery of model.subqueries) {
      if (subquery.kind !== 'in') continue;
      const { query } = subquery;
      if (query.distinctSet) continue;
      const deduplicated = query.outputs.every(
        (block) => block.distinct || block.groupBy || block.aggregates,
      );
      if (deduplicated || query.outputs.length === 0) continue;
      const keyword = subquery.negated ? 'NOT IN' : 'IN';
      report(
        subquery.pos,
        `${keyword} (subquery) without DISTINCT, GROUP BY or an aggregate: every duplicate value is carried into the semi-join; use SELECT DISTINCT in the subquery.`,
      );
    }
  },
};
