import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import { tablesPerPattern } from '../../../src/queries/patterns.js';
import { job } from '../../fixtures/builders.js';
import { GiB, TiB, analysisJobs, analysisWindow, loadJobs } from '../../fixtures/analysis-jobs.js';

// The analysis queries of the shared catalogue, run for real on the embedded warehouse.

let warehouse: DuckDbWarehouse;
beforeEach(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
});
afterEach(async () => {
  await warehouse.close();
});

const at = (iso: string) => new Date(iso);
const repeat = (value: number, times: number) => Array<number>(times).fill(value);

const hA = {
  hash: 'hA',
  runs: 4,
  onDemandBytesBilled: 6 * TiB,
  reservationSlotMs: 0,
  bytesProcessed: 11 * TiB,
  maxBytesBilled: 3 * TiB,
  activeDays: 3,
  distinctUsers: 3,
  projectId: 'proj-b',
  userEmail: 'bo@example.com',
  firstSeen: at('2026-10-04T08:00:00Z'),
  lastSeen: at('2026-10-06T18:00:00Z'),
  statementType: 'SELECT',
  sampleQuery: 'SELECT a3',
  sampleJobId: 'a3',
  referencedTables: [
    { table: 'proj-a.sales.orders', runs: 3 },
    { table: 'proj-a.sales.items', runs: 2 },
  ],
};
const hB = {
  hash: 'hB',
  runs: 2,
  onDemandBytesBilled: 0,
  reservationSlotMs: 10.8e6,
  bytesProcessed: 20 * TiB,
  maxBytesBilled: 0,
  activeDays: 2,
  distinctUsers: 1,
  projectId: 'proj-a',
  userEmail: 'ana@example.com',
  firstSeen: at('2026-10-07T01:00:00Z'),
  lastSeen: at('2026-10-08T01:00:00Z'),
  statementType: 'MERGE',
  sampleQuery: 'MERGE clean 2',
  sampleJobId: 'b2',
  referencedTables: [{ table: 'proj-a.etl.raw', runs: 2 }],
};
const hC = {
  hash: 'hC',
  runs: 1,
  onDemandBytesBilled: GiB,
  reservationSlotMs: 0,
  bytesProcessed: GiB,
  maxBytesBilled: GiB,
  activeDays: 1,
  distinctUsers: 0,
  projectId: 'proj-a',
  userEmail: null,
  firstSeen: at('2026-10-09T12:00:00Z'),
  lastSeen: at('2026-10-09T12:00:00Z'),
  statementType: 'SELECT',
  sampleQuery: 'SELECT 1',
  sampleJobId: 'c1',
  referencedTables: [],
};

describe('query-patterns.sql + pattern-tables.sql', () => {
  it('aggregates every priced shape with the billing rules of cost-facts and the latest run as sample', async () => {
    await loadJobs(warehouse, analysisJobs());
    // hZ (cache hit), hD (free pool), hS (SCRIPT) and the run before the window are left out.
    expect(await warehouse.queryPatterns(analysisWindow, 10)).toEqual([hA, hC, hB]);
  });

  it('keeps the top `limit` by on-demand bytes and the top `limit` by slot-ms', async () => {
    await loadJobs(warehouse, analysisJobs());
    const top1 = await warehouse.queryPatterns(analysisWindow, 1);
    expect(top1.map((p) => p.hash)).toEqual(['hA', 'hB']);
    const top2 = await warehouse.queryPatterns(analysisWindow, 2);
    expect(top2.map((p) => p.hash)).toEqual(['hA', 'hC', 'hB']);
  });

  it('returns nothing for an empty window', async () => {
    await loadJobs(warehouse, analysisJobs());
    const empty = { start: at('2025-01-01T00:00:00Z'), end: at('2025-02-01T00:00:00Z') };
    await expect(warehouse.queryPatterns(empty, 10)).resolves.toEqual([]);
  });

  it(`keeps at most ${tablesPerPattern} tables per pattern, the most read first`, async () => {
    const shards = Array.from({ length: tablesPerPattern + 5 }, (_, i) => `p.d.events_${1000 + i}`);
    await loadJobs(warehouse, [
      job({ jobId: 'w1', hash: 'hW', tables: shards, bytesBilled: TiB }),
      job({ jobId: 'w2', hash: 'hW', tables: ['p.d.events_1104'], bytesBilled: TiB }),
    ]);
    const [pattern] = await warehouse.queryPatterns(analysisWindow, 10);
    expect(pattern!.referencedTables).toHaveLength(tablesPerPattern);
    expect(pattern!.referencedTables[0]).toEqual({ table: 'p.d.events_1104', runs: 2 });
    expect(pattern!.referencedTables[1]).toEqual({ table: 'p.d.events_1000', runs: 1 });
    expect(pattern!.referencedTables.at(-1)).toEqual({ table: 'p.d.events_1098', runs: 1 });
  });

  it('rejects a limit that is not a whole number ≥ 1', async () => {
    await expect(warehouse.queryPatterns(analysisWindow, 0)).rejects.toThrow(RangeError);
    await expect(warehouse.queryPatterns(analysisWindow, 1.5)).rejects.toThrow(RangeError);
  });
});

