import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analysisResultSchema, type AttributionRow } from '../../src/domain/analysis.js';
import { job, tableStorage, tempDir, writeNdjson } from '../fixtures/builders.js';
import { analyzeDir, parseJobsFile } from '../helpers/analyze-dir.js';
import { referenceAttribution, type ReferenceRow } from '../helpers/reference-attribution.js';

const TiB = 2 ** 40;
const asOf = new Date('2026-11-01T00:00:00Z');
const inWindow = '2026-10-15T12:00:00Z';

// Every trap PRODUCT.md lists, each with a known price.
function trapJobs() {
  return [
    job({
      jobId: 'plain',
      bytesBilled: TiB,
      userEmail: 'ana@example.com',
      labels: { team: 'growth' },
      hash: 'h1',
      tables: ['proj-a.sales.orders'],
    }),
    job({
      jobId: 'plain2',
      bytesBilled: 2 * TiB,
      userEmail: 'bo@example.com',
      projectId: 'proj-b',
      hash: 'h1',
      tables: ['proj-a.sales.orders', 'proj-a.sales.items'],
    }),
    // SCRIPT parent repeating its children's bytes: must not count.
    job({ jobId: 'script', statementType: 'SCRIPT', bytesBilled: 3 * TiB, hash: null }),
    job({
      jobId: 'child1',
      parentJobId: 'script',
      bytesBilled: TiB,
      statementType: 'INSERT',
      hash: 'h2',
    }),
    job({
      jobId: 'child2',
      parentJobId: 'script',
      bytesBilled: 2 * TiB,
      statementType: 'MERGE',
      hash: 'h3',
    }),
    // Reservation job with non-zero bytes billed: paid in slots, never in bytes.
    job({
      jobId: 'resv',
      reservationId: 'admin:US.etl',
      edition: 'ENTERPRISE',
      bytesBilled: 10 * TiB,
      slotMs: 7.2e6,
      labels: { team: 'etl' },
    }),
    // Free shared pool: neither bytes nor slots billed.
    job({
      jobId: 'load',
      jobType: 'LOAD',
      statementType: null,
      reservationId: 'default-pipeline',
      bytesBilled: null,
      slotMs: 5e6,
      hash: null,
    }),
    // Cache hit with null bytes, and one with bytes in the data: free.
    job({ jobId: 'cached', cacheHit: true, bytesBilled: null, hash: null }),
    job({ jobId: 'cached2', cacheHit: true, bytesBilled: TiB, hash: null }),
    // Failed job with bytes in the data: free.
    job({ jobId: 'failed', error: true, bytesBilled: 4 * TiB, hash: null }),
    // Outside the window on both sides.
    job({ jobId: 'before', createdAt: '2026-09-15T00:00:00Z', bytesBilled: 8 * TiB }),
    job({ jobId: 'after', createdAt: '2026-11-01T00:00:00Z', bytesBilled: 8 * TiB }),
    // Unlabeled, and a job with null user.
    job({ jobId: 'nouser', userEmail: null, bytesBilled: TiB / 2 }),
  ];
}

function byKey(rows: AttributionRow[]): Map<string, AttributionRow> {
  return new Map(rows.map((r) => [r.key, r]));
}

function expectMatches(actual: AttributionRow[], expected: Map<string, ReferenceRow>) {
  expect(new Set(actual.map((r) => r.key))).toEqual(new Set(expected.keys()));
  const got = byKey(actual);
  for (const [key, want] of expected) {
    const row = got.get(key)!;
    expect(Math.abs(row.onDemandUsd - want.onDemandUsd), `onDemandUsd of ${key}`).toBeLessThan(
      0.01,
    );
    expect(Math.abs(row.slotHours - want.slotHours), `slotHours of ${key}`).toBeLessThan(1e-6);
    expect(row.jobs, `jobs of ${key}`).toBe(want.jobs);
  }
}

