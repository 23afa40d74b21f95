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
  loadModule,
  nested,
  parseModule,
  readRepoFile,
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

/** Differences between the table specs and the google_bigquery_table resources of a module. */
function tableDrift(tables: readonly TableSpec[], module: TfModule): string[] {
  const problems: string[] = [];
  const resources = blocksOf(module, 'resource', 'google_bigquery_table');
  for (const table of tables) {
    const resource = resources.find((r) => r.body.table_id === table.name);
    if (!resource) {
      problems.push(`${table.name}: no google_bigquery_table resource`);
      continue;
    }
    if (resource.body.schema !== `\${file("\${path.module}/schemas/${table.name}.json")}`) {
      problems.push(`${table.name}: schema is not schemas/${table.name}.json`);
    }
    const partitioning = nested(resource.body, 'time_partitioning');
    if (partitioning?.field !== table.partitionBy || partitioning?.type !== 'DAY') {
      problems.push(`${table.name}: not day-partitioned on ${table.partitionBy}`);
    }
    if (JSON.stringify(resource.body.clustering) !== JSON.stringify(table.clusterBy)) {
      problems.push(`${table.name}: clustering differs from ${table.clusterBy.join(', ')}`);
    }
    if (resource.body.description !== table.description) {
      problems.push(`${table.name}: description differs`);
    }
  }
  for (const resource of resources) {
    if (!tables.some((t) => t.name === resource.body.table_id)) {
      problems.push(`${String(resource.body.table_id)}: declared in Terraform, not in tables.ts`);
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
      output: expect.stringMatching(/7 schema files match/),
    });
  });

  it('each schema file has the columns of tables.ts, in order, with type, mode and description', () => {
    expect(readdirSync(schemasDir).sort()).toEqual(
      bqcostTables.map((t) => `${t.name}.json`).sort(),
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
    const listed = JSON.stringify(output.body.value);
    for (const table of bqcostTables) {
      expect(listed).toContain(`google_bigquery_table.${table.name}.table_id`);
    }
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
      const result = check(dir);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`${first}.json: differs`);
      expect(result.output).toContain(`${second}.json: missing`);
      expect(result.output).toContain('retired_table.json: no such table');
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
});
