// A deterministic demo organisation ("acme"): INFORMATION_SCHEMA export rows for JOBS,
// TABLE_STORAGE, SCHEMATA_OPTIONS and RESERVATIONS_TIMELINE, with planted waste, traps and
// anomalies that `demoTruth` describes. Pure: no I/O, no clock, no Math.random — the same
// options give the same rows, byte for byte.
//
// Rows are in the shape `EXPORT DATA ... FORMAT='JSON'` writes: INT64 as strings, TIMESTAMP as
// `2026-10-02 03:04:05.123456 UTC`, NULL as null. Every (stream, day) pair draws from its own
// PRNG, so one part of the organisation can be regenerated without the rest.
//
// Speed matters (the benchmark generates a million jobs): query texts are rendered once per
// pattern and day, nested values (referenced tables, labels, query_info, errors) are shared
// frozen objects, and timestamps are formatted by hand.

export interface DemoOptions {
  seed: number;
  days: number;
  jobsPerDay: number;
  /** Exclusive end of the generated period; must be a UTC midnight. */
  end: Date;
}

export type TableRefRow = { project_id: string; dataset_id: string; table_id: string };
export type LabelRow = { key: string; value: string };
export type ErrorResultRow = { reason: string; location: string | null; message: string };
export type QueryInfoRow = { query_hashes: { normalized_literals: string } };

export type JobExportRow = {
  creation_time: string;
  start_time: string;
  end_time: string;
  project_id: string;
  user_email: string;
  principal_subject: string;
  job_id: string;
  parent_job_id: string | null;
  job_type: 'QUERY' | 'LOAD' | 'COPY' | 'EXTRACT';
  statement_type: string | null;
  priority: 'INTERACTIVE' | 'BATCH';
  state: 'DONE';
  error_result: ErrorResultRow | null;
  cache_hit: boolean;
  total_bytes_processed: string | null;
  total_bytes_billed: string | null;
  total_slot_ms: string | null;
  reservation_id: string | null;
  edition: string | null;
  query: string | null;
  query_info: QueryInfoRow | null;
  referenced_tables: readonly TableRefRow[];
  destination_table: TableRefRow | null;
  labels: readonly LabelRow[];
};

export type TableStorageExportRow = {
  project_id: string;
  table_schema: string;
  table_name: string;
  creation_time: string;
  total_rows: string;
  total_partitions: string;
  total_logical_bytes: string;
  active_logical_bytes: string;
  long_term_logical_bytes: string;
  total_physical_bytes: string;
  active_physical_bytes: string;
  long_term_physical_bytes: string;
  time_travel_physical_bytes: string;
  fail_safe_physical_bytes: string;
  storage_last_modified_time: string;
  table_type: 'BASE TABLE';
};

export type SchemataOptionExportRow = {
  catalog_name: string;
  schema_name: string;
  option_name: string;
  option_type: string;
  option_value: string;
};

export type ReservationsTimelineExportRow = {
  period_start: string;
  project_id: string;
  project_number: string;
  reservation_id: string;
  reservation_name: string;
  edition: string;
  ignore_idle_slots: boolean;
  labels: readonly LabelRow[];
  slots_assigned: string;
  slots_max_assigned: string;
  autoscale: { current_slots: string; max_slots: string };
  /** Billed autoscale slot-seconds in the minute. */
  period_autoscale_slot_seconds: string;
};

/** Counts and usage gathered while `generateJobs` runs; pass it on to avoid a second pass. */
export interface DemoTally {
  complete: boolean;
  jobs: number;
  scriptParents: number;
  cacheHits: number;
  failed: number;
  reservationJobs: number;
  unlabeled: number;
  runawayJobIds: string[];
  /** Used slot-ms per reservation id and minute of the period (children only, never SCRIPT rows). */
  usageSlotMs: Record<string, Float64Array>;
}

export function createDemoTally(): DemoTally {
  return {
    complete: false,
    jobs: 0,
    scriptParents: 0,
    cacheHits: 0,
    failed: 0,
    reservationJobs: 0,
    unlabeled: 0,
    runawayJobIds: [],
    usageSlotMs: {},
  };
}

// ---------------------------------------------------------------------------------------------
// Units, randomness, hashing, timestamps

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TiB = 2 ** 40;
const usPerSecond = 1e6;
const usPerMinute = 60e6;
const usPerHour = 3.6e9;
const usPerDay = 86.4e9;
const msPerDay = 86_400_000;
const minutesPerDay = 1440;

