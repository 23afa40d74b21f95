import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DuckDbAnomalyStore,
  DuckDbRecommendationStore,
  DuckDbRunLog,
} from '../../../src/adapters/duckdb/duckdb-recommendations.js';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import { MemoryRecommendationStore } from '../../../src/adapters/memory/memory-recommendations.js';
import { bqcostTables } from '../../../src/domain/tables.js';
import type { RecommendationFilter } from '../../../src/ports/recommendations.js';
import { anomaly } from '../../fixtures/alert-events.js';
import { storedRecommendation } from '../../fixtures/stored-recommendations.js';

let warehouse: DuckDbWarehouse;
let store: DuckDbRecommendationStore;
let anomalies: DuckDbAnomalyStore;
let runs: DuckDbRunLog;

beforeEach(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  const connection = await warehouse.connect();
  store = await DuckDbRecommendationStore.open(connection);
  anomalies = await DuckDbAnomalyStore.open(connection);
  runs = await DuckDbRunLog.open(connection);
});
afterEach(async () => {
  await warehouse.close();
});

const count = async (table: string) =>
  Number((await warehouse.sql(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

const day1 = new Date('2026-11-01T06:00:00Z');
const day2 = new Date('2026-11-02T06:00:00Z');
const day3 = new Date('2026-11-03T06:00:00Z');

describe('DuckDbRecommendationStore', () => {
  it('round-trips a recommendation with its routing, evidence, fix and rule', async () => {
    const entry = storedRecommendation('rec-a', {
      recommendation: {
        kind: 'sql_antipattern',
        rule: 'select_star',
        monthlySavingsUsd: null,
        evidence: { method: 'm', costLines: [{ label: 'x', quantity: null }], note: 'é <b>' },
        fix: { sql: "SELECT a FROM t WHERE s = 'x'" },
      },
      ownerSlackIds: ['U1', 'U2'],
    });
    await store.save('run-1', day1, [entry]);
    expect(await store.find('rec-a')).toEqual({ ...entry, firstFoundAt: day1, foundAt: day1 });
    expect(await store.find('rec-none')).toBeNull();
  });

  it('an unrouted recommendation (empty team and channel) is stored with NULLs and read back empty', async () => {
    await store.save('run-1', day1, [storedRecommendation('rec-u', { teamId: '', channelId: '' })]);
    const rows = await warehouse.sql('SELECT team_id, channel_id FROM recommendations');
    expect(rows).toEqual([{ team_id: null, channel_id: null }]);
    expect(await store.find('rec-u')).toMatchObject({ teamId: '', channelId: '' });
  });

  it('save is idempotent per run id; the latest run wins; firstFoundAt is the earliest', async () => {
    await store.save('run-1', day1, [storedRecommendation('rec-a')]);
    await store.save('run-1', day2, [
      storedRecommendation('rec-a', { recommendation: { monthlySavingsUsd: 1 } }),
    ]);
    expect(await count('recommendations')).toBe(1);
    await store.save('run-2', day2, [
      storedRecommendation('rec-a', { recommendation: { monthlySavingsUsd: 999 } }),
    ]);
    const found = await store.find('rec-a');
    expect(found?.recommendation.monthlySavingsUsd).toBe(999);
    expect(found?.firstFoundAt).toEqual(day1);
    expect(found?.foundAt).toEqual(day2);
  });

  it('concurrent saves of one run store it once', async () => {
    const entries = [storedRecommendation('rec-a'), storedRecommendation('rec-b')];
    await Promise.all(Array.from({ length: 10 }, () => store.save('run-1', day1, entries)));
    expect(await count('recommendations')).toBe(2);
  });

  it('list filters and sorts like the memory store', async () => {
    const entries = [
      storedRecommendation('rec-a', { recommendation: { monthlySavingsUsd: 10 } }),
      storedRecommendation('rec-b', { recommendation: { monthlySavingsUsd: null } }),
      storedRecommendation('rec-c', {
        recommendation: { monthlySavingsUsd: 500, kind: 'cluster_table' },
        ownerSlackIds: ['U9'],
      }),
      storedRecommendation('rec-d', { channelId: 'C0OTHER', teamId: 'T0OTHER' }),
      storedRecommendation('rec-e', { recommendation: { monthlySavingsUsd: 10 } }),
    ];
    await store.save('run-1', day1, entries.slice(0, 3));
    await store.save('run-2', day3, entries.slice(3));
    const memory = new MemoryRecommendationStore();
    await memory.save('run-1', day1, entries.slice(0, 3));
    await memory.save('run-2', day3, entries.slice(3));
    const filters: RecommendationFilter[] = [
      {},
      { teamId: 'T0ACME' },
      { channelId: 'C0OTHER' },
      { ownerSlackId: 'U9' },
      { kind: 'cluster_table' },
      { firstFoundSince: day2 },
      { limit: 2 },
      { teamId: 'T0ACME', ownerSlackId: 'U0ANA', limit: 1 },
    ];
    for (const filter of filters) {
      const ids = (await store.list(filter)).map((e) => e.recommendation.id);
      const expected = (await memory.list(filter)).map((e) => e.recommendation.id);
      expect(ids, JSON.stringify(filter)).toEqual(expected);
    }
    expect((await store.list({})).map((e) => e.recommendation.id)).toEqual([
      'rec-c',
      'rec-d',
      'rec-a',
      'rec-e',
      'rec-b',
    ]);
  });

  it('versionsAt: the version current at each instant, leaving out the asking run', async () => {
    const at = (usd: number) =>
      storedRecommendation('rec-a', { recommendation: { monthlySavingsUsd: usd } });
    await store.save('run-1', day1, [at(100)]);
    await store.save('run-2', day2, [at(200)]);
    await store.save('run-3', day3, [at(300)]);
    const versions = await store.versionsAt([
      { recommendationId: 'rec-a', at: new Date('2026-11-02T12:00:00Z') },
      { recommendationId: 'rec-none', at: day3 },
    ]);
    expect([...versions.keys()]).toEqual(['rec-a']);
    expect(versions.get('rec-a')).toMatchObject({
      runId: 'run-2',
      foundAt: day2,
      firstFoundAt: day1,
      recommendation: { monthlySavingsUsd: 200 },
    });
    const previous = await store.versionsAt([{ recommendationId: 'rec-a', at: day3 }], 'run-3');
    expect(previous.get('rec-a')?.runId).toBe('run-2');
    const before = await store.versionsAt([
      { recommendationId: 'rec-a', at: new Date('2026-10-01T00:00:00Z') },
    ]);
    expect(before.size).toBe(0);
    expect((await store.versionsAt([])).size).toBe(0);
  });

  it('read failures are retryable AppErrors', async () => {
    await warehouse.sql('DROP TABLE recommendations');
    await expect(store.find('rec-a')).rejects.toMatchObject({
      code: 'store.read_failed',
      retryable: true,
    });
    await expect(store.save('run-1', day1, [storedRecommendation('x')])).rejects.toMatchObject({
      code: 'store.write_failed',
      retryable: true,
    });
  });
});

describe('DuckDbAnomalyStore', () => {
  it('round-trips, saves once per run, and finds the latest run’s version', async () => {
    const a = anomaly({ id: 'anom-1', day: '2026-11-27', usd: 1800.25 });
    await anomalies.save('run-1', day1, [a]);
    await anomalies.save('run-1', day1, [a]);
    expect(await count('anomalies')).toBe(1);
    expect(await anomalies.find('anom-1')).toEqual({ anomaly: a, runId: 'run-1', foundAt: day1 });
    await anomalies.save('run-2', day2, [{ ...a, severity: 'critical' }]);
    expect(await anomalies.find('anom-1')).toMatchObject({
      runId: 'run-2',
      anomaly: { severity: 'critical' },
    });
    expect(await anomalies.find('anom-none')).toBeNull();
  });
});

describe('DuckDbRunLog', () => {
  it('records each attempt of a run, oldest first', async () => {
    const base = {
      runId: 'run-1',
      scope: 'org',
      windowStart: new Date('2026-10-01T00:00:00Z'),
      windowEnd: new Date('2026-10-31T00:00:00Z'),
    };
    await runs.record({
      ...base,
      outcome: 'failed',
      recommendations: null,
      anomalies: null,
      errorCode: 'warehouse.unavailable',
      startedAt: day1,
      finishedAt: new Date(day1.getTime() + 1000),
    });
    await runs.record({
      ...base,
      outcome: 'succeeded',
      recommendations: 12,
      anomalies: 2,
      errorCode: null,
      startedAt: day2,
      finishedAt: new Date(day2.getTime() + 5000),
    });
    const attempts = await runs.attempts('run-1');
    expect(attempts.map((a) => [a.outcome, a.recommendations, a.errorCode])).toEqual([
      ['failed', null, 'warehouse.unavailable'],
      ['succeeded', 12, null],
    ]);
    expect(attempts[1]).toMatchObject({ ...base, startedAt: day2 });
    expect(await runs.attempts('run-x')).toEqual([]);
  });
});

describe('schema parity with src/domain/tables.ts', () => {
  it('the embedded tables have the TableSpec columns in order', async () => {
    for (const name of ['recommendations', 'anomalies', 'analysis_runs']) {
      const spec = bqcostTables.find((t) => t.name === name)!;
      const rows = await warehouse.sql(
        `SELECT column_name FROM duckdb_columns() WHERE table_name = $t ORDER BY column_index`,
        { t: name },
      );
      expect(rows.map((r) => r.column_name)).toEqual(spec.columns.map((c) => c.name));
    }
  });
});
