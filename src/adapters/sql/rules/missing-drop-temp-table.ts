// A TEMP table a script does not drop is kept, and billed as storage, for 24 hours after the
// script ends. Google's recognizer: MissingDropStatement.
// https://cloud.google.com/bigquery/docs/multi-statement-queries#temporary_tables
import { createdTables } from './script-tables.js';
import { type SqlRule } from './rule.js';

export const missingDropTempTable: SqlRule = {
  id: 'missing_drop_temp_table',
  check(context) {
    for (const table of createdTables(context)) {
      if (!table.temporary || table.droppedLater) continue;
      context.report(
        table.pos,
        `TEMP table \`${table.name}\` is created but never dropped after it: it is kept (and billed as storage) for 24 hours after the script ends. Add DROP TABLE ${table.name}; when the script is done with it.`,
      );
    }
  },
};