/** mulberry32: small, fast, good enough for synthetic data. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  float(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  range(min: number, max: number): number {
    return min + (max - min) * this.float();
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

class Weighted<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;
  constructor(
    private readonly items: readonly T[],
    weights: readonly number[],
  ) {
    let sum = 0;
    for (const weight of weights) this.cumulative.push((sum += weight));
    this.total = sum;
  }
  pick(rng: Rng): T {
    const x = rng.float() * this.total;
    for (let i = 0; i < this.cumulative.length; i++)
      if (x < this.cumulative[i]!) return this.items[i]!;
    return this.items[this.items.length - 1]!;
  }
}

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function seedFor(seed: number, a: number, b: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  let h = mix32(lo ^ 0x9e3779b9) ^ mix32(hi + 0x7f4a7c15);
  h = mix32(h ^ Math.imul(a + 1, 0x27d4eb2f));
  return mix32(h ^ Math.imul(b + 1, 0x165667b1));
}

/** An invertible scramble of 32 bits, so distinct inputs give distinct job ids. */
function permute32(x: number, key: number): number {
  x = (x ^ key) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

// Number#toString(16) is slow on the hot path; two table lookups are not.
const hex16Bits = Array.from({ length: 65536 }, (_, i) => i.toString(16).padStart(4, '0'));

function hex8(x: number): string {
  return hex16Bits[x >>> 16]! + hex16Bits[x & 0xffff]!;
}

/** Two independent 32-bit FNV-style lanes, finalised: a 64-bit hex digest of a query template. */
function hash64Hex(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return hex8(mix32(a)) + hex8(mix32(b ^ a));
}

function isoDay(epochDay: number): string {
  return new Date(epochDay * msPerDay).toISOString().slice(0, 10);
}

const twoDigits = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** `YYYY-MM-DD hh:mm:ss.ffffff UTC` from integer microseconds since the epoch. */
class TimestampFormatter {
  private day = Number.NaN;
  private prefix = '';
  format(us: number): string {
    const day = Math.floor(us / usPerDay);
    if (day !== this.day) {
      this.day = day;
      this.prefix = `${isoDay(day)} `;
    }
    let rest = us - day * usPerDay;
    const hours = Math.floor(rest / usPerHour);
    rest -= hours * usPerHour;
    const minutes = Math.floor(rest / usPerMinute);
    rest -= minutes * usPerMinute;
    const seconds = Math.floor(rest / usPerSecond);
    const micros = rest - seconds * usPerSecond;
    return `${this.prefix}${twoDigits[hours]}:${twoDigits[minutes]}:${twoDigits[seconds]}.${String(micros + 1e6).slice(1)} UTC`;
  }
}

function roundToStep(value: number, step: number): number {
  return Math.round(value / step) * step;
}

// ---------------------------------------------------------------------------------------------
// The organisation: projects, people, reservations, datasets and tables

const adminProject = 'acme-admin';
const adminProjectNumber = '418275036912';

type Edition = 'STANDARD' | 'ENTERPRISE' | 'ENTERPRISE_PLUS';

interface ReservationDef {
  name: string;
  id: string;
  edition: Edition;
  /** At the default 800 jobs/day; scaled with jobsPerDay in steps of 50. */
  baselineSlotsAt800: number;
  autoscaleMaxSlotsAt800: number;
  minBaselineSlots: number;
  minAutoscaleMaxSlots: number;
}

const reservationDefs = {
  etl: {
    name: 'etl',
    id: `${adminProject}:US.etl`,
    edition: 'ENTERPRISE',
    baselineSlotsAt800: 0,
    autoscaleMaxSlotsAt800: 600,
    minBaselineSlots: 0,
    // Room for one ETL statement's own parallelism at any scale.
    minAutoscaleMaxSlots: 400,
  },
  finance: {
    name: 'finance',
    id: `${adminProject}:US.finance`,
    edition: 'ENTERPRISE_PLUS',
    baselineSlotsAt800: 100,
    autoscaleMaxSlotsAt800: 100,
    minBaselineSlots: 100,
    minAutoscaleMaxSlots: 100,
  },
} as const satisfies Record<string, ReservationDef>;

const reservationList: readonly ReservationDef[] = [reservationDefs.etl, reservationDefs.finance];

interface ReservationSize {
  baselineSlots: number;
  autoscaleMaxSlots: number;
}

function reservationSize(def: ReservationDef, jobsPerDay: number): ReservationSize {
  const scale = jobsPerDay / 800;
  return {
    baselineSlots: Math.max(def.minBaselineSlots, roundToStep(def.baselineSlotsAt800 * scale, 50)),
    autoscaleMaxSlots: Math.max(
      def.minAutoscaleMaxSlots,
      roundToStep(def.autoscaleMaxSlotsAt800 * scale, 50),
    ),
  };
}

interface ProjectDef {
  id: string;
  reservation: ReservationDef | null;
}

const projects = {
  analytics: { id: 'acme-analytics', reservation: null },
  etl: { id: 'acme-etl', reservation: reservationDefs.etl },
  ml: { id: 'acme-ml', reservation: null },
  marketing: { id: 'acme-marketing', reservation: null },
  finance: { id: 'acme-finance', reservation: reservationDefs.finance },
} as const satisfies Record<string, ProjectDef>;

interface Actor {
  email: string;
  principal: string;
}

const person = (name: string): Actor => ({
  email: `${name}@acme.example`,
  principal: `user:${name}@acme.example`,
});
const serviceAccount = (name: string, project: string): Actor => {
  const email = `${name}@${project}.iam.gserviceaccount.com`;
  return { email, principal: `serviceAccount:${email}` };
};

const robots = {
  looker: serviceAccount('looker', 'acme-analytics'),
  etl: serviceAccount('etl-runner', 'acme-etl'),
  weeklyReports: serviceAccount('weekly-reports', 'acme-analytics'),
  segmentSync: serviceAccount('segment-sync', 'acme-marketing'),
  mlPipeline: serviceAccount('ml-pipeline', 'acme-ml'),
  recon: serviceAccount('recon', 'acme-finance'),
  crmApi: serviceAccount('crm-api', 'acme-analytics'),
};

const runawayAnalyst = person('marcus.webb');
const spikeAnalyst = person('priya.shah');

type StorageModel = 'LOGICAL' | 'PHYSICAL';

interface DatasetDef {
  project: string;
  dataset: string;
  model: StorageModel;
  description: string;
  /** Extra SCHEMATA_OPTIONS rows: [option_name, option_type, option_value]. */
  options?: readonly (readonly [string, string, string])[];
}

const datasetDefs: readonly DatasetDef[] = [
  {
    project: 'acme-analytics',
    dataset: 'reporting',
    model: 'LOGICAL',
    description: 'Curated reporting tables behind the BI dashboards',
    options: [['labels', 'ARRAY<STRUCT<STRING, STRING>>', '[STRUCT("team", "bi")]']],
  },
  {
    project: 'acme-analytics',
    dataset: 'sales',
    model: 'LOGICAL',
    description: 'Orders, order items and customers (system of record replica)',
  },
  {
    project: 'acme-analytics',
    dataset: 'logs',
    model: 'LOGICAL',
    description: 'Sessionised application events',
  },
  {
    project: 'acme-analytics',
    dataset: 'raw_logs',
    model: 'LOGICAL',
    description: 'Raw clickstream and mobile events, append-only',
    options: [['labels', 'ARRAY<STRUCT<STRING, STRING>>', '[STRUCT("team", "data-eng")]']],
  },
  {
    project: 'acme-analytics',
    dataset: 'archive',
    model: 'LOGICAL',
    description: 'Historical extracts kept for audits',
  },
  { project: 'acme-etl', dataset: 'ops', model: 'LOGICAL', description: 'Pipeline bookkeeping' },
  {
    project: 'acme-etl',
    dataset: 'backup',
    model: 'LOGICAL',
    description: 'Short-lived table snapshots',
    options: [['default_table_expiration_days', 'FLOAT64', '14.0']],
  },
  {
    project: 'acme-ml',
    dataset: 'feature_store',
    model: 'LOGICAL',
    description: 'Feature tables rebuilt by the ML pipeline',
  },
  { project: 'acme-ml', dataset: 'experiments', model: 'LOGICAL', description: 'Training sets' },
  {
    project: 'acme-marketing',
    dataset: 'events',
    model: 'LOGICAL',
    description: 'Website events from the tag manager',
  },
  {
    project: 'acme-marketing',
    dataset: 'campaigns',
    model: 'LOGICAL',
    description: 'Campaign performance and audiences',
  },
  {
    project: 'acme-finance',
    dataset: 'ledger',
    model: 'PHYSICAL',
    description: 'General ledger and payables',
    options: [['max_time_travel_hours', 'INT64', '168']],
  },
  {
    project: 'acme-finance',
    dataset: 'reporting',
    model: 'LOGICAL',
    description: 'Finance reporting marts',
  },
];

interface TableSpec {
  gib: number;
  /** 0 = unpartitioned. */
  partitions: number;
  /** Share of a partitioned table's bytes in partitions modified within 90 days. */
  activeShare?: number;
  /** Logical bytes per physical byte. */
  compression: number;
  /** Time travel as a share of active physical bytes (default 0.05). */
  timeTravelShare?: number;
  /** Fail-safe as a share of active physical bytes (default 0.05). */
  failSafeShare?: number;
  createdDaysAgo: number;
  modifiedDaysAgo: number;
  rowBytes: number;
}

interface TableDef extends TableSpec {
  project: string;
  dataset: string;
  table: string;
  key: string;
  ref: TableRefRow;
}

function tableDef(project: string, dataset: string, table: string, spec: TableSpec): TableDef {
  const ref = Object.freeze({ project_id: project, dataset_id: dataset, table_id: table });
  return { ...spec, project, dataset, table, key: `${project}.${dataset}.${table}`, ref };
}

const t = {
  ordersEnriched: tableDef('acme-analytics', 'reporting', 'orders_enriched', {
    gib: 2560,
    partitions: 1460,
    activeShare: 0.12,
    compression: 1.8,
    createdDaysAgo: 1500,
    modifiedDaysAgo: 0.03,
    rowBytes: 420,
  }),
  dailyKpis: tableDef('acme-analytics', 'reporting', 'daily_kpis', {
    gib: 0.05,
    partitions: 0,
    compression: 1.5,
    createdDaysAgo: 900,
    modifiedDaysAgo: 0.05,
    rowBytes: 120,
  }),
  funnelDaily: tableDef('acme-analytics', 'reporting', 'funnel_daily', {
    gib: 20,
    partitions: 1100,
    activeShare: 0.1,
    compression: 1.7,
    createdDaysAgo: 1150,
    modifiedDaysAgo: 0.1,
    rowBytes: 200,
  }),
  weeklyRollup: tableDef('acme-analytics', 'reporting', 'weekly_rollup', {
    gib: 6,
    partitions: 160,
    activeShare: 0.08,
    compression: 1.6,
    createdDaysAgo: 1130,
    modifiedDaysAgo: 0.4,
    rowBytes: 180,
  }),
  orders: tableDef('acme-analytics', 'sales', 'orders', {
    gib: 900,
    partitions: 2000,
    activeShare: 0.08,
    compression: 1.7,
    createdDaysAgo: 2100,
    modifiedDaysAgo: 0.04,
    rowBytes: 260,
  }),
  orderItems: tableDef('acme-analytics', 'sales', 'order_items', {
    gib: 450,
    partitions: 0,
    compression: 1.75,
    createdDaysAgo: 2100,
    modifiedDaysAgo: 0.04,
    rowBytes: 96,
  }),
  customers: tableDef('acme-analytics', 'sales', 'customers', {
    gib: 35,
    partitions: 0,
    compression: 1.6,
    createdDaysAgo: 2200,
    modifiedDaysAgo: 0.2,
    rowBytes: 1400,
  }),
  orderStatusEvents: tableDef('acme-analytics', 'sales', 'order_status_events', {
    gib: 6,
    partitions: 700,
    activeShare: 0.15,
    compression: 1.5,
    createdDaysAgo: 720,
    modifiedDaysAgo: 0.04,
    rowBytes: 64,
  }),
  appEvents: tableDef('acme-analytics', 'logs', 'app_events', {
    gib: 6144,
    partitions: 420,
    activeShare: 0.22,
    compression: 1.85,
    createdDaysAgo: 430,
    modifiedDaysAgo: 0.02,
    rowBytes: 520,
  }),
  clickstreamRaw: tableDef('acme-analytics', 'raw_logs', 'clickstream_raw', {
    gib: 28672,
    partitions: 730,
    activeShare: 0.13,
    compression: 11,
    timeTravelShare: 0.01,
    failSafeShare: 0.01,
    createdDaysAgo: 740,
    modifiedDaysAgo: 0.02,
    rowBytes: 900,
  }),
  mobileEventsRaw: tableDef('acme-analytics', 'raw_logs', 'mobile_events_raw', {
    gib: 7168,
    partitions: 540,
    activeShare: 0.17,
    compression: 9.5,
    timeTravelShare: 0.01,
    failSafeShare: 0.01,
    createdDaysAgo: 550,
    modifiedDaysAgo: 0.02,
    rowBytes: 700,
  }),
  ordersHistory: tableDef('acme-analytics', 'archive', 'orders_history', {
    gib: 3277,
    partitions: 0,
    compression: 1.7,
    createdDaysAgo: 1900,
    modifiedDaysAgo: 410,
    rowBytes: 300,
  }),
  legacyEvents2024: tableDef('acme-analytics', 'archive', 'legacy_events_2024', {
    gib: 5120,
    partitions: 366,
    activeShare: 0,
    compression: 1.8,
    createdDaysAgo: 700,
    modifiedDaysAgo: 300,
    rowBytes: 480,
  }),
  runLog: tableDef('acme-etl', 'ops', 'run_log', {
    gib: 0.005,
    partitions: 0,
    compression: 1.4,
    createdDaysAgo: 1000,
    modifiedDaysAgo: 0.02,
    rowBytes: 80,
  }),
  dailyKpisSnapshot: tableDef('acme-etl', 'backup', 'daily_kpis_snapshot', {
    gib: 0.05,
    partitions: 0,
    compression: 1.5,
    createdDaysAgo: 0.3,
    modifiedDaysAgo: 0.3,
    rowBytes: 120,
  }),
  userFeatures: tableDef('acme-ml', 'feature_store', 'user_features', {
    gib: 1843,
    partitions: 0,
    compression: 1.25,
    timeTravelShare: 0.55,
    failSafeShare: 0.5,
    createdDaysAgo: 0.2,
    modifiedDaysAgo: 0.2,
    rowBytes: 2400,
  }),
  userEmbeddings: tableDef('acme-ml', 'feature_store', 'user_embeddings', {
    gib: 60,
    partitions: 0,
    compression: 1.1,
    timeTravelShare: 0.3,
    failSafeShare: 0.3,
    createdDaysAgo: 5,
    modifiedDaysAgo: 0.5,
    rowBytes: 3100,
  }),
  trainingSetV3: tableDef('acme-ml', 'experiments', 'training_set_v3', {
    gib: 20,
    partitions: 0,
    compression: 1.6,
    createdDaysAgo: 75,
    modifiedDaysAgo: 40,
    rowBytes: 1800,
  }),
  trainingSetV1: tableDef('acme-ml', 'experiments', 'training_set_v1', {
    gib: 2253,
    partitions: 0,
    compression: 1.6,
    createdDaysAgo: 260,
    modifiedDaysAgo: 180,
    rowBytes: 1800,
  }),
  webEvents: tableDef('acme-marketing', 'events', 'web_events', {
    gib: 4608,
    partitions: 0,
    compression: 1.8,
    createdDaysAgo: 1200,
    modifiedDaysAgo: 0.02,
    rowBytes: 650,
  }),
  campaignPerformance: tableDef('acme-marketing', 'campaigns', 'campaign_performance', {
    gib: 60,
    partitions: 900,
    activeShare: 0.1,
    compression: 1.6,
    createdDaysAgo: 910,
    modifiedDaysAgo: 0.3,
    rowBytes: 300,
  }),
  audienceSegments: tableDef('acme-marketing', 'campaigns', 'audience_segments', {
    gib: 12,
    partitions: 0,
    compression: 1.5,
    createdDaysAgo: 400,
    modifiedDaysAgo: 0.02,
    rowBytes: 64,
  }),
  campaignSnapshot2025q4: tableDef('acme-marketing', 'campaigns', 'campaign_snapshot_2025q4', {
    gib: 1126,
    partitions: 0,
    compression: 1.7,
    createdDaysAgo: 230,
    modifiedDaysAgo: 225,
    rowBytes: 350,
  }),
  glEntries: tableDef('acme-finance', 'ledger', 'gl_entries', {
    gib: 2560,
    partitions: 1800,
    activeShare: 0.1,
    compression: 8,
    timeTravelShare: 0.02,
    failSafeShare: 0.02,
    createdDaysAgo: 1850,
    modifiedDaysAgo: 0.1,
    rowBytes: 240,
  }),
  apInvoices: tableDef('acme-finance', 'ledger', 'ap_invoices', {
    gib: 80,
    partitions: 1500,
    activeShare: 0.12,
    compression: 7,
    timeTravelShare: 0.02,
    failSafeShare: 0.02,
    createdDaysAgo: 1600,
    modifiedDaysAgo: 0.3,
    rowBytes: 500,
  }),
  costCenters: tableDef('acme-finance', 'reporting', 'cost_centers', {
    gib: 0.002,
    partitions: 0,
    compression: 1.3,
    createdDaysAgo: 1300,
    modifiedDaysAgo: 60,
    rowBytes: 200,
  }),
  pnlMonthly: tableDef('acme-finance', 'reporting', 'pnl_monthly', {
    gib: 1.5,
    partitions: 0,
    compression: 1.5,
    createdDaysAgo: 1300,
    modifiedDaysAgo: 1,
    rowBytes: 150,
  }),
};

const tableList: readonly TableDef[] = Object.values(t);

const path = (table: TableDef) => `\`${table.key}\``;

// ---------------------------------------------------------------------------------------------
// Query patterns. `{name}` marks a literal: the normalized hash is taken over the template with
// every literal replaced by `?`, so runs with other literals share a hash, as BigQuery's do.

export type DemoAntipatternRule =
  | 'select_star'
  | 'semi_join_without_aggregation'
  | 'cte_referenced_multiple_times'
  | 'order_by_without_limit'
  | 'regexp_contains_instead_of_like'
  | 'latest_record_with_analytic_function'
  | 'dynamic_predicate'
  | 'missing_drop_temp_table'
  | 'missing_partition_filter'
  | 'unpartitioned_date_filter';

interface PatternDef {
  sql: string;
  statementType: string;
  reads: readonly TableDef[];
  writes?: TableDef;
  /** Median bytes processed per run. */
  gib: number;
  /** Log-normal spread of bytes processed. */
  spread?: number;
  slotHoursPerTib: number;
  /** Typical parallelism, which turns slot-ms into wall time. */
  avgSlots?: number;
  /** Literal sets rendered per day; 1 = the same text all day (dashboards). */
  variants?: number;
}

interface Pattern extends PatternDef {
  id: string;
  index: number;
  hash: string;
  refs: readonly TableRefRow[];
  dest: TableRefRow | null;
  queryInfo: QueryInfoRow;
  renderedDay: number;
  texts: string[];
}

const patternDefs = {
  dashExecRevenue: {
    sql: `SELECT
  o.order_date,
  o.region,
  o.channel,
  SUM(o.net_revenue) AS revenue,
  APPROX_COUNT_DISTINCT(o.customer_id) AS customers
FROM ${path(t.ordersEnriched)} AS o
WHERE o.order_date >= '{d90}'
GROUP BY o.order_date, o.region, o.channel`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 80,
    spread: 0.04,
    slotHoursPerTib: 500,
    avgSlots: 1200,
    variants: 1,
  },
  dashMarketingFunnel: {
    sql: `SELECT
  report_date,
  channel,
  STRUCT(sessions, product_views, add_to_carts, purchases) AS funnel,
  SAFE_DIVIDE(purchases, sessions) AS conversion_rate
FROM ${path(t.funnelDaily)}
WHERE report_date BETWEEN '{d30}' AND '{d1}'`,
    statementType: 'SELECT',
    reads: [t.funnelDaily],
    gib: 3,
    spread: 0.05,
    slotHoursPerTib: 250,
    avgSlots: 200,
    variants: 1,
  },
  dashAppHealth: {
    sql: `SELECT
  app_version,
  event_name,
  COUNT(*) AS events,
  COUNTIF(severity = 'ERROR') AS errors
FROM ${path(t.appEvents)}
WHERE event_name IN ('app_start', 'crash', 'payment_failed')
GROUP BY app_version, event_name`,
    statementType: 'SELECT',
    reads: [t.appEvents],
    gib: 420,
    spread: 0.03,
    slotHoursPerTib: 150,
    avgSlots: 1500,
    variants: 1,
  },
  dashFinancePnl: {
    sql: `SELECT
  FORMAT_DATE('%Y-%m', g.posting_date) AS fiscal_month,
  c.cost_center_name,
  SUM(g.amount_usd) AS amount_usd
FROM ${path(t.glEntries)} AS g
JOIN ${path(t.costCenters)} AS c USING (cost_center_id)
WHERE g.posting_date >= '{m0}'
GROUP BY fiscal_month, c.cost_center_name`,
    statementType: 'SELECT',
    reads: [t.glEntries, t.costCenters],
    gib: 12,
    spread: 0.1,
    slotHoursPerTib: 300,
    avgSlots: 100,
    variants: 1,
  },
  recon: {
    sql: `SELECT
  h.order_id,
  h.amount_usd AS order_amount_usd,
  g.amount_usd AS ledger_amount_usd
FROM ${path(t.ordersHistory)} AS h
LEFT JOIN (
  SELECT source_document_id, SUM(amount_usd) AS amount_usd
  FROM ${path(t.glEntries)}
  WHERE posting_date >= '{d90}'
  GROUP BY source_document_id
) AS g
  ON g.source_document_id = h.order_id
WHERE h.status = 'SETTLED'
  AND (g.amount_usd IS NULL OR g.amount_usd != h.amount_usd)`,
    statementType: 'SELECT',
    reads: [t.ordersHistory, t.glEntries],
    gib: 150,
    spread: 0.05,
    slotHoursPerTib: 100,
    avgSlots: 150,
    variants: 1,
  },
  rollupStoreSales: {
    sql: `INSERT INTO ${path(t.weeklyRollup)} (week_start, region, channel, orders, revenue)
SELECT
  DATE_TRUNC(order_date, WEEK(MONDAY)) AS week_start,
  region,
  channel,
  COUNT(*) AS orders,
  SUM(gross_amount - discount_amount) AS revenue
FROM ${path(t.orders)}
WHERE order_date >= '{d7}'
  AND store_id BETWEEN {n}000 AND {n}999
GROUP BY week_start, region, channel`,
    statementType: 'INSERT',
    reads: [t.orders],
    writes: t.weeklyRollup,
    gib: 38,
    slotHoursPerTib: 350,
    avgSlots: 300,
  },
  rollupChannelMix: {
    sql: `SELECT
  channel,
  region,
  SUM(net_revenue) AS revenue,
  APPROX_COUNT_DISTINCT(customer_id) AS customers
FROM ${path(t.ordersEnriched)}
WHERE order_date BETWEEN '{d7}' AND '{d1}'
GROUP BY channel, region`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 45,
    slotHoursPerTib: 350,
    avgSlots: 300,
  },
  rollupCustomerCohorts: {
    sql: `SELECT
  DATE_TRUNC(c.signup_date, MONTH) AS cohort_month,
  COUNT(*) AS orders,
  SUM(o.gross_amount) AS gross_revenue
FROM ${path(t.orders)} AS o
JOIN ${path(t.customers)} AS c USING (customer_id)
WHERE o.order_date >= '{d7}'
  AND c.segment IN ('consumer', 'smb')
GROUP BY cohort_month`,
    statementType: 'SELECT',
    reads: [t.orders, t.customers],
    gib: 52,
    slotHoursPerTib: 350,
    avgSlots: 300,
  },
  rollupCategory: {
    sql: `SELECT
  category,
  region,
  SUM(net_revenue) AS revenue,
  SUM(units) AS units
FROM ${path(t.ordersEnriched)}
WHERE order_date >= '{d7}'
  AND store_id BETWEEN {n}000 AND {n}999
GROUP BY category, region`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 34,
    slotHoursPerTib: 350,
    avgSlots: 300,
  },
  segmentCartAbandoners: {
    sql: `INSERT INTO ${path(t.audienceSegments)} (segment, user_id, computed_at)
SELECT 'cart_abandoners', user_id, CURRENT_TIMESTAMP()
FROM ${path(t.webEvents)}
WHERE event_date >= '{d7}'
GROUP BY user_id
HAVING COUNTIF(event_name = 'add_to_cart') > 0 AND COUNTIF(event_name = 'purchase') = 0`,
    statementType: 'INSERT',
    reads: [t.webEvents],
    writes: t.audienceSegments,
    gib: 1100,
    spread: 0.04,
    slotHoursPerTib: 4,
    avgSlots: 900,
    variants: 1,
  },
  segmentHighIntent: {
    sql: `INSERT INTO ${path(t.audienceSegments)} (segment, user_id, computed_at)
SELECT 'high_intent', user_id, CURRENT_TIMESTAMP()
FROM ${path(t.webEvents)}
WHERE event_date >= '{d14}'
GROUP BY user_id
HAVING COUNTIF(event_name = 'product_view') >= 5`,
    statementType: 'INSERT',
    reads: [t.webEvents],
    writes: t.audienceSegments,
    gib: 1150,
    spread: 0.04,
    slotHoursPerTib: 4,
    avgSlots: 900,
    variants: 1,
  },
  segmentLapsed: {
    sql: `INSERT INTO ${path(t.audienceSegments)} (segment, user_id, computed_at)
SELECT 'lapsed', user_id, CURRENT_TIMESTAMP()
FROM ${path(t.webEvents)}
WHERE event_date >= '{d90}'
GROUP BY user_id
HAVING MAX(event_date) < '{d30}'`,
    statementType: 'INSERT',
    reads: [t.webEvents],
    writes: t.audienceSegments,
    gib: 1250,
    spread: 0.04,
    slotHoursPerTib: 4,
    avgSlots: 900,
    variants: 1,
  },
  mlScore: {
    sql: `CREATE TEMP FUNCTION cosine_sim(a ARRAY<FLOAT64>, b ARRAY<FLOAT64>)
RETURNS FLOAT64
LANGUAGE js AS r"""
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
""";
SELECT
  u.user_id,
  v.user_id AS neighbour_id,
  cosine_sim(u.embedding, v.embedding) AS similarity
FROM ${path(t.userEmbeddings)} AS u
JOIN ${path(t.userEmbeddings)} AS v
  ON u.bucket = v.bucket AND u.user_id < v.user_id
WHERE MOD(u.bucket, 64) = {n}`,
    statementType: 'SELECT',
    reads: [t.userEmbeddings],
    gib: 3,
    spread: 0.2,
    slotHoursPerTib: 900,
    avgSlots: 400,
  },
  mlTrainExtract: {
    sql: `SELECT user_id, label, features
FROM ${path(t.trainingSetV3)}
WHERE split = 'train'
  AND MOD(ABS(FARM_FINGERPRINT(user_id)), 10) < {n}`,
    statementType: 'SELECT',
    reads: [t.trainingSetV3],
    gib: 18,
    spread: 0.1,
    slotHoursPerTib: 150,
    avgSlots: 300,
  },
  mlPredict: {
    sql: `SELECT user_id, predicted_churned, predicted_churned_probs
FROM ML.PREDICT(
  MODEL \`acme-ml.models.churn_v4\`,
  (
    SELECT user_id, tenure_days, orders_90d, sessions_30d, avg_basket_usd
    FROM ${path(t.userFeatures)}
    WHERE lifetime_orders >= {n}
  )
)`,
    statementType: 'SELECT',
    reads: [t.userFeatures],
    gib: 8,
    spread: 0.15,
    slotHoursPerTib: 250,
    avgSlots: 500,
  },
  biSelectStar: {
    sql: `SELECT *
FROM ${path(t.customers)}
LIMIT {n}000`,
    statementType: 'SELECT',
    reads: [t.customers],
    gib: 35,
    spread: 0.02,
    slotHoursPerTib: 350,
  },
  biOrderByNoLimit: {
    sql: `SELECT order_id, customer_id, region, net_revenue
FROM ${path(t.ordersEnriched)}
WHERE order_date >= '{d30}'
ORDER BY net_revenue DESC`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 18,
    slotHoursPerTib: 350,
  },
  biSemiJoin: {
    sql: `SELECT c.customer_id, c.segment, c.lifetime_value
FROM ${path(t.customers)} AS c
WHERE c.customer_id IN (
  SELECT o.customer_id
  FROM ${path(t.orders)} AS o
  WHERE o.order_date >= '{d7}'
)`,
    statementType: 'SELECT',
    reads: [t.customers, t.orders],
    gib: 25,
    slotHoursPerTib: 350,
  },
  biCteTwice: {
    sql: `WITH daily AS (
  SELECT order_date, region, SUM(net_revenue) AS revenue
  FROM ${path(t.ordersEnriched)}
  WHERE order_date >= '{d90}'
  GROUP BY order_date, region
)
SELECT
  cur.order_date,
  cur.region,
  cur.revenue,
  prev.revenue AS revenue_week_before
FROM daily AS cur
LEFT JOIN daily AS prev
  ON prev.region = cur.region
  AND prev.order_date = DATE_SUB(cur.order_date, INTERVAL 7 DAY)`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 30,
    slotHoursPerTib: 350,
  },
  biDynamicPredicate: {
    sql: `SELECT region, SUM(net_revenue) AS revenue
FROM ${path(t.ordersEnriched)}
WHERE order_date IN (
  SELECT MAX(order_date)
  FROM ${path(t.ordersEnriched)}
)
GROUP BY region`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 160,
    spread: 0.05,
    slotHoursPerTib: 350,
    variants: 1,
  },
  biAppEventsAdhoc: {
    sql: `SELECT event_name, app_version, COUNT(*) AS events
FROM ${path(t.appEvents)}
WHERE event_name LIKE '{ev}%'
GROUP BY event_name, app_version`,
    statementType: 'SELECT',
    reads: [t.appEvents],
    gib: 300,
    spread: 0.05,
    slotHoursPerTib: 150,
    avgSlots: 1200,
  },
  biCleanRevenue: {
    sql: `SELECT
  region,
  channel,
  SUM(net_revenue) AS revenue,
  APPROX_COUNT_DISTINCT(customer_id) AS customers
FROM ${path(t.ordersEnriched)}
WHERE order_date BETWEEN '{d30}' AND '{d1}'
GROUP BY region, channel
ORDER BY revenue DESC
LIMIT 20`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 12,
    slotHoursPerTib: 350,
  },
  biCleanExcept: {
    sql: `WITH enterprise AS (
  SELECT customer_id, email, phone, segment, country_code, lifetime_value
  FROM ${path(t.customers)}
  WHERE segment = 'enterprise'
)
SELECT * EXCEPT (email, phone)
FROM enterprise
ORDER BY lifetime_value DESC
LIMIT {n}00`,
    statementType: 'SELECT',
    reads: [t.customers],
    gib: 4,
    slotHoursPerTib: 350,
  },
  biCleanStruct: {
    sql: `SELECT
  region,
  ARRAY_AGG(STRUCT(order_id, customer_id, net_revenue) ORDER BY net_revenue DESC LIMIT 5) AS top_orders
FROM ${path(t.ordersEnriched)}
WHERE order_date = '{d1}'
GROUP BY region`,
    statementType: 'SELECT',
    reads: [t.ordersEnriched],
    gib: 2,
    slotHoursPerTib: 350,
  },
  biCleanQualify: {
    sql: `SELECT order_id, customer_id, order_date, gross_amount
FROM ${path(t.orders)}
WHERE order_date >= '{d7}'
QUALIFY COUNT(*) OVER (PARTITION BY order_id) > 1`,
    statementType: 'SELECT',
    reads: [t.orders],
    gib: 9,
    slotHoursPerTib: 350,
  },
  biWeeklyReview: {
    sql: `SELECT week_start, region, SUM(orders) AS orders, SUM(revenue) AS revenue
FROM ${path(t.weeklyRollup)}
WHERE week_start >= '{d90}'
GROUP BY week_start, region
ORDER BY week_start DESC, revenue DESC
LIMIT 200`,
    statementType: 'SELECT',
    reads: [t.weeklyRollup],
    gib: 0.5,
    slotHoursPerTib: 350,
  },
  biKpis: {
    sql: `SELECT kpi_date, orders, revenue
FROM ${path(t.dailyKpis)}
WHERE kpi_date >= '{d30}'
ORDER BY kpi_date
LIMIT 31`,
    statementType: 'SELECT',
    reads: [t.dailyKpis],
    gib: 0.01,
    slotHoursPerTib: 350,
  },
  supportCustomerOrders: {
    sql: `SELECT order_id, sku, quantity, unit_price, order_ts
FROM ${path(t.orderItems)}
WHERE customer_id = {cid}
ORDER BY order_ts DESC
LIMIT 100`,
    statementType: 'SELECT',
    reads: [t.orderItems],
    gib: 110,
    spread: 0.03,
    slotHoursPerTib: 80,
    avgSlots: 800,
    variants: 12,
  },
  supportCustomerLtv: {
    sql: `SELECT customer_id, SUM(quantity * unit_price) AS lifetime_value, COUNT(*) AS items
FROM ${path(t.orderItems)}
WHERE customer_id = {cid}
GROUP BY customer_id`,
    statementType: 'SELECT',
    reads: [t.orderItems],
    gib: 55,
    spread: 0.03,
    slotHoursPerTib: 80,
    avgSlots: 800,
    variants: 12,
  },
  supportLatestStatus: {
    sql: `SELECT order_id, status, updated_at
FROM (
  SELECT
    order_id,
    status,
    updated_at,
    ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY updated_at DESC) AS rn
  FROM ${path(t.orderStatusEvents)}
  WHERE event_date >= '{d90}' AND customer_id = {cid}
)
WHERE rn = 1`,
    statementType: 'SELECT',
    reads: [t.orderStatusEvents],
    gib: 1.2,
    slotHoursPerTib: 350,
    variants: 12,
  },
  growthRegexp: {
    sql: `SELECT page_url, COUNT(*) AS views
FROM ${path(t.webEvents)}
WHERE event_date >= '{d7}'
  AND REGEXP_CONTAINS(page_url, '{kw}')
GROUP BY page_url
ORDER BY views DESC
LIMIT 50`,
    statementType: 'SELECT',
    reads: [t.webEvents],
    gib: 380,
    spread: 0.04,
    slotHoursPerTib: 20,
    avgSlots: 800,
  },
  growthProductPages: {
    sql: `SELECT
  REGEXP_EXTRACT(page_url, r'^/products/([0-9]+)$') AS product_id,
  COUNT(*) AS views
FROM ${path(t.webEvents)}
WHERE event_date >= '{d1}'
  AND REGEXP_CONTAINS(page_url, r'^/products/[0-9]+$')
GROUP BY product_id
ORDER BY views DESC
LIMIT 100`,
    statementType: 'SELECT',
    reads: [t.webEvents],
    gib: 360,
    spread: 0.04,
    slotHoursPerTib: 20,
    avgSlots: 800,
  },
  growthCampaignPerf: {
    sql: `SELECT
  campaign_id,
  channel,
  SUM(spend_usd) AS spend_usd,
  SUM(conversions) AS conversions,
  SAFE_DIVIDE(SUM(spend_usd), SUM(conversions)) AS cost_per_conversion
FROM ${path(t.campaignPerformance)}
WHERE report_date BETWEEN '{d30}' AND '{d1}'
GROUP BY campaign_id, channel
ORDER BY spend_usd DESC
LIMIT 25`,
    statementType: 'SELECT',
    reads: [t.campaignPerformance],
    gib: 2,
    slotHoursPerTib: 250,
  },
  growthSegmentSizes: {
    sql: `SELECT segment, COUNT(*) AS users, MAX(computed_at) AS refreshed_at
FROM ${path(t.audienceSegments)}
GROUP BY segment`,
    statementType: 'SELECT',
    reads: [t.audienceSegments],
    gib: 1,
    slotHoursPerTib: 250,
    variants: 1,
  },
  dsFeatureExplore: {
    sql: `SELECT
  APPROX_QUANTILES(avg_basket_usd, 100) AS basket_quantiles,
  CORR(sessions_30d, orders_90d) AS engagement_corr,
  COUNT(*) AS users
FROM ${path(t.userFeatures)}
WHERE lifetime_orders >= {n}`,
    statementType: 'SELECT',
    reads: [t.userFeatures],
    gib: 6,
    slotHoursPerTib: 500,
  },
  dsTrainingSample: {
    sql: `SELECT user_id, label, features
FROM ${path(t.trainingSetV3)} TABLESAMPLE SYSTEM ({n}0 PERCENT)
WHERE split = 'validation'`,
    statementType: 'SELECT',
    reads: [t.trainingSetV3],
    gib: 4,
    slotHoursPerTib: 600,
  },
  dsTrainingV1: {
    sql: `SELECT label, COUNT(*) AS examples, AVG(ARRAY_LENGTH(features)) AS avg_features
FROM ${path(t.trainingSetV1)}
WHERE split = 'train'
GROUP BY label`,
    statementType: 'SELECT',
    reads: [t.trainingSetV1],
    gib: 220,
    slotHoursPerTib: 60,
    variants: 1,
  },
  finGlMonth: {
    sql: `SELECT account_id, SUM(amount_usd) AS balance_usd
FROM ${path(t.glEntries)}
WHERE posting_date BETWEEN '{m0}' AND '{d0}'
GROUP BY account_id
ORDER BY balance_usd DESC
LIMIT 500`,
    statementType: 'SELECT',
    reads: [t.glEntries],
    gib: 8,
    slotHoursPerTib: 250,
    avgSlots: 100,
  },
  finApAging: {
    sql: `SELECT
  vendor_id,
  DATE_DIFF(DATE '{d0}', due_date, DAY) AS days_overdue,
  SUM(open_amount_usd) AS open_usd
FROM ${path(t.apInvoices)}
WHERE invoice_date >= '{d90}' AND open_amount_usd > 0
GROUP BY vendor_id, days_overdue`,
    statementType: 'SELECT',
    reads: [t.apInvoices],
    gib: 5,
    slotHoursPerTib: 250,
    avgSlots: 100,
  },
  finPnl: {
    sql: `SELECT fiscal_month, line_item, amount_usd
FROM ${path(t.pnlMonthly)}
WHERE fiscal_month >= '{m0}'
ORDER BY fiscal_month, line_item
LIMIT 1000`,
    statementType: 'SELECT',
    reads: [t.pnlMonthly],
    gib: 0.2,
    slotHoursPerTib: 250,
    avgSlots: 100,
  },
  runaway: {
    sql: `SELECT e.*, c.*
FROM ${path(t.appEvents)} AS e
JOIN ${path(t.clickstreamRaw)} AS c
  ON c.session_id = e.session_id
WHERE e.event_name = '{ev}'`,
    statementType: 'SELECT',
    reads: [t.appEvents, t.clickstreamRaw],
    gib: 34 * 1024,
    spread: 0.2,
    // A shuffle join of two multi-TiB tables is slot-hungry, not just a scan.
    slotHoursPerTib: 150,
    avgSlots: 2000,
  },
  spikeBackfill: {
    sql: `INSERT INTO ${path(t.campaignPerformance)} (report_date, campaign_id, channel, touchpoints, conversions)
SELECT
  event_date,
  campaign_id,
  channel,
  COUNT(*) AS touchpoints,
  COUNTIF(event_name = 'purchase') AS conversions
FROM ${path(t.webEvents)}
WHERE event_date BETWEEN '{ba}' AND '{bb}'
GROUP BY event_date, campaign_id, channel`,
    statementType: 'INSERT',
    reads: [t.webEvents],
    writes: t.campaignPerformance,
    gib: 1536,
    spread: 0.05,
    slotHoursPerTib: 6,
    avgSlots: 1000,
    variants: 12,
  },
} satisfies Record<string, PatternDef>;

type PatternId = keyof typeof patternDefs;

// Multi-statement ETL scripts. Each statement is a child job with its own hash; the parent's
// text is the whole script.
interface ScriptDef {
  name: string;
  /** Lines before the first statement that do not run as child jobs (DECLARE ...). */
  preamble?: string;
  statements: readonly PatternDef[];
}

const runLogInsert = (job: string): PatternDef => ({
  sql: `INSERT INTO ${path(t.runLog)} (job_name, run_date, finished_at)
VALUES ('${job}', DATE '{d1}', CURRENT_TIMESTAMP())`,
  statementType: 'INSERT',
  reads: [],
  writes: t.runLog,
  gib: 0,
  slotHoursPerTib: 0,
  variants: 1,
});

const scriptDefs: readonly ScriptDef[] = [
  {
    // CREATE TEMP TABLE without a DROP: the missing_drop_temp_table antipattern.
    name: 'orders_enriched',
    statements: [
      {
        sql: `CREATE TEMP TABLE new_orders AS
SELECT order_id, order_date, customer_id, region, channel, gross_amount, discount_amount
FROM ${path(t.orders)}
WHERE order_date = '{d1}'`,
        statementType: 'CREATE_TABLE_AS_SELECT',
        reads: [t.orders],
        gib: 6,
        slotHoursPerTib: 25,
        avgSlots: 150,
        variants: 1,
      },
      {
        sql: `MERGE ${path(t.ordersEnriched)} AS t
USING (
  SELECT order_id, order_date, customer_id, region, channel, gross_amount - discount_amount AS net_revenue
  FROM new_orders
) AS s
ON t.order_id = s.order_id AND t.order_date = '{d1}'
WHEN MATCHED THEN
  UPDATE SET net_revenue = s.net_revenue
WHEN NOT MATCHED THEN
  INSERT (order_id, order_date, customer_id, region, channel, net_revenue)
  VALUES (s.order_id, s.order_date, s.customer_id, s.region, s.channel, s.net_revenue)`,
        statementType: 'MERGE',
        reads: [t.ordersEnriched],
        writes: t.ordersEnriched,
        gib: 40,
        slotHoursPerTib: 25,
        avgSlots: 150,
        variants: 1,
      },
      {
        sql: `INSERT INTO ${path(t.dailyKpis)} (kpi_date, orders, revenue)
SELECT DATE '{d1}', COUNT(*), SUM(gross_amount - discount_amount)
FROM new_orders`,
        statementType: 'INSERT',
        reads: [],
        writes: t.dailyKpis,
        gib: 0.05,
        slotHoursPerTib: 25,
        avgSlots: 50,
        variants: 1,
      },
      runLogInsert('orders_enriched'),
    ],
  },
  {
    name: 'sessionize',
    preamble: `DECLARE run_date DATE DEFAULT DATE '{d1}';`,
    statements: [
      {
        sql: `CREATE TEMP TABLE hits AS
SELECT session_id, user_id, event_ts, page_url
FROM ${path(t.clickstreamRaw)}
WHERE DATE(ingest_ts) = run_date
UNION ALL
SELECT session_id, user_id, event_ts, screen_name AS page_url
FROM ${path(t.mobileEventsRaw)}
WHERE DATE(ingest_ts) = run_date`,
        statementType: 'CREATE_TABLE_AS_SELECT',
        reads: [t.clickstreamRaw, t.mobileEventsRaw],
        gib: 28,
        slotHoursPerTib: 25,
        avgSlots: 150,
        variants: 1,
      },
      {
        sql: `INSERT INTO ${path(t.appEvents)} (event_ts, user_id, session_id, event_name, app_version, severity)
SELECT event_ts, user_id, session_id, 'page_view', 'web', 'INFO'
FROM hits`,
        statementType: 'INSERT',
        reads: [],
        writes: t.appEvents,
        gib: 9,
        slotHoursPerTib: 25,
        avgSlots: 150,
        variants: 1,
      },
      {
        sql: `DROP TABLE hits`,
        statementType: 'DROP_TABLE',
        reads: [],
        gib: 0,
        slotHoursPerTib: 0,
        variants: 1,
      },
    ],
  },
  {
    name: 'user_features',
    statements: [
      {
        sql: `CREATE OR REPLACE TABLE ${path(t.userFeatures)} AS
WITH order_stats AS (
  SELECT
    customer_id AS user_id,
    COUNT(*) AS lifetime_orders,
    AVG(gross_amount) AS avg_basket_usd,
    COUNTIF(order_date >= '{d90}') AS orders_90d,
    DATE_DIFF(DATE '{d0}', MIN(order_date), DAY) AS tenure_days
  FROM ${path(t.orders)}
  WHERE order_date >= DATE_SUB(DATE '{d0}', INTERVAL 2 YEAR)
  GROUP BY user_id
),
session_stats AS (
  SELECT user_id, APPROX_COUNT_DISTINCT(session_id) AS sessions_30d
  FROM ${path(t.appEvents)}
  WHERE DATE(event_ts) >= '{d30}'
  GROUP BY user_id
)
SELECT
  o.user_id,
  o.lifetime_orders,
  o.avg_basket_usd,
  o.orders_90d,
  o.tenure_days,
  IFNULL(s.sessions_30d, 0) AS sessions_30d
FROM order_stats AS o
LEFT JOIN session_stats AS s USING (user_id)`,
        statementType: 'CREATE_TABLE_AS_SELECT',
        reads: [t.orders, t.appEvents],
        writes: t.userFeatures,
        gib: 260,
        slotHoursPerTib: 25,
        avgSlots: 250,
        variants: 1,
      },
      {
        sql: `ASSERT (SELECT COUNT(*) FROM ${path(t.userFeatures)}) > 1000000
  AS 'user_features looks truncated'`,
        statementType: 'ASSERT',
        reads: [t.userFeatures],
        gib: 0,
        slotHoursPerTib: 0,
        variants: 1,
      },
    ],
  },
  {
    name: 'funnel_daily',
    statements: [
      {
        sql: `DELETE FROM ${path(t.funnelDaily)}
WHERE report_date = DATE '{d1}'`,
        statementType: 'DELETE',
        reads: [t.funnelDaily],
        writes: t.funnelDaily,
        gib: 0.02,
        slotHoursPerTib: 25,
        avgSlots: 50,
        variants: 1,
      },
      {
        sql: `INSERT INTO ${path(t.funnelDaily)} (report_date, channel, sessions, product_views, add_to_carts, purchases)
SELECT
  DATE(event_ts) AS report_date,
  channel,
  APPROX_COUNT_DISTINCT(session_id) AS sessions,
  COUNTIF(event_name = 'product_view') AS product_views,
  COUNTIF(event_name = 'add_to_cart') AS add_to_carts,
  COUNTIF(event_name = 'purchase') AS purchases
FROM ${path(t.appEvents)}
WHERE DATE(event_ts) = DATE '{d1}'
GROUP BY report_date, channel`,
        statementType: 'INSERT',
        reads: [t.appEvents],
        writes: t.funnelDaily,
        gib: 35,
        slotHoursPerTib: 25,
        avgSlots: 200,
        variants: 1,
      },
      {
        sql: `UPDATE ${path(t.funnelDaily)}
SET conversion_rate = SAFE_DIVIDE(purchases, sessions)
WHERE report_date = DATE '{d1}'`,
        statementType: 'UPDATE',
        reads: [t.funnelDaily],
        writes: t.funnelDaily,
        gib: 0.05,
        slotHoursPerTib: 25,
        avgSlots: 50,
        variants: 1,
      },
      runLogInsert('funnel_daily'),
      {
        sql: `ASSERT (
  SELECT COUNT(*)
  FROM ${path(t.runLog)}
  WHERE job_name = 'funnel_daily' AND run_date = DATE '{d1}'
) > 0 AS 'funnel_daily run was not logged'`,
        statementType: 'ASSERT',
        reads: [t.runLog],
        gib: 0.001,
        slotHoursPerTib: 25,
        avgSlots: 10,
        variants: 1,
      },
    ],
  },
];

interface Script {
  def: ScriptDef;
  parent: Pattern;
  children: Pattern[];
  labels: readonly LabelRow[];
}

// ---------------------------------------------------------------------------------------------
// Labels, teams, analysts

const labels = (...pairs: string[]): readonly LabelRow[] => {
  const rows: LabelRow[] = [];
  for (const pair of pairs) {
    const [key, value] = pair.split(':') as [string, string];
    rows.push(Object.freeze({ key, value }));
  }
  return Object.freeze(rows);
};

const noLabels: readonly LabelRow[] = Object.freeze([]);

const labelSets = {
  dashExec: labels('team:bi', 'env:prod', 'dashboard:exec-revenue'),
  dashFunnel: labels('team:bi', 'env:prod', 'dashboard:marketing-funnel'),
  dashAppHealth: labels('team:bi', 'env:prod', 'dashboard:app-health'),
  dashFinance: labels('team:finance', 'env:prod', 'dashboard:finance-pnl'),
  dataEng: labels('team:data-eng', 'env:prod'),
  bi: labels('team:bi', 'env:prod'),
  marketingEng: labels('team:marketing-eng', 'env:prod'),
  ml: labels('team:ml', 'env:prod'),
  finance: labels('team:finance', 'env:prod'),
  support: labels('team:support', 'env:prod', 'app:crm'),
  spike: labels('team:growth', 'env:adhoc'),
};

interface Team {
  name: string;
  project: ProjectDef;
  labelRate: number;
  labels: readonly LabelRow[];
  /** Pattern weights; `early` patterns only run more than 35 days before the end. */
  patterns: readonly (readonly [PatternId, number])[];
  early?: readonly (readonly [PatternId, number])[];
}

const teams: Record<string, Team> = {
  bi: {
    name: 'bi',
    project: projects.analytics,
    labelRate: 0.25,
    labels: labels('team:bi', 'env:adhoc'),
    patterns: [
      ['biSelectStar', 3],
      ['biOrderByNoLimit', 3],
      ['biSemiJoin', 2],
      ['biCteTwice', 2],
      ['biDynamicPredicate', 2],
      ['biAppEventsAdhoc', 2],
      ['biCleanRevenue', 5],
      ['biCleanExcept', 2],
      ['biCleanStruct', 3],
      ['biCleanQualify', 2],
      ['biWeeklyReview', 2],
      ['biKpis', 2],
    ],
  },
  support: {
    name: 'support',
    project: projects.analytics,
    labelRate: 0.3,
    labels: labels('team:support', 'env:adhoc'),
    patterns: [
      ['supportCustomerOrders', 5],
      ['supportCustomerLtv', 3],
      ['supportLatestStatus', 4],
    ],
  },
  growth: {
    name: 'growth',
    project: projects.marketing,
    labelRate: 0.6,
    labels: labels('team:growth', 'env:adhoc'),
    patterns: [
      ['growthRegexp', 3],
      ['growthProductPages', 2],
      ['growthCampaignPerf', 4],
      ['growthSegmentSizes', 2],
    ],
  },
  ds: {
    name: 'data-science',
    project: projects.ml,
    labelRate: 0.5,
    labels: labels('team:data-science', 'env:adhoc'),
    patterns: [
      ['dsFeatureExplore', 4],
      ['dsTrainingSample', 3],
    ],
    early: [['dsTrainingV1', 2]],
  },
  finance: {
    name: 'finance',
    project: projects.finance,
    labelRate: 0.4,
    labels: labels('team:finance', 'env:adhoc'),
    patterns: [
      ['finGlMonth', 4],
      ['finApAging', 2],
      ['finPnl', 3],
    ],
  },
};

interface Analyst {
  actor: Actor;
  team: Team;
  weight: number;
}

const analystDefs: readonly (readonly [string, keyof typeof teams, number])[] = [
  ['alice.nguyen', 'bi', 1.0],
  ['ben.carter', 'bi', 1.0],
  ['chloe.martin', 'bi', 0.8],
  ['daniel.kim', 'bi', 0.9],
  ['marcus.webb', 'bi', 1.1],
  ['sofia.rossi', 'support', 0.9],
  ['tom.becker', 'support', 0.7],
  ['priya.shah', 'growth', 1.0],
  ['lucas.silva', 'growth', 0.8],
  ['emma.jones', 'growth', 0.7],
  ['hannah.schmidt', 'ds', 0.8],
  ['raj.patel', 'ds', 0.9],
  ['yuki.tanaka', 'ds', 0.6],
  ['olivia.brown', 'finance', 0.6],
  ['noah.wilson', 'finance', 0.5],
];

const analysts: readonly Analyst[] = analystDefs.map(([name, team, weight]) => ({
  actor: person(name),
  team: teams[team]!,
  weight,
}));

// UTC hour weights for people: a working day with a lunch dip; weekends are thin.
const weekdayHours = [
  0, 0, 0, 0, 0, 0, 0.1, 0.4, 1.4, 2.8, 3.4, 3.1, 1.9, 2.7, 3.3, 3.1, 2.5, 1.5, 0.7, 0.3, 0.15,
  0.05, 0, 0,
];
const weekendHours = [
  0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.4, 0.6, 0.6, 0.5, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0, 0, 0, 0,
];
const hourIndexes = Array.from({ length: 24 }, (_, i) => i);

const countryCodes = ['US', 'DE', 'FR', 'GB', 'BR', 'JP', 'IN', 'CA', 'AU', 'ES'];
const eventPrefixes = ['checkout', 'payment', 'login', 'search', 'signup'];
const promoKeywords = ['promo', 'black-friday', 'spring-sale', 'newsletter', 'gift-card'];

const errors = {
  syntax: Object.freeze({
    reason: 'invalidQuery',
    location: 'query',
    message: 'Syntax error: Unexpected keyword FROM at [2:1]',
  }),
  unknownName: Object.freeze({
    reason: 'invalidQuery',
    location: 'query',
    message: 'Unrecognized name: revenu; Did you mean revenue? at [3:7]',
  }),
  accessDenied: Object.freeze({
    reason: 'accessDenied',
    location: null,
    message:
      'Access Denied: Table acme-finance:ledger.gl_entries: User does not have permission to query table acme-finance:ledger.gl_entries.',
  }),
  resources: Object.freeze({
    reason: 'resourcesExceeded',
    location: null,
    message:
      'Resources exceeded during query execution: Your query could not be executed in the allotted memory. Peak usage: 131% of limit.',
  }),
  cancelled: Object.freeze({
    reason: 'stopped',
    location: null,
    message: 'Job execution was cancelled: User requested cancellation',
  }),
} satisfies Record<string, ErrorResultRow>;

const failuresWithoutBytes: readonly ErrorResultRow[] = [
  errors.syntax,
  errors.unknownName,
  errors.accessDenied,
];
const failuresWithBytes: readonly ErrorResultRow[] = [errors.resources, errors.cancelled];

// ---------------------------------------------------------------------------------------------
// Compiled organisation (per generation run, because patterns cache their rendered texts)

const literalPattern = /\{(\w+)\}/g;

function compilePattern(id: string, index: number, def: PatternDef): Pattern {
  const refs = Object.freeze(def.reads.map((table) => table.ref));
  return {
    ...def,
    id,
    index,
    hash: hash64Hex(def.sql.replace(literalPattern, '?')),
    refs,
    dest: def.writes?.ref ?? null,
    queryInfo: Object.freeze({ query_hashes: Object.freeze({ normalized_literals: '' }) }),
    renderedDay: Number.NaN,
    texts: [],
  };
}

function withHash(pattern: Pattern): Pattern {
  pattern.queryInfo = Object.freeze({
    query_hashes: Object.freeze({ normalized_literals: pattern.hash }),
  });
  return pattern;
}

interface Org {
  patterns: Record<PatternId, Pattern>;
  scripts: Script[];
  teamPickers: Map<Team, { late: Weighted<Pattern>; early: Weighted<Pattern> }>;
  analystPicker: Weighted<Analyst>;
}

function buildOrg(): Org {
  let index = 0;
  const patterns = {} as Record<PatternId, Pattern>;
  for (const [id, def] of Object.entries(patternDefs) as [PatternId, PatternDef][]) {
    patterns[id] = withHash(compilePattern(id, index++, def));
  }
  const scripts = scriptDefs.map((def): Script => {
    const children = def.statements.map((statement, i) =>
      withHash(compilePattern(`script.${def.name}.${i}`, index++, statement)),
    );
    const body = def.statements.map((statement) => `${statement.sql};`).join('\n\n');
    const sql = def.preamble ? `${def.preamble}\n\n${body}` : body;
    const reads = [...new Set(def.statements.flatMap((statement) => statement.reads))];
    const parent = withHash(
      compilePattern(`script.${def.name}`, index++, {
        sql,
        statementType: 'SCRIPT',
        reads,
        gib: 0,
        slotHoursPerTib: 0,
        variants: 1,
      }),
    );
    return {
      def,
      parent,
      children,
      labels: labels('team:data-eng', 'env:prod', `pipeline:${def.name}`),
    };
  });
  const teamPickers = new Map<Team, { late: Weighted<Pattern>; early: Weighted<Pattern> }>();
  for (const team of Object.values(teams)) {
    const late = team.patterns;
    const early = [...team.patterns, ...(team.early ?? [])];
    teamPickers.set(team, {
      late: new Weighted(
        late.map(([id]) => patterns[id]),
        late.map(([, w]) => w),
      ),
      early: new Weighted(
        early.map(([id]) => patterns[id]),
        early.map(([, w]) => w),
      ),
    });
  }
  const analystPicker = new Weighted(
    analysts,
    analysts.map((a) => a.weight),
  );
  return { patterns, scripts, teamPickers, analystPicker };
}

// ---------------------------------------------------------------------------------------------
// Period and calendar

interface Period {
  seed: number;
  days: number;
  jobsPerDay: number;
  startDay: number;
  endDay: number;
  startUs: number;
}

function periodOf(opts: DemoOptions): Period {
  const endMs = opts.end.getTime();
  if (!Number.isFinite(endMs) || endMs % msPerDay !== 0) {
    throw new RangeError(`demo end must be a UTC midnight, got ${String(opts.end)}`);
  }
  if (!Number.isInteger(opts.days) || opts.days < 1) {
    throw new RangeError(`demo days must be a positive integer, got ${opts.days}`);
  }
  if (!Number.isFinite(opts.jobsPerDay) || opts.jobsPerDay < 1) {
    throw new RangeError(`demo jobsPerDay must be at least 1, got ${opts.jobsPerDay}`);
  }
  if (!Number.isFinite(opts.seed))
    throw new RangeError(`demo seed must be a number, got ${opts.seed}`);
  const endDay = endMs / msPerDay;
  const startDay = endDay - opts.days;
  return {
    seed: Math.trunc(opts.seed),
    days: opts.days,
    jobsPerDay: opts.jobsPerDay,
    startDay,
    endDay,
    startUs: startDay * usPerDay,
  };
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
function weekdayOf(epochDay: number): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}

const spikeOffsetDays = 8;
const runawayOffsetDays = [3, 11, 19, 26, 38, 52];
const earlyUseOffsetDays = 35;

function spikeDay(period: Period): number | null {
  return period.days >= 15 ? period.endDay - spikeOffsetDays : null;
}

function runawayDays(period: Period): number[] {
  return runawayOffsetDays
    .filter((offset) => offset <= period.days)
    .map((offset) => period.endDay - offset);
}

interface Day {
  epochDay: number;
  offsetFromEnd: number;
  weekday: number;
  startUs: number;
  literals: Record<string, string>;
  /** Tables grow: earlier days scan slightly less. */
  growth: number;
}

function dayOf(period: Period, epochDay: number): Day {
  const first = new Date(epochDay * msPerDay);
  const monthStart = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1) / msPerDay;
  const offsetFromEnd = period.endDay - epochDay;
  return {
    epochDay,
    offsetFromEnd,
    weekday: weekdayOf(epochDay),
    startUs: epochDay * usPerDay,
    literals: {
      d0: isoDay(epochDay),
      d1: isoDay(epochDay - 1),
      d7: isoDay(epochDay - 7),
      d14: isoDay(epochDay - 14),
      d30: isoDay(epochDay - 30),
      d90: isoDay(epochDay - 90),
      m0: isoDay(monthStart),
    },
    growth: 1 - 0.0015 * offsetFromEnd,
  };
}

