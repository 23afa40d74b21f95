import { DuckDbWarehouse } from '../adapters/duckdb/duckdb-warehouse.js';
import { discoverExports } from '../adapters/files/discover.js';
import type { ImportReport } from '../ports/warehouse.js';
import { progress } from './progress.js';

export interface LoadResult {
  reports: ImportReport[];
  warnings: string[];
}

/** Imports every export in `dir` into the warehouse, replacing what it held. */
export async function loadExports(
  warehouse: DuckDbWarehouse,
  dir: string,
  options: { strict: boolean; quiet?: boolean },
): Promise<LoadResult> {
  const files = discoverExports(dir);
  await warehouse.clear();
  const reports: ImportReport[] = [];
  for (const file of files) {
    const bar = progress(`importing ${file.name}`, process.stderr, options.quiet);
    const report = await warehouse.importFile(file, { strict: options.strict, maxIssues: 20 });
    bar.done(
      `${file.name}: ${report.rowsImported.toLocaleString('en-US')} rows imported${report.rowsSkipped ? `, ${report.rowsSkipped} skipped` : ''}`,
    );
    reports.push(report);
  }
  return { reports, warnings: importWarnings(reports) };
}

export function importWarnings(reports: readonly ImportReport[]): string[] {
  const warnings: string[] = [];
  for (const report of reports) {
    for (const issue of report.issues) {
      warnings.push(
        `${issue.file}${issue.line === null ? '' : `:${issue.line}`}: ${issue.reason} (row skipped)`,
      );
    }
    if (report.rowsSkipped > report.issues.length) {
      warnings.push(
        `${report.file}: ${report.rowsSkipped - report.issues.length} more rows skipped (${report.rowsSkipped} in all)`,
      );
    }
    if (report.duplicatesDropped > 0) {
      warnings.push(
        `${report.file}: ${report.duplicatesDropped} duplicate jobs (same project_id and job_id) counted once`,
      );
    }
  }
  return warnings;
}
