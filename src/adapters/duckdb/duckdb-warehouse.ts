import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DuckDBInstance,
  LIST,
  VARCHAR,
  listValue,
  timestampValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { ExportView } from '../../domain/columns.js';
import { exportViewNames } from '../../domain/columns.js';
import type {
  BytesDistributionFact,
  QueryPatternFact,
  ScriptSampleFact,
  TableUsageFact,
} from '../../domain/context.js';
import type {
  CostFact,
  DataRange,
  FactDimension,
  ReservationCapacityFact,
  TableStorageFact,
  TimeWindow,
} from '../../domain/facts.js';
import { AppError } from '../../errors.js';
import type {
  ExportFile,
  ExportLoader,
  ImportOptions,
  DryRunResult,
  ImportReport,
  JobDetail,
  Warehouse,
} from '../../ports/warehouse.js';
import { renderQuery, type QueryName } from '../../queries/index.js';
import {
  checkPatternLimit,
  checkScriptLimit,
  tablesPerPattern,
  withReferencedTables,
} from '../../queries/patterns.js';
import { importFile } from './importer.js';
import { createTableSql, macrosSql, quoteIdent } from './schema.js';

const localTables = {
  jobs: 'jobs',
  table_storage: 'table_storage',
  schemata_options: 'schemata_options',
  reservations_timeline: 'reservations_timeline',
} as const;