// ---------------------------------------------------------------------------------------------
// Jobs

const enum Outcome {
  Success,
  CacheHit,
  FailedEarly,
  FailedLate,
}

type Priority = 'INTERACTIVE' | 'BATCH';

// Stream ids seed the per-(stream, day) PRNGs and form part of every job id.
const enum Stream {
  DashExec,
  DashFunnel,
  DashAppHealth,
  DashFinance,
  EtlScripts,
  Loads,
  Copies,
  Extracts,
  Rollups,
  Segments,
  Ml,
  Recon,
  Crm,
  Humans,
  Runaway,
  Spike,
}
const streamCount = 16;

const patternLiteralStream = 1000;
const storageStream = 2000;

const freeSharedPool = 'default-pipeline';
const noRefs: readonly TableRefRow[] = Object.freeze([]);
const dailyKpisRefs: readonly TableRefRow[] = Object.freeze([t.dailyKpis.ref]);
const snapshotRefs: readonly TableRefRow[] = Object.freeze([t.dailyKpisSnapshot.ref]);
const weekdayPicker = new Weighted(hourIndexes, weekdayHours);
const weekendPicker = new Weighted(hourIndexes, weekendHours);

/**
 * One job as numbers and shared values, before it becomes a row object (`generateJobs`) or
 * NDJSON bytes (`generateJobsJsonl`); building no strings here keeps the hot path cheap.
 */
