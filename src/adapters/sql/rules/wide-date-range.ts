// A date filter spanning years (or open-ended from a date long past) reads that many partitions:
// often a forgotten backfill literal, or a dashboard that needs a fraction of it.
// https://cloud.google.com/bigquery/docs/querying-partitioned-tables
import { type SqlRule } from './rule.js';

const dayMs = 86_400_000;
const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs);

export const wideDateRange: SqlRule = {
  id: 'wide_date_range',
  check({ predicates, settings, report }) {
    const limit = settings.wideRangeDays;
    const today = settings.now().toISOString().slice(0, 10);
    for (const p of predicates) {
      if (p.op !== 'range' || p.clause === 'having' || p.clause === 'qualify') continue;
      const from = p.from;
      const to = p.to;
      const column = `\`${p.ref.column}\``;
      if (from?.date && to?.date) {
        const days = daysBetween(from.date, to.date);
        if (days > limit)
          report(
            p.pos,
            `Date range on ${column} spans ${days} days (${from.date} to ${to.date}), more than ${limit}: every day in it is read. Narrow it to the days the result needs.`,
          );
        continue;
      }
      if (to?.date) continue;
      if (from?.date) {
        const days = daysBetween(from.date, today);
        if (days > limit)
          report(
            p.pos,
            `Open-ended range on ${column} from ${from.date} reads ${days} days up to today, more than ${limit}. Narrow it to the days the result needs.`,
          );
      } else if (from?.daysAgo !== undefined && from.daysAgo > limit) {
        report(
          p.pos,
          `Range on ${column} reads the last ${from.daysAgo} days, more than ${limit}. Narrow it to the days the result needs.`,
        );
      }
    }
  },
};
