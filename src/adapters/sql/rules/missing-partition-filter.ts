// Reading a partitioned table without a filter on its partitioning column scans every
// partition. https://cloud.google.com/bigquery/docs/querying-partitioned-tables
import { formatBytes, looksLikeDateColumn, quote, type SqlRule } from './rule.js';

const ingestionTime = new Set(['_partitiontime', '_partitiondate']);

export const missingPartitionFilter: SqlRule = {
  id: 'missing_partition_filter',
  check({ model, predicates, resolver, report }) {
    for (const block of model.blocks) {
      for (const item of block.items) {
        const meta = resolver.meta(item);
        if (!meta?.partitioned) continue;
        const column = meta.partitionColumn?.toLowerCase() ?? null;
        const prunes = (name: string) =>
          column === null
            ? looksLikeDateColumn(name)
            : name === column || (ingestionTime.has(column) && ingestionTime.has(name));
        const filtered = predicates.some(
          (p) =>
            p.conjunct &&
            (p.clause === 'where' || p.clause === 'join') &&
            (p.ref.base === item || p.ref.item === item) &&
            prunes(p.ref.column),
        );
        if (filtered) continue;
        const size = meta.totalLogicalBytes > 0 ? ` (${formatBytes(meta.totalLogicalBytes)})` : '';
        report(
          item.pos,
          column === null
            ? `${quote(meta.table)} is partitioned but nothing filters it on a date or time column: the query scans every partition${size}. Filter on the partitioning column with a constant.`
            : `${quote(meta.table)} is partitioned on \`${meta.partitionColumn}\` but nothing filters on it: the query scans every partition${size}. Add a constant filter on ${meta.partitionColumn}.`,
        );
      }
    }
  },
};