describe('analyzeCosts on hand-built traps', () => {
  it('prices every trap as PRODUCT.md says', async () => {
    const dir = tempDir();
    writeNdjson(join(dir, 'jobs.jsonl'), trapJobs());
    const { result } = await analyzeDir(dir, { asOf });
    analysisResultSchema.parse(result);
    expect(result.window).toEqual({
      start: '2026-10-02T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    });
    // plain 1 TiB + plain2 2 TiB + children 3 TiB + nouser 0.5 TiB = 6.5 TiB
    expect(result.totals.onDemandUsd).toBeCloseTo(6.5 * 6.25, 6);
    // all but the SCRIPT parent and the two outside the window
    expect(result.totals.jobs).toBe(10);
    expect(result.totals.capacitySlotHours).toBeCloseTo(2, 9);
    // no timeline: used slot-hours × Enterprise pay-as-you-go, a stated lower bound
    expect(result.totals.capacityUsd).toBeCloseTo(2 * 0.06, 9);
    expect(result.totals.storageUsdPerMonth).toBeNull();
    expect(result.warnings).toContain('no table_storage export: storage cost is unknown');

    const users = byKey(result.attribution.byUser);
    expect(users.get('ana@example.com')!.onDemandUsd).toBeCloseTo(4 * 6.25, 6);
    expect(users.get('(unknown)')!.onDemandUsd).toBeCloseTo(0.5 * 6.25, 6);
    const labels = byKey(result.attribution.byLabel);
    expect(labels.get('team:growth')!.onDemandUsd).toBeCloseTo(6.25, 6);
    expect(labels.get('team:etl')!.slotHours).toBeCloseTo(2, 9);
    expect(labels.get('(none)')!.jobs).toBe(8);
    const tables = byKey(result.attribution.byTable);
    expect(tables.get('proj-a.sales.orders')!.onDemandUsd).toBeCloseTo(3 * 6.25, 6);
    expect(tables.get('proj-a.sales.items')!.onDemandUsd).toBeCloseTo(2 * 6.25, 6);
    expect(byKey(result.attribution.byQueryPattern).get('h1')!.jobs).toBe(2);
  });

  it('matches an independent computation to the cent on every key', async () => {
    const dir = tempDir();
    const path = writeNdjson(join(dir, 'jobs.jsonl'), trapJobs());
    const { result } = await analyzeDir(dir, { asOf });
    const ref = referenceAttribution(
      parseJobsFile(path),
      new Date(result.window.start),
      new Date(result.window.end),
    );
    expect(result.totals.jobs).toBe(ref.jobs);
    expect(Math.abs(result.totals.onDemandUsd - ref.onDemandUsd)).toBeLessThan(0.01);
    expectMatches(result.attribution.byUser, ref.byUser);
    expectMatches(result.attribution.byProject, ref.byProject);
    expectMatches(result.attribution.byLabel, ref.byLabel);
    expectMatches(result.attribution.byQueryPattern, ref.byQueryPattern);
    expectMatches(result.attribution.byTable, ref.byTable);
  });

  it('sorts attribution by cost, descending, ties by key', async () => {
    const dir = tempDir();
    writeNdjson(join(dir, 'jobs.jsonl'), [
      job({ userEmail: 'b@x.com', bytesBilled: TiB }),
      job({ userEmail: 'a@x.com', bytesBilled: TiB }),
      job({ userEmail: 'c@x.com', bytesBilled: 3 * TiB }),
      job({
        userEmail: 'd@x.com',
        reservationId: 'admin:US.r',
        edition: 'ENTERPRISE_PLUS',
        slotMs: 3.6e6 * 1000,
        bytesBilled: 0,
      }),
    ]);
    const { result } = await analyzeDir(dir, { asOf });
    // d: 1000 slot-hours × $0.10 = $100 of capacity, more than c's $18.75 on demand
    expect(result.attribution.byUser.map((r) => r.key)).toEqual([
      'd@x.com',
      'c@x.com',
      'a@x.com',
      'b@x.com',
    ]);
  });

  it('defaults the window to end at the day after the latest job', async () => {
    const dir = tempDir();
    writeNdjson(join(dir, 'jobs.jsonl'), [job({ createdAt: '2026-10-20T15:00:00Z' })]);
    const { result } = await analyzeDir(dir);
    expect(result.window.end).toBe('2026-10-21T00:00:00.000Z');
    expect(result.window.start).toBe('2026-09-21T00:00:00.000Z');
  });

  it('prices storage under each dataset’s own billing model', async () => {
    const dir = tempDir();
    const GiB = 2 ** 30;
    writeNdjson(join(dir, 'jobs.jsonl'), [job({ createdAt: inWindow })]);
    writeNdjson(join(dir, 'table_storage.jsonl'), [
      tableStorage({
        dataset: 'logical_ds',
        table: 't1',
        activeLogical: 100 * GiB,
        longTermLogical: 50 * GiB,
        activePhysical: 10 * GiB,
      }),
      tableStorage({
        dataset: 'physical_ds',
        table: 't2',
        activeLogical: 100 * GiB,
        activePhysical: 20 * GiB,
        timeTravel: 5 * GiB,
        longTermPhysical: 10 * GiB,
        failSafe: 4 * GiB,
      }),
    ]);
    writeNdjson(join(dir, 'schemata_options.jsonl'), [
      {
        catalog_name: 'proj-a',
        schema_name: 'physical_ds',
        option_name: 'storage_billing_model',
        option_type: 'STRING',
        option_value: '"PHYSICAL"',
      },
      {
        catalog_name: 'proj-a',
        schema_name: 'logical_ds',
        option_name: 'description',
        option_type: 'STRING',
        option_value: '"x"',
      },
    ]);
    const analysis = await analyzeDir(dir, { asOf });
    // logical: 100 × 0.02 + 50 × 0.01 = 2.5; physical: (20 + 4) × 0.04 + 10 × 0.02 = 1.16
    expect(analysis.result.totals.storageUsdPerMonth).toBeCloseTo(2.5 + 1.16, 9);
    expect(analysis.storage.map((s) => [s.dataset, s.model])).toEqual([
      ['proj-a.logical_ds', 'LOGICAL'],
      ['proj-a.physical_ds', 'PHYSICAL'],
    ]);
  });

  it('uses RESERVATIONS_TIMELINE for billed capacity when it is present', async () => {
    const dir = tempDir();
    writeNdjson(join(dir, 'jobs.jsonl'), [
      job({
        reservationId: 'admin:US.etl',
        edition: 'ENTERPRISE',
        slotMs: 3.6e6 * 10,
        bytesBilled: 0,
      }),
    ]);
    // 60 minutes at 100 baseline + 50 autoscaled slots = 150 slot-hours billed
    const minutes = Array.from({ length: 60 }, (_, i) => ({
      period_start: new Date(Date.parse('2026-10-15T00:00:00Z') + i * 60_000).toISOString(),
      project_id: 'admin',
      reservation_id: 'admin:US.etl',
      reservation_name: 'etl',
      edition: 'ENTERPRISE',
      slots_assigned: '100',
      autoscale: { current_slots: '50', max_slots: '200' },
    }));
    writeNdjson(join(dir, 'reservations_timeline.jsonl'), minutes);
    const analysis = await analyzeDir(dir, { asOf });
    expect(analysis.result.totals.capacitySlotHours).toBeCloseTo(10, 9);
    expect(analysis.result.totals.capacityUsd).toBeCloseTo(150 * 0.06, 9);
    expect(analysis.reservations[0]).toMatchObject({
      reservationId: 'admin:US.etl',
      usedSlotHours: 10,
    });
    expect(analysis.reservations[0]!.billedSlotHours).toBeCloseTo(150, 9);

    // Where the view has the billed autoscale slot-seconds, they win over the snapshot.
    writeNdjson(
      join(dir, 'reservations_timeline.jsonl'),
      minutes.map((m) => ({ ...m, period_autoscale_slot_seconds: '1500' })),
    );
    const billed = await analyzeDir(dir, { asOf });
    // 100 slot-hours baseline + 60 × 1500 / 3600 = 25 autoscale slot-hours
    expect(billed.reservations[0]!.billedSlotHours).toBeCloseTo(125, 9);
  });

  it('warns when a reservation’s edition is unknown and prices it at the default', async () => {
    const dir = tempDir();
    writeNdjson(join(dir, 'jobs.jsonl'), [
      job({ reservationId: 'admin:US.x', edition: null, slotMs: 3.6e6, bytesBilled: 0 }),
    ]);
    const { result } = await analyzeDir(dir, { asOf });
    expect(result.totals.capacityUsd).toBeCloseTo(0.06, 9);
    expect(result.warnings.some((w) => w.includes('no known edition'))).toBe(true);
  });
});

describe('analyzeCosts on the demo organisation', () => {
  it('matches an independent computation to the cent on every key, and every format imports to the same totals', async () => {
    const { writeDemoExports } = await import('../../src/app/demo-export-writer.js');
    const dir = tempDir();
    await writeDemoExports(dir, {
      seed: 3,
      days: 45,
      jobsPerDay: 150,
      end: new Date('2026-11-01T00:00:00Z'),
    });
    const analysis = await analyzeDir(dir, { asOf });
    const { result } = analysis;
    const ref = referenceAttribution(
      parseJobsFile(join(dir, 'jobs.jsonl')),
      new Date(result.window.start),
      new Date(result.window.end),
    );
    expect(result.totals.jobs).toBe(ref.jobs);
    expect(result.totals.jobs).toBeGreaterThan(1000);
    expect(Math.abs(result.totals.onDemandUsd - ref.onDemandUsd)).toBeLessThan(0.01);
    expect(Math.abs(result.totals.capacitySlotHours - ref.slotHours)).toBeLessThan(1e-6);
    expectMatches(result.attribution.byUser, ref.byUser);
    expectMatches(result.attribution.byProject, ref.byProject);
    expectMatches(result.attribution.byLabel, ref.byLabel);
    expectMatches(result.attribution.byQueryPattern, ref.byQueryPattern);
    expectMatches(result.attribution.byTable, ref.byTable);
    expect(result.totals.storageUsdPerMonth).toBeGreaterThan(0);

    // The same jobs as a gzipped JSON array and as Parquet give the same numbers.
    const { gzipSync } = await import('node:zlib');
    const { readFileSync, writeFileSync, copyFileSync } = await import('node:fs');
    const arrayDir = tempDir();
    const rows = readFileSync(join(dir, 'jobs.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(arrayDir, 'jobs.json.gz'), gzipSync(`[${rows.join(',\n')}]`));
    for (const name of [
      'table_storage.jsonl',
      'schemata_options.jsonl',
      'reservations_timeline.jsonl',
    ])
      copyFileSync(join(dir, name), join(arrayDir, name));
    const fromArray = (await analyzeDir(arrayDir, { asOf })).result;
    expect(fromArray.totals).toEqual(result.totals);
    expect(fromArray.attribution).toEqual(result.attribution);

    const { DuckDbWarehouse } = await import('../../src/adapters/duckdb/duckdb-warehouse.js');
    const parquetDir = tempDir();
    const w = await DuckDbWarehouse.open(':memory:');
    await w.importFile(
      { view: 'jobs', path: join(dir, 'jobs.jsonl'), name: 'jobs.jsonl' },
      { strict: false },
    );
    await w.sql(
      `COPY (SELECT * EXCLUDE (_source, _line, _import_error) FROM jobs) TO '${join(parquetDir, 'jobs.parquet')}' (FORMAT parquet)`,
    );
    await w.close();
    const fromParquet = (await analyzeDir(parquetDir, { asOf })).result;
    expect(fromParquet.totals.onDemandUsd).toBe(result.totals.onDemandUsd);
    expect(fromParquet.attribution).toEqual(result.attribution);
  });
});
