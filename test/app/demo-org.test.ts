import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDemoTally,
  demoTruth,
  generateJobs,
  generateJobsJsonl,
  generateReservationsTimeline,
  generateSchemataOptions,
  generateTableStorage,
  type DemoOptions,
  type DemoTruth,
  type DemoTruthItem,
  type JobExportRow,
  type ReservationsTimelineExportRow,
  type SchemataOptionExportRow,
  type TableStorageExportRow,
} from '../../src/app/demo-org.js';
import { writeDemoExports } from '../../src/app/demo-export-writer.js';
import {
  jobColumns,
  reservationsTimelineColumns,
  schemataOptionColumns,
  tableStorageColumns,
} from '../../src/domain/columns.js';
import {
  jobRowSchema,
  reservationsTimelineRowSchema,
  schemataOptionRowSchema,
  tableStorageRowSchema,
} from '../../src/domain/jobs.js';
import {
  parseStorageBillingModel,
  resolvePricing,
  storageUsdPerMonth,
  type StorageBillingModel,
} from '../../src/domain/pricing.js';

const TiB = 2 ** 40;
const GiB = 2 ** 30;
const dayMs = 86_400_000;
const end = new Date('2026-10-01T00:00:00Z');
const options = (over: Partial<DemoOptions> = {}): DemoOptions => ({
  seed: 42,
  days: 40,
  jobsPerDay: 150,
  end,
  ...over,
});

const timestampPattern = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} UTC$/;
const ms = (timestamp: string) =>
  Date.parse(`${timestamp.slice(0, 10)}T${timestamp.slice(11, 26)}Z`);
const dayOf = (timestamp: string) => timestamp.slice(0, 10);
const int = (value: string | null) => (value === null ? 0 : Number(value));
const big = (value: string | null) => (value === null ? 0n : BigInt(value));
const serialize = (rows: Iterable<unknown>) =>
  [...rows].map((row) => JSON.stringify(row)).join('\n');
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const isoDay = (msValue: number) => new Date(msValue).toISOString().slice(0, 10);
const tableKey = (ref: { project_id: string; dataset_id: string; table_id: string }) =>
  `${ref.project_id}.${ref.dataset_id}.${ref.table_id}`;
/** On-demand list price of a row, as the engine must compute it. */
const onDemandUsd = (row: JobExportRow) =>
  row.statement_type === 'SCRIPT' ||
  row.reservation_id !== null ||
  row.error_result ||
  row.cache_hit
    ? 0
    : (int(row.total_bytes_billed) / TiB) * 6.25;

interface Fixture {
  opts: DemoOptions;
  jobs: JobExportRow[];
  storage: TableStorageExportRow[];
  schemata: SchemataOptionExportRow[];
  timeline: ReservationsTimelineExportRow[];
  truth: DemoTruth;
}

function build(opts: DemoOptions): Fixture {
  const tally = createDemoTally();
  const jobs = [...generateJobs(opts, tally)];
  return {
    opts,
    jobs,
    storage: [...generateTableStorage(opts)],
    schemata: [...generateSchemataOptions(opts)],
    timeline: [...generateReservationsTimeline(opts, tally)],
    truth: demoTruth(opts, tally),
  };
}

let f: Fixture;
beforeAll(() => {
  f = build(options());
});

const planted = (kind: string, rule?: string): DemoTruthItem[] =>
  f.truth.planted.filter(
    (item) => item.kind === kind && (rule === undefined || item.rule === rule),
  );
const one = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0]!;
};
const windowStartMs = () => end.getTime() - 30 * dayMs;
const inWindow = (row: JobExportRow) => ms(row.creation_time) >= windowStartMs();
const reads = (row: JobExportRow, key: string) =>
  row.referenced_tables.some((ref) => tableKey(ref) === key);
const storageRow = (key: string) => {
  const row = f.storage.find((r) => `${r.project_id}.${r.table_schema}.${r.table_name}` === key);
  expect(row, key).toBeDefined();
  return row!;
};

describe('options', () => {
  it('rejects an end that is not a UTC midnight, and empty periods', () => {
    expect(() => generateJobs(options({ end: new Date('2026-10-01T05:00:00Z') })).next()).toThrow(
      /UTC midnight/,
    );
    expect(() => generateJobs(options({ days: 0 })).next()).toThrow(/days/);
    expect(() => generateJobs(options({ jobsPerDay: 0 })).next()).toThrow(/jobsPerDay/);
    expect(() => demoTruth(options({ end: new Date(Number.NaN) }))).toThrow(/UTC midnight/);
  });
});

describe('determinism', () => {
  it('gives byte-identical output for the same seed', () => {
    const again = build(options());
    expect(serialize(again.jobs)).toBe(serialize(f.jobs));
    expect(serialize(again.storage)).toBe(serialize(f.storage));
    expect(serialize(again.schemata)).toBe(serialize(f.schemata));
    expect(serialize(again.timeline)).toBe(serialize(f.timeline));
    expect(JSON.stringify(again.truth)).toBe(JSON.stringify(f.truth));
  });

  it('gives different data for a different seed, with the same query shapes', () => {
    const other = build(options({ seed: 43 }));
    expect(serialize(other.jobs)).not.toBe(serialize(f.jobs));
    expect(serialize(other.storage)).not.toBe(serialize(f.storage));
    expect(other.truth.queryPatterns).toEqual(f.truth.queryPatterns);
  });

  it('keeps no shared state between generators running side by side', () => {
    const a = generateJobs(options({ days: 5 }));
    const b = generateJobs(options({ days: 5 }));
    const fromA: string[] = [];
    const fromB: string[] = [];
    for (;;) {
      const x = a.next();
      const y = b.next();
      if (x.done || y.done) {
        expect(x.done && y.done).toBe(true);
        break;
      }
      fromA.push(JSON.stringify(x.value));
      fromB.push(JSON.stringify(y.value));
    }
    expect(fromA).toEqual(fromB);
    expect(fromA.join('\n')).toBe(serialize(generateJobs(options({ days: 5 }))));
  });
});

