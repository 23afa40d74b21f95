// A persistent table created and dropped within one script is scratch space, but it pays for
// time travel and fail-safe storage after the drop; a TEMP table does not. Google's
// recognizer: DroppedPersistentTable. https://cloud.google.com/bigquery/docs/multi-statement-queries#temporary_tables
import { createdTables } from './script-tables.js';
import { type SqlRule } from './rule.js';

export const droppedPersistentTable: SqlRule = {
  id: 'dropped_persistent_table',
  check(context) {
    for (const table of createdTables(context)) {
      if (table.temporary || !table.droppedLater) continue;
      context.report(
        table.pos,
        `\`${table.name}\` is created and dropped in the same script: make it a TEMP table (CREATE TEMP TABLE), which leaves no persistent, time-travel or fail-safe storage behind.`,
      );
    }
  },
};
