import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import type { CostFact, FactDimension } from '../../../src/domain/facts.js';
import { AppError } from '../../../src/errors.js';
import { job, tempDir, writeNdjson } from '../../fixtures/builders.js';

// costFactsFor on the embedded warehouse: exactly costFacts' rows of the asked dimensions.

const TiB = 2 ** 40;
const window = { start: new Date('2026-10-01T00:00:00Z'), end: new Date('2026-10-04T00:00:00Z') };
let warehouse: DuckDbWarehouse;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  warehouse = await DuckDbWarehouse.open(':memory:');
  const rows = [];
  for (let h = 0; h < 96; h += 7) {
    const at = new Date(Date.parse('2026-09-30T20:00:00Z') + h * 3_600_000);
    rows.push(
      job({
        createdAt: at,
        bytesBilled: ((h % 4) + 1) * TiB,
        userEmail: `u${h % 3}@example.com`,
        projectId: `proj-${h % 2}`,
        labels: h % 3 === 0 ? { team: 'data', env: 'prod' } : {},
        hash: `h${h % 5}`,
        tables: ['proj-0.sales.orders', 'proj-0.sales.items'],
      }),
      job({
        createdAt: at,
        reservationId: 'admin:US.etl',
        edition: 'ENTERPRISE',
        slotMs: h * 1e6,
        bytesBilled: TiB,
      }),
      job({ createdAt: at, statementType: 'SCRIPT', bytesBilled: 50 * TiB }),
    );
  }
  const path = writeNdjson(join(dir, 'jobs.jsonl'), rows);
  await warehouse.importFile({ view: 'jobs', path, name: 'jobs.jsonl' }, { strict: true });
});

afterAll(async () => {
  await warehouse?.close();
  await rm(dir, { recursive: true, force: true });
});

const order = (facts: CostFact[]) =>
  [...facts].sort((a, b) =>
    [a.day, a.dimension, a.key, a.reservationId ?? ''].join('|') <
    [b.day, b.dimension, b.key, b.reservationId ?? ''].join('|')
      ? -1
      : 1,
  );

describe('DuckDbWarehouse.costFactsFor', () => {
  it.each<FactDimension[]>([
    ['total'],
    ['total', 'project', 'user', 'label'],
    ['table', 'query_pattern'],
    ['label', 'label'],
  ])('%j gives costFacts’ rows of those dimensions, nothing else', async (...dimensions) => {
    const all = await warehouse.costFacts(window);
    const some = await warehouse.costFactsFor(window, dimensions);
    const expected = all.filter((f) => dimensions.includes(f.dimension));
    expect(expected.length).toBeGreaterThan(0);
    expect(order(some)).toEqual(order(expected));
  });

  it('holds the numbers: SCRIPT parents out, the window’s jobs in', async () => {
    const totals = await warehouse.costFactsFor(window, ['total']);
    const jobs = totals.reduce((s, f) => s + f.jobs, 0);
    // Jobs every 7 h from 2026-09-30 20:00: hours 7…76 fall in the window (10 × 2 jobs).
    expect(jobs).toBe(20);
    const bytes = totals.reduce((s, f) => s + f.onDemandBytesBilled, 0);
    const hours = [7, 14, 21, 28, 35, 42, 49, 56, 63, 70];
    expect(bytes).toBe(hours.reduce((s, h) => s + ((h % 4) + 1) * TiB, 0));
  });

  it('runs no query for no dimensions and refuses an unknown one', async () => {
    await expect(warehouse.costFactsFor(window, [])).resolves.toEqual([]);
    const error = await warehouse
      .costFactsFor(window, ["total') OR ('1'='1" as FactDimension])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'warehouse.invalidDimension' });
  });
});
