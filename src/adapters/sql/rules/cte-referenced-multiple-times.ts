// BigQuery evaluates a non-recursive CTE every time it is referenced, so a CTE read twice scans
// its tables twice. https://cloud.google.com/bigquery/docs/best-practices-performance-compute#avoid-repeated-ctes
import { type SqlRule } from './rule.js';

export const cteReferencedMultipleTimes: SqlRule = {
  id: 'cte_referenced_multiple_times',
  check({ model, report }) {
    for (const cte of model.ctes) {
      const count = cte.references.length;
      if (count < 2) continue;
      const lines = [...new Set(cte.references.map((pos) => pos.line))].join(', ');
      report(
        cte.pos,
        `CTE \`${cte.name}\` is referenced ${count} times (line ${lines}): BigQuery evaluates it once per reference, scanning its tables ${count} times. Materialize it once (CREATE TEMP TABLE in a script) or restructure to read it once.`,
      );
    }
  },
};
