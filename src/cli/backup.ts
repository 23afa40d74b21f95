import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Config } from '../config.js';
import { AppError, badInput } from '../errors.js';
import * as args from './args.js';

// `bqcost backup` / `bqcost restore` for the embedded warehouse: every table (the imported
// views, the acknowledgement ledger, the bqcost tables) through DuckDB's own EXPORT DATABASE as
// Parquet files plus schema.sql / load.sql, and IMPORT DATABASE back (which finds its files even
// when the directory has moved). A manifest written last marks a complete backup and carries
// each table's row count; a restore checks every count before it replaces anything. A restore
// builds the new database beside the old one and swaps it in, so a failed restore leaves the
// old database as it was.

export const backupHelp = `Usage: bqcost backup --out <dir> [--db <path>]

Writes every table of the embedded warehouse (imported exports, the acknowledgement ledger,
recommendations, anomalies, alerts, run history …) to <dir>: one Parquet file per table, the
schema, and bqcost-backup.json with each table's row count. <dir> must not exist or be empty.

  --out <dir>     backup directory (required)
  --db <path>     embedded warehouse file (default $BQCOST_DB or .bqcost/bqcost.duckdb)
`;

export const restoreHelp = `Usage: bqcost restore --from <dir> [--db <path>] [--force]

Restores a backup written by "bqcost backup" into the embedded warehouse and checks every
table's row count against the backup. Refuses to replace a warehouse that holds any rows unless
--force is given; the old warehouse stays untouched if the restore fails.

  --from <dir>    backup directory (required)
  --db <path>     embedded warehouse file (default $BQCOST_DB or .bqcost/bqcost.duckdb)
  --force         replace a warehouse that is not empty
`;

export const manifestName = 'bqcost-backup.json';

interface Manifest {
  format: 'bqcost-backup';
  version: 1;
  createdAt: string;
  /** Table → rows, for every table of the main schema. */
  tables: Record<string, number>;
}

export async function backupCommand(argv: string[], config: Config): Promise<number> {
  const { values } = args.parse('backup', argv, {
    out: { type: 'string' },
    db: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(backupHelp);
    return 0;
  }
  const out = resolve(args.required('out', 'backup', values.out));
  const db = values.db ?? config.BQCOST_DB;
  const manifest = await backup(db, out);
  const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `Backed up ${Object.keys(manifest.tables).length} tables (${rows.toLocaleString('en-US')} rows) from ${db} to ${out}\n`,
  );
  return 0;
}

export async function restoreCommand(argv: string[], config: Config): Promise<number> {
  const { values } = args.parse('restore', argv, {
    from: { type: 'string' },
    db: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(restoreHelp);
    return 0;
  }
  const from = resolve(args.required('from', 'restore', values.from));
  const db = values.db ?? config.BQCOST_DB;
  const manifest = await restore(from, db, { force: Boolean(values.force) });
  const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `Restored ${Object.keys(manifest.tables).length} tables (${rows.toLocaleString('en-US')} rows) from ${from} into ${db}\n`,
  );
  return 0;
}

/** Writes the backup of the database file `db` into `out` (absent or empty). */
export async function backup(db: string, out: string): Promise<Manifest> {
  if (!existsSync(db)) {
    throw badInput('backup.no_database', `there is no embedded warehouse at ${db}`);
  }
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw badInput(
      'backup.out_not_empty',
      `${out} already exists and is not an empty directory; choose a new one`,
    );
  }
  mkdirSync(dirname(out), { recursive: true });
  return withDatabase(db, async (connection) => {
    const tables = await rowCounts(connection);
    await run(connection, `EXPORT DATABASE ${literal(out)} (FORMAT PARQUET)`, 'export');
    const manifest: Manifest = {
      format: 'bqcost-backup',
      version: 1,
      createdAt: new Date().toISOString(),
      tables,
    };
    writeFileSync(join(out, manifestName), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  });
}

