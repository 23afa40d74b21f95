// A large table that queries filter by date, but that is not partitioned, is scanned whole by
// every such query; partitioned by that column it would be read only for the dates asked for.
// https://cloud.google.com/bigquery/docs/partitioned-tables
import { formatBytes, looksLikeDateColumn, quote, type SqlRule } from './rule.js';

export const unpartitionedDateFilter: SqlRule = {
  id: 'unpartitioned_date_filter',
  check({ model, predicates, resolver, settings, report }) {
    for (const block of model.blocks) {
      for (const item of block.items) {
        const meta = resolver.meta(item);
        if (!meta || meta.partitioned || meta.totalLogicalBytes < settings.largeTableBytes)
          continue;
        const filter = predicates.find(
          (p) =>
            p.conjunct &&
            (p.clause === 'where' || p.clause === 'join') &&
            !p.other &&
            p.op !== 'other' &&
            (p.ref.base === item || p.ref.item === item) &&
            (p.dateValued || looksLikeDateColumn(p.ref.column)),
        );
        if (!filter) continue;
        report(
          item.pos,
          `${quote(meta.table)} (${formatBytes(meta.totalLogicalBytes)}) is not partitioned but is filtered on \`${filter.ref.column}\`: every such query scans the whole table. Partitioning it by ${filter.ref.column} would let this query read only the dates it asks for.`,
        );
      }
    }
  },
};
