import { processedEventsTable } from '../../domain/tables.js';
import { AppError } from '../../errors.js';
import type { DedupeSource, DedupeStore } from '../../ports/dedupe.js';
import { classifyBigQueryError, ownTable, type BigQueryWarehouse } from './bigquery-warehouse.js';

// `processed_events` on BigQuery (created by infra/ from the TableSpec). A mark is an insertAll
// row with insertId = the key, so a resent mark is dropped within BigQuery's (best-effort) dedupe
// window; `seen` asks whether any row has the key, so a duplicate row that got in anyway changes
// nothing. Rows in the streaming buffer are visible to queries at once.
//
// Each `seen` is a query job: fine for the pipeline's few messages a day (every consumer also
// stays idempotent through its own ledgers), not for a hot path.

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
      sql: `SELECT 1 AS hit FROM ${this.table} WHERE dedupe_key = @key LIMIT 1`,
      params: { key },
    });
    return rows.length > 0;
  }

  async mark(key: string, source: DedupeSource, at: Date): Promise<void> {
    const table = this.warehouse.client
      .dataset(this.warehouse.settings.dataset)
      .table(processedEventsTable.name);
    const row = {
      insertId: key,
      json: { dedupe_key: key, source, processed_at: at.toISOString() },
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await table.insert([row], { raw: true, partialRetries: 0 });
        return;
      } catch (error) {
        const partial = (error as { name?: unknown }).name === 'PartialFailureError';
        const classified = partial ? null : classifyBigQueryError(error);
        const retryable = classified?.retryable ?? false;
        if (!retryable || attempt >= this.maxRetries) {
          throw new AppError(
            'dedupe.write_failed',
            `cannot mark ${key} in ${this.table}: ${classified ? `${classified.reason}: ${classified.message}` : 'row rejected'}`,
            // A plain summary as the cause: library errors carry the request's Authorization.
            { cause: classified ? { reason: classified.reason } : { partial }, retryable },
          );
        }
        await this.sleep(200 * 2 ** attempt);
      }
    }
  }
}
