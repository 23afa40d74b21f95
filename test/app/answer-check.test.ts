import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { answerQuery, type CheckAnswer } from '../../src/app/answer-query.js';
import type { RunAnalysisDeps } from '../../src/app/run-analysis.js';
import { createInspector } from '../../src/cli/compose.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import type { DryRunResult, Warehouse } from '../../src/ports/warehouse.js';
import { analysisJobs, analysisTables, loadJobs } from '../fixtures/analysis-jobs.js';

// `check <sql>`: the estimate comes from the warehouse's dry run when it has one (production), and
// from the referenced tables' sizes when it has none (embedded) or the dry run could not be made.

const GiB = 2 ** 30;
const TiB = 2 ** 40;
const sql = 'SELECT order_id FROM `proj-a.sales.orders` WHERE day = "2026-10-01"';

let duck: DuckDbWarehouse;
let base: Omit<RunAnalysisDeps, 'warehouse'>;

beforeAll(async () => {
  duck = await DuckDbWarehouse.open(':memory:');
  await loadJobs(duck, analysisJobs(), analysisTables());
  base = { pricing: resolvePricing('us'), inspector: await createInspector(), analyzers };
});
afterAll(async () => {
  await duck.close();
});

/** The DuckDB warehouse with its dry run answered by `result`, recording the SQL it was given. */
function withDryRun(result: DryRunResult | null): { warehouse: Warehouse; asked: string[] } {
  const asked: string[] = [];
  const warehouse = Object.create(duck) as Warehouse;
  warehouse.dryRun = (text) => {
    asked.push(text);
    return Promise.resolve(result);
  };
  return { warehouse, asked };
}

async function check(warehouse: Warehouse, text = sql): Promise<CheckAnswer> {
  const answer = await answerQuery({ ...base, warehouse }, { kind: 'check', sql: text });
  if (answer.kind !== 'check') throw new Error(`expected check, got ${answer.kind}`);
  return answer;
}

describe('answerCheck estimate', () => {
  it('a dry run figure is the estimate: bytes processed × the on-demand price', async () => {
    const { warehouse, asked } = withDryRun({ outcome: 'estimated', bytesProcessed: 2 * TiB });
    const a = await check(warehouse);
    expect(asked).toEqual([sql]);
    expect(a.estimateMethod).toBe('dry_run');
    expect(a.estimateBytes).toBe(2 * TiB);
    // $6.25 per TiB in us.
    expect(a.estimateUsd).toBeCloseTo(12.5, 10);
    expect(a.rejected).toBeNull();
    expect(a.dryRunNote).toBeNull();
    // The referenced tables are still listed with their sizes.
    expect(a.tables).toEqual([{ table: 'proj-a.sales.orders', totalLogicalBytes: 500 * GiB }]);
  });

  it('a dry run of 0 bytes (cached metadata, a constant) is $0, not unknown', async () => {
    const { warehouse } = withDryRun({ outcome: 'estimated', bytesProcessed: 0 });
    const a = await check(warehouse, 'SELECT 1');
    expect(a.estimateMethod).toBe('dry_run');
    expect(a.estimateBytes).toBe(0);
    expect(a.estimateUsd).toBe(0);
  });

  it('no dry run (embedded): the upper bound from the table sizes, as before', async () => {
    const { warehouse, asked } = withDryRun(null);
    const a = await check(warehouse);
    expect(asked).toEqual([sql]);
    expect(a.estimateMethod).toBe('table_sizes');
    expect(a.estimateBytes).toBe(500 * GiB);
    expect(a.estimateUsd).toBeCloseTo((500 / 1024) * 6.25, 10);
    expect(a.dryRunNote).toBeNull();
  });

  it('the real DuckDB warehouse has no dry run', async () => {
    expect(await duck.dryRun(sql)).toBeNull();
    expect((await check(duck)).estimateMethod).toBe('table_sizes');
  });

  it('BigQuery rejects the statement: no estimate, its words kept, no table-size guess', async () => {
    const message = 'Not found: Table proj-a:sales.orders was not found in location EU';
    const { warehouse } = withDryRun({ outcome: 'rejected', reason: 'notFound', message });
    const a = await check(warehouse);
    expect(a.estimateMethod).toBe('dry_run');
    expect(a.estimateBytes).toBeNull();
    expect(a.estimateUsd).toBeNull();
    expect(a.rejected).toBe(message);
  });

  it('the dry run is unavailable (permission): falls back to table sizes and says why', async () => {
    const message = "BigQuery denied bqcost's service account the dry run: Access Denied.";
    const { warehouse } = withDryRun({ outcome: 'unavailable', reason: 'accessDenied', message });
    const a = await check(warehouse);
    expect(a.estimateMethod).toBe('table_sizes');
    expect(a.estimateBytes).toBe(500 * GiB);
    expect(a.rejected).toBeNull();
    expect(a.dryRunNote).toBe(message);
  });
});