/** The embedded warehouse: a DuckDB file (or `:memory:`) holding copies of the views. */
export class DuckDbWarehouse implements Warehouse, ExportLoader {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(path = ':memory:'): Promise<DuckDbWarehouse> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      throw new AppError(
        'warehouse.open_failed',
        `cannot open the embedded warehouse at ${path}: ${message(error)}`,
        {
          cause: error,
        },
      );
    }
    const connection = await instance.connect();
    // Timestamps are stored as naive UTC, like BigQuery's TIMESTAMP is absolute.
    await connection.run(`SET TimeZone = 'UTC'`);
    for (const sql of macrosSql) await connection.run(sql);
    for (const view of exportViewNames) await connection.run(createTableSql(view));
    return new DuckDbWarehouse(instance, connection);
  }

  /**
   * Another connection to the same database (the acknowledgement ledger lives beside the
   * imported views), with the same session settings.
   */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return connection;
  }

  async importFile(file: ExportFile, options: ImportOptions): Promise<ImportReport> {
    const report = await importFile(this.connection, file, options);
    if (file.view === 'jobs') report.duplicatesDropped = await this.dropDuplicateJobs();
    return report;
  }

  /** The same job exported twice (overlapping exports) must not be billed twice. */
  private async dropDuplicateJobs(): Promise<number> {
    const reader = await this.connection.runAndReadAll(
      `DELETE FROM jobs WHERE rowid IN (
         SELECT rowid FROM (
           SELECT rowid, row_number() OVER (PARTITION BY project_id, job_id ORDER BY _source, _line) AS n FROM jobs
         ) WHERE n > 1)`,
    );
    return Number(reader.getRowsJS()[0]?.[0] ?? 0);
  }

  async clear(views: readonly ExportView[] = exportViewNames): Promise<void> {
    for (const view of views) await this.connection.run(`DELETE FROM ${quoteIdent(view)}`);
  }

  async rowCount(view: ExportView): Promise<number> {
    const reader = await this.connection.runAndReadAll(`SELECT count(*) FROM ${quoteIdent(view)}`);
    return Number(reader.getRowsJS()[0]?.[0] ?? 0);
  }

  async costFacts(window: TimeWindow): Promise<CostFact[]> {
    const rows = await this.query('cost-facts', windowParams(window));
    return rows.map(toCostFact);
  }

  /**
   * The catalogue's cost-facts query filtered on its `dimension` column. The dimensions are
   * written into the SQL as literals (each checked against the closed list first): with
   * constants DuckDB drops the UNION ALL branches not asked for (EXPLAIN: 2 of 7 aggregations
   * left for total + user), which it cannot know from a bound parameter.
   */
  async costFactsFor(
    window: TimeWindow,
    dimensions: readonly FactDimension[],
  ): Promise<CostFact[]> {
    const wanted = [...new Set(dimensions)];
    for (const dimension of wanted) {
      if (!factDimensions.includes(dimension))
        throw new AppError('warehouse.invalidDimension', `not a fact dimension: ${dimension}`);
    }
    if (wanted.length === 0) return [];
    const inner = renderQuery('cost-facts', { dialect: 'duckdb', tables: localTables });
    const list = wanted.map((d) => `'${d}'`).join(', ');
    const sql = `SELECT * FROM (\n${inner}\n) AS facts WHERE dimension IN (${list})`;
    const reader = await this.connection.runAndReadAll(sql, windowParams(window));
    return (reader.getRowObjectsJS() as Record<string, unknown>[]).map(toCostFact);
  }

  async tableStorage(): Promise<TableStorageFact[]> {
    const rows = await this.query('table-storage', {});
    return rows.map((r) => ({
      projectId: String(r.project_id),
      datasetId: String(r.dataset_id),
      tableId: String(r.table_id),
      tableType: nullableString(r.table_type),
      creationTime: nullableDate(r.creation_time),
      storageLastModifiedTime: nullableDate(r.storage_last_modified_time),
      totalRows: Number(r.total_rows),
      totalPartitions: Number(r.total_partitions),
      totalLogicalBytes: Number(r.total_logical_bytes),
      activeLogicalBytes: Number(r.active_logical_bytes),
      longTermLogicalBytes: Number(r.long_term_logical_bytes),
      totalPhysicalBytes: Number(r.total_physical_bytes),
      activePhysicalBytes: Number(r.active_physical_bytes),
      longTermPhysicalBytes: Number(r.long_term_physical_bytes),
      timeTravelPhysicalBytes: Number(r.time_travel_physical_bytes),
      failSafePhysicalBytes: Number(r.fail_safe_physical_bytes),
      storageBillingModelOption: nullableString(r.storage_billing_model),
    }));
  }

  async reservationCapacity(window: TimeWindow): Promise<ReservationCapacityFact[]> {
    const rows = await this.query('reservation-capacity', windowParams(window));
    return rows.map((r) => ({
      day: dayString(r.day),
      reservationId: String(r.reservation_id),
      edition: nullableString(r.edition),
      baselineSlotHours: Number(r.baseline_slot_hours),
      autoscaleSlotHours: Number(r.autoscale_slot_hours),
      minutes: Number(r.minutes),
    }));
  }

  async queryPatterns(window: TimeWindow, limit: number): Promise<QueryPatternFact[]> {
    checkPatternLimit(limit);
    const rows = await this.query('query-patterns', {
      ...windowParams(window),
      limit: BigInt(limit),
    });
    if (rows.length === 0) return [];
    const patterns = rows.map((r) => ({
      hash: String(r.query_hash),
      runs: Number(r.runs),
      onDemandBytesBilled: Number(r.on_demand_bytes_billed),
      reservationSlotMs: Number(r.reservation_slot_ms),
      bytesProcessed: Number(r.bytes_processed),
      maxBytesBilled: Number(r.max_bytes_billed),
      activeDays: Number(r.active_days),
      distinctUsers: Number(r.distinct_users),
      projectId: String(r.project_id),
      userEmail: nullableString(r.user_email),
      firstSeen: requiredDate(r.first_seen),
      lastSeen: requiredDate(r.last_seen),
      statementType: nullableString(r.statement_type),
      sampleQuery: nullableString(r.sample_query),
      sampleJobId: String(r.sample_job_id),
    }));
    const tables = await this.query(
      'pattern-tables',
      {
        ...windowParams(window),
        hashes: listValue(patterns.map((p) => p.hash)),
        tables_per_pattern: BigInt(tablesPerPattern),
      },
      { hashes: LIST(VARCHAR) },
    );
    return withReferencedTables(
      patterns,
      tables.map((r) => ({
        hash: String(r.query_hash),
        table: String(r.table_name),
        runs: Number(r.runs),
      })),
    );
  }

  async scriptSamples(window: TimeWindow, limit: number): Promise<ScriptSampleFact[]> {
    checkScriptLimit(limit);
    const rows = await this.query('script-samples', {
      ...windowParams(window),
      limit: BigInt(limit),
    });
    return rows.map((r) => ({
      key: String(r.key),
      runs: Number(r.runs),
      sampleQuery: String(r.sample_query),
      projectId: String(r.project_id),
      sampleJobId: String(r.sample_job_id),
      lastSeen: requiredDate(r.last_seen),
    }));
  }

  async tableUsage(window: TimeWindow): Promise<TableUsageFact[]> {
    const rows = await this.query('table-usage', windowParams(window));
    return rows.map((r) => ({
      table: String(r.table_name),
      reads: Number(r.reads),
      readDays: Number(r.read_days),
      lastRead: nullableDate(r.last_read),
      readOnDemandBytesBilled: Number(r.read_on_demand_bytes_billed),
      writes: Number(r.writes),
      lastWrite: nullableDate(r.last_write),
    }));
  }

  async bytesDistribution(window: TimeWindow): Promise<BytesDistributionFact[]> {
    const rows = await this.query('bytes-distribution', windowParams(window));
    return rows.map((r) => ({
      scope: String(r.scope) as BytesDistributionFact['scope'],
      key: String(r.key),
      jobs: Number(r.jobs),
      quantiles: (r.quantiles as unknown[]).map(Number),
      maxJobId: nullableString(r.max_job_id),
    }));
  }

  async dataRange(): Promise<DataRange> {
    const [row] = await this.query('data-range', {});
    return {
      firstCreationTime: nullableDate(row?.first_creation_time),
      lastCreationTime: nullableDate(row?.last_creation_time),
      jobs: Number(row?.jobs ?? 0),
    };
  }

  async jobById(jobId: string): Promise<JobDetail | null> {
    const [row] = await this.query('job-by-id', { job_id: jobId });
    if (!row) return null;
    const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      jobId,
      creationTime: requiredDate(row.creation_time),
      projectId: String(row.project_id),
      userEmail: nullableString(row.user_email),
      statementType: nullableString(row.statement_type),
      bytesBilled: nullableNumber(row.total_bytes_billed),
      slotMs: nullableNumber(row.total_slot_ms),
      queryHash: nullableString(row.query_hash),
      query: nullableString(row.query),
    };
  }

  /** Runs a catalogue query rendered for DuckDB; exposed for tests of the shared SQL. */
  async query(
    name: QueryName,
    params: Record<string, DuckDBValue>,
    types?: Record<string, DuckDBType>,
  ): Promise<Record<string, unknown>[]> {
    const sql = renderQuery(name, { dialect: 'duckdb', tables: localTables });
    const reader = await this.connection.runAndReadAll(sql, params, types);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Raw SQL against the embedded copy (tests, `bqcost` diagnostics). */
  async sql(
    text: string,
    params: Record<string, DuckDBValue> = {},
  ): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(text, params);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /**
   * No dry run here: the embedded copy holds job history, not the tables a statement reads, so
   * DuckDB cannot say what BigQuery would scan. The caller estimates from table sizes.
   */
  dryRun(_sql: string): Promise<DryRunResult | null> {
    return Promise.resolve(null);
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

const factDimensions: readonly FactDimension[] = [
  'total',
  'user',
  'project',
  'label',
  'query_pattern',
  'table',
];

function toCostFact(r: Record<string, unknown>): CostFact {
  return {
    day: dayString(r.day),
    dimension: String(r.dimension) as FactDimension,
    key: String(r.key),
    reservationId: nullableString(r.reservation_id),
    edition: nullableString(r.edition),
    jobs: Number(r.jobs),
    onDemandBytesBilled: Number(r.on_demand_bytes_billed),
    reservationSlotMs: Number(r.reservation_slot_ms),
    onDemandSlotMs: Number(r.on_demand_slot_ms),
  };
}

function windowParams(window: TimeWindow): Record<string, DuckDBValue> {
  return { start: toTimestamp(window.start), end: toTimestamp(window.end) };
}

function toTimestamp(date: Date) {
  return timestampValue(BigInt(date.getTime()) * 1000n);
}

function dayString(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function requiredDate(value: unknown): Date {
  const date = nullableDate(value);
  if (date === null) throw new Error(`expected a timestamp, got ${String(value)}`);
  return date;
}

function nullableDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const date = new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