describe('writeDemoExports', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('writes every view and the truth, byte-identically on each run', async () => {
    const opts = options({ days: 12, jobsPerDay: 100 });
    const root = await mkdtemp(join(tmpdir(), 'bqcost-demo-'));
    dirs.push(root);
    const progress: number[] = [];
    const first = await writeDemoExports(join(root, 'a', 'nested'), opts, (n) => progress.push(n));
    const second = await writeDemoExports(join(root, 'b'), opts);

    const names = first.files.map((file) => file.slice(join(root, 'a', 'nested').length + 1));
    expect(names.sort()).toEqual([
      'demo-truth.json',
      'jobs.jsonl',
      'reservations_timeline.jsonl',
      'schemata_options.jsonl',
      'table_storage.jsonl',
    ]);
    for (const [i, file] of first.files.entries()) {
      expect(await readFile(file, 'utf8')).toBe(await readFile(second.files[i]!, 'utf8'));
    }

    const jobsText = await readFile(join(root, 'a', 'nested', 'jobs.jsonl'), 'utf8');
    const lines = jobsText.trimEnd().split('\n');
    expect(jobsText.endsWith('\n')).toBe(true);
    expect(lines).toHaveLength(first.jobs);
    expect(jobsText.trimEnd()).toBe(serialize(generateJobs(opts)));
    expect(progress.at(-1)).toBe(first.jobs);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    // The writer reuses the jobs pass for the timeline and the truth; the result must be the same.
    const timeline = await readFile(join(root, 'b', 'reservations_timeline.jsonl'), 'utf8');
    expect(timeline.trimEnd()).toBe(serialize(generateReservationsTimeline(opts)));
    const truth = JSON.parse(
      await readFile(join(root, 'b', 'demo-truth.json'), 'utf8'),
    ) as DemoTruth;
    expect(truth).toEqual(JSON.parse(JSON.stringify(demoTruth(opts))));
    expect(truth.counts.jobs).toBe(first.jobs);
  });
});

