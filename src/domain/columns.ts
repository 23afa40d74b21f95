// Column descriptors shared by every representation of an INFORMATION_SCHEMA view: the zod
// schemas below, the embedded warehouse's DDL and import SQL, and (later) the BigQuery table
// schemas. One list per view, so a column added here reaches every place at once.

export type ScalarType = 'string' | 'int64' | 'float64' | 'bool' | 'timestamp';
export type NestedType =
  | 'table_ref' // STRUCT<project_id, dataset_id, table_id>
  | 'table_refs' // ARRAY<STRUCT<project_id, dataset_id, table_id>>
  | 'labels' // ARRAY<STRUCT<key, value>>
  | 'error_result' // STRUCT<reason, location, message>
  | 'query_info' // STRUCT<query_hashes STRUCT<normalized_literals>>
  | 'autoscale'; // STRUCT<current_slots, max_slots>
export type ColumnType = ScalarType | NestedType;

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** A row without this column (or with null) is rejected by importers. */
  readonly required: boolean;
}

const col = (name: string, type: ColumnType, required = false): ColumnSpec => ({
  name,
  type,
  required,
});

export const jobColumns: readonly ColumnSpec[] = [
  col('creation_time', 'timestamp', true),
  col('start_time', 'timestamp'),
  col('end_time', 'timestamp'),
  col('project_id', 'string', true),
  col('user_email', 'string'),
  col('principal_subject', 'string'),
  col('job_id', 'string', true),
  col('parent_job_id', 'string'),
  col('job_type', 'string'),
  col('statement_type', 'string'),
  col('priority', 'string'),
  col('state', 'string'),
  col('error_result', 'error_result'),
  col('cache_hit', 'bool'),
  col('total_bytes_processed', 'int64'),
  col('total_bytes_billed', 'int64'),
  col('total_slot_ms', 'int64'),
  col('reservation_id', 'string'),
  col('edition', 'string'),
  col('query', 'string'),
  col('query_info', 'query_info'),
  col('referenced_tables', 'table_refs'),
  col('destination_table', 'table_ref'),
  col('labels', 'labels'),
];

export const tableStorageColumns: readonly ColumnSpec[] = [
  col('project_id', 'string', true),
  col('table_schema', 'string', true),
  col('table_name', 'string', true),
  col('creation_time', 'timestamp'),
  col('total_rows', 'int64'),
  col('total_partitions', 'int64'),
  col('total_logical_bytes', 'int64'),
  col('active_logical_bytes', 'int64'),
  col('long_term_logical_bytes', 'int64'),
  col('total_physical_bytes', 'int64'),
  col('active_physical_bytes', 'int64'),
  col('long_term_physical_bytes', 'int64'),
  col('time_travel_physical_bytes', 'int64'),
  col('fail_safe_physical_bytes', 'int64'),
  col('storage_last_modified_time', 'timestamp'),
  col('table_type', 'string'),
];

export const schemataOptionColumns: readonly ColumnSpec[] = [
  col('catalog_name', 'string', true),
  col('schema_name', 'string', true),
  col('option_name', 'string', true),
  col('option_type', 'string'),
  col('option_value', 'string'),
];

export const reservationsTimelineColumns: readonly ColumnSpec[] = [
  col('period_start', 'timestamp', true),
  col('project_id', 'string'),
  col('reservation_id', 'string', true),
  col('reservation_name', 'string'),
  col('edition', 'string'),
  col('slots_assigned', 'int64'),
  col('autoscale', 'autoscale'),
  // Billed autoscale slot-seconds in the minute (added to the view in 2026); `autoscale` is only
  // a snapshot and can change within the minute.
  col('period_autoscale_slot_seconds', 'int64'),
];

/** The export views `bqcost analyze --from <dir>` understands, keyed by file-name prefix. */
export const exportViews = {
  jobs: jobColumns,
  table_storage: tableStorageColumns,
  schemata_options: schemataOptionColumns,
  reservations_timeline: reservationsTimelineColumns,
} as const;

export type ExportView = keyof typeof exportViews;
export const exportViewNames = Object.keys(exportViews) as ExportView[];