interface JobRecord {
  createdUs: number;
  startUs: number;
  endUs: number;
  projectId: string;
  actor: Actor;
  /** `bquxjob_<hex idHigh><hex idLow>`; a script child is `script_job_<its parent's hex>_<childIndex>`. */
  idHigh: number;
  idLow: number;
  childIndex: number;
  jobType: JobExportRow['job_type'];
  statementType: string | null;
  priority: Priority;
  error: ErrorResultRow | null;
  cacheHit: boolean;
  processed: number | null;
  billed: number | null;
  slotMs: number | null;
  reservationId: string | null;
  edition: string | null;
  query: string | null;
  queryInfo: QueryInfoRow | null;
  refs: readonly TableRefRow[];
  dest: TableRefRow | null;
  labels: readonly LabelRow[];
}

function jobIdOf(job: JobRecord): string {
  const hex = hex8(job.idHigh) + hex8(job.idLow);
  return job.childIndex < 0 ? `bquxjob_${hex}` : `script_job_${hex}_${job.childIndex}`;
}

class JobGenerator {
  private readonly idKey: number;
  private readonly idKey2: number;
  private idStreamDay = 0;
  private idSeq = 0;
  private idHigh = 0;
  private idLow = 0;
  private readonly spike: number | null;
  private readonly runaways: Set<number>;

