import { readFileSync } from 'node:fs';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { discoverExports } from '../../src/adapters/files/discover.js';
import { analyzeCosts, type CostAnalysis } from '../../src/app/analyze.js';
import { jobRowSchema, type JobRow } from '../../src/domain/jobs.js';
import { resolvePricing } from '../../src/domain/pricing.js';
import { importWarnings } from '../../src/cli/load.js';

/** Imports a directory into an in-memory warehouse and analyzes it, as `bqcost analyze` does. */
export async function analyzeDir(
  dir: string,
  options: { asOf?: Date; windowDays?: number } = {},
): Promise<CostAnalysis> {
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    const reports = [];
    for (const file of discoverExports(dir))
      reports.push(await warehouse.importFile(file, { strict: false }));
    return await analyzeCosts(
      { warehouse, pricing: resolvePricing('us') },
      {
        asOf: options.asOf,
        windowDays: options.windowDays ?? 30,
        warnings: importWarnings(reports),
      },
    );
  } finally {
    await warehouse.close();
  }
}

/** Parses an NDJSON jobs export in Node with the domain's zod schema. */
export function parseJobsFile(path: string): JobRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => jobRowSchema.parse(JSON.parse(line)));
}
