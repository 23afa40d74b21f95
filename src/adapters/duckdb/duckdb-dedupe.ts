import { timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { processedEventsTable } from '../../domain/tables.js';
import { AppError } from '../../errors.js';
import type { DedupeSource, DedupeStore } from '../../ports/dedupe.js';
import { tableDdl } from './table-ddl.js';

// `processed_events` on DuckDB. No constraint on dedupe_key (BigQuery has none): a mark is a
// conditional insert, serialised through one queue because two overlapping statements would both
// pass the NOT EXISTS check under MVCC. One store per database file, as in the embedded mode.

const markSql = `INSERT INTO processed_events (dedupe_key, source, processed_at)
SELECT CAST($key AS VARCHAR), CAST($source AS VARCHAR), CAST($at AS TIMESTAMP)
WHERE NOT EXISTS (SELECT 1 FROM processed_events WHERE dedupe_key = CAST($key AS VARCHAR))`;

const seenSql = `SELECT 1 AS hit FROM processed_events WHERE dedupe_key = CAST($key AS VARCHAR) LIMIT 1`;

export class DuckDbDedupeStore implements DedupeStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbDedupeStore> {
    await connection.run(tableDdl(processedEventsTable));
    return new DuckDbDedupeStore(connection);
  }

  async seen(key: string): Promise<boolean> {
    try {
      const reader = await this.connection.runAndReadAll(seenSql, { key });
      return reader.getRows().length > 0;
    } catch (error) {
      throw new AppError('dedupe.read_failed', `cannot read processed_events: ${text(error)}`, {
        cause: error,
        retryable: true,
      });
    }
  }

  mark(key: string, source: DedupeSource, at: Date): Promise<void> {
    const run = this.queue.then(async () => {
      try {
        await this.connection.run(markSql, {
          key,
          source,
          at: timestampValue(BigInt(at.getTime()) * 1000n),
        });
      } catch (error) {
        throw new AppError('dedupe.write_failed', `cannot write processed_events: ${text(error)}`, {
          cause: error,
          retryable: true,
        });
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
