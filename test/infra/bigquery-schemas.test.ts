// One source of truth for the bqcost tables: src/domain/tables.ts. The schema files Terraform
// loads are generated from it, and the table resources must match its partitioning, clustering
// and descriptions. Also: the restore runbook covers every table.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bqcostTables, type TableSpec } from '../../src/domain/tables.js';
import {
  blocksOf,
  type Json,
  type JsonObject,
  loadModule,
  nested,
  parseModule,
  readRepoFile,
  repoPathExists,
  repoRoot,
  type TfModule,
} from './hcl.js';

const schemasDir = join(repoRoot, 'infra/modules/bigquery/schemas');
const tsx = join(repoRoot, 'node_modules/.bin/tsx');
const script = join(repoRoot, 'scripts/gen-table-schemas.mjs');

/** Runs the generator in --check mode against `dir`; returns its exit code and output. */
function check(dir: string): { code: number; output: string } {
  try {
    const output = execFileSync(tsx, [script, '--check', '--dir', dir], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { code: 0, output };
  } catch (error) {
    const e = error as { status: number; stderr: string };
    return { code: e.status, output: e.stderr };
  }
}

/** An entry of schemas/tables.json, the manifest the table resource iterates over. */
type ManifestEntry = Pick<TableSpec, 'name' | 'description' | 'partitionBy' | 'clusterBy'>;

const manifestPath = (module: TfModule) => join(module.dir, 'schemas/tables.json');
const readManifest = (module: TfModule): ManifestEntry[] =>
  repoPathExists(manifestPath(module)) ? JSON.parse(readRepoFile(manifestPath(module))) : [];

const squash = (text: Json | undefined) => String(text).replace(/\s+/g, ' ');
const manifestLocals = {
  table_manifest: '${jsondecode(file("${path.module}/schemas/tables.json"))}',
  tables: '${{ for t in local.table_manifest : t.name => t }}',
};

/** `each.key` / `each.value.<field>` of one for_each instance, resolved in a resource body. */
function resolveEach(value: Json, entry: ManifestEntry): Json {
  if (typeof value === 'string') {
    if (value === '${each.key}') return entry.name;
    const field = /^\$\{each\.value\.(\w+)\}$/.exec(value)?.[1];
    if (field && field in entry) return entry[field as keyof ManifestEntry] as Json;
    return value.replaceAll('${each.key}', entry.name);
  }
  if (Array.isArray(value)) return value.map((v) => resolveEach(v, entry));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEach(v, entry)]));
  }
  return value;
}

/**
 * The tables a module's google_bigquery_table resources declare, one body per table: a resource
 * without for_each is one table; one with for_each must iterate over local.tables built from
 * schemas/tables.json, and declares one table per manifest entry.
 */
function declaredTables(
  module: TfModule,
  manifest: readonly ManifestEntry[],
): { bodies: JsonObject[]; problems: string[] } {
  const bodies: JsonObject[] = [];
  const problems: string[] = [];
  for (const resource of blocksOf(module, 'resource', 'google_bigquery_table')) {
    if (!('for_each' in resource.body)) {
      bodies.push(resource.body);
      continue;
    }
    const overManifest =
      resource.body.for_each === '${local.tables}' &&
      Object.entries(manifestLocals).every(([name, text]) => squash(module.locals[name]) === text);
    if (!overManifest) {
      problems.push(`${resource.name}: for_each is not local.tables from schemas/tables.json`);
      continue;
    }
    const { for_each: _forEach, ...body } = resource.body;
    for (const entry of manifest) bodies.push(resolveEach(body, entry) as JsonObject);
  }
  return { bodies, problems };
}

