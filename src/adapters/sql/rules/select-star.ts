// SELECT * reads (and on demand, bills) every column of the table; BigQuery is columnar, so
// naming the needed columns is the cheapest fix there is.
// https://cloud.google.com/bigquery/docs/best-practices-performance-compute#reduce-data-processed
import type { Block, QueryInfo } from '../model.js';
import { quote, type SqlRule } from './rule.js';

export const selectStar: SqlRule = {
  id: 'select_star',
  check({ model, resolver, report }) {
    // A star only costs when its rows are returned or written: `WITH c AS (SELECT * FROM t)
    // SELECT a FROM c` reads one column, because BigQuery prunes columns through CTEs and
    // subqueries. So follow stars outward from what each statement returns.
    const returned = new Set<Block>();
    const work: Block[] = [];
    const mark = (query: QueryInfo | null | undefined) => {
      for (const block of query?.outputs ?? []) {
        if (returned.has(block)) continue;
        returned.add(block);
        work.push(block);
      }
    };
    for (const statement of model.statements) for (const query of statement.queries) mark(query);
    while (work.length > 0) {
      const block = work.pop()!;
      for (const wildcard of block.wildcards) {
        const covered = wildcard.qualifier
          ? block.items.filter((item) => item.alias === wildcard.qualifier)
          : block.items;
        for (const item of covered) mark(item.kind === 'cte' ? item.cte?.query : item.query);
        const tables = covered.filter((item) => item.kind === 'table');
        if (tables.length === 0) continue;
        const names = tables.map((item) => quote(resolver.displayName(item))).join(', ');
        report(
          wildcard.pos ?? block.pos,
          wildcard.except
            ? `SELECT * EXCEPT (…) still reads every other column of ${names}: list only the columns you need (on-demand pricing bills every column read).`
            : `SELECT * reads every column of ${names}: list only the columns you need (on-demand pricing bills every column read).`,
        );
      }
    }
  },
};