  constructor(
    private readonly period: Period,
    private readonly org: Org,
    private readonly tally: DemoTally | undefined,
  ) {
    this.idKey = seedFor(period.seed, 77, 1);
    this.idKey2 = seedFor(period.seed, 77, 2);
    this.spike = spikeDay(period);
    this.runaways = new Set(runawayDays(period));
    if (tally) {
      for (const def of reservationList) {
        tally.usageSlotMs[def.id] = new Float64Array(period.days * minutesPerDay);
      }
    }
  }

  *records(): Generator<JobRecord> {
    const out: JobRecord[] = [];
    for (let epochDay = this.period.startDay; epochDay < this.period.endDay; epochDay++) {
      const day = dayOf(this.period, epochDay);
      for (let stream = 0; stream < streamCount; stream++) {
        out.length = 0;
        this.idStreamDay = epochDay * 64 + stream;
        this.idSeq = 0;
        const rng = new Rng(seedFor(this.period.seed, stream, epochDay));
        this.runStream(stream as Stream, day, rng, out);
        for (const job of out) {
          if (this.tally) this.count(job);
          yield job;
        }
      }
    }
    if (this.tally) this.tally.complete = true;
  }

  private count(job: JobRecord): void {
    const tally = this.tally!;
    tally.jobs++;
    if (job.statementType === 'SCRIPT') {
      tally.scriptParents++;
      return;
    }
    if (job.cacheHit) tally.cacheHits++;
    if (job.error) tally.failed++;
    if (job.reservationId !== null && job.edition !== null) tally.reservationJobs++;
    if (job.labels.length === 0) tally.unlabeled++;
    if (job.reservationId !== null && job.edition !== null && job.slotMs) {
      this.addUsage(job.reservationId, job.startUs, job.endUs, job.slotMs);
    }
  }

  private runStream(stream: Stream, day: Day, rng: Rng, out: JobRecord[]): void {
    const w = this.period.jobsPerDay;
    const p = this.org.patterns;
    switch (stream) {
      case Stream.DashExec:
        return this.schedule(
          day,
          rng,
          out,
          Math.max(4, Math.round(0.12 * w)),
          7 * usPerMinute,
          p.dashExecRevenue,
          robots.looker,
          projects.analytics,
          labelSets.dashExec,
          0.08,
        );
      case Stream.DashFunnel:
        return this.schedule(
          day,
          rng,
          out,
          Math.max(2, Math.round(0.06 * w)),
          11 * usPerMinute,
          p.dashMarketingFunnel,
          robots.looker,
          projects.analytics,
          labelSets.dashFunnel,
          0.3,
        );
      case Stream.DashAppHealth:
        return this.schedule(
          day,
          rng,
          out,
          Math.max(2, Math.round(0.015 * w)),
          3 * usPerMinute,
          p.dashAppHealth,
          robots.looker,
          projects.analytics,
          labelSets.dashAppHealth,
          0.05,
        );
      case Stream.DashFinance:
        return this.schedule(
          day,
          rng,
          out,
          Math.max(1, Math.round(0.03 * w)),
          20 * usPerMinute,
          p.dashFinancePnl,
          robots.looker,
          projects.finance,
          labelSets.dashFinance,
          0.1,
        );
      case Stream.EtlScripts:
        return this.etlScripts(day, rng, out, Math.max(2, Math.round(0.02 * w)));
      case Stream.Loads:
        return this.transfers(day, rng, out, 'LOAD', Math.max(1, Math.round(0.03 * w)));
      case Stream.Copies:
        return this.transfers(day, rng, out, 'COPY', Math.max(1, Math.round(0.005 * w)));
      case Stream.Extracts:
        return this.transfers(day, rng, out, 'EXTRACT', Math.max(1, Math.round(0.005 * w)));
      case Stream.Rollups:
        return this.rollups(day, rng, out);
      case Stream.Segments: {
        const segments = [p.segmentCartAbandoners, p.segmentHighIntent, p.segmentLapsed];
        const n = Math.max(3, Math.round(0.03 * w));
        for (let i = 0; i < n; i++) {
          const created = day.startUs + Math.round(((i + rng.float() * 0.2) * usPerDay) / n);
          const outcome = rng.chance(0.02) ? Outcome.FailedLate : Outcome.Success;
          out.push(
            this.patternJob(
              segments[i % 3]!,
              day,
              rng,
              0,
              created,
              robots.segmentSync,
              projects.marketing,
              labelSets.marketingEng,
              'INTERACTIVE',
              outcome,
            ),
          );
        }
        return;
      }
      case Stream.Ml: {
        const ml = [p.mlScore, p.mlTrainExtract, p.mlPredict];
        const n = Math.max(3, Math.round(0.04 * w));
        for (let i = 0; i < n; i++) {
          const created = day.startUs + Math.round(((i + rng.float()) * usPerDay) / n);
          const pattern = ml[i % 3]!;
          const outcome = rng.chance(0.01) ? Outcome.FailedLate : Outcome.Success;
          out.push(
            this.patternJob(
              pattern,
              day,
              rng,
              rng.int(pattern.variants ?? 6),
              created,
              robots.mlPipeline,
              projects.ml,
              labelSets.ml,
              'INTERACTIVE',
              outcome,
            ),
          );
        }
        return;
      }
      case Stream.Recon: {
        const n = Math.max(1, Math.round(0.004 * w));
        for (let i = 0; i < n; i++) {
          const created =
            day.startUs + 6 * usPerHour + i * 10 * usPerMinute + rng.int(60 * usPerSecond);
          out.push(
            this.patternJob(
              p.recon,
              day,
              rng,
              0,
              created,
              robots.recon,
              projects.finance,
              labelSets.finance,
              'INTERACTIVE',
              Outcome.Success,
            ),
          );
        }
        return;
      }
      case Stream.Crm: {
        const n = Math.max(2, Math.round(0.05 * w));
        for (let i = 0; i < n; i++) {
          const pattern = rng.chance(0.6) ? p.supportCustomerOrders : p.supportCustomerLtv;
          const created = this.humanTime(day, rng);
          const outcome = rng.chance(0.1) ? Outcome.CacheHit : Outcome.Success;
          out.push(
            this.patternJob(
              pattern,
              day,
              rng,
              rng.int(pattern.variants ?? 6),
              created,
              robots.crmApi,
              projects.analytics,
              labelSets.support,
              'INTERACTIVE',
              outcome,
            ),
          );
        }
        return;
      }
      case Stream.Humans:
        return this.humans(day, rng, out);
      case Stream.Runaway:
        if (this.runaways.has(day.epochDay)) {
          const created = day.startUs + 15 * usPerHour + rng.int(2 * usPerHour);
          const job = this.patternJob(
            p.runaway,
            day,
            rng,
            rng.int(6),
            created,
            runawayAnalyst,
            projects.analytics,
            noLabels,
            'INTERACTIVE',
            Outcome.Success,
          );
          this.tally?.runawayJobIds.push(jobIdOf(job));
          out.push(job);
        }
        return;
      case Stream.Spike:
        if (day.epochDay === this.spike) {
          const n = Math.max(6, Math.round(0.1 * w));
          for (let i = 0; i < n; i++) {
            const created =
              day.startUs +
              9 * usPerHour +
              Math.round((i * 9 * usPerHour) / n) +
              rng.int(5 * usPerMinute);
            out.push(
              this.patternJob(
                p.spikeBackfill,
                day,
                rng,
                i % 12,
                created,
                spikeAnalyst,
                projects.marketing,
                labelSets.spike,
                'INTERACTIVE',
                Outcome.Success,
              ),
            );
          }
        }
        return;
    }
  }

