#!/usr/bin/env node
// Writes infra/modules/bigquery/schemas/<table>.json (BigQuery JSON schema files) and
// schemas/tables.json (the manifest infra/modules/bigquery/main.tf declares one table per entry
// of: name, description, partitionBy, clusterBy) from src/domain/tables.ts, the one source of
// truth. Run with `npm run gen:schemas` (tsx, so the TypeScript source is read directly).
//   --check      regenerate in memory and compare: exit 1 naming every file that differs,
//                is missing or is extra (test/infra/bigquery-schemas.test.ts runs this)
//   --dir <dir>  another output directory (tests)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bqcostTables } from '../src/domain/tables.ts';

/** The manifest's file name; no table may take it. */
const manifestFile = 'tables.json';

/**
 * File name → text: per table the field list `google_bigquery_table.schema` and `bq mk` take,
 * and the manifest of the tables in the order of tables.ts.
 */
function render(tables) {
  const files = new Map();
  const manifest = tables.map(({ name, description, partitionBy, clusterBy }) => ({
    name,
    description,
    partitionBy,
    clusterBy,
  }));
  files.set(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  for (const table of tables) {
    if (`${table.name}.json` === manifestFile) {
      throw new Error(`table ${table.name}: its schema file would overwrite the manifest`);
    }
    const fields = table.columns.map(({ name, type, mode, description }) => ({
      name,
      type,
      mode,
      description,
    }));
    files.set(`${table.name}.json`, `${JSON.stringify(fields, null, 2)}\n`);
  }
  return files;
}

const { values } = parseArgs({
  options: { check: { type: 'boolean', default: false }, dir: { type: 'string' } },
});
const dir =
  values.dir ?? fileURLToPath(new URL('../infra/modules/bigquery/schemas/', import.meta.url));
const files = render(bqcostTables);
const present = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];

if (values.check) {
  const problems = [];
  for (const [name, text] of files) {
    if (!present.includes(name)) problems.push(`${name}: missing`);
    else if (readFileSync(join(dir, name), 'utf8') !== text) problems.push(`${name}: differs`);
  }
  for (const name of present) if (!files.has(name)) problems.push(`${name}: no such table`);
  if (problems.length > 0) {
    console.error(
      `schemas out of date (run npm run gen:schemas):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log(`${files.size - 1} schema files and the manifest match src/domain/tables.ts`);
} else {
  mkdirSync(dir, { recursive: true });
  for (const name of present) if (!files.has(name)) rmSync(join(dir, name));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  console.log(`wrote ${files.size - 1} schema files and the manifest`);
}
