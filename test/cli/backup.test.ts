import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLedger } from '../../src/adapters/duckdb/duckdb-ledger.js';
import {
  DuckDbAnomalyStore,
  DuckDbRecommendationStore,
  DuckDbRunLog,
} from '../../src/adapters/duckdb/duckdb-recommendations.js';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { tableDdl } from '../../src/adapters/duckdb/table-ddl.js';
import { backup, manifestName, restore } from '../../src/cli/backup.js';
import { bqcostTables } from '../../src/domain/tables.js';
import { ackEvent } from '../fixtures/ack-events.js';
import { anomaly } from '../fixtures/alert-events.js';
import { analysisJobs, analysisTables, loadJobs } from '../fixtures/analysis-jobs.js';
import { tempDir } from '../fixtures/builders.js';
import { storedRecommendation } from '../fixtures/stored-recommendations.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let db: string;

beforeEach(() => {
  dir = tempDir('bqcost-backup-');
  db = join(dir, 'bqcost.duckdb');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A warehouse file with a row in every table: imports, ledger, stores, and every bqcost table. */
async function seed(path: string): Promise<void> {
  const warehouse = await DuckDbWarehouse.open(path);
  try {
    await loadJobs(warehouse, analysisJobs(), analysisTables());
    const connection = await warehouse.connect();
    const ledger = await DuckDbLedger.open(connection);
    await ledger.append(
      ackEvent({ reason: null, occurredAt: new Date('2026-11-28T10:00:00.123Z') }),
    );
    await ledger.append(
      ackEvent({
        recommendationId: 'rec-2',
        action: 'dismissed',
        reason: { code: 'false_positive', text: "it's <fine> — ok" },
      }),
    );
    await (
      await DuckDbRecommendationStore.open(connection)
    ).save('run-1', new Date('2026-11-01T06:00:00Z'), [
      storedRecommendation('rec-1', { ownerSlackIds: ['U1', 'U2'] }),
      storedRecommendation('rec-2', {
        recommendation: { monthlySavingsUsd: null, rule: 'select_star', kind: 'sql_antipattern' },
      }),
    ]);
    await (await DuckDbAnomalyStore.open(connection)).save('run-1', new Date(), [anomaly()]);
    await (
      await DuckDbRunLog.open(connection)
    ).record({
      runId: 'run-1',
      scope: 'org',
      windowStart: new Date('2026-10-01T00:00:00Z'),
      windowEnd: new Date('2026-11-01T00:00:00Z'),
      outcome: 'succeeded',
      recommendations: 2,
      anomalies: 1,
      errorCode: null,
      startedAt: new Date('2026-11-01T06:00:00Z'),
      finishedAt: new Date('2026-11-01T06:00:05Z'),
    });
    for (const spec of bqcostTables) await connection.run(tableDdl(spec));
    // Whatever is still empty gets a row of NULLs: every table must show it survived.
    for (const table of await tableNames(warehouse)) {
      const n = await warehouse.sql(`SELECT count(*) AS n FROM "${table}"`);
      if (Number(n[0]?.n) === 0) await warehouse.sql(`INSERT INTO "${table}" DEFAULT VALUES`);
    }
    connection.closeSync();
  } finally {
    await warehouse.close();
  }
}

async function tableNames(warehouse: DuckDbWarehouse): Promise<string[]> {
  const rows = await warehouse.sql(
    `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name`,
  );
  return rows.map((r) => String(r.table_name));
}

/** Every row of every table, in a stable order, as text. */
async function snapshot(path: string): Promise<Record<string, string[]>> {
  const warehouse = await DuckDbWarehouse.open(path);
  try {
    const result: Record<string, string[]> = {};
    for (const table of await tableNames(warehouse)) {
      const rows = await warehouse.sql(`SELECT * FROM "${table}" ORDER BY ALL`);
      result[table] = rows.map((row) =>
        JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
      );
    }
    return result;
  } finally {
    await warehouse.close();
  }
}

const wipe = (path: string) => {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
};

describe('bqcost backup / restore', () => {
  it('backs up, wipes, restores: every row of every table is equal (through the CLI)', async () => {
    await seed(db);
    const before = await snapshot(db);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining([
        'jobs',
        'table_storage',
        'schemata_options',
        'reservations_timeline',
        ...bqcostTables.map((t) => t.name),
      ]),
    );
    for (const [table, rows] of Object.entries(before))
      expect(rows.length, table).toBeGreaterThan(0);

    const out = join(dir, 'backup');
    const saved = runCli(['backup', '--out', out, '--db', db]);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/^Backed up \d+ tables \([\d,]+ rows\)/);
    const manifest = JSON.parse(readFileSync(join(out, manifestName), 'utf8')) as {
      tables: Record<string, number>;
    };
    expect(Object.keys(manifest.tables).sort()).toEqual(Object.keys(before).sort());

    wipe(db);
    expect(existsSync(db)).toBe(false);
    const restored = runCli(['restore', '--from', out, '--db', db]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(await snapshot(db)).toEqual(before);
  }, 60_000);

  it('a moved backup directory still restores', async () => {
    await seed(db);
    const before = await snapshot(db);
    await backup(db, join(dir, 'first'));
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'first'), join(dir, 'moved'));
    wipe(db);
    await restore(join(dir, 'moved'), db, { force: false });
    expect(await snapshot(db)).toEqual(before);
  });

  it('refuses to replace a warehouse holding rows without --force, and leaves it as it was', async () => {
    await seed(db);
    const out = join(dir, 'backup');
    await backup(db, out);
    const other = join(dir, 'other.duckdb');
    const warehouse = await DuckDbWarehouse.open(other);
    await (
      await DuckDbLedger.open(await warehouse.connect())
    ).append(ackEvent({ recommendationId: 'keep-me' }));
    await warehouse.close();
    const kept = await snapshot(other);

    await expect(restore(out, other, { force: false })).rejects.toMatchObject({
      code: 'restore.not_empty',
      message: expect.stringContaining('--force'),
    });
    expect(await snapshot(other)).toEqual(kept);

    await restore(out, other, { force: true });
    expect(await snapshot(other)).toEqual(await snapshot(db));
  });

  it('restores into an existing but empty warehouse without --force', async () => {
    await seed(db);
    const out = join(dir, 'backup');
    await backup(db, out);
    const empty = join(dir, 'empty.duckdb');
    await (await DuckDbWarehouse.open(empty)).close();
    await restore(out, empty, { force: false });
    expect(await snapshot(empty)).toEqual(await snapshot(db));
  });

  it('a backup whose counts do not match fails the restore and replaces nothing', async () => {
    await seed(db);
    const before = await snapshot(db);
    const out = join(dir, 'backup');
    await backup(db, out);
    const path = join(out, manifestName);
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { tables: Record<string, number> };
    manifest.tables.recommendation_events = 99;
    writeFileSync(path, JSON.stringify(manifest));
    await expect(restore(out, db, { force: true })).rejects.toMatchObject({
      code: 'restore.incomplete',
      message: expect.stringContaining('recommendation_events: 2 of 99 rows'),
    });
    expect(await snapshot(db)).toEqual(before);
    expect(existsSync(`${db}.restoring-${process.pid}`)).toBe(false);
  });

  it('clear errors: no database, a non-empty out, not a backup, a bad manifest', async () => {
    await expect(backup(join(dir, 'nope.duckdb'), join(dir, 'b'))).rejects.toMatchObject({
      code: 'backup.no_database',
    });
    await seed(db);
    writeFileSync(join(dir, 'note.txt'), 'x');
    await expect(backup(db, dir)).rejects.toMatchObject({ code: 'backup.out_not_empty' });
    await expect(restore(join(dir, 'missing'), db, { force: true })).rejects.toMatchObject({
      code: 'restore.not_a_backup',
      message: expect.stringContaining(manifestName),
    });
    const out = join(dir, 'backup');
    await backup(db, out);
    writeFileSync(join(out, manifestName), '{"format":"something-else"}');
    await expect(restore(out, db, { force: true })).rejects.toMatchObject({
      code: 'restore.bad_manifest',
    });
  });

  it('--help, a missing flag and a refused restore through the CLI', async () => {
    const help = runCli(['backup', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: bqcost backup --out <dir>');
    const restoreHelp = runCli(['restore', '--help']);
    expect(restoreHelp.stdout).toContain('--force');
    const missing = runCli(['restore', '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from');
    const usage = runCli(['--help']);
    expect(usage.stdout).toMatch(/backup .*\n\s+restore /);

    await seed(db);
    const out = join(dir, 'backup');
    await backup(db, out);
    const refused = runCli(['restore', '--from', out, '--db', db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^bqcost: the embedded warehouse at .* holds [\d,]+ rows; .*--force/,
    );
  }, 60_000);
});