  /** A fixed refresh schedule: `n` runs a day, evenly spaced from `phaseUs`. */
  private schedule(
    day: Day,
    rng: Rng,
    out: JobRecord[],
    n: number,
    phaseUs: number,
    pattern: Pattern,
    actor: Actor,
    project: ProjectDef,
    rowLabels: readonly LabelRow[],
    cacheRate: number,
  ): void {
    const interval = usPerDay / n;
    for (let i = 0; i < n; i++) {
      const created =
        day.startUs + Math.round((phaseUs % interval) + i * interval) + rng.int(2 * usPerSecond);
      const outcome = rng.chance(cacheRate) ? Outcome.CacheHit : Outcome.Success;
      out.push(
        this.patternJob(
          pattern,
          day,
          rng,
          0,
          created,
          actor,
          project,
          rowLabels,
          'INTERACTIVE',
          outcome,
        ),
      );
    }
  }

  private humanTime(day: Day, rng: Rng): number {
    const weekend = day.weekday === 0 || day.weekday === 6;
    const hour = (weekend ? weekendPicker : weekdayPicker).pick(rng);
    return day.startUs + hour * usPerHour + rng.int(usPerHour);
  }

  private humans(day: Day, rng: Rng, out: JobRecord[]): void {
    const weekend = day.weekday === 0 || day.weekday === 6;
    const n = Math.round(0.45 * this.period.jobsPerDay * (weekend ? 0.25 : 1.3));
    const early = day.offsetFromEnd > earlyUseOffsetDays;
    for (let i = 0; i < n; i++) {
      const analyst = this.org.analystPicker.pick(rng);
      const pickers = this.org.teamPickers.get(analyst.team)!;
      const pattern = (early ? pickers.early : pickers.late).pick(rng);
      const created = this.humanTime(day, rng);
      const roll = rng.float();
      const outcome =
        roll < 0.15
          ? Outcome.CacheHit
          : roll < 0.17
            ? Outcome.FailedEarly
            : roll < 0.182
              ? Outcome.FailedLate
              : Outcome.Success;
      const rowLabels = rng.chance(analyst.team.labelRate) ? analyst.team.labels : noLabels;
      out.push(
        this.patternJob(
          pattern,
          day,
          rng,
          rng.int(pattern.variants ?? 6),
          created,
          analyst.actor,
          analyst.team.project,
          rowLabels,
          'INTERACTIVE',
          outcome,
        ),
      );
    }
  }

  /** Small daily rollups, and the big weekly batch every Monday (seasonality, not an anomaly). */
  private rollups(day: Day, rng: Rng, out: JobRecord[]): void {
    const p = this.org.patterns;
    const rollups = [
      p.rollupStoreSales,
      p.rollupChannelMix,
      p.rollupCustomerCohorts,
      p.rollupCategory,
    ];
    const w = this.period.jobsPerDay;
    const daily = Math.max(1, Math.round(0.01 * w));
    const monday = day.weekday === 1 ? Math.max(3, Math.round(0.35 * w)) : 0;
    for (let i = 0; i < daily + monday; i++) {
      const created =
        i < daily
          ? day.startUs + 1 * usPerHour + rng.int(30 * usPerMinute)
          : day.startUs +
            2 * usPerHour +
            Math.round(((i - daily) * 3 * usPerHour) / monday) +
            rng.int(usPerMinute);
      const pattern = rollups[i % rollups.length]!;
      const outcome = rng.chance(0.01) ? Outcome.FailedLate : Outcome.Success;
      out.push(
        this.patternJob(
          pattern,
          day,
          rng,
          rng.int(pattern.variants ?? 6),
          created,
          robots.weeklyReports,
          projects.analytics,
          labelSets.bi,
          'BATCH',
          outcome,
        ),
      );
    }
  }

  private etlScripts(day: Day, rng: Rng, out: JobRecord[], n: number): void {
    const scripts = this.org.scripts;
    const interval = usPerDay / n;
    const reservation = projects.etl.reservation;
    for (let i = 0; i < n; i++) {
      const script = scripts[(i + (day.epochDay - this.period.startDay) * n) % scripts.length]!;
      const created =
        day.startUs + Math.round(5 * usPerMinute + i * interval) + rng.int(60 * usPerSecond);
      this.nextJobId();
      const idHigh = this.idHigh;
      const idLow = this.idLow;
      const parentIndex = out.length;
      out.push(null as unknown as JobRecord); // the parent is built once its children are known
      const failAt = rng.chance(0.03) ? rng.int(script.children.length) : -1;
      let processed = 0;
      let billed = 0;
      let slotMs = 0;
      let error: ErrorResultRow | null = null;
      let childCreated = created + 120_000 + rng.int(300_000);
      let lastEnd = childCreated;
      for (let c = 0; c < script.children.length; c++) {
        const outcome = c === failAt ? Outcome.FailedLate : Outcome.Success;
        const child = this.patternJob(
          script.children[c]!,
          day,
          rng,
          0,
          childCreated,
          robots.etl,
          projects.etl,
          script.labels,
          'INTERACTIVE',
          outcome,
        );
        child.idHigh = idHigh;
        child.idLow = idLow;
        child.childIndex = c;
        out.push(child);
        processed += child.processed ?? 0;
        billed += child.billed ?? 0;
        slotMs += child.slotMs ?? 0;
        lastEnd = child.endUs;
        childCreated = lastEnd + 150_000 + rng.int(700_000);
        if (child.error) {
          error = child.error;
          break;
        }
      }
      out[parentIndex] = {
        createdUs: created,
        startUs: created + 40_000 + rng.int(60_000),
        endUs: lastEnd + 50_000 + rng.int(100_000),
        projectId: projects.etl.id,
        actor: robots.etl,
        idHigh,
        idLow,
        childIndex: -1,
        jobType: 'QUERY',
        statementType: 'SCRIPT',
        priority: 'INTERACTIVE',
        error,
        cacheHit: false,
        processed,
        billed,
        slotMs,
        reservationId: reservation.id,
        edition: reservation.edition,
        query: this.textOf(script.parent, day, 0),
        queryInfo: error ? null : script.parent.queryInfo,
        refs: script.parent.refs,
        dest: null,
        labels: script.labels,
      };
    }
  }

  private transfers(
    day: Day,
    rng: Rng,
    out: JobRecord[],
    kind: 'LOAD' | 'COPY' | 'EXTRACT',
    n: number,
  ): void {
    const loadTargets = [t.clickstreamRaw, t.mobileEventsRaw, t.webEvents];
    for (let i = 0; i < n; i++) {
      const created =
        day.startUs + Math.round(((i + 0.5) * usPerDay) / n) + rng.int(5 * usPerMinute);
      const start = created + 200_000 + rng.int(2 * usPerSecond);
      let refs: readonly TableRefRow[] = noRefs;
      let dest: TableRefRow | null = null;
      let slotMs: number | null = null;
      let durationUs: number;
      if (kind === 'LOAD') {
        dest = loadTargets[i % loadTargets.length]!.ref;
        slotMs = Math.round(rng.lognormal(120_000, 0.5));
        durationUs = Math.round(rng.lognormal(90, 0.4) * usPerSecond);
      } else if (kind === 'COPY') {
        refs = dailyKpisRefs;
        dest = t.dailyKpisSnapshot.ref;
        durationUs = Math.round(rng.range(2, 8) * usPerSecond);
      } else {
        refs = snapshotRefs;
        slotMs = Math.round(rng.lognormal(4_000, 0.3));
        durationUs = Math.round(rng.range(5, 20) * usPerSecond);
      }
      this.nextJobId();
      out.push({
        createdUs: created,
        startUs: start,
        endUs: start + durationUs,
        projectId: projects.etl.id,
        actor: robots.etl,
        idHigh: this.idHigh,
        idLow: this.idLow,
        childIndex: -1,
        jobType: kind,
        statementType: null,
        priority: 'INTERACTIVE',
        error: null,
        cacheHit: false,
        processed: null,
        billed: null,
        slotMs,
        // Load and extract jobs report the free shared slot pool.
        reservationId: kind === 'COPY' ? null : freeSharedPool,
        edition: null,
        query: null,
        queryInfo: null,
        refs,
        dest,
        labels: labelSets.dataEng,
      });
    }
  }

  /**
   * Sets idHigh/idLow to a fresh id, unique by construction: (stream-day, sequence) -> 64 bits
   * is a bijection (two Feistel-style rounds over invertible 32-bit scrambles).
   */
  private nextJobId(): void {
    this.idLow = permute32((this.idSeq++ ^ mix32(this.idStreamDay)) >>> 0, this.idKey2);
    this.idHigh = (permute32(this.idStreamDay, this.idKey) ^ mix32(this.idLow)) >>> 0;
  }

  private textOf(pattern: Pattern, day: Day, variant: number): string {
    if (pattern.renderedDay !== day.epochDay) {
      pattern.renderedDay = day.epochDay;
      const rng = new Rng(
        seedFor(this.period.seed, patternLiteralStream + pattern.index, day.epochDay),
      );
      const count = pattern.variants ?? 6;
      pattern.texts.length = 0;
      for (let v = 0; v < count; v++) {
        const values: Record<string, string> = {
          ...day.literals,
          cid: String(10_000 + rng.int(990_000)),
          cc: rng.pick(countryCodes),
          n: String(1 + rng.int(9)),
          ev: rng.pick(eventPrefixes),
          kw: rng.pick(promoKeywords),
          ba: isoDay(day.epochDay - 400 + 30 * v),
          bb: isoDay(day.epochDay - 371 + 30 * v),
        };
        pattern.texts.push(
          pattern.sql.replace(literalPattern, (_, key: string) => values[key] ?? `{${key}}`),
        );
      }
    }
    return pattern.texts[variant % pattern.texts.length]!;
  }

  /** One query job of a pattern. */
  private patternJob(
    pattern: Pattern,
    day: Day,
    rng: Rng,
    variant: number,
    createdUs: number,
    actor: Actor,
    project: ProjectDef,
    rowLabels: readonly LabelRow[],
    priority: Priority,
    outcome: Outcome,
  ): JobRecord {
    const queueUs =
      priority === 'BATCH'
        ? 2 * usPerSecond + rng.int(90 * usPerSecond)
        : 15_000 + rng.int(400_000);
    const startUs = createdUs + queueUs;
    let processed: number | null = null;
    let billed: number | null = null;
    let slotMs: number | null = null;
    let durationUs: number;
    let error: ErrorResultRow | null = null;
    if (outcome === Outcome.CacheHit) {
      processed = 0;
      billed = rng.chance(0.5) ? 0 : null;
      durationUs = 60_000 + rng.int(240_000);
    } else if (outcome === Outcome.FailedEarly) {
      error = rng.pick(failuresWithoutBytes);
      durationUs = 30_000 + rng.int(170_000);
    } else {
      let bytes =
        pattern.gib === 0
          ? 0
          : Math.round(rng.lognormal(pattern.gib * GiB * day.growth, pattern.spread ?? 0.35));
      let slots =
        bytes === 0
          ? pattern.slotHoursPerTib === 0
            ? 0
            : 40 + rng.int(400)
          : Math.max(
              150,
              Math.round((bytes / TiB) * pattern.slotHoursPerTib * 3.6e6 * rng.lognormal(1, 0.2)),
            );
      if (outcome === Outcome.FailedLate) {
        // Failed after reading data: the row still shows bytes, but failed queries bill nothing.
        const share = rng.range(0.15, 0.9);
        bytes = Math.round(bytes * share);
        slots = Math.round(slots * share);
        error = rng.pick(failuresWithBytes);
      }
      processed = bytes;
      billed = bytes === 0 ? 0 : Math.max(10 * MiB, Math.ceil(bytes / MiB) * MiB);
      slotMs = slots === 0 ? null : slots;
      const parallelism = (pattern.avgSlots ?? 300) * rng.range(0.6, 1.4);
      durationUs = Math.max(250_000, Math.round((slots / parallelism) * 1000)) + rng.int(200_000);
    }
    const reservation = project.reservation;
    this.nextJobId();
    return {
      createdUs,
      startUs,
      endUs: startUs + durationUs,
      projectId: project.id,
      actor,
      idHigh: this.idHigh,
      idLow: this.idLow,
      childIndex: -1,
      jobType: 'QUERY',
      statementType: pattern.statementType,
      priority,
      error,
      cacheHit: outcome === Outcome.CacheHit,
      processed,
      billed,
      slotMs,
      reservationId: reservation ? reservation.id : null,
      edition: reservation ? reservation.edition : null,
      query: this.textOf(pattern, day, variant),
      queryInfo: outcome === Outcome.Success ? pattern.queryInfo : null,
      refs: pattern.refs,
      dest: pattern.dest,
      labels: rowLabels,
    };
  }