/** Differences between the table specs and the google_bigquery_table resources of a module. */
function tableDrift(
  tables: readonly TableSpec[],
  module: TfModule,
  manifest: readonly ManifestEntry[] = readManifest(module),
): string[] {
  const { bodies, problems } = declaredTables(module, manifest);
  for (const table of tables) {
    const body = bodies.find((b) => b.table_id === table.name);
    if (!body) {
      problems.push(`${table.name}: no google_bigquery_table resource`);
      continue;
    }
    if (body.schema !== `\${file("\${path.module}/schemas/${table.name}.json")}`) {
      problems.push(`${table.name}: schema is not schemas/${table.name}.json`);
    }
    const partitioning = nested(body, 'time_partitioning');
    if (partitioning?.field !== table.partitionBy || partitioning?.type !== 'DAY') {
      problems.push(`${table.name}: not day-partitioned on ${table.partitionBy}`);
    }
    if (JSON.stringify(body.clustering) !== JSON.stringify(table.clusterBy)) {
      problems.push(`${table.name}: clustering differs from ${table.clusterBy.join(', ')}`);
    }
    if (body.description !== table.description) {
      problems.push(`${table.name}: description differs`);
    }
  }
  for (const body of bodies) {
    if (!tables.some((t) => t.name === body.table_id)) {
      problems.push(`${String(body.table_id)}: declared in Terraform, not in tables.ts`);
    }
  }
  return problems;
}

let bigquery: TfModule;
beforeAll(async () => {
  bigquery = await loadModule(join(repoRoot, 'infra/modules/bigquery'));
});

describe('bqcost table schemas', () => {
  it('the committed schema files are exactly what tables.ts generates', () => {
    expect(check(schemasDir)).toEqual({
      code: 0,
      output: expect.stringMatching(/7 schema files and the manifest match/),
    });
  });

  it('each schema file has the columns of tables.ts, in order, with type, mode and description', () => {
    expect(readdirSync(schemasDir).sort()).toEqual(
      [...bqcostTables.map((t) => `${t.name}.json`), 'tables.json'].sort(),
    );
    for (const table of bqcostTables) {
      const fields = JSON.parse(readRepoFile(`infra/modules/bigquery/schemas/${table.name}.json`));
      expect(fields, table.name).toEqual(
        table.columns.map((c) => ({
          name: c.name,
          type: c.type,
          mode: c.mode,
          description: c.description,
        })),
      );
    }
  });

  it('the manifest lists every table of tables.ts, in order, with its description, partitioning and clustering', () => {
    expect(JSON.parse(readRepoFile('infra/modules/bigquery/schemas/tables.json'))).toEqual(
      bqcostTables.map((t) => ({
        name: t.name,
        description: t.description,
        partitionBy: t.partitionBy,
        clusterBy: t.clusterBy,
      })),
    );
  });

  it('every table has a Terraform resource with its schema file, partitioning, clustering and description', () => {
    expect(tableDrift(bqcostTables, bigquery)).toEqual([]);
  });

  it('every partition and clustering column exists in its table', () => {
    for (const table of bqcostTables) {
      const names = table.columns.map((c) => c.name);
      expect(names, table.name).toContain(table.partitionBy);
      const partition = table.columns.find((c) => c.name === table.partitionBy)!;
      expect(['TIMESTAMP', 'DATE'], table.name).toContain(partition.type);
      for (const column of table.clusterBy) expect(names, table.name).toContain(column);
    }
  });

  it('the backups module exports every table (the bigquery module lists them all)', () => {
    const output = blocksOf(bigquery, 'output').find((o) => o.name === 'table_ids')!;
    // Every manifest entry, and the check above makes the manifest's tables those of tables.ts.
    expect(output.body.value).toBe(
      '${[for t in local.table_manifest : google_bigquery_table.table[t.name].table_id]}',
    );
    expect(readManifest(bigquery).map((t) => t.name)).toEqual(bqcostTables.map((t) => t.name));
  });

  it('the restore runbook restores every table with its partition column', () => {
    const runbook = readRepoFile('docs/runbooks/backup-restore.md');
    for (const table of bqcostTables)
      expect(runbook).toContain(`${table.name}:${table.partitionBy}`);
  });
});

