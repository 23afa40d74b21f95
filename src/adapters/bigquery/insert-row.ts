import { AppError } from '../../errors.js';
import { classifyBigQueryError, type BigQueryWarehouse } from './bigquery-warehouse.js';

// One row into one of bqcost's append-only tables through insertAll, insertId = the row's
// idempotency key (BigQuery drops a resend within its best-effort window; readers dedupe on the
// key anyway). 429/5xx are resent with the same insertId a bounded number of times; a rejected
// row or a permission error is not. Errors carry a plain summary as their cause: the library's
// errors hold the request, Authorization header included.

export interface InsertRowOptions {
  table: string;
  insertId: string;
  json: Record<string, unknown>;
  /** AppError code on failure, e.g. `dedupe.write_failed`. */
  code: string;
  sleep: (ms: number) => Promise<void>;
  maxRetries: number;
}

export async function insertRow(
  warehouse: BigQueryWarehouse,
  options: InsertRowOptions,
): Promise<void> {
  const table = warehouse.client.dataset(warehouse.settings.dataset).table(options.table);
  const row = { insertId: options.insertId, json: options.json };
  for (let attempt = 0; ; attempt++) {
    try {
      await table.insert([row], { raw: true, partialRetries: 0 });
      return;
    } catch (error) {
      const partial = (error as { name?: unknown }).name === 'PartialFailureError';
      const classified = partial ? null : classifyBigQueryError(error);
      const retryable = classified?.retryable ?? false;
      if (!retryable || attempt >= options.maxRetries) {
        const why = classified ? `${classified.reason}: ${classified.message}` : 'row rejected';
        throw new AppError(
          options.code,
          `cannot insert ${options.insertId} into ${options.table}: ${why}`,
          { cause: classified ? { reason: classified.reason } : { partial }, retryable },
        );
      }
      await options.sleep(200 * 2 ** attempt);
    }
  }
}