  /** Spreads a job's slot-ms evenly over the minutes it ran. */
  private addUsage(reservationId: string, startUs: number, endUs: number, slotMs: number): void {
    const usage = this.tally!.usageSlotMs[reservationId]!;
    const perUs = slotMs / (endUs - startUs);
    let at = startUs;
    while (at < endUs) {
      const minute = Math.floor((at - this.period.startUs) / usPerMinute);
      const until = Math.min(endUs, this.period.startUs + (minute + 1) * usPerMinute);
      if (minute >= 0 && minute < usage.length) usage[minute]! += (until - at) * perUs;
      at = until;
    }
  }
}

const int64 = (value: number | null): string | null => (value === null ? null : String(value));

function toRow(job: JobRecord, ts: TimestampFormatter): JobExportRow {
  return {
    creation_time: ts.format(job.createdUs),
    start_time: ts.format(job.startUs),
    end_time: ts.format(job.endUs),
    project_id: job.projectId,
    user_email: job.actor.email,
    principal_subject: job.actor.principal,
    job_id: jobIdOf(job),
    parent_job_id: job.childIndex < 0 ? null : `bquxjob_${hex8(job.idHigh)}${hex8(job.idLow)}`,
    job_type: job.jobType,
    statement_type: job.statementType,
    priority: job.priority,
    state: 'DONE',
    error_result: job.error,
    cache_hit: job.cacheHit,
    total_bytes_processed: int64(job.processed),
    total_bytes_billed: int64(job.billed),
    total_slot_ms: int64(job.slotMs),
    reservation_id: job.reservationId,
    edition: job.edition,
    query: job.query,
    query_info: job.queryInfo,
    referenced_tables: job.refs,
    destination_table: job.dest,
    labels: job.labels,
  };
}

/**
 * JOBS_BY_PROJECT rows for the whole period, day by day. Pass a tally (from `createDemoTally`)
 * to collect counts and reservation usage for `demoTruth` and `generateReservationsTimeline`.
 */
export function* generateJobs(opts: DemoOptions, tally?: DemoTally): Generator<JobExportRow> {
  const ts = new TimestampFormatter();
  for (const job of new JobGenerator(periodOf(opts), buildOrg(), tally).records()) {
    yield toRow(job, ts);
  }
}

// NDJSON bytes written directly, without a string per row: at a million jobs, building and
// encoding ~1 GiB of row strings (and collecting the garbage) costs several times the
// generation itself. The output is byte-identical to JSON.stringify of `generateJobs` rows.

const utf8 = new TextEncoder();
const ascii = (text: string) => utf8.encode(text);
const jsonKeys = {
  creation: ascii('{"creation_time":"'),
  start: ascii(' UTC","start_time":"'),
  end: ascii(' UTC","end_time":"'),
  bquxjob: ascii('bquxjob_'),
  scriptJob: ascii('script_job_'),
  noParent: ascii('","parent_job_id":null'),
  parent: ascii('","parent_job_id":"bquxjob_'),
  cacheHit: ascii(',"cache_hit":true,"total_bytes_processed":'),
  noCacheHit: ascii(',"cache_hit":false,"total_bytes_processed":'),
  billed: ascii(',"total_bytes_billed":'),
  slotMs: ascii(',"total_slot_ms":'),
  queryInfo: ascii(',"query_info":'),
  refs: ascii(',"referenced_tables":'),
  dest: ascii(',"destination_table":'),
  labels: ascii(',"labels":'),
  close: ascii('}\n'),
  null: ascii('null'),
};

const chunkBytes = 1 << 20;
const maxRowBytes = 1 << 16;

class JsonlEncoder {
  private chunk: Uint8Array;
  private used = 0;
  private day = Number.NaN;
  private dayPrefix = new Uint8Array(0);
  private texts = new Map<string, Uint8Array>();
  private readonly objects = new WeakMap<object, Uint8Array>();
  private readonly actors = new WeakMap<Actor, Uint8Array>();
  private readonly projects = new Map<string, Uint8Array>();
  private readonly interactiveKinds = new Map<string, Uint8Array>();
  private readonly batchKinds = new Map<string, Uint8Array>();
  private readonly reservations = new Map<string, Uint8Array>();

  constructor(private readonly allocate: (bytes: number) => Uint8Array) {
    this.chunk = allocate(chunkBytes + maxRowBytes);
  }

  get full(): boolean {
    return this.used >= chunkBytes;
  }

  get empty(): boolean {
    return this.used === 0;
  }

  take(): Uint8Array {
    const out = this.chunk.subarray(0, this.used);
    this.chunk = this.allocate(chunkBytes + maxRowBytes);
    this.used = 0;
    return out;
  }

  job(job: JobRecord): void {
    const k = jsonKeys;
    this.raw(k.creation);
    this.timestamp(job.createdUs);
    this.raw(k.start);
    this.timestamp(job.startUs);
    this.raw(k.end);
    this.timestamp(job.endUs);
    let project = this.projects.get(job.projectId);
    if (project === undefined) {
      project = ascii(` UTC","project_id":"${job.projectId}`);
      this.projects.set(job.projectId, project);
    }
    this.raw(project);
    let actor = this.actors.get(job.actor);
    if (actor === undefined) {
      actor = ascii(
        `","user_email":"${job.actor.email}","principal_subject":"${job.actor.principal}","job_id":"`,
      );
      this.actors.set(job.actor, actor);
    }
    this.raw(actor);
    if (job.childIndex < 0) {
      this.raw(k.bquxjob);
      this.hex8(job.idHigh);
      this.hex8(job.idLow);
      this.raw(k.noParent);
    } else {
      this.raw(k.scriptJob);
      this.hex8(job.idHigh);
      this.hex8(job.idLow);
      this.chunk[this.used++] = 0x5f;
      this.chunk[this.used++] = 48 + job.childIndex;
      this.raw(k.parent);
      this.hex8(job.idHigh);
      this.hex8(job.idLow);
      this.chunk[this.used++] = 0x22;
    }
    // Statement type (or job type, for non-query jobs) and priority: a handful of combinations.
    const kinds = job.priority === 'BATCH' ? this.batchKinds : this.interactiveKinds;
    const kindKey = job.statementType ?? job.jobType;
    let kind = kinds.get(kindKey);
    if (kind === undefined) {
      kind = ascii(
        `,"job_type":"${job.jobType}","statement_type":${JSON.stringify(job.statementType)}` +
          `,"priority":"${job.priority}","state":"DONE","error_result":`,
      );
      kinds.set(kindKey, kind);
    }
    this.raw(kind);
    this.object(job.error);
    this.raw(job.cacheHit ? k.cacheHit : k.noCacheHit);
    this.int64(job.processed);
    this.raw(k.billed);
    this.int64(job.billed);
    this.raw(k.slotMs);
    this.int64(job.slotMs);
    // Each reservation has one edition; on-demand jobs have neither.
    const reservationKey = job.reservationId ?? '';
    let reservation = this.reservations.get(reservationKey);
    if (reservation === undefined) {
      reservation = ascii(
        `,"reservation_id":${JSON.stringify(job.reservationId)},"edition":${JSON.stringify(job.edition)},"query":`,
      );
      this.reservations.set(reservationKey, reservation);
    }
    this.raw(reservation);
    this.text(job.query);
    this.raw(k.queryInfo);
    this.object(job.queryInfo);
    this.raw(k.refs);
    this.object(job.refs);
    this.raw(k.dest);
    this.object(job.dest);
    this.raw(k.labels);
    this.object(job.labels);
    this.raw(k.close);
  }

  private raw(bytes: Uint8Array): void {
    const length = bytes.length;
    if (length > 48) {
      this.chunk.set(bytes, this.used);
    } else {
      // A plain loop beats TypedArray#set's call overhead for short fragments.
      const chunk = this.chunk;
      const at = this.used;
      for (let i = 0; i < length; i++) chunk[at + i] = bytes[i]!;
    }
    this.used += length;
  }

  /** Query texts need JSON escaping (newlines, quotes): done once per distinct text. */
  private text(text: string | null): void {
    if (text === null) return this.raw(jsonKeys.null);
    let bytes = this.texts.get(text);
    if (bytes === undefined) {
      if (this.texts.size >= 20_000) this.texts = new Map();
      bytes = utf8.encode(JSON.stringify(text));
      this.texts.set(text, bytes);
    }
    this.raw(bytes);
  }

  /** Nested values are shared, frozen objects: each is serialised once. */
  private object(value: object | null): void {
    if (value === null) return this.raw(jsonKeys.null);
    let bytes = this.objects.get(value);
    if (bytes === undefined) {
      bytes = utf8.encode(JSON.stringify(value));
      this.objects.set(value, bytes);
    }
    this.raw(bytes);
  }

  /** A quoted non-negative integer below 2^53, in int32 arithmetic (two halves of 8 digits). */
  private int64(value: number | null): void {
    if (value === null) return this.raw(jsonKeys.null);
    const chunk = this.chunk;
    chunk[this.used++] = 0x22;
    const high = Math.floor(value / 1e8);
    let low = value - high * 1e8;
    if (high > 0) {
      this.digits(high);
      for (let at = this.used + 7; at >= this.used; at--) {
        chunk[at] = 48 + (low % 10);
        low = (low / 10) | 0;
      }
      this.used += 8;
    } else {
      this.digits(low);
    }
    chunk[this.used++] = 0x22;
  }

  private digits(value: number): void {
    let count = 1;
    for (let bound = 10; value >= bound; bound *= 10) count++;
    const chunk = this.chunk;
    let rest = value | 0;
    for (let at = this.used + count - 1; at >= this.used; at--) {
      chunk[at] = 48 + (rest % 10);
      rest = (rest / 10) | 0;
    }
    this.used += count;
  }

  private hex8(value: number): void {
    const chunk = this.chunk;
    for (let shift = 28; shift >= 0; shift -= 4) {
      const nibble = (value >>> shift) & 15;
      chunk[this.used++] = nibble < 10 ? 48 + nibble : 87 + nibble;
    }
  }

  private twoDigits(value: number): void {
    this.chunk[this.used++] = 48 + Math.floor(value / 10);
    this.chunk[this.used++] = 48 + (value % 10);
  }

  /** Same shape as TimestampFormatter, `YYYY-MM-DD hh:mm:ss.ffffff`; the fragment after it starts with ` UTC`. */
  private timestamp(us: number): void {
    const day = Math.floor(us / usPerDay);
    if (day !== this.day) {
      this.day = day;
      this.dayPrefix = ascii(`${isoDay(day)} `);
    }
    this.raw(this.dayPrefix);
    let rest = us - day * usPerDay;
    const hours = Math.floor(rest / usPerHour);
    rest -= hours * usPerHour;
    const minutes = Math.floor(rest / usPerMinute);
    rest -= minutes * usPerMinute;
    const seconds = Math.floor(rest / usPerSecond);
    const micros = rest - seconds * usPerSecond;
    this.twoDigits(hours);
    this.chunk[this.used++] = 0x3a;
    this.twoDigits(minutes);
    this.chunk[this.used++] = 0x3a;
    this.twoDigits(seconds);
    this.chunk[this.used++] = 0x2e;
    for (let divisor = 100_000; divisor >= 1; divisor /= 10) {
      this.chunk[this.used++] = 48 + (Math.floor(micros / divisor) % 10);
    }
  }
}

/**
 * jobs.jsonl as UTF-8 chunks of about 1 MiB: byte-identical to the rows of `generateJobs`
 * through JSON.stringify, one per line, but several times faster. Takes a tally like
 * `generateJobs`; `tally.jobs` counts the rows encoded so far. Each chunk is a fresh
 * allocation from `allocate` (it need not be zeroed: Node's `Buffer.allocUnsafe` is fastest).
 */
export function* generateJobsJsonl(
  opts: DemoOptions,
  tally?: DemoTally,
  allocate: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes),
): Generator<Uint8Array> {
  const encoder = new JsonlEncoder(allocate);
  for (const job of new JobGenerator(periodOf(opts), buildOrg(), tally).records()) {
    encoder.job(job);
    if (encoder.full) yield encoder.take();
  }
  if (!encoder.empty) yield encoder.take();
}

function completedTally(opts: DemoOptions, tally?: DemoTally): DemoTally {
  if (tally?.complete) return tally;
  const fresh = createDemoTally();
  for (const _job of new JobGenerator(periodOf(opts), buildOrg(), fresh).records()) {
    // counting only
  }
  return fresh;
}

// ---------------------------------------------------------------------------------------------
// Storage

interface TableBytes {
  table: TableDef;
  totalLogical: number;
  activeLogical: number;
  longTermLogical: number;
  activePhysical: number;
  longTermPhysical: number;
  timeTravel: number;
  failSafe: number;
  rows: number;
  jitterUs: number;
}

function tableBytes(period: Period, table: TableDef, index: number): TableBytes {
  const rng = new Rng(seedFor(period.seed, storageStream, index));
  const totalLogical = Math.round(table.gib * GiB * rng.range(0.96, 1.04));
  // Long-term storage is per partition; an unpartitioned table is all one or the other.
  const activeShare =
    table.partitions > 0 ? (table.activeShare ?? 0.1) : table.modifiedDaysAgo < 90 ? 1 : 0;
  const activeLogical = Math.round(totalLogical * activeShare);
  const longTermLogical = totalLogical - activeLogical;
  const baseActivePhysical = Math.round(activeLogical / table.compression);
  const timeTravel = Math.round(baseActivePhysical * (table.timeTravelShare ?? 0.05));
  const failSafe = Math.round(baseActivePhysical * (table.failSafeShare ?? 0.05));
  return {
    table,
    totalLogical,
    activeLogical,
    longTermLogical,
    activePhysical: baseActivePhysical + timeTravel,
    longTermPhysical: Math.round(longTermLogical / table.compression),
    timeTravel,
    failSafe,
    rows: Math.round(totalLogical / table.rowBytes),
    jitterUs: 1 + rng.int(600 * usPerSecond),
  };
}