describe('script-samples.sql', () => {
  const script = (jobId: string, createdAt: string, hash: string | null, query: string) =>
    job({ jobId, createdAt, hash, query, statementType: 'SCRIPT', bytesBilled: TiB });
  const scriptJobs = () => [
    script('s1', '2026-10-02T00:00:00Z', 'hS1', 'DECLARE d DATE; -- s1'),
    {
      ...script('s2', '2026-10-09T00:00:00Z', 'hS1', 'DECLARE d DATE; -- s2'),
      project_id: 'proj-b',
    },
    script('s3', '2026-10-05T00:00:00Z', 'hS1', 'DECLARE d DATE; -- s3'),
    // A child statement of s2: not a script.
    job({
      jobId: 's2_child',
      createdAt: '2026-10-09T00:00:01Z',
      hash: 'hChild',
      parentJobId: 's2',
      statementType: 'CREATE_TABLE_AS_SELECT',
      query: 'CREATE TEMP TABLE t AS SELECT 1',
    }),
    // No hash: grouped by their text, keyed by the latest run's job id.
    script('n1', '2026-10-03T00:00:00Z', null, 'CREATE TEMP TABLE t AS SELECT 1; SELECT * FROM t'),
    script('n2', '2026-10-07T00:00:00Z', null, 'CREATE TEMP TABLE t AS SELECT 1; SELECT * FROM t'),
    script('m1', '2026-10-04T00:00:00Z', null, 'SELECT 2; SELECT 3'),
    script('z1', '2026-10-06T00:00:00Z', 'hS0', 'SELECT 4; SELECT 5'),
    // Left out: outside [start, end), a script with no text to inspect, and a failed run (no
    // hash: it would be a script of its own).
    {
      ...script('failed', '2026-10-20T00:00:00Z', null, 'DECLARE d DATE; -- failed'),
      error_result: { reason: 'resourcesExceeded', location: null, message: 'too big' },
    },
    script('early', '2026-09-30T23:59:59Z', 'hS1', 'DECLARE d DATE; -- early'),
    script('late', '2026-11-01T00:00:00Z', 'hS1', 'DECLARE d DATE; -- late'),
    { ...script('blank', '2026-10-10T00:00:00Z', 'hBlank', 'x'), query: null },
  ];

  it('gives the latest text of each script shape, the most run first, hash or job id as key', async () => {
    await loadJobs(warehouse, scriptJobs());
    expect(await warehouse.scriptSamples(analysisWindow, 10)).toEqual([
      {
        key: 'hS1',
        runs: 3,
        sampleQuery: 'DECLARE d DATE; -- s2',
        projectId: 'proj-b',
        sampleJobId: 's2',
        lastSeen: at('2026-10-09T00:00:00Z'),
      },
      {
        key: 'script:n2',
        runs: 2,
        sampleQuery: 'CREATE TEMP TABLE t AS SELECT 1; SELECT * FROM t',
        projectId: 'proj-a',
        sampleJobId: 'n2',
        lastSeen: at('2026-10-07T00:00:00Z'),
      },
      {
        key: 'hS0',
        runs: 1,
        sampleQuery: 'SELECT 4; SELECT 5',
        projectId: 'proj-a',
        sampleJobId: 'z1',
        lastSeen: at('2026-10-06T00:00:00Z'),
      },
      {
        key: 'script:m1',
        runs: 1,
        sampleQuery: 'SELECT 2; SELECT 3',
        projectId: 'proj-a',
        sampleJobId: 'm1',
        lastSeen: at('2026-10-04T00:00:00Z'),
      },
    ]);
  });

  it('keeps the top `limit` by runs, then key', async () => {
    await loadJobs(warehouse, scriptJobs());
    const top = async (limit: number) =>
      (await warehouse.scriptSamples(analysisWindow, limit)).map((s) => s.key);
    expect(await top(1)).toEqual(['hS1']);
    expect(await top(3)).toEqual(['hS1', 'script:n2', 'hS0']);
  });

  it('of the analysis fixtures, finds only their SCRIPT parent', async () => {
    await loadJobs(warehouse, analysisJobs());
    const samples = await warehouse.scriptSamples(analysisWindow, 10);
    expect(samples.map((s) => [s.key, s.sampleJobId])).toEqual([['hS', 's1']]);
  });

  it('rejects a limit that is not a whole number ≥ 1', async () => {
    await expect(warehouse.scriptSamples(analysisWindow, 0)).rejects.toThrow(RangeError);
  });
});

