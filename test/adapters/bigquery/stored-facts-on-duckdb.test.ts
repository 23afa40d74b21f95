import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dateValue, timestampValue } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import type { CostFact } from '../../../src/domain/facts.js';
import { renderQuery, renderSql } from '../../../src/queries/index.js';
import { job, tempDir, writeNdjson } from '../../fixtures/builders.js';

// Production reads attribution from bqcost's own cost_facts table, appended by incremental
// refreshes over hour-aligned windows. This runs that path's SQL for real (on DuckDB) and checks
// it gives exactly what the direct query over the same days gives.

const sqlFile = (name: string) =>
  readFileSync(new URL(`../../../src/adapters/bigquery/${name}`, import.meta.url), 'utf8');
const localTables = {
  jobs: 'jobs',
  table_storage: 'table_storage',
  schemata_options: 'schemata_options',
  reservations_timeline: 'reservations_timeline',
};
const ts = (iso: string) => timestampValue(BigInt(Date.parse(iso)) * 1000n);
const day = (iso: string) => dateValue(Math.floor(Date.parse(iso) / 86_400_000));

function key(f: CostFact | Record<string, unknown>): string {
  const r = f as Record<string, unknown>;
  const d = r.day instanceof Date ? r.day.toISOString().slice(0, 10) : String(r.day).slice(0, 10);
  return [d, r.dimension, r.key, r.reservationId ?? r.reservation_id, r.edition].join('|');
}

describe('incremental cost facts (BigQuery path) on DuckDB', () => {
  it('facts appended over uneven refresh windows sum to the direct result for whole days', async () => {
    const TiB = 2 ** 40;
    const dir = tempDir();
    const jobs = [];
    for (let h = 0; h < 72; h += 1) {
      const at = new Date(Date.parse('2026-10-10T00:00:00Z') + h * 3_600_000 + 1_234_000);
      jobs.push(
        job({
          createdAt: at,
          bytesBilled: (h % 5) * TiB,
          userEmail: `u${h % 3}@x.com`,
          labels: { team: `t${h % 2}` },
          hash: `h${h % 4}`,
          tables: ['p.d.a'],
        }),
        job({
          createdAt: at,
          reservationId: 'admin:US.r',
          edition: 'ENTERPRISE',
          slotMs: h * 1e6,
          bytesBilled: TiB,
        }),
        job({ createdAt: at, statementType: 'SCRIPT', bytesBilled: 9 * TiB }),
      );
    }
    writeNdjson(join(dir, 'jobs.jsonl'), jobs);
    const w = await DuckDbWarehouse.open(':memory:');
    try {
      await w.importFile(
        { view: 'jobs', path: join(dir, 'jobs.jsonl'), name: 'jobs.jsonl' },
        { strict: false },
      );
      await w.sql(`CREATE TABLE cost_facts (day DATE, dimension VARCHAR, key VARCHAR, reservation_id VARCHAR, edition VARCHAR,
        jobs BIGINT, on_demand_bytes_billed HUGEINT, reservation_slot_ms HUGEINT, on_demand_slot_ms HUGEINT, window_start TIMESTAMP, window_end TIMESTAMP)`);

      // The refresh script's insert, fed by the catalogue query, over windows that split days.
      // Placeholders only here; the DuckDB rewrites are applied once, to the whole statement.
      const facts = renderQuery('cost-facts', { dialect: 'bigquery', tables: localTables });
      const insert = /INSERT INTO \{\{cost_facts\}\}[\s\S]*?FROM new_cost_facts;/
        .exec(sqlFile('refresh-cost-facts.sql'))![0]
        .replace('{{cost_facts}}', 'cost_facts')
        .replace('FROM new_cost_facts;', () => `FROM (${facts})`);
      const duckInsert = renderSql(insert, { dialect: 'duckdb', tables: localTables });
      const edges = [
        '2026-10-09T18:00:00Z',
        '2026-10-10T07:00:00Z',
        '2026-10-11T13:00:00Z',
        '2026-10-11T14:00:00Z',
        '2026-10-13T06:00:00Z',
      ];
      for (let i = 0; i + 1 < edges.length; i += 1) {
        await w.sql(duckInsert, { start: ts(edges[i]!), end: ts(edges[i + 1]!) });
      }

      const stored = renderSql(
        sqlFile('stored-cost-facts.sql').replace('{{cost_facts}}', 'cost_facts'),
        {
          dialect: 'duckdb',
          tables: localTables,
        },
      );
      const rows = await w.sql(stored, {
        start_day: day('2026-10-10'),
        end_day: day('2026-10-13'),
      });
      const direct = await w.costFacts({
        start: new Date('2026-10-10T00:00:00Z'),
        end: new Date('2026-10-13T00:00:00Z'),
      });

      expect(rows.length).toBe(direct.length);
      expect(direct.length).toBeGreaterThan(20);
      expect(direct.some((f) => f.onDemandSlotMs > 0)).toBe(true);
      const byKey = new Map(rows.map((r) => [key(r), r]));
      for (const fact of direct) {
        const row = byKey.get(key(fact));
        expect(row, key(fact)).toBeDefined();
        expect(Number(row!.jobs)).toBe(fact.jobs);
        expect(Number(row!.on_demand_bytes_billed)).toBe(fact.onDemandBytesBilled);
        expect(Number(row!.reservation_slot_ms)).toBe(fact.reservationSlotMs);
        expect(Number(row!.on_demand_slot_ms)).toBe(fact.onDemandSlotMs);
      }
    } finally {
      await w.close();
    }
  });
});
