import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import {
  measureRealizedSavings,
  type AcceptedRecommendation,
  type RealizedSaving,
} from '../../src/app/realized-savings.js';
import type { RecommendationKind } from '../../src/domain/analysis.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import { job, tempDir, writeNdjson } from '../fixtures/builders.js';

// Generated job history 2026-09-01 … 2026-10-31 in an embedded warehouse. Prices pinned:
// $6.25/TiB on demand, ENTERPRISE pay-as-you-go $0.06 per slot-hour. 2026-10-05 is a Monday.
const TiB = 2 ** 40;
const dayMs = 86_400_000;
const asOf = new Date('2026-11-01T00:00:00Z');
const accepted = new Date('2026-10-11T15:00:00Z');
const changed = '2026-10-11';
const days = Array.from({ length: 61 }, (_, i) => new Date(Date.UTC(2026, 8, 1 + i)));
const iso = (d: Date) => d.toISOString().slice(0, 10);
const isMonday = (d: Date) => d.getUTCDay() === 1;

function history(): Record<string, unknown>[] {
  return days.flatMap((d) => {
    const at = (hour: number) => new Date(d.getTime() + hour * 3_600_000);
    const after = iso(d) >= changed;
    return [
      // Drops to a quarter once the fix lands: the shape, its table, its user and its project.
      job({
        createdAt: at(9),
        hash: 'h-drop',
        userEmail: 'ana@example.com',
        projectId: 'proj-a',
        tables: ['proj-a.sales.orders'],
        bytesBilled: (after ? 0.25 : 1) * TiB,
      }),
      // Unchanged.
      job({
        createdAt: at(10),
        hash: 'h-flat',
        userEmail: 'bo@example.com',
        projectId: 'proj-b',
        tables: ['proj-b.web.events'],
        bytesBilled: TiB,
      }),
      // 5% lower: under the 10% margin.
      job({
        createdAt: at(11),
        hash: 'h-small',
        userEmail: 'bo@example.com',
        projectId: 'proj-b',
        bytesBilled: (after ? 0.95 : 1) * TiB,
      }),
      // A big batch every Monday and nothing else changes.
      job({
        createdAt: at(12),
        hash: 'h-weekly',
        userEmail: 'bo@example.com',
        projectId: 'proj-b',
        bytesBilled: (isMonday(d) ? 20 : 1) * TiB,
      }),
      // A reservation that halves its slot use: 100 → 50 slot-hours a day.
      job({
        createdAt: at(13),
        hash: 'h-etl',
        userEmail: 'etl@proj-c.iam.gserviceaccount.com',
        projectId: 'proj-c',
        reservationId: 'admin:US.etl',
        edition: 'ENTERPRISE',
        bytesBilled: 5 * TiB,
        slotMs: (after ? 50 : 100) * 3.6e6,
      }),
    ];
  });
}

let warehouse: DuckDbWarehouse;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  warehouse = await DuckDbWarehouse.open(':memory:');
  const path = writeNdjson(join(dir, 'jobs.jsonl'), history());
  await warehouse.importFile({ view: 'jobs', path, name: 'jobs.jsonl' }, { strict: true });
});

afterAll(async () => {
  await warehouse?.close();
  await rm(dir, { recursive: true, force: true });
});

function event(
  kind: RecommendationKind,
  target: string,
  over: Partial<AcceptedRecommendation> = {},
): AcceptedRecommendation {
  return {
    recommendationId: `rec_${kind}_${target}`,
    kind,
    target,
    acceptedAt: accepted,
    estimatedMonthlySavingsUsd: 100,
    ...over,
  };
}

async function measure(
  events: AcceptedRecommendation[],
  options: { minDaysAfter?: number; baselineDays?: number; asOf?: Date } = {},
): Promise<RealizedSaving[]> {
  return measureRealizedSavings(
    { warehouse, pricing: resolvePricing('us') },
    { events, asOf: options.asOf ?? asOf, ...options },
  );
}