/** Restores the backup in `from` into the database file `db`. */
export async function restore(
  from: string,
  db: string,
  options: { force: boolean },
): Promise<Manifest> {
  const manifest = readManifest(from);
  if (existsSync(db) && !options.force) {
    const held = await withDatabase(db, rowCounts);
    const rows = Object.values(held).reduce((a, b) => a + b, 0);
    if (rows > 0) {
      throw badInput(
        'restore.not_empty',
        `the embedded warehouse at ${db} holds ${rows.toLocaleString('en-US')} rows; restoring replaces all of them — add --force to do so`,
      );
    }
  }
  mkdirSync(dirname(resolve(db)), { recursive: true });
  const staging = `${db}.restoring-${process.pid}`;
  removeDatabase(staging);
  try {
    await withDatabase(staging, async (connection) => {
      await run(connection, `IMPORT DATABASE ${literal(from)}`, 'import');
      const restored = await rowCounts(connection);
      const wrong = Object.entries(manifest.tables).filter(
        ([table, rows]) => restored[table] !== rows,
      );
      if (wrong.length > 0) {
        const detail = wrong
          .map(([table, rows]) => `${table}: ${restored[table] ?? 'missing'} of ${rows} rows`)
          .join(', ');
        throw badInput(
          'restore.incomplete',
          `the backup in ${from} does not restore completely (${detail}); nothing was replaced`,
        );
      }
      await run(connection, 'CHECKPOINT', 'checkpoint');
    });
    removeDatabase(db);
    renameSync(staging, db);
  } finally {
    removeDatabase(staging);
  }
  return manifest;
}

function readManifest(from: string): Manifest {
  const path = join(from, manifestName);
  if (!existsSync(path)) {
    throw badInput(
      'restore.not_a_backup',
      `${from} is not a complete bqcost backup (no ${manifestName})`,
    );
  }
  let manifest: Partial<Manifest>;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
  } catch (error) {
    throw badInput('restore.bad_manifest', `${path} is not valid JSON: ${text(error)}`);
  }
  const tables = manifest.tables;
  if (
    manifest.format !== 'bqcost-backup' ||
    manifest.version !== 1 ||
    typeof tables !== 'object' ||
    tables === null ||
    !Object.values(tables).every((n) => Number.isInteger(n) && n >= 0)
  ) {
    throw badInput('restore.bad_manifest', `${path} is not a bqcost backup manifest (format 1)`);
  }
  for (const file of ['schema.sql', 'load.sql']) {
    if (!existsSync(join(from, file))) {
      throw badInput('restore.not_a_backup', `${from} has no ${file}`);
    }
  }
  return manifest as Manifest;
}

async function withDatabase<T>(
  path: string,
  use: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path);
  } catch (error) {
    // Typically another bqcost process (npm start) holds the file's lock.
    throw new AppError('warehouse.open_failed', `cannot open ${path}: ${text(error)}`, {
      cause: error,
      userMessage: `cannot open the embedded warehouse at ${path} (is bqcost running?): ${text(error)}`,
    });
  }
  try {
    const connection = await instance.connect();
    try {
      return await use(connection);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function rowCounts(connection: DuckDBConnection): Promise<Record<string, number>> {
  const tables = await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const [name] of tables.getRowsJS()) {
    const table = String(name);
    const reader = await connection.runAndReadAll(
      `SELECT count(*) FROM "${table.replaceAll('"', '""')}"`,
    );
    counts[table] = Number(reader.getRowsJS()[0]?.[0] ?? 0);
  }
  return counts;
}

async function run(connection: DuckDBConnection, sql: string, what: string): Promise<void> {
  try {
    await connection.run(sql);
  } catch (error) {
    throw new AppError(`warehouse.${what}_failed`, `${what} failed: ${text(error)}`, {
      cause: error,
      userMessage: `the ${what} failed: ${text(error)}`,
    });
  }
}

function removeDatabase(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
