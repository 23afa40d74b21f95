import { AppError } from '../../errors.js';
import { classifyBigQueryError, type BigQueryWarehouse } from './bigquery-warehouse.js';

// Rows into bqcost's append-only tables through insertAll, insertId = the row's idempotency key
// (BigQuery drops a resend within its best-effort window; readers dedupe on the key anyway).
// `insertWithRetries` is the loop every writer shares: raw rows (we give the insertId), the
// library's own partial retries off, and a bounded number of resends of the same rows while the
// writer's classification says the failure is transient. What counts as transient, how long to
// wait and which AppError to throw are the writer's. Errors carry a plain summary as their
// cause: the library's errors hold the request, Authorization header included.

/** insertErrors reasons that are BigQuery's trouble, not the row's: a resend may succeed. */
const transientInsertReasons = new Set(['backendError', 'internalError', 'timeout', 'stopped']);

/** The reasons BigQuery gave for the rows it rejected, or null when `error` is not a rejection. */
function rejectedRowReasons(error: unknown): string[] | null {
  const e = error as { name?: unknown; errors?: unknown } | null;
  if (e?.name !== 'PartialFailureError' || !Array.isArray(e.errors)) return null;
  return (e.errors as { errors?: { reason?: string }[] }[]).flatMap((entry) =>
    (entry.errors ?? []).map((d) => d.reason ?? 'unknown'),
  );
}

/** A rejection worth resending: every reason is transient. */
export const transientRejection = (reasons: readonly string[]): boolean =>
  reasons.length > 0 && reasons.every((r) => transientInsertReasons.has(r));

/**
 * An insertAll failure for the writers that resend transient rejections: reason `insert_rejected`
 * (retryable when every row reason is transient) or the API error's reason; `detail` is the
 * rejection reasons or the HTTP status, for the message.
 */
export function classifyInsertFailure(error: unknown): {
  reason: string;
  retryable: boolean;
  detail: string;
} {
  const rejected = rejectedRowReasons(error);
  if (rejected) {
    return {
      reason: 'insert_rejected',
      retryable: transientRejection(rejected),
      detail: ` (${[...new Set(rejected)].join(', ')})`,
    };
  }
  const classified = classifyBigQueryError(error);
  return {
    reason: classified.reason,
    retryable: classified.retryable,
    detail: classified.httpStatus === null ? '' : ` (HTTP ${classified.httpStatus})`,
  };
}

export interface InsertRetryPolicy<F extends { retryable: boolean }> {
  /** Resends after the first insertAll. */
  maxRetries: number;
  sleep: (ms: number) => Promise<void>;
  /** The wait before resend number `attempt + 1`; default 200 ms · 2^attempt. */
  delayMs?: (attempt: number) => number;
  classify: (error: unknown) => F;
  /** The error to throw for a failure that is not resent; `retries` resends were made. */
  toError: (failure: F, retries: number) => AppError;
}

/** insertAll of `rows` into the dataset's `table`, resending what `classify` calls retryable. */
export async function insertWithRetries<F extends { retryable: boolean }>(
  warehouse: BigQueryWarehouse,
  table: string,
  rows: readonly { insertId: string; json: Record<string, unknown> }[],
  policy: InsertRetryPolicy<F>,
): Promise<void> {
  const target = warehouse.client.dataset(warehouse.settings.dataset).table(table);
  const delayMs = policy.delayMs ?? ((attempt: number) => 200 * 2 ** attempt);
  for (let attempt = 0; ; attempt++) {
    try {
      // raw: we give insertId ourselves; partialRetries 0: retries are ours, with the same rows.
      await target.insert([...rows], { raw: true, partialRetries: 0 });
      return;
    } catch (error) {
      const failure = policy.classify(error);
      if (!failure.retryable || attempt >= policy.maxRetries) {
        throw policy.toError(failure, attempt);
      }
      await policy.sleep(delayMs(attempt));
    }
  }
}

export interface InsertRowOptions {
  table: string;
  insertId: string;
  json: Record<string, unknown>;
  /** AppError code on failure, e.g. `dedupe.write_failed`. */
  code: string;
  sleep: (ms: number) => Promise<void>;
  maxRetries: number;
}

/**
 * One row, one AppError code: 429/5xx are resent with the same insertId a bounded number of
 * times; a rejected row (whatever its reason) or a permission error is not.
 */
export async function insertRow(
  warehouse: BigQueryWarehouse,
  options: InsertRowOptions,
): Promise<void> {
  const row = { insertId: options.insertId, json: options.json };
  await insertWithRetries(warehouse, options.table, [row], {
    maxRetries: options.maxRetries,
    sleep: options.sleep,
    classify: (error) => {
      const partial = (error as { name?: unknown }).name === 'PartialFailureError';
      const classified = partial ? null : classifyBigQueryError(error);
      return { partial, classified, retryable: classified?.retryable ?? false };
    },
    toError: ({ partial, classified, retryable }) => {
      const why = classified ? `${classified.reason}: ${classified.message}` : 'row rejected';
      return new AppError(
        options.code,
        `cannot insert ${options.insertId} into ${options.table}: ${why}`,
        { cause: classified ? { reason: classified.reason } : { partial }, retryable },
      );
    },
  });
}
