// One measured phase of the benchmark, run in its own process so its peak RSS is its own.
// Prints one JSON line: { phase, ms, rows, maxRssMb, ... }.
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { DuckDbWarehouse } from '../src/adapters/duckdb/duckdb-warehouse.js';
import { discoverExports } from '../src/adapters/files/discover.js';
import { analyzers } from '../analyzers/index.js';
import { GoogleSqlInspector } from '../src/adapters/sql/googlesql-inspector.js';
import { analyzeCosts } from '../src/app/analyze.js';
import { runAnalysis } from '../src/app/run-analysis.js';
import { resolvePricing } from '../src/domain/pricing.js';

const [phase, dir] = process.argv.slice(2);
if (!phase || !dir) {
  process.stderr.write('usage: phase.ts <floor|floor-load|import-attribute|analyze> <dir>\n');
  process.exit(2);
}

const started = performance.now();
let extra: Record<string, unknown> = {};

if (phase === 'floor') {
  // The least any engine must do: scan the file once and group bytes billed by user.
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(
    `SELECT user_email, sum(CAST(total_bytes_billed AS BIGINT)) AS bytes FROM read_json('${join(dir, 'jobs.jsonl')}') GROUP BY 1`,
  );
  extra = { groups: reader.getRows().length };
  connection.closeSync();
  instance.closeSync();
} else if (phase === 'floor-load') {
  // Context for the import: DuckDB loading every column of the file into a table, nothing else.
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE raw AS SELECT * FROM read_json('${join(dir, 'jobs.jsonl')}')`);
  connection.closeSync();
  instance.closeSync();
} else if (phase === 'import-attribute') {
  const warehouse = await DuckDbWarehouse.open(':memory:');
  let imported = 0;
  const importStart = performance.now();
  for (const file of discoverExports(dir)) {
    const report = await warehouse.importFile(file, { strict: false });
    if (file.view === 'jobs') imported = report.rowsImported;
  }
  const importMs = performance.now() - importStart;
  const attributeStart = performance.now();
  const analysis = await analyzeCosts(
    { warehouse, pricing: resolvePricing('us') },
    { windowDays: 30, comparePrevious: false },
  );
  const attributeMs = performance.now() - attributeStart;
  extra = {
    importMs: Math.round(importMs),
    attributeMs: Math.round(attributeMs),
    jobsImported: imported,
    jobsInWindow: analysis.result.totals.jobs,
    onDemandUsd: Math.round(analysis.result.totals.onDemandUsd),
  };
  await warehouse.close();
} else if (phase === 'analyze') {
  // `bqcost analyze` end to end: import, attribution, every analyzer, SQL lint of the patterns.
  const warehouse = await DuckDbWarehouse.open(':memory:');
  for (const file of discoverExports(dir)) await warehouse.importFile(file, { strict: false });
  const inspector = await GoogleSqlInspector.create();
  const analysis = await runAnalysis(
    { warehouse, pricing: resolvePricing('us'), inspector, analyzers },
    { windowDays: 30, comparePrevious: false },
  );
  extra = {
    recommendations: analysis.result.recommendations.length,
    anomalies: analysis.result.anomalies.length,
    kinds: new Set(analysis.result.recommendations.map((r) => r.kind)).size,
  };
  await warehouse.close();
} else {
  process.stderr.write(`unknown phase ${phase}\n`);
  process.exit(2);
}

const ms = Math.round(performance.now() - started);
process.stdout.write(
  `${JSON.stringify({ phase, ms, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...extra })}\n`,
);