describe('the schema checks catch drift', () => {
  it('--check fails naming a changed, a missing and an extra file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bqcost-schemas-'));
    try {
      cpSync(schemasDir, dir, { recursive: true });
      const first = bqcostTables[0]!.name;
      const second = bqcostTables[1]!.name;
      const fields = JSON.parse(readRepoFile(`infra/modules/bigquery/schemas/${first}.json`));
      fields[0].mode = 'NULLABLE';
      writeFileSync(join(dir, `${first}.json`), `${JSON.stringify(fields, null, 2)}\n`);
      rmSync(join(dir, `${second}.json`));
      writeFileSync(join(dir, 'retired_table.json'), '[]\n');
      const manifest = readManifest(bigquery);
      manifest[0] = { ...manifest[0]!, partitionBy: 'created_at' };
      writeFileSync(join(dir, 'tables.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      const result = check(dir);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`${first}.json: differs`);
      expect(result.output).toContain(`${second}.json: missing`);
      expect(result.output).toContain('retired_table.json: no such table');
      expect(result.output).toContain('tables.json: differs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a table without a resource, and a resource that drifted', async () => {
    const drifted = await parseModule('infra/modules/bigquery', {
      'main.tf': `
        resource "google_bigquery_table" "recommendations" {
          table_id    = "recommendations"
          description = "old"
          schema      = file("\${path.module}/schemas/recommendation.json")
          clustering  = ["run_id"]
          time_partitioning {
            type  = "DAY"
            field = "created_at"
          }
        }
      `,
    });
    const recommendations = bqcostTables.find((t) => t.name === 'recommendations')!;
    const anomalies = bqcostTables.find((t) => t.name === 'anomalies')!;
    expect(tableDrift([recommendations, anomalies], drifted)).toEqual([
      'recommendations: schema is not schemas/recommendations.json',
      'recommendations: not day-partitioned on found_at',
      'recommendations: clustering differs from recommendation_id',
      'recommendations: description differs',
      'anomalies: no google_bigquery_table resource',
    ]);
  });

  const forEachLocals = `
    locals {
      table_manifest = jsondecode(file("\${path.module}/schemas/tables.json"))
      tables         = { for t in local.table_manifest : t.name => t }
    }
  `;

  it('resolves a for_each resource per manifest entry, and reports what drifted', async () => {
    const drifted = await parseModule('infra/modules/bigquery', {
      'main.tf': `${forEachLocals}
        resource "google_bigquery_table" "table" {
          for_each    = local.tables
          table_id    = each.key
          description = "one for all"
          schema      = file("\${path.module}/schemas/\${each.value.partitionBy}.json")
          clustering  = [each.value.partitionBy]
          time_partitioning {
            type  = "DAY"
            field = each.value.partitionBy
          }
        }
      `,
    });
    const recommendations = bqcostTables.find((t) => t.name === 'recommendations')!;
    const anomalies = bqcostTables.find((t) => t.name === 'anomalies')!;
    // A stale manifest: an old partition column, anomalies missing, a retired table.
    const manifest = [
      { ...recommendations, partitionBy: 'created_at' },
      { ...anomalies, name: 'old_anomalies' },
    ];
    expect(tableDrift([recommendations, anomalies], drifted, manifest)).toEqual([
      'recommendations: schema is not schemas/recommendations.json',
      'recommendations: not day-partitioned on found_at',
      'recommendations: clustering differs from recommendation_id',
      'recommendations: description differs',
      'anomalies: no google_bigquery_table resource',
      'old_anomalies: declared in Terraform, not in tables.ts',
    ]);
  });

  it('finds no drift in that for_each resource once it reads every field from the manifest', async () => {
    const fixed = await parseModule('infra/modules/bigquery', {
      'main.tf': `${forEachLocals}
        resource "google_bigquery_table" "table" {
          for_each    = local.tables
          table_id    = each.key
          description = each.value.description
          schema      = file("\${path.module}/schemas/\${each.key}.json")
          clustering  = each.value.clusterBy
          time_partitioning {
            type  = "DAY"
            field = each.value.partitionBy
          }
        }
      `,
    });
    expect(tableDrift(bqcostTables, fixed, bqcostTables)).toEqual([]);
  });

  it('reports a for_each that is not over the manifest', async () => {
    const elsewhere = await parseModule('infra/modules/bigquery', {
      'main.tf': `
        locals {
          table_manifest = jsondecode(file("\${path.module}/schemas/old.json"))
          tables         = { for t in local.table_manifest : t.name => t }
        }
        resource "google_bigquery_table" "table" {
          for_each = local.tables
          table_id = each.key
        }
        resource "google_bigquery_table" "other" {
          for_each = toset(["anomalies"])
          table_id = each.key
        }
      `,
    });
    const anomalies = bqcostTables.find((t) => t.name === 'anomalies')!;
    expect(tableDrift([anomalies], elsewhere, bqcostTables)).toEqual([
      'other: for_each is not local.tables from schemas/tables.json',
      'table: for_each is not local.tables from schemas/tables.json',
      'anomalies: no google_bigquery_table resource',
    ]);
  });
});