/** TABLE_STORAGE: one snapshot as of the end of the period. */
export function* generateTableStorage(opts: DemoOptions): Generator<TableStorageExportRow> {
  const period = periodOf(opts);
  const ts = new TimestampFormatter();
  const endUs = period.endDay * usPerDay;
  let index = 0;
  for (const table of tableList) {
    const bytes = tableBytes(period, table, index++);
    yield {
      project_id: table.project,
      table_schema: table.dataset,
      table_name: table.table,
      creation_time: ts.format(
        endUs - Math.round(table.createdDaysAgo * usPerDay) - bytes.jitterUs,
      ),
      total_rows: String(bytes.rows),
      total_partitions: String(table.partitions),
      total_logical_bytes: String(bytes.totalLogical),
      active_logical_bytes: String(bytes.activeLogical),
      long_term_logical_bytes: String(bytes.longTermLogical),
      total_physical_bytes: String(bytes.activePhysical + bytes.longTermPhysical),
      active_physical_bytes: String(bytes.activePhysical),
      long_term_physical_bytes: String(bytes.longTermPhysical),
      time_travel_physical_bytes: String(bytes.timeTravel),
      fail_safe_physical_bytes: String(bytes.failSafe),
      storage_last_modified_time: ts.format(
        endUs - Math.round(table.modifiedDaysAgo * usPerDay) - bytes.jitterUs,
      ),
      table_type: 'BASE TABLE',
    };
  }
}

/** SCHEMATA_OPTIONS: string options are shown quoted, as BigQuery does (`"PHYSICAL"`). */
export function* generateSchemataOptions(opts: DemoOptions): Generator<SchemataOptionExportRow> {
  periodOf(opts);
  for (const dataset of datasetDefs) {
    const row = (
      option_name: string,
      option_type: string,
      option_value: string,
    ): SchemataOptionExportRow => ({
      catalog_name: dataset.project,
      schema_name: dataset.dataset,
      option_name,
      option_type,
      option_value,
    });
    yield row('description', 'STRING', JSON.stringify(dataset.description));
    if (dataset.model === 'PHYSICAL') yield row('storage_billing_model', 'STRING', '"PHYSICAL"');
    for (const [name, type, value] of dataset.options ?? []) yield row(name, type, value);
  }
}

// ---------------------------------------------------------------------------------------------
// Reservations timeline

/**
 * RESERVATIONS_TIMELINE: one row per reservation per minute of the period. The autoscaler
 * follows the jobs' slot usage in steps of 50 and holds each step one extra minute, so billed
 * capacity exceeds used slot-ms. Pass the tally of a finished `generateJobs` pass to avoid
 * generating the jobs a second time.
 */
export function* generateReservationsTimeline(
  opts: DemoOptions,
  tally?: DemoTally,
): Generator<ReservationsTimelineExportRow> {
  const period = periodOf(opts);
  const usage = completedTally(opts, tally).usageSlotMs;
  const ts = new TimestampFormatter();
  const minutes = period.days * minutesPerDay;
  for (const def of reservationList) {
    const size = reservationSize(def, period.jobsPerDay);
    const used = usage[def.id] ?? new Float64Array(minutes);
    const maxSlots = String(size.autoscaleMaxSlots);
    const baseline = String(size.baselineSlots);
    let previousStep = 0;
    for (let minute = 0; minute < minutes; minute++) {
      const slots = used[minute]! / 60_000;
      const over = Math.max(0, slots - size.baselineSlots);
      const step = Math.min(size.autoscaleMaxSlots, Math.ceil(over / 50) * 50);
      const current = Math.max(step, previousStep);
      previousStep = step;
      yield {
        period_start: ts.format(period.startUs + minute * usPerMinute),
        project_id: adminProject,
        project_number: adminProjectNumber,
        reservation_id: def.id,
        reservation_name: def.name,
        edition: def.edition,
        ignore_idle_slots: true,
        labels: noLabels,
        slots_assigned: baseline,
        slots_max_assigned: baseline,
        autoscale: { current_slots: String(current), max_slots: maxSlots },
        // Each step is held for the whole minute, so the minute bills current_slots × 60.
        period_autoscale_slot_seconds: String(current * 60),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Truth

export interface DemoTruthItem {
  kind: string;
  target: string;
  rule?: DemoAntipatternRule;
  note: string;
  jobIds?: string[];
}

export interface DemoTruth {
  seed: number;
  days: number;
  jobsPerDay: number;
  end: string;
  planted: DemoTruthItem[];
  traps: DemoTruthItem[];
  anomalies: { scope: string; day: string; note: string }[];
  counts: {
    jobs: number;
    scriptParents: number;
    cacheHits: number;
    failed: number;
    reservationJobs: number;
    unlabeled: number;
  };
  countsNote: string;
  projects: string[];
  reservations: {
    id: string;
    edition: string;
    baselineSlots: number;
    autoscaleMaxSlots: number;
    usedBy: string;
  }[];
  datasets: { dataset: string; storageBillingModel: StorageModel }[];
  queryPatterns: Record<string, string>;
}

/** Everything planted in the demo data, and the traps an engine must not fall into. */
export function demoTruth(opts: DemoOptions, tally?: DemoTally): DemoTruth {
  const period = periodOf(opts);
  const counts = completedTally(opts, tally);
  const org = buildOrg();
  const p = org.patterns;
  const hash = (id: PatternId) => p[id].hash;
  const [ordersScript, sessionizeScript] = org.scripts as [Script, Script];
  const finance = reservationSize(reservationDefs.finance, period.jobsPerDay);
  const spike = spikeDay(period);
  const mondays: string[] = [];
  for (let day = period.startDay; day < period.endDay; day++)
    if (weekdayOf(day) === 1) mondays.push(isoDay(day));

  const planted: DemoTruthItem[] = [
    {
      kind: 'partition_table',
      target: t.webEvents.key,
      note: '4.5 TiB unpartitioned table; segment-sync runs hourly (and growth analysts daily) with WHERE event_date >= ..., each scanning ~1.1 TiB',
    },
    {
      kind: 'cluster_table',
      target: t.orderItems.key,
      note: '450 GiB table; crm-api and support analysts look up WHERE customer_id = <id> dozens of times a day',
    },
    {
      kind: 'require_partition_filter',
      target: t.appEvents.key,
      note: '6 TiB table with 420 partitions; the app-health dashboard and BI ad-hoc queries never filter on its partition column (event_ts)',
    },
    {
      kind: 'sql_antipattern',
      rule: 'missing_partition_filter',
      target: hash('dashAppHealth'),
      note: 'app-health dashboard on logs.app_events without a partition filter',
    },
    {
      kind: 'sql_antipattern',
      rule: 'missing_partition_filter',
      target: hash('biAppEventsAdhoc'),
      note: 'BI ad-hoc query on logs.app_events without a partition filter',
    },
    ...(['segmentCartAbandoners', 'segmentHighIntent', 'segmentLapsed'] as const).map(
      (id): DemoTruthItem => ({
        kind: 'sql_antipattern',
        rule: 'unpartitioned_date_filter',
        target: hash(id),
        note: `segment-sync ${id} filters the unpartitioned events.web_events on event_date`,
      }),
    ),
    {
      kind: 'storage_billing_model',
      target: 'acme-analytics.raw_logs',
      note: 'LOGICAL dataset compressing ~10x with little time travel: PHYSICAL billing costs a fraction',
    },
    ...[t.legacyEvents2024, t.campaignSnapshot2025q4, t.trainingSetV1].map(
      (table): DemoTruthItem => ({
        kind: 'expire_unused_table',
        target: table.key,
        note:
          table === t.trainingSetV1
            ? `${table.gib} GiB; read by data scientists only more than ${earlyUseOffsetDays} days before the end, never since`
            : `${table.gib} GiB; no job references it in the whole period`,
      }),
    ),
    {
      kind: 'pricing_model',
      target: projects.marketing.id,
      note: 'on-demand project scanning ~25 TiB a day with ~5 slot-hours per TiB: editions would cost a small fraction',
    },
    {
      kind: 'pricing_model',
      target: reservationDefs.finance.id,
      note: `idle reservation: ${finance.baselineSlots} baseline slots around the clock while acme-finance jobs use a few percent of them`,
    },
    {
      kind: 'materialize_repeated_query',
      target: hash('dashExecRevenue'),
      note: 'exec-revenue dashboard: the same query over reporting.orders_enriched every 15 minutes (at 800 jobs/day), ~80 GiB each',
    },
    {
      kind: 'cap_bytes_billed',
      target: runawayAnalyst.email,
      note: 'occasional runaway queries of tens of TiB against usual queries of tens of GiB',
      jobIds: [...counts.runawayJobIds],
    },
    {
      kind: 'sql_antipattern',
      rule: 'select_star',
      target: hash('biSelectStar'),
      note: 'SELECT * on sales.customers',
    },
    {
      kind: 'sql_antipattern',
      rule: 'order_by_without_limit',
      target: hash('biOrderByNoLimit'),
      note: 'ORDER BY without LIMIT',
    },
    {
      kind: 'sql_antipattern',
      rule: 'regexp_contains_instead_of_like',
      target: hash('growthRegexp'),
      note: "REGEXP_CONTAINS(page_url, '<plain word>')",
    },
    {
      kind: 'sql_antipattern',
      rule: 'latest_record_with_analytic_function',
      target: hash('supportLatestStatus'),
      note: 'ROW_NUMBER() OVER (...) then WHERE rn = 1',
    },
    {
      kind: 'sql_antipattern',
      rule: 'semi_join_without_aggregation',
      target: hash('biSemiJoin'),
      note: 'IN (SELECT customer_id ...) without DISTINCT',
    },
    {
      kind: 'sql_antipattern',
      rule: 'cte_referenced_multiple_times',
      target: hash('biCteTwice'),
      note: 'CTE `daily` joined to itself',
    },
    {
      kind: 'sql_antipattern',
      rule: 'dynamic_predicate',
      target: hash('biDynamicPredicate'),
      note: 'WHERE order_date IN (SELECT MAX(order_date) ...) defeats partition pruning',
    },
    {
      kind: 'sql_antipattern',
      rule: 'missing_drop_temp_table',
      target: ordersScript.parent.hash,
      note: 'ETL script orders_enriched creates TEMP TABLE new_orders and never drops it',
    },
  ];

  const cleanPatterns: PatternId[] = [
    'biCleanRevenue',
    'biCleanExcept',
    'biCleanStruct',
    'biCleanQualify',
    'growthProductPages',
    'growthCampaignPerf',
  ];
  const traps: DemoTruthItem[] = [
    {
      kind: 'storage_billing_model',
      target: 'acme-finance.ledger',
      note: 'already on PHYSICAL, which is the cheaper model for it',
    },
    {
      kind: 'storage_billing_model',
      target: 'acme-ml.feature_store',
      note: 'LOGICAL, low compression and heavy time travel/fail-safe from daily rebuilds: PHYSICAL would cost more',
    },
    {
      kind: 'expire_unused_table',
      target: t.ordersHistory.key,
      note: 'unmodified for over a year, but the recon job reads it every day',
    },
    {
      kind: 'pricing_model',
      target: projects.ml.id,
      note: 'slot-heavy, bytes-light (JS UDFs, ML.PREDICT): on-demand is cheaper than editions',
    },
    {
      kind: 'reservation_bytes_billed',
      target: reservationDefs.etl.id,
      note: 'acme-etl (and acme-finance) jobs run in reservations yet show nonzero total_bytes_billed; they are not billed per byte',
    },
    {
      kind: 'failed_job_bytes',
      target: 'error_result',
      note: 'some failed jobs (resourcesExceeded, stopped) report nonzero bytes billed; failed jobs bill nothing',
    },
    {
      kind: 'cache_hit',
      target: 'cache_hit',
      note: 'cache hits report total_bytes_billed 0 or null',
    },
    {
      kind: 'script_double_count',
      target: 'SCRIPT',
      note: 'SCRIPT parents repeat their children bytes and slot-ms; summing both double counts',
    },
    {
      kind: 'free_shared_pool',
      target: freeSharedPool,
      note: 'LOAD and EXTRACT jobs report the free shared pool as reservation_id; they bill nothing',
    },
    {
      kind: 'anomaly',
      target: `project:${projects.analytics.id}`,
      note: `weekly batch every Monday (${mondays.join(', ')}): seasonality, not an anomaly`,
    },
    {
      kind: 'anomaly',
      target: `user:${robots.weeklyReports.email}`,
      note: 'weekly batch every Monday: seasonality, not an anomaly',
    },
    ...cleanPatterns.map((id): DemoTruthItem => ({
      kind: 'sql_antipattern',
      target: hash(id),
      note: `${id}: clean query (QUALIFY, STRUCT, EXCEPT, LIMIT, real regex)`,
    })),
    {
      kind: 'sql_antipattern',
      rule: 'missing_drop_temp_table',
      target: sessionizeScript.parent.hash,
      note: 'ETL script sessionize drops its temp table',
    },
  ];

  const anomalies: DemoTruth['anomalies'] = [];
  if (spike !== null) {
    const day = isoDay(spike);
    const note = 'backfill of ~1.5 TiB INSERTs from events.web_events';
    anomalies.push(
      { scope: `project:${projects.marketing.id}`, day, note },
      { scope: `user:${spikeAnalyst.email}`, day, note },
      { scope: 'label:team:growth', day, note },
    );
  }
  for (const day of runawayDays(period)) {
    anomalies.push({
      scope: `user:${runawayAnalyst.email}`,
      day: isoDay(day),
      note: 'incidental: a runaway query (see cap_bytes_billed)',
    });
  }

  const queryPatterns: Record<string, string> = {};
  for (const pattern of Object.values(p)) queryPatterns[pattern.id] = pattern.hash;
  for (const script of org.scripts) {
    queryPatterns[script.parent.id] = script.parent.hash;
    for (const child of script.children) queryPatterns[child.id] = child.hash;
  }

  return {
    seed: period.seed,
    days: period.days,
    jobsPerDay: period.jobsPerDay,
    end: opts.end.toISOString(),
    planted,
    traps,
    anomalies,
    counts: {
      jobs: counts.jobs,
      scriptParents: counts.scriptParents,
      cacheHits: counts.cacheHits,
      failed: counts.failed,
      reservationJobs: counts.reservationJobs,
      unlabeled: counts.unlabeled,
    },
    countsNote:
      'jobs counts every row of jobs.jsonl; the other counts exclude SCRIPT parents. reservationJobs excludes the free default-pipeline pool.',
    projects: [...Object.values(projects).map((project) => project.id), adminProject],
    reservations: reservationList.map((def) => ({
      id: def.id,
      edition: def.edition,
      ...reservationSize(def, period.jobsPerDay),
      usedBy: def === reservationDefs.etl ? projects.etl.id : projects.finance.id,
    })),
    datasets: datasetDefs.map((d) => ({
      dataset: `${d.project}.${d.dataset}`,
      storageBillingModel: d.model,
    })),
    queryPatterns,
  };
}