describe('measureRealizedSavings', () => {
  it.each<[string, RecommendationKind, string, 'saved' | 'not_saved', number, number]>([
    // name, kind, target, status, before $/day, after $/day
    ['the query shape', 'sql_antipattern', 'h-drop', 'saved', 6.25, 1.5625],
    ['a materialized shape', 'materialize_repeated_query', 'h-flat', 'not_saved', 6.25, 6.25],
    ['the table it reads', 'partition_table', 'proj-a.sales.orders', 'saved', 6.25, 1.5625],
    ['a table nobody fixed', 'cluster_table', 'proj-b.web.events', 'not_saved', 6.25, 6.25],
    ['the user (an email)', 'cap_bytes_billed', 'ana@example.com', 'saved', 6.25, 1.5625],
    ['the project', 'pricing_model', 'proj-a', 'saved', 6.25, 1.5625],
    ['a 5% drop (under the 10% margin)', 'sql_antipattern', 'h-small', 'not_saved', 6.25, 5.9375],
    ['slot-hours used in a reservation', 'pricing_model', 'admin:US.etl', 'saved', 6, 3],
  ])('%s: %s %s → %s', async (_name, kind, target, status, beforeUsd, afterUsd) => {
    const [result] = await measure([event(kind, target)]);
    expect(result).toMatchObject({
      recommendationId: `rec_${kind}_${target}`,
      status,
      before: { days: 28 },
      // 20 complete days after the acceptance day, cut to whole weeks.
      after: { days: 14 },
      estimatedMonthlySavingsUsd: 100,
    });
    expect(result!.before.usdPerDay).toBeCloseTo(beforeUsd, 9);
    expect(result!.after.usdPerDay).toBeCloseTo(afterUsd, 9);
    expect(result!.realizedMonthlyUsd).toBeCloseTo((beforeUsd - afterUsd) * 30, 6);
    expect(result!.method).toContain('2026-09-13..2026-10-10 (28 days)');
    expect(result!.method).toContain('2026-10-12..2026-10-25 (14 days)');
  });

  it('a project on the cap counts the whole project (not the user)', async () => {
    const [result] = await measure([event('cap_bytes_billed', 'proj-b')]);
    expect(result!.status).toBe('not_saved');
    expect(result!.method).toContain('project proj-b');
  });

  it('compares whole weeks so a Monday batch weighs the same on both sides', async () => {
    // Accepted on a Monday: 19 complete days follow, 2 Mondays in them. Untrimmed, the after
    // side would look 19% cheaper; over 14 days (2 Mondays in 2 weeks) it is unchanged.
    const [result] = await measure([
      event('sql_antipattern', 'h-weekly', { acceptedAt: new Date('2026-10-12T09:00:00Z') }),
    ]);
    expect(result).toMatchObject({ status: 'not_saved', after: { days: 14 } });
    expect(result!.after.usdPerDay).toBeCloseTo(result!.before.usdPerDay!, 9);
  });

  it('is too early with fewer than minDaysAfter complete days since the acceptance day', async () => {
    const results = await measure([
      event('sql_antipattern', 'h-drop', { acceptedAt: new Date('2026-10-25T08:00:00Z') }),
      event('sql_antipattern', 'h-drop', { acceptedAt: new Date('2026-10-24T08:00:00Z') }),
    ]);
    expect(results.map((r) => [r.status, r.after.days])).toEqual([
      ['too_early', 6],
      ['saved', 7],
    ]);
    expect(results[0]!.realizedMonthlyUsd).toBeNull();
  });

  it('honours minDaysAfter and baselineDays', async () => {
    const [result] = await measure([event('sql_antipattern', 'h-drop')], {
      minDaysAfter: 15,
      baselineDays: 21,
    });
    // 20 days available, at most 21: two whole weeks would be under 15, so all 20 count.
    expect(result).toMatchObject({ status: 'saved', before: { days: 21 }, after: { days: 20 } });
  });

  it.each<[string, AcceptedRecommendation, RegExp]>([
    [
      'storage billing model',
      event('storage_billing_model', 'proj-a.sales'),
      /only the latest TABLE_STORAGE snapshot/,
    ],
    ['expired table', event('expire_unused_table', 'proj-a.sales.old'), /storage savings/],
    ['a target with no cost before', event('sql_antipattern', 'h-never'), /no baseline/],
    [
      'a baseline before the history starts',
      event('sql_antipattern', 'h-drop', { acceptedAt: new Date('2026-09-05T12:00:00Z') }),
      // Data starts 2026-09-01 09:00: that day is partial, so 09-02 … 09-04 remain.
      /no baseline: 3 day\(s\)/,
    ],
  ])('unknown: %s', async (_name, input, method) => {
    const [result] = await measure([input]);
    expect(result!.status).toBe('unknown');
    expect(result!.realizedMonthlyUsd).toBeNull();
    expect(result!.before.usdPerDay).toBeNull();
    expect(result!.method).toMatch(method);
  });

  it('answers every event in order, in one pass over the warehouse', async () => {
    const events = [
      event('sql_antipattern', 'h-drop', { recommendationId: 'a' }),
      event('storage_billing_model', 'proj-a.sales', { recommendationId: 'b' }),
      event('sql_antipattern', 'h-flat', {
        recommendationId: 'c',
        acceptedAt: new Date(asOf.getTime() - dayMs),
      }),
      event('sql_antipattern', 'h-flat', { recommendationId: 'd' }),
    ];
    const results = await measure(events);
    expect(results.map((r) => [r.recommendationId, r.status])).toEqual([
      ['a', 'saved'],
      ['b', 'unknown'],
      ['c', 'too_early'],
      ['d', 'not_saved'],
    ]);
  });

  it('does not touch the warehouse when nothing can be measured', async () => {
    const results = await measureRealizedSavings(
      {
        warehouse: new Proxy({} as DuckDbWarehouse, {
          get: () => {
            throw new Error('no warehouse call expected');
          },
        }),
        pricing: resolvePricing('us'),
      },
      { events: [event('expire_unused_table', 'p.d.t')], asOf },
    );
    expect(results[0]!.status).toBe('unknown');
  });
});
