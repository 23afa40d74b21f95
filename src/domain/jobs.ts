import { z } from 'zod';
import type { ColumnSpec, ColumnType } from './columns.js';
import {
  jobColumns,
  reservationsTimelineColumns,
  schemataOptionColumns,
  tableStorageColumns,
} from './columns.js';
import { parseBqTimestamp } from './timestamps.js';

// Lenient readers for the export formats: INT64 arrives as a JSON string or number, BOOL as a
// bool or "true"/"false", TIMESTAMP in any shape parseBqTimestamp knows.

const int64 = z.preprocess((value) => {
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return value;
}, z.number().int());

const float64 = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
  z.number().refine(Number.isFinite, 'not a finite number'),
);

const bool = z.preprocess((value) => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}, z.boolean());

const timestamp = z.preprocess(
  (value) => parseBqTimestamp(value) ?? value,
  z.date({ error: 'not a timestamp (expected RFC 3339, "… UTC" or epoch seconds)' }),
);

export const tableRefSchema = z.object({
  project_id: z.string().nullish(),
  dataset_id: z.string(),
  table_id: z.string(),
});
export type TableRef = z.infer<typeof tableRefSchema>;

export const labelSchema = z.object({ key: z.string(), value: z.string().nullish() });
export type Label = z.infer<typeof labelSchema>;

const nested: Record<
  Exclude<ColumnType, 'string' | 'int64' | 'float64' | 'bool' | 'timestamp'>,
  z.ZodType
> = {
  table_ref: tableRefSchema,
  table_refs: z.array(tableRefSchema),
  labels: z.array(labelSchema),
  error_result: z.object({
    reason: z.string().nullish(),
    location: z.string().nullish(),
    message: z.string().nullish(),
  }),
  query_info: z.object({
    query_hashes: z.object({ normalized_literals: z.string().nullish() }).nullish(),
  }),
  autoscale: z.object({ current_slots: int64.nullish(), max_slots: int64.nullish() }),
};

const scalars = { string: z.string(), int64, float64, bool, timestamp } as const;

function schemaFor(columns: readonly ColumnSpec[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const column of columns) {
    const base =
      column.type in scalars
        ? scalars[column.type as keyof typeof scalars]
        : nested[column.type as keyof typeof nested];
    shape[column.name] = column.required ? base : base.nullish();
  }
  return z.object(shape);
}

export interface JobRow {
  creation_time: Date;
  start_time?: Date | null;
  end_time?: Date | null;
  project_id: string;
  user_email?: string | null;
  principal_subject?: string | null;
  job_id: string;
  parent_job_id?: string | null;
  job_type?: string | null;
  statement_type?: string | null;
  priority?: string | null;
  state?: string | null;
  error_result?: {
    reason?: string | null;
    location?: string | null;
    message?: string | null;
  } | null;
  cache_hit?: boolean | null;
  total_bytes_processed?: number | null;
  total_bytes_billed?: number | null;
  total_slot_ms?: number | null;
  reservation_id?: string | null;
  edition?: string | null;
  query?: string | null;
  query_info?: { query_hashes?: { normalized_literals?: string | null } | null } | null;
  referenced_tables?: TableRef[] | null;
  destination_table?: TableRef | null;
  labels?: Label[] | null;
}

export interface TableStorageRow {
  project_id: string;
  table_schema: string;
  table_name: string;
  creation_time?: Date | null;
  total_rows?: number | null;
  total_partitions?: number | null;
  total_logical_bytes?: number | null;
  active_logical_bytes?: number | null;
  long_term_logical_bytes?: number | null;
  total_physical_bytes?: number | null;
  active_physical_bytes?: number | null;
  long_term_physical_bytes?: number | null;
  time_travel_physical_bytes?: number | null;
  fail_safe_physical_bytes?: number | null;
  storage_last_modified_time?: Date | null;
  table_type?: string | null;
}

export interface SchemataOptionRow {
  catalog_name: string;
  schema_name: string;
  option_name: string;
  option_type?: string | null;
  option_value?: string | null;
}

export interface ReservationsTimelineRow {
  period_start: Date;
  project_id?: string | null;
  reservation_id: string;
  reservation_name?: string | null;
  edition?: string | null;
  slots_assigned?: number | null;
  autoscale?: { current_slots?: number | null; max_slots?: number | null } | null;
}

export const jobRowSchema = schemaFor(jobColumns) as unknown as z.ZodType<JobRow>;
export const tableStorageRowSchema = schemaFor(
  tableStorageColumns,
) as unknown as z.ZodType<TableStorageRow>;
export const schemataOptionRowSchema = schemaFor(
  schemataOptionColumns,
) as unknown as z.ZodType<SchemataOptionRow>;
export const reservationsTimelineRowSchema = schemaFor(
  reservationsTimelineColumns,
) as unknown as z.ZodType<ReservationsTimelineRow>;

export type Edition = 'STANDARD' | 'ENTERPRISE' | 'ENTERPRISE_PLUS';
export const editions: readonly Edition[] = ['STANDARD', 'ENTERPRISE', 'ENTERPRISE_PLUS'];

/** `default-pipeline` is the free shared pool that load/extract jobs report; it bills nothing. */
export const freeSharedReservationId = 'default-pipeline';

export function tableRefKey(ref: TableRef, defaultProject?: string): string {
  return `${ref.project_id ?? defaultProject ?? ''}.${ref.dataset_id}.${ref.table_id}`;
}