describe('jobs rows', () => {
  it('encode to jobs.jsonl bytes exactly as JSON.stringify of the rows, in whole-line chunks', () => {
    const decoder = new TextDecoder();
    const tally = createDemoTally();
    const chunks = [...generateJobsJsonl(f.opts, tally)];
    for (const chunk of chunks) expect(chunk.at(-1)).toBe(0x0a);
    expect(chunks.map((chunk) => decoder.decode(chunk)).join('')).toBe(`${serialize(f.jobs)}\n`);
    expect(tally.jobs).toBe(f.jobs.length);
    expect(tally.complete).toBe(true);
  });

  it('have exactly the JOBS columns and parse with the domain schema', () => {
    const names = jobColumns.map((column) => column.name);
    for (const row of f.jobs) {
      expect(Object.keys(row)).toEqual(names);
      const parsed = jobRowSchema.safeParse(JSON.parse(JSON.stringify(row)));
      expect(parsed.success, row.job_id).toBe(true);
    }
  });

  it('use the export formats: timestamps, INT64 strings, principals, ids', () => {
    const startMs = end.getTime() - f.opts.days * dayMs;
    const ids = new Set<string>();
    for (const row of f.jobs) {
      for (const value of [row.creation_time, row.start_time, row.end_time]) {
        expect(value).toMatch(timestampPattern);
      }
      expect(ms(row.creation_time)).toBeGreaterThanOrEqual(startMs);
      expect(ms(row.creation_time)).toBeLessThan(end.getTime());
      expect(ms(row.start_time)).toBeGreaterThanOrEqual(ms(row.creation_time));
      expect(ms(row.end_time)).toBeGreaterThanOrEqual(ms(row.start_time));
      for (const value of [row.total_bytes_processed, row.total_bytes_billed, row.total_slot_ms]) {
        if (value !== null) expect(value).toMatch(/^(0|[1-9]\d*)$/);
      }
      expect(
        row.principal_subject === `user:${row.user_email}` ||
          row.principal_subject === `serviceAccount:${row.user_email}`,
      ).toBe(true);
      expect(row.user_email).toMatch(
        row.principal_subject.startsWith('user:')
          ? /^[a-z]+\.[a-z]+@acme\.example$/
          : /^[a-z-]+@acme-[a-z]+\.iam\.gserviceaccount\.com$/,
      );
      expect(row.job_id).toMatch(
        row.parent_job_id ? /^script_job_[0-9a-f]{16}_[0-4]$/ : /^bquxjob_[0-9a-f]{16}$/,
      );
      expect(ids.has(row.job_id), row.job_id).toBe(false);
      ids.add(row.job_id);
      expect(row.state).toBe('DONE');
      for (const label of row.labels) expect(Object.keys(label)).toEqual(['key', 'value']);
    }
  });

  it('set statement_type, query and query_info consistently with the job kind', () => {
    const kinds = new Set<string>();
    for (const row of f.jobs) {
      kinds.add(row.job_type);
      if (row.job_type === 'QUERY') {
        expect(row.statement_type).not.toBeNull();
        expect(row.query).toBeTruthy();
      } else {
        expect(row.statement_type).toBeNull();
        expect(row.query).toBeNull();
        expect(row.query_info).toBeNull();
      }
      const hashed = row.job_type === 'QUERY' && !row.cache_hit && row.error_result === null;
      expect(row.query_info !== null, row.job_id).toBe(hashed);
      if (row.query_info)
        expect(row.query_info.query_hashes.normalized_literals).toMatch(/^[0-9a-f]{16}$/);
    }
    expect([...kinds].sort()).toEqual(['COPY', 'EXTRACT', 'LOAD', 'QUERY']);
  });

  it('give one hash per query shape: same tables and statement type, literals vary', () => {
    const shapes = new Map<string, { shape: string; texts: Set<string> }>();
    for (const row of f.jobs) {
      const hash = row.query_info?.query_hashes.normalized_literals;
      if (!hash) continue;
      const shape = `${row.statement_type}|${row.referenced_tables.map(tableKey).join(',')}`;
      const seen = shapes.get(hash) ?? { shape, texts: new Set<string>() };
      expect(seen.shape).toBe(shape);
      seen.texts.add(row.query!.replace(/'[^']*'|\b\d+\b/g, '?'));
      shapes.set(hash, seen);
    }
    for (const [hash, { texts }] of shapes) expect(texts.size, hash).toBe(1);
    expect(new Set(Object.values(f.truth.queryPatterns)).size).toBe(
      Object.keys(f.truth.queryPatterns).length,
    );
  });

  it('bill cache hits nothing and keep failed jobs with bytes as a trap', () => {
    const cacheHits = f.jobs.filter((row) => row.cache_hit);
    expect(cacheHits.length).toBeGreaterThan(0.05 * f.jobs.length);
    for (const row of cacheHits) {
      expect(row.total_bytes_processed).toBe('0');
      expect([null, '0']).toContain(row.total_bytes_billed);
    }
    expect(new Set(cacheHits.map((row) => row.total_bytes_billed)).size).toBe(2);
    const failed = f.jobs.filter((row) => row.error_result !== null);
    expect(failed.some((row) => int(row.total_bytes_billed) > 0)).toBe(true);
    expect(failed.some((row) => row.total_bytes_billed === null)).toBe(true);
    for (const row of failed) expect(row.error_result!.reason).toMatch(/^[a-zA-Z]+$/);
  });

  it('run acme-etl and acme-finance in reservations, with nonzero bytes billed as a trap', () => {
    for (const row of f.jobs) {
      if (row.job_type !== 'QUERY') {
        expect(row.edition).toBeNull();
        if (row.reservation_id !== null) expect(row.reservation_id).toBe('default-pipeline');
        continue;
      }
      if (row.project_id === 'acme-etl') {
        expect(row.reservation_id).toBe('acme-admin:US.etl');
        expect(row.edition).toBe('ENTERPRISE');
      } else if (row.project_id === 'acme-finance') {
        expect(row.reservation_id).toBe('acme-admin:US.finance');
        expect(row.edition).toBe('ENTERPRISE_PLUS');
      } else {
        expect(row.reservation_id).toBeNull();
        expect(row.edition).toBeNull();
      }
    }
    const etlBilled = f.jobs.filter(
      (row) =>
        row.project_id === 'acme-etl' &&
        row.job_type === 'QUERY' &&
        int(row.total_bytes_billed) > 0,
    );
    expect(etlBilled.length).toBeGreaterThan(10);
  });

  it('follow business hours for people on weekdays', () => {
    const people = f.jobs.filter((row) => {
      const weekday = new Date(ms(row.creation_time)).getUTCDay();
      return row.principal_subject.startsWith('user:') && weekday >= 1 && weekday <= 5;
    });
    const office = people.filter((row) => {
      const hour = Number(row.creation_time.slice(11, 13));
      return hour >= 7 && hour < 19;
    });
    expect(people.length).toBeGreaterThan(1000);
    expect(office.length / people.length).toBeGreaterThan(0.9);
  });

  it('leave about 30% of jobs unlabeled and use team/env/dashboard labels', () => {
    const billable = f.jobs.filter((row) => row.statement_type !== 'SCRIPT');
    const unlabeled = billable.filter((row) => row.labels.length === 0).length / billable.length;
    expect(unlabeled).toBeGreaterThan(0.2);
    expect(unlabeled).toBeLessThan(0.4);
    const keys = new Set(f.jobs.flatMap((row) => row.labels.map((label) => label.key)));
    for (const key of ['team', 'env', 'dashboard']) expect(keys).toContain(key);
  });

  it('has about 5 projects, 15 analysts and a handful of service accounts', () => {
    const projects = new Set(f.jobs.map((row) => row.project_id));
    const people = new Set(
      f.jobs.filter((r) => r.principal_subject.startsWith('user:')).map((r) => r.user_email),
    );
    const robots = new Set(
      f.jobs
        .filter((r) => r.principal_subject.startsWith('serviceAccount:'))
        .map((r) => r.user_email),
    );
    expect(projects.size).toBe(5);
    expect(people.size).toBe(15);
    expect(robots.size).toBeGreaterThanOrEqual(6);
    expect(robots.size).toBeLessThanOrEqual(8);
  });

  it('reference only tables that exist in TABLE_STORAGE', () => {
    const tables = new Set(
      f.storage.map((r) => `${r.project_id}.${r.table_schema}.${r.table_name}`),
    );
    for (const row of f.jobs) {
      for (const ref of row.referenced_tables) expect(tables, row.job_id).toContain(tableKey(ref));
      if (row.destination_table) expect(tables).toContain(tableKey(row.destination_table));
    }
  });

  it('matches the counts in the truth', () => {
    const rows = f.jobs.filter((row) => row.statement_type !== 'SCRIPT');
    expect(f.truth.counts).toEqual({
      jobs: f.jobs.length,
      scriptParents: f.jobs.length - rows.length,
      cacheHits: rows.filter((row) => row.cache_hit).length,
      failed: rows.filter((row) => row.error_result !== null).length,
      reservationJobs: rows.filter((row) => row.reservation_id?.startsWith('acme-admin:')).length,
      unlabeled: rows.filter((row) => row.labels.length === 0).length,
    });
  });
});

describe('SCRIPT jobs', () => {
  it('repeat the sum of their children bytes processed, bytes billed and slot-ms', () => {
    const children = new Map<string, JobExportRow[]>();
    for (const row of f.jobs) {
      if (row.parent_job_id)
        children.set(row.parent_job_id, [...(children.get(row.parent_job_id) ?? []), row]);
    }
    const parents = f.jobs.filter((row) => row.statement_type === 'SCRIPT');
    expect(parents.length).toBeGreaterThan(f.opts.days);
    expect(new Set(children.keys())).toEqual(new Set(parents.map((row) => row.job_id)));
    for (const parent of parents) {
      const kids = children.get(parent.job_id)!;
      const sum = (pick: (row: JobExportRow) => string | null) =>
        kids.reduce((total, row) => total + big(pick(row)), 0n);
      expect(big(parent.total_bytes_processed)).toBe(sum((row) => row.total_bytes_processed));
      expect(big(parent.total_bytes_billed)).toBe(sum((row) => row.total_bytes_billed));
      expect(big(parent.total_slot_ms)).toBe(sum((row) => row.total_slot_ms));
      expect(big(parent.total_bytes_billed)).toBeGreaterThan(0n);
      kids.forEach((kid, i) => {
        expect(kid.job_id).toBe(`script_job_${parent.job_id.slice(8)}_${i}`);
        expect(kid.project_id).toBe(parent.project_id);
        expect(kid.reservation_id).toBe(parent.reservation_id);
        expect(kid.statement_type).not.toBe('SCRIPT');
        expect(ms(kid.creation_time)).toBeGreaterThanOrEqual(ms(parent.creation_time));
        expect(ms(kid.end_time)).toBeLessThanOrEqual(ms(parent.end_time));
      });
      const lastFailed = kids.at(-1)!.error_result !== null;
      expect(parent.error_result !== null).toBe(lastFailed);
      if (!lastFailed) {
        expect(kids.length).toBeGreaterThanOrEqual(2);
        expect(kids.length).toBeLessThanOrEqual(5);
      }
    }
    const sizes = new Set(
      parents.filter((p) => !p.error_result).map((p) => children.get(p.job_id)!.length),
    );
    expect([...sizes].sort()).toEqual([2, 3, 4, 5]);
  });
});

describe('volume', () => {
  const total = (opts: DemoOptions) => {
    const tally = createDemoTally();
    let people = 0;
    for (const row of generateJobs(opts, tally))
      if (row.principal_subject.startsWith('user:')) people++;
    return { jobs: tally.jobs, scripts: tally.scriptParents, people };
  };

  it('scales with jobs per day and with days', () => {
    const small = total(options({ days: 14, jobsPerDay: 100 }));
    const large = total(options({ days: 14, jobsPerDay: 400 }));
    expect(large.jobs / small.jobs).toBeGreaterThan(3.6);
    expect(large.jobs / small.jobs).toBeLessThan(4.4);
    expect(large.scripts / small.scripts).toBeCloseTo(4, 0);
    expect(large.people / small.people).toBeGreaterThan(3.6);
    expect(small.jobs / (14 * 100)).toBeGreaterThan(0.85);
    expect(small.jobs / (14 * 100)).toBeLessThan(1.2);
    const longer = total(options({ days: 28, jobsPerDay: 100 }));
    expect(longer.jobs / small.jobs).toBeGreaterThan(1.8);
    expect(longer.jobs / small.jobs).toBeLessThan(2.2);
  });

  it('bills a plausible few thousand dollars a month on demand at the defaults', () => {
    const opts = options({ days: 60, jobsPerDay: 800 });
    let usd = 0;
    let before = 0;
    for (const row of generateJobs(opts)) {
      if (ms(row.creation_time) < windowStartMs()) before++;
      else usd += onDemandUsd(row);
    }
    expect(usd).toBeGreaterThan(3_000);
    expect(usd).toBeLessThan(50_000);
    expect(before).toBeGreaterThan(10_000);
  });
});

describe('storage exports', () => {
  it('have the TABLE_STORAGE and SCHEMATA_OPTIONS columns and parse with the domain schemas', () => {
    for (const row of f.storage) {
      expect(Object.keys(row)).toEqual(tableStorageColumns.map((c) => c.name));
      expect(tableStorageRowSchema.safeParse(JSON.parse(JSON.stringify(row))).success).toBe(true);
    }
    for (const row of f.schemata) {
      expect(Object.keys(row)).toEqual(schemataOptionColumns.map((c) => c.name));
      expect(schemataOptionRowSchema.safeParse(row).success).toBe(true);
    }
  });

  it('keeps byte columns consistent with each other and with partitioning and age', () => {
    for (const row of f.storage) {
      const n = (value: string) => {
        expect(value).toMatch(/^(0|[1-9]\d*)$/);
        return BigInt(value);
      };
      expect(n(row.total_logical_bytes)).toBe(
        n(row.active_logical_bytes) + n(row.long_term_logical_bytes),
      );
      expect(n(row.total_physical_bytes)).toBe(
        n(row.active_physical_bytes) + n(row.long_term_physical_bytes),
      );
      expect(n(row.active_physical_bytes)).toBeGreaterThanOrEqual(
        n(row.time_travel_physical_bytes),
      );
      // Heavy time travel can push physical above logical (the feature_store trap relies on it).
      expect(n(row.total_physical_bytes) - n(row.time_travel_physical_bytes)).toBeLessThan(
        n(row.total_logical_bytes),
      );
      n(row.fail_safe_physical_bytes);
      n(row.total_rows);
      expect(row.table_type).toBe('BASE TABLE');
      expect(row.creation_time).toMatch(timestampPattern);
      expect(row.storage_last_modified_time).toMatch(timestampPattern);
      expect(ms(row.creation_time)).toBeLessThanOrEqual(ms(row.storage_last_modified_time));
      expect(ms(row.storage_last_modified_time)).toBeLessThan(end.getTime());
      const staleDays = (end.getTime() - ms(row.storage_last_modified_time)) / dayMs;
      if (staleDays > 90) expect(row.active_logical_bytes).toBe('0');
      if (row.total_partitions === '0' && staleDays < 90)
        expect(row.long_term_logical_bytes).toBe('0');
    }
    const sizes = f.storage.map((row) => Number(row.total_logical_bytes));
    expect(Math.min(...sizes)).toBeLessThan(100 * 2 ** 20);
    expect(Math.max(...sizes)).toBeGreaterThan(10 * TiB);
  });

  it('marks exactly the PHYSICAL datasets in SCHEMATA_OPTIONS, quoted as BigQuery shows them', () => {
    const physical = f.schemata.filter((row) => row.option_name === 'storage_billing_model');
    expect(physical.map((row) => row.option_value)).toEqual(physical.map(() => '"PHYSICAL"'));
    expect(physical.map((row) => `${row.catalog_name}.${row.schema_name}`)).toEqual(
      f.truth.datasets.filter((d) => d.storageBillingModel === 'PHYSICAL').map((d) => d.dataset),
    );
    const datasets = new Set(f.storage.map((row) => `${row.project_id}.${row.table_schema}`));
    expect(new Set(f.truth.datasets.map((d) => d.dataset))).toEqual(datasets);
    for (const row of f.schemata.filter((r) => r.option_type === 'STRING')) {
      expect(row.option_value).toMatch(/^".*"$/);
    }
  });
});

describe('reservations timeline', () => {
  it('has one row per reservation per minute, with the timeline columns', () => {
    expect(f.timeline).toHaveLength(2 * f.opts.days * 1440);
    const columns = reservationsTimelineColumns.map((c) => c.name);
    const bad: string[] = [];
    let previous = '';
    for (const row of f.timeline) {
      const current = Number(row.autoscale.current_slots);
      const minute = ms(row.period_start);
      if (
        !columns.every((name) => name in row) ||
        !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00\.000000 UTC$/.test(row.period_start) ||
        current % 50 !== 0 ||
        current > Number(row.autoscale.max_slots) ||
        row.period_autoscale_slot_seconds !== String(current * 60) ||
        (row.reservation_id === previous.split('|')[0] &&
          minute !== Number(previous.split('|')[1]) + 60_000)
      ) {
        bad.push(JSON.stringify(row));
      }
      previous = `${row.reservation_id}|${minute}`;
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(reservationsTimelineRowSchema.safeParse(f.timeline[0]).success).toBe(true);
    const ids = new Set(f.timeline.map((row) => row.reservation_id));
    expect(ids).toEqual(new Set(f.truth.reservations.map((r) => r.id)));
    const jobReservations = new Set(
      f.jobs.map((row) => row.reservation_id).filter((id) => id?.startsWith('acme-admin:')),
    );
    expect(jobReservations).toEqual(ids);
  });

  it('provides at least the capacity its jobs used, and autoscales the ETL reservation', () => {
    for (const id of ['acme-admin:US.etl', 'acme-admin:US.finance']) {
      const rows = f.timeline.filter((row) => row.reservation_id === id);
      const capacitySlotMs = rows.reduce(
        (sum, row) =>
          sum + (Number(row.slots_assigned) + Number(row.autoscale.current_slots)) * 60_000,
        0,
      );
      const usedSlotMs = f.jobs
        .filter((row) => row.reservation_id === id && row.statement_type !== 'SCRIPT')
        .reduce((sum, row) => sum + int(row.total_slot_ms), 0);
      expect(usedSlotMs).toBeGreaterThan(0);
      expect(capacitySlotMs, id).toBeGreaterThanOrEqual(usedSlotMs);
    }
    const etl = f.timeline.filter((row) => row.reservation_id === 'acme-admin:US.etl');
    expect(etl.some((row) => row.autoscale.current_slots !== '0')).toBe(true);
    expect(etl.every((row) => row.slots_assigned === '0')).toBe(true);
  });
});

describe('planted findings', () => {
  it('partition_table: a large unpartitioned table filtered on event_date by frequent, expensive queries', () => {
    const target = one(planted('partition_table')).target;
    const table = storageRow(target);
    expect(Number(table.total_logical_bytes)).toBeGreaterThanOrEqual(TiB);
    expect(Number(table.total_partitions)).toBeLessThanOrEqual(1);
    const filtered = f.jobs.filter(
      (row) =>
        inWindow(row) &&
        reads(row, target) &&
        /WHERE event_date (>=|BETWEEN) '/.test(row.query ?? ''),
    );
    expect(filtered.length).toBeGreaterThan(30 * 3);
    expect(median(filtered.map((row) => int(row.total_bytes_processed)))).toBeGreaterThan(
      300 * GiB,
    );
    for (const item of planted('sql_antipattern', 'unpartitioned_date_filter')) {
      expect(
        filtered.some((row) => row.query_info?.query_hashes.normalized_literals === item.target),
      ).toBe(true);
    }
  });

  it('cluster_table: equality lookups on customer_id against a large table', () => {
    const target = one(planted('cluster_table')).target;
    expect(Number(storageRow(target).total_logical_bytes)).toBeGreaterThanOrEqual(100 * GiB);
    const lookups = f.jobs.filter((row) => inWindow(row) && reads(row, target));
    expect(lookups.length).toBeGreaterThan(30 * 3);
    const ids = new Set<string>();
    for (const row of lookups) {
      const match = /WHERE customer_id = (\d+)/.exec(row.query ?? '');
      expect(match, row.query ?? '').not.toBeNull();
      ids.add(match![1]!);
    }
    expect(ids.size).toBeGreaterThan(50);
  });

  it('require_partition_filter: a partitioned table mostly read without its partition column', () => {
    const target = one(planted('require_partition_filter')).target;
    expect(Number(storageRow(target).total_partitions)).toBeGreaterThan(100);
    const unfiltered = f.jobs.filter(
      (row) => inWindow(row) && reads(row, target) && !/event_ts/.test(row.query ?? ''),
    );
    expect(unfiltered.length).toBeGreaterThan(30);
    const hashes = new Set(
      unfiltered.map((row) => row.query_info?.query_hashes.normalized_literals),
    );
    for (const item of planted('sql_antipattern', 'missing_partition_filter'))
      expect(hashes).toContain(item.target);
  });

  it('storage_billing_model: only the planted dataset is cheaper on the other model', () => {
    const pricing = resolvePricing('us');
    const model = new Map<string, StorageBillingModel>();
    for (const row of f.schemata.filter((r) => r.option_name === 'storage_billing_model')) {
      model.set(
        `${row.catalog_name}.${row.schema_name}`,
        parseStorageBillingModel(row.option_value),
      );
    }
    const cost = new Map<string, { LOGICAL: number; PHYSICAL: number }>();
    for (const row of f.storage) {
      const dataset = `${row.project_id}.${row.table_schema}`;
      const bytes = {
        activeLogicalBytes: Number(row.active_logical_bytes),
        longTermLogicalBytes: Number(row.long_term_logical_bytes),
        activePhysicalBytes: Number(row.active_physical_bytes),
        longTermPhysicalBytes: Number(row.long_term_physical_bytes),
        failSafePhysicalBytes: Number(row.fail_safe_physical_bytes),
      };
      const sum = cost.get(dataset) ?? { LOGICAL: 0, PHYSICAL: 0 };
      sum.LOGICAL += storageUsdPerMonth(bytes, 'LOGICAL', pricing);
      sum.PHYSICAL += storageUsdPerMonth(bytes, 'PHYSICAL', pricing);
      cost.set(dataset, sum);
    }
    const target = one(planted('storage_billing_model')).target;
    const traps = f.truth.traps
      .filter((item) => item.kind === 'storage_billing_model')
      .map((i) => i.target);
    expect(traps).toEqual(['acme-finance.ledger', 'acme-ml.feature_store']);
    for (const [dataset, usd] of cost) {
      const current = model.get(dataset) ?? 'LOGICAL';
      const other = current === 'LOGICAL' ? 'PHYSICAL' : 'LOGICAL';
      if (dataset === target) {
        expect(current).toBe('LOGICAL');
        expect(usd.PHYSICAL).toBeLessThan(0.5 * usd.LOGICAL);
        expect(usd.LOGICAL - usd.PHYSICAL).toBeGreaterThan(100);
      } else {
        expect(usd[other], dataset).toBeGreaterThan(usd[current]);
      }
    }
    expect(model.get('acme-finance.ledger')).toBe('PHYSICAL');
    expect(model.has('acme-ml.feature_store')).toBe(false);
  });

  it('expire_unused_table: large tables nobody touched for 30 days; the daily-read trap is read daily', () => {
    const targets = planted('expire_unused_table').map((item) => item.target);
    expect(targets.length).toBeGreaterThanOrEqual(3);
    const touched = new Map<string, Set<string>>();
    for (const row of f.jobs) {
      for (const ref of [
        ...row.referenced_tables,
        ...(row.destination_table ? [row.destination_table] : []),
      ]) {
        const days = touched.get(tableKey(ref)) ?? new Set<string>();
        if (inWindow(row)) days.add(dayOf(row.creation_time));
        else days.add('before-window');
        touched.set(tableKey(ref), days);
      }
    }
    for (const target of targets) {
      expect(Number(storageRow(target).total_logical_bytes)).toBeGreaterThanOrEqual(TiB);
      expect(
        [...(touched.get(target) ?? [])].filter((d) => d !== 'before-window'),
        target,
      ).toEqual([]);
    }
    expect(touched.get('acme-ml.experiments.training_set_v1')).toContain('before-window');
    const trap = one(f.truth.traps.filter((item) => item.kind === 'expire_unused_table')).target;
    expect(Number(storageRow(trap).active_logical_bytes)).toBe(0);
    const trapDays = touched.get(trap)!;
    for (let day = end.getTime() - 30 * dayMs; day < end.getTime(); day += dayMs) {
      expect(trapDays).toContain(isoDay(day));
    }
    for (const row of f.storage) {
      const key = `${row.project_id}.${row.table_schema}.${row.table_name}`;
      if (targets.includes(key)) continue;
      expect(
        [...(touched.get(key) ?? [])].some((d) => d !== 'before-window'),
        key,
      ).toBe(true);
    }
  });

  it('pricing_model: bytes-heavy marketing is cheaper on editions; slot-heavy projects are not', () => {
    const usage = new Map<string, { usd: number; slotHours: number }>();
    for (const row of f.jobs) {
      if (!inWindow(row) || row.statement_type === 'SCRIPT') continue;
      const u = usage.get(row.project_id) ?? { usd: 0, slotHours: 0 };
      u.usd += onDemandUsd(row);
      u.slotHours += int(row.total_slot_ms) / 3.6e6;
      usage.set(row.project_id, u);
    }
    const enterprisePayg = 0.06;
    const enterprise3yr = 0.036;
    const marketing = usage.get(
      one(planted('pricing_model').filter((i) => !i.target.includes(':'))).target,
    )!;
    expect(marketing.usd).toBeGreaterThan(10 * marketing.slotHours * enterprisePayg);
    const trap = one(f.truth.traps.filter((item) => item.kind === 'pricing_model')).target;
    for (const project of [trap, 'acme-analytics']) {
      const u = usage.get(project)!;
      expect(u.usd, project).toBeLessThan(u.slotHours * enterprise3yr);
    }
  });

  it('pricing_model: the finance reservation is mostly idle', () => {
    const target = one(planted('pricing_model').filter((i) => i.target.includes(':'))).target;
    const rows = f.timeline.filter((row) => row.reservation_id === target);
    const baselineSlotMs = rows.reduce((sum, row) => sum + Number(row.slots_assigned) * 60_000, 0);
    const usedSlotMs = f.jobs
      .filter((row) => row.reservation_id === target && row.statement_type !== 'SCRIPT')
      .reduce((sum, row) => sum + int(row.total_slot_ms), 0);
    expect(usedSlotMs).toBeGreaterThan(0);
    expect(baselineSlotMs).toBeGreaterThan(10 * usedSlotMs);
  });

  it('materialize_repeated_query: a dashboard runs the same query over a big table all day', () => {
    const hash = one(planted('materialize_repeated_query')).target;
    const runs = f.jobs.filter(
      (row) => inWindow(row) && row.query_info?.query_hashes.normalized_literals === hash,
    );
    expect(runs.length / 30).toBeGreaterThan(0.1 * f.opts.jobsPerDay);
    const tables = new Set(runs.flatMap((row) => row.referenced_tables.map(tableKey)));
    expect(tables.size).toBe(1);
    expect(Number(storageRow([...tables][0]!).total_logical_bytes)).toBeGreaterThan(TiB);
    const perDay = new Map<string, Set<string>>();
    for (const row of runs)
      perDay.set(
        dayOf(row.creation_time),
        (perDay.get(dayOf(row.creation_time)) ?? new Set()).add(row.query!),
      );
    for (const texts of perDay.values()) expect(texts.size).toBe(1);
    expect(median(runs.map((row) => int(row.total_bytes_billed)))).toBeGreaterThan(50 * GiB);
  });

  it('cap_bytes_billed: one analyst with runaway queries far above their usual', () => {
    const item = one(planted('cap_bytes_billed'));
    expect(item.jobIds!.length).toBeGreaterThanOrEqual(4);
    const byId = new Map(f.jobs.map((row) => [row.job_id, row]));
    const runaways = item.jobIds!.map((id) => byId.get(id)!);
    const usual = f.jobs.filter(
      (row) =>
        row.user_email === item.target && !item.jobIds!.includes(row.job_id) && !row.cache_hit,
    );
    const typical = median(usual.map((row) => int(row.total_bytes_billed)));
    for (const row of runaways) {
      expect(row.user_email).toBe(item.target);
      expect(int(row.total_bytes_billed)).toBeGreaterThan(10 * TiB);
      expect(int(row.total_bytes_billed)).toBeGreaterThan(100 * typical);
    }
    expect(runaways.filter(inWindow).length).toBeGreaterThanOrEqual(2);
  });

  const ruleTexts: Record<string, RegExp> = {
    select_star: /SELECT \*\s+FROM `|SELECT [a-z]\.\*/,
    order_by_without_limit: /ORDER BY [^\n]+$(?![\s\S]*LIMIT)/,
    regexp_contains_instead_of_like: /REGEXP_CONTAINS\(\w+, '[\w-]+'\)/,
    latest_record_with_analytic_function: /ROW_NUMBER\(\) OVER[\s\S]*WHERE rn = 1/,
    semi_join_without_aggregation: /IN \(\s*SELECT (?!DISTINCT|MAX|MIN|COUNT)\w/,
    cte_referenced_multiple_times: /WITH (\w+) AS[\s\S]*FROM \1 [\s\S]*JOIN \1 /,
    dynamic_predicate: /WHERE \w+ IN \(\s*SELECT MAX\(/,
    missing_drop_temp_table: /CREATE TEMP TABLE (\w+)(?![\s\S]*DROP TABLE \1)/,
    missing_partition_filter: /FROM `acme-analytics\.logs\.app_events`/,
    unpartitioned_date_filter: /WHERE event_date >= '/,
  };

  it('sql_antipattern: every planted rule is in the data, and clean queries show none of them', () => {
    const texts = new Map<string, string>();
    const runs = new Map<string, number>();
    for (const row of f.jobs) {
      const hash = row.query_info?.query_hashes.normalized_literals;
      if (!hash || !inWindow(row)) continue;
      texts.set(hash, row.query!);
      runs.set(hash, (runs.get(hash) ?? 0) + 1);
    }
    const items = planted('sql_antipattern');
    expect(new Set(items.map((item) => item.rule))).toEqual(new Set(Object.keys(ruleTexts)));
    for (const item of items) {
      expect(runs.get(item.target) ?? 0, item.rule).toBeGreaterThanOrEqual(3);
      expect(texts.get(item.target), item.rule).toMatch(ruleTexts[item.rule!]!);
    }
    const clean = f.truth.traps.filter((item) => item.kind === 'sql_antipattern');
    expect(clean.length).toBeGreaterThanOrEqual(6);
    for (const item of clean) {
      const text = texts.get(item.target);
      expect(text, item.note).toBeDefined();
      for (const [rule, pattern] of Object.entries(ruleTexts)) {
        if (rule.startsWith('missing_partition') || rule.startsWith('unpartitioned')) continue;
        expect(text, `${item.note} / ${rule}`).not.toMatch(pattern);
      }
    }
    const syntax = [...texts.values()].join('\n');
    for (const feature of [
      'QUALIFY',
      'STRUCT(',
      'EXCEPT (',
      'TABLESAMPLE',
      'LANGUAGE js',
      'MERGE ',
    ]) {
      expect(syntax).toContain(feature);
    }
  });

  it('anomalies: the spike day costs several times the usual for its project, user and label', () => {
    const anomalies = f.truth.anomalies.filter((a) => !a.note.startsWith('incidental'));
    expect(anomalies.map((a) => a.scope.split(':')[0])).toEqual(['project', 'user', 'label']);
    const spikeDay = one([...new Set(anomalies.map((a) => a.day))]);
    expect(spikeDay).toBe(isoDay(end.getTime() - 8 * dayMs));
    for (const { scope } of anomalies) {
      const [kind, ...rest] = scope.split(':');
      const value = rest.join(':');
      const matches = (row: JobExportRow) =>
        kind === 'project'
          ? row.project_id === value
          : kind === 'user'
            ? row.user_email === value
            : row.labels.some((label) => `${label.key}:${label.value}` === value);
      const daily = new Map<string, number>();
      for (const row of f.jobs) {
        if (inWindow(row) && matches(row)) {
          daily.set(
            dayOf(row.creation_time),
            (daily.get(dayOf(row.creation_time)) ?? 0) + onDemandUsd(row),
          );
        }
      }
      const usual = median([...daily].filter(([day]) => day !== spikeDay).map(([, usd]) => usd));
      expect(daily.get(spikeDay)!, scope).toBeGreaterThan(2.5 * usual);
    }
  });

  it('seasonality: the weekly batch makes every Monday bigger, steadily', () => {
    const robot = 'weekly-reports@acme-analytics.iam.gserviceaccount.com';
    const bytes = new Map<string, number>();
    for (const row of f.jobs) {
      if (row.user_email === robot) {
        bytes.set(
          dayOf(row.creation_time),
          (bytes.get(dayOf(row.creation_time)) ?? 0) + int(row.total_bytes_billed),
        );
      }
    }
    const isMonday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay() === 1;
    const mondays = [...bytes].filter(([day]) => isMonday(day)).map(([, b]) => b);
    const others = [...bytes].filter(([day]) => !isMonday(day)).map(([, b]) => b);
    expect(mondays.length).toBeGreaterThanOrEqual(5);
    expect(others.length).toBeGreaterThan(20);
    expect(Math.min(...mondays)).toBeGreaterThan(5 * median(others));
    expect(Math.max(...mondays) / Math.min(...mondays)).toBeLessThan(1.5);
    expect(
      f.truth.traps.some((trap) => trap.kind === 'anomaly' && trap.target === `user:${robot}`),
    ).toBe(true);
  });

  it('describes every planted item and trap with a target and a note', () => {
    expect(f.truth.planted.length).toBeGreaterThan(15);
    for (const item of [...f.truth.planted, ...f.truth.traps]) {
      expect(item.kind).toMatch(/^[a-z_]+$/);
      expect(item.target.length).toBeGreaterThan(0);
      expect(item.note.length).toBeGreaterThan(10);
    }
    const kinds = new Set(f.truth.planted.map((item) => item.kind));
    for (const kind of [
      'partition_table',
      'cluster_table',
      'require_partition_filter',
      'storage_billing_model',
      'expire_unused_table',
      'pricing_model',
      'materialize_repeated_query',
      'cap_bytes_billed',
      'sql_antipattern',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(f.truth).toMatchObject({ ...f.opts, end: end.toISOString() });
  });
});