describe('table-usage.sql', () => {
  it('counts reads (any job) and writes (no error, named datasets) per table', async () => {
    await loadJobs(warehouse, analysisJobs());
    expect(await warehouse.tableUsage(analysisWindow)).toEqual([
      {
        table: 'proj-a.etl.clean',
        reads: 0,
        readDays: 0,
        lastRead: null,
        readOnDemandBytesBilled: 0,
        writes: 2,
        lastWrite: at('2026-10-08T01:00:00Z'),
      },
      {
        table: 'proj-a.etl.raw',
        reads: 2,
        readDays: 2,
        lastRead: at('2026-10-08T01:00:00Z'),
        readOnDemandBytesBilled: 0,
        writes: 1,
        lastWrite: at('2026-10-03T00:00:00Z'),
      },
      {
        table: 'proj-a.sales.items',
        reads: 2,
        readDays: 2,
        lastRead: at('2026-10-06T09:00:00Z'),
        readOnDemandBytesBilled: 3 * TiB,
        writes: 0,
        lastWrite: null,
      },
      {
        table: 'proj-a.sales.orders',
        reads: 3,
        readDays: 2,
        lastRead: at('2026-10-06T18:00:00Z'),
        readOnDemandBytesBilled: 6 * TiB,
        writes: 0,
        lastWrite: null,
      },
    ]);
    // Not there: the failed write (sales.summary), the anonymous result table, the SCRIPT parent's write.
  });
});

describe('bytes-distribution.sql', () => {
  it('gives 101 quantiles of bytes billed per on-demand query job, per project and per user', async () => {
    await loadJobs(warehouse, analysisJobs());
    expect(await warehouse.bytesDistribution(analysisWindow)).toEqual([
      {
        scope: 'project',
        key: 'proj-a',
        jobs: 3,
        // quantile_disc over [1 GiB, 1 TiB, 2 TiB]: p0–p33, p34–p66, p67–p100.
        quantiles: [...repeat(GiB, 34), ...repeat(TiB, 33), ...repeat(2 * TiB, 34)],
        maxJobId: 'a2',
      },
      { scope: 'project', key: 'proj-b', jobs: 1, quantiles: repeat(3 * TiB, 101), maxJobId: 'a3' },
      { scope: 'user', key: '(unknown)', jobs: 1, quantiles: repeat(GiB, 101), maxJobId: 'c1' },
      {
        scope: 'user',
        key: 'ana@example.com',
        jobs: 2,
        quantiles: [...repeat(TiB, 51), ...repeat(2 * TiB, 50)],
        maxJobId: 'a2',
      },
      {
        scope: 'user',
        key: 'bo@example.com',
        jobs: 1,
        quantiles: repeat(3 * TiB, 101),
        maxJobId: 'a3',
      },
    ]);
  });

  it('the embedded APPROX_QUANTILES returns n + 1 values from min to max, like BigQuery', async () => {
    const [row] = await warehouse.sql(
      'SELECT APPROX_QUANTILES(v, 100) AS q, APPROX_QUANTILES(v, 4) AS q4 FROM range(1, 1001) AS t(v)',
    );
    const q = (row!.q as bigint[]).map(Number);
    expect(q).toHaveLength(101);
    expect(q[0]).toBe(1);
    expect(q[50]).toBe(500);
    expect(q[100]).toBe(1000);
    expect((row!.q4 as bigint[]).map(Number)).toEqual([1, 250, 500, 750, 1000]);
  });
});
