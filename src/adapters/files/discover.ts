import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportView } from '../../domain/columns.js';
import { exportViewNames } from '../../domain/columns.js';
import { badInput } from '../../errors.js';
import type { ExportFile } from '../../ports/warehouse.js';

const extension = /\.(jsonl|ndjson|json|parquet)(\.gz)?$/i;

/**
 * Export files in `dir`, named after their view: `jobs.jsonl`, `jobs.part-001.json.gz`,
 * `table_storage.parquet`, … Files that match no view are ignored; a `jobs.*` file is required.
 */
export function discoverExports(dir: string): ExportFile[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory())
      throw badInput('input.not_a_directory', `${dir} is not a directory`);
    names = readdirSync(dir).sort();
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      throw badInput('input.no_such_directory', `export directory ${dir} does not exist`);
    }
    throw error;
  }
  const files: ExportFile[] = [];
  for (const name of names) {
    if (!extension.test(name)) continue;
    const view = exportViewNames.find((v) => name.toLowerCase().startsWith(`${v}.`));
    if (!view) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    files.push({ view: view as ExportView, path, name });
  }
  if (!files.some((f) => f.view === 'jobs')) {
    throw badInput(
      'input.no_jobs_export',
      `no jobs export in ${dir}: expected a file named jobs.jsonl, jobs.ndjson, jobs.json or jobs.parquet (optionally .gz)`,
    );
  }
  return files;
}
