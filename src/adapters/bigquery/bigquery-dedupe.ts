import { readFileSync } from 'node:fs';
import { processedEventsTable } from '../../domain/tables.js';
import type { DedupeSource, DedupeStore } from '../../ports/dedupe.js';
import { ownTable, type BigQueryWarehouse } from './bigquery-warehouse.js';
import { insertRow } from './insert-row.js';

// `processed_events` on BigQuery (created by infra/ from the TableSpec). A mark is an insertAll
// row with insertId = the key, so a resent mark is dropped within BigQuery's (best-effort) dedupe
// window; `seen` asks whether any row has the key, so a duplicate row that got in anyway changes
// nothing. Rows in the streaming buffer are visible to queries at once.
//
// Each `seen` is a query job: fine for the pipeline's few messages a day (every consumer also
// stays idempotent through its own ledgers), not for a hot path.

const seenSql = readFileSync(new URL('./processed-event-seen.sql', import.meta.url), 'utf8');

export interface BigQueryDedupeDeps {
  sleep?: (ms: number) => Promise<void>;
  /** Resends of a failed mark; default 2. */
  maxRetries?: number;
}

export class BigQueryDedupeStore implements DedupeStore {
  readonly table: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetries: number;

  constructor(
    private readonly warehouse: BigQueryWarehouse,
    deps: BigQueryDedupeDeps = {},
  ) {
    this.table = ownTable(warehouse.settings, processedEventsTable.name);
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxRetries = deps.maxRetries ?? 2;
  }

  async seen(key: string): Promise<boolean> {
    const rows = await this.warehouse.runQuery({
      name: 'processed-event-seen',
      sql: seenSql.replaceAll('{{processed_events}}', this.table),
      params: { key },
    });
    return rows.length > 0;
  }

  mark(key: string, source: DedupeSource, at: Date): Promise<void> {
    return insertRow(this.warehouse, {
      table: processedEventsTable.name,
      insertId: key,
      json: { dedupe_key: key, source, processed_at: at.toISOString() },
      code: 'dedupe.write_failed',
      sleep: this.sleep,
      maxRetries: this.maxRetries,
    });
  }
}
