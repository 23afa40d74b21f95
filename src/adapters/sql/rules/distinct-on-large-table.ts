// DISTINCT and COUNT(DISTINCT) shuffle every row to deduplicate exactly; on a large table that is
// most of the query's slots. APPROX_COUNT_DISTINCT (HyperLogLog++, ~1% error) does not.
// https://cloud.google.com/bigquery/docs/reference/standard-sql/approximate_aggregate_functions
import { formatBytes, quote, type SqlRule } from './rule.js';

export const distinctOnLargeTable: SqlRule = {
  id: 'distinct_on_large_table',
  check({ model, resolver, settings, report }) {
    const largeIn = (block: (typeof model.blocks)[number]) =>
      block.items
        .map((item) => resolver.meta(item))
        .filter((meta) => meta && meta.totalLogicalBytes >= settings.largeTableBytes)
        .map((meta) => `${quote(meta!.table)} (${formatBytes(meta!.totalLogicalBytes)})`);
    for (const block of model.blocks) {
      if (!block.distinct) continue;
      const large = largeIn(block);
      if (large.length === 0) continue;
      report(
        block.pos,
        `SELECT DISTINCT over ${large.join(', ')} shuffles every row to deduplicate: check that the duplicates exist, or deduplicate upstream.`,
      );
    }
    for (const call of model.calls) {
      if (!call.distinct || call.window || !call.block) continue;
      const large = largeIn(call.block);
      if (large.length === 0) continue;
      report(
        call.pos,
        call.name === 'COUNT'
          ? `COUNT(DISTINCT …) over ${large.join(', ')} deduplicates exactly by shuffling every value: APPROX_COUNT_DISTINCT (about 1% error) is far cheaper if an estimate will do.`
          : `${call.name}(DISTINCT …) over ${large.join(', ')} shuffles every value to deduplicate: check that it is needed.`,
      );
    }
  },
};
