import { createReadStream } from 'node:fs';
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSpec, ExportView } from '../../domain/columns.js';
import { badInput } from '../../errors.js';
import type {
  ExportFile,
  ImportIssue,
  ImportOptions,
  ImportReport,
} from '../../ports/warehouse.js';
import { columnsOf, duckTypes, quoteIdent, quoteLiteral, rawTypes } from './schema.js';

// Import is done by DuckDB itself: its JSON and Parquet readers are an order of magnitude faster
// than parsing and validating row by row in Node, which matters at a million jobs. Validation
// is SQL generated from the same column list as the zod schemas: each value is converted with a
// TRY_ cast and every failure is named (file, line, field, value). Rows with any failure are
// reported and removed; `--strict` turns the first one into a fatal error.
//
// Paths: (1) typed read_json / read_parquet — the fast path; (2) when the JSON reader rejects the
// file (a malformed line, a nested value of the wrong shape), NDJSON is re-read line by line so
// each broken line is reported on its own and the rest still imports.

type Format = 'ndjson' | 'json-array' | 'parquet';
type RawMode = 'typed' | 'json';

interface Source {
  format: Format;
  path: string;
  gzip: boolean;
  cleanup?: () => Promise<void>;
}

const maxLineBytes = 64 * 1024 * 1024;

export async function importFile(
  connection: DuckDBConnection,
  file: ExportFile,
  options: ImportOptions,
): Promise<ImportReport> {
  const source = await detectSource(file);
  try {
    const columns = columnsOf(file.view);
    // The fast path does not number rows (row_number() over a parallel scan serialises it and
    // costs as much as the parse); rows are numbered only when something must be located.
    let numbered = false;
    const parquet = await parquetColumns(connection, source, file);
    try {
      await insertRows(
        connection,
        file,
        columns,
        rawRelation(source, columns, parquet, false),
        'typed',
      );
    } catch (error) {
      await deleteSource(connection, file);
      if (source.format === 'parquet') throw fileError(file, error);
      numbered = true;
      try {
        await insertRows(
          connection,
          file,
          columns,
          numberedRelation(source, columns, parquet),
          'json',
        );
      } catch (retryError) {
        await deleteSource(connection, file);
        throw fileError(file, retryError);
      }
    }
    return await collectIssues(connection, file, source, options, numbered, parquet);
  } finally {
    await source.cleanup?.();
  }
}

async function insertRows(
  connection: DuckDBConnection,
  file: ExportFile,
  columns: readonly ColumnSpec[],
  relation: string,
  mode: RawMode,
): Promise<void> {
  const table = quoteIdent(file.view);
  const values = columns.map(
    (c) => `CAST(${convertExpression(c, mode)} AS ${duckTypes[c.type]}) AS ${quoteIdent(c.name)}`,
  );
  const select = `SELECT ${values.join(', ')}, CAST(${quoteLiteral(file.name)} AS VARCHAR) AS _source,
      CAST(_rec AS BIGINT) AS _line, CAST(${rowError(columns, mode)} AS VARCHAR) AS _import_error
    FROM (${relation})`;
  // Into an empty table, CREATE TABLE AS loads in parallel and is about a third faster than
  // INSERT; the select lists every column of createTableSql, in order and with its exact type.
  const empty = (
    await connection.runAndReadAll(`SELECT NOT EXISTS (SELECT 1 FROM ${table}) AS empty`)
  ).getRowObjectsJS()[0]?.empty;
  await connection.run(
    empty ? `CREATE OR REPLACE TABLE ${table} AS ${select}` : `INSERT INTO ${table} ${select}`,
  );
}

/** Every problem of a row, `; `-separated, or NULL when the row is good. */
function rowError(columns: readonly ColumnSpec[], mode: RawMode): string {
  const errors = columns.map((c) => errorExpression(c, mode)).filter((e) => e !== null);
  return `COALESCE(_pre_error, NULLIF(concat_ws('; ', ${errors.join(', ')}), ''))`;
}

function convertExpression(column: ColumnSpec, mode: RawMode): string {
  const q = quoteIdent(column.name);
  switch (column.type) {
    case 'string':
      return q;
    case 'int64':
      return `try_cast(${q} AS BIGINT)`;
    case 'float64':
      return `try_cast(${q} AS DOUBLE)`;
    case 'bool':
      return `bq_bool(${q})`;
    case 'timestamp':
      return `bq_ts(${q})`;
    case 'autoscale':
      return mode === 'typed'
        ? `CASE WHEN ${q} IS NULL THEN NULL ELSE struct_pack(current_slots := try_cast(${q}.current_slots AS BIGINT), max_slots := try_cast(${q}.max_slots AS BIGINT)) END`
        : `try_cast(${q} AS ${duckTypes.autoscale})`;
    default:
      return mode === 'typed' ? q : `try_cast(${q} AS ${duckTypes[column.type]})`;
  }
}

const expected: Record<ColumnSpec['type'], string> = {
  string: 'a string',
  int64: 'an INT64',
  float64: 'a number',
  bool: 'a BOOL',
  timestamp: 'a timestamp (RFC 3339, "… UTC" or epoch seconds)',
  table_ref: 'a {project_id, dataset_id, table_id} object',
  table_refs: 'an array of {project_id, dataset_id, table_id}',
  labels: 'an array of {key, value}',
  error_result: 'a {reason, location, message} object',
  query_info: 'a {query_hashes: {normalized_literals}} object',
  autoscale: 'a {current_slots, max_slots} object',
};

function errorExpression(column: ColumnSpec, mode: RawMode): string | null {
  const q = quoteIdent(column.name);
  const missing = column.required
    ? `WHEN ${q} IS NULL THEN ${quoteLiteral(`field ${column.name}: missing (required)`)} `
    : '';
  const bad = (condition: string) =>
    `CASE ${missing}WHEN ${condition} THEN ${quoteLiteral(`field ${column.name}: `)} || left(CAST(${q} AS VARCHAR), 80) || ${quoteLiteral(` is not ${expected[column.type]}`)} END`;
  const converted = convertExpression(column, mode);
  switch (column.type) {
    case 'string':
      return missing ? `CASE ${missing}END` : null;
    case 'int64':
    case 'float64':
    case 'bool':
    case 'timestamp':
      return bad(`${q} IS NOT NULL AND ${converted} IS NULL`);
    default:
      if (mode === 'typed') return missing ? `CASE ${missing}END` : null;
      return bad(`${q} IS NOT NULL AND json_type(${q}) <> 'NULL' AND ${converted} IS NULL`);
  }
}

function readJsonCall(source: Source, columns: readonly ColumnSpec[], mode: RawMode): string {
  const types = columns
    .map(
      (c) =>
        `${quoteLiteral(c.name)}: ${quoteLiteral(mode === 'typed' || isScalar(c) ? rawTypes[c.type] : 'JSON')}`,
    )
    .join(', ');
  const format = source.format === 'json-array' ? 'array' : 'newline_delimited';
  return `read_json(${quoteLiteral(source.path)}, columns = {${types}}, format = '${format}',
    compression = '${source.gzip ? 'gzip' : 'uncompressed'}', maximum_object_size = ${maxLineBytes})`;
}

function recExpression(numbered: boolean): string {
  return numbered ? 'row_number() OVER ()' : 'CAST(NULL AS BIGINT)';
}

function jsonRelation(
  source: Source,
  columns: readonly ColumnSpec[],
  mode: RawMode,
  numbered: boolean,
): string {
  return `SELECT ${recExpression(numbered)} AS _rec, NULL AS _pre_error, * FROM ${readJsonCall(source, columns, mode)}`;
}

/** A relation whose `_rec` is the 1-based line (NDJSON), element (JSON array) or row (Parquet). */
function numberedRelation(
  source: Source,
  columns: readonly ColumnSpec[],
  parquet: Map<string, string> | null,
): string {
  if (source.format === 'ndjson') return lineRelation(source, columns);
  if (source.format === 'json-array') return jsonRelation(source, columns, 'json', true);
  return rawRelation(source, columns, parquet, true);
}

function rawRelation(
  source: Source,
  columns: readonly ColumnSpec[],
  parquet: Map<string, string> | null,
  numbered: boolean,
): string {
  if (source.format !== 'parquet') return jsonRelation(source, columns, 'typed', numbered);
  const select = columns.map((c) => {
    const present = parquet?.get(c.name.toLowerCase());
    if (!present) return `CAST(NULL AS ${rawTypes[c.type]}) AS ${quoteIdent(c.name)}`;
    if (c.type === 'timestamp' && present === 'TIMESTAMP') {
      return `strftime(${quoteIdent(c.name)}, '%Y-%m-%d %H:%M:%S.%f') AS ${quoteIdent(c.name)}`;
    }
    return `CAST(${quoteIdent(c.name)} AS ${rawTypes[c.type]}) AS ${quoteIdent(c.name)}`;
  });
  return `SELECT ${recExpression(numbered)} AS _rec, NULL AS _pre_error, ${select.join(', ')} FROM read_parquet(${quoteLiteral(source.path)})`;
}

/** NDJSON one line at a time: blank lines are skipped, a malformed line is an issue of its own. */
function lineRelation(source: Source, columns: readonly ColumnSpec[]): string {
  // One parse per line: json_transform to text/JSON fields, then the usual conversions.
  const structure = JSON.stringify(
    Object.fromEntries(columns.map((c) => [c.name, isScalar(c) ? 'VARCHAR' : 'JSON'])),
  );
  const fields = columns.map((c) => `doc.${quoteIdent(c.name)} AS ${quoteIdent(c.name)}`);
  return `SELECT _rec, CASE WHEN doc IS NULL THEN 'malformed JSON' END AS _pre_error, ${fields.join(', ')}
    FROM (
      SELECT _rec,
        CASE WHEN json_valid(line) AND starts_with(ltrim(line), '{')
          THEN json_transform(line, ${quoteLiteral(structure)}) END AS doc
      FROM (
        SELECT row_number() OVER () AS _rec, line
        FROM read_csv(${quoteLiteral(source.path)}, columns = {'line': 'VARCHAR'}, header = false,
          delim = '\x1e', quote = '', escape = '', auto_detect = false,
          compression = '${source.gzip ? 'gzip' : 'uncompressed'}', max_line_size = ${maxLineBytes})
      )
      WHERE line IS NOT NULL AND trim(line) <> ''
    )`;
}

function isScalar(column: ColumnSpec): boolean {
  return ['string', 'int64', 'float64', 'bool', 'timestamp'].includes(column.type);
}

async function parquetColumns(
  connection: DuckDBConnection,
  source: Source,
  file: ExportFile,
): Promise<Map<string, string> | null> {
  if (source.format !== 'parquet') return null;
  try {
    const reader = await connection.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(source.path)})`,
    );
    const map = new Map<string, string>();
    for (const row of reader.getRowObjectsJS())
      map.set(String(row.column_name).toLowerCase(), String(row.column_type));
    return map;
  } catch (error) {
    throw badInput(
      'import.unreadable_parquet',
      `${file.name}: not a readable Parquet file (${firstLine(error)})`,
      error,
    );
  }
}

async function collectIssues(
  connection: DuckDBConnection,
  file: ExportFile,
  source: Source,
  options: ImportOptions,
  numbered: boolean,
  parquet: Map<string, string> | null,
): Promise<ImportReport> {
  const table = quoteIdent(file.view);
  const where = `_source = ${quoteLiteral(file.name)}`;
  const counts = await connection.runAndReadAll(
    `SELECT count(*) AS total, count(_import_error) AS bad FROM ${table} WHERE ${where}`,
  );
  const [countRow] = counts.getRowObjectsJS();
  const total = Number(countRow?.total ?? 0);
  const bad = Number(countRow?.bad ?? 0);
  const limit = options.strict ? 1 : (options.maxIssues ?? 100);
  let issues: ImportIssue[] = [];
  if (bad > 0) {
    // Rows from the fast path carry no line number: find the bad ones again, numbered.
    const sql = numbered
      ? `SELECT _line AS line, _import_error AS error FROM ${table}
         WHERE ${where} AND _import_error IS NOT NULL ORDER BY _line LIMIT ${limit}`
      : `SELECT line, error FROM (
           SELECT _rec AS line, ${rowError(columnsOf(file.view), source.format === 'parquet' ? 'typed' : 'json')} AS error
           FROM (${numberedRelation(source, columnsOf(file.view), parquet)})
         ) WHERE error IS NOT NULL ORDER BY line LIMIT ${limit}`;
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS();
    issues = rows.map((r) => {
      const error = String(r.error);
      const field = /^field (\w+):/.exec(error)?.[1] ?? null;
      return {
        file: file.name,
        line: r.line === null ? null : Number(r.line),
        field,
        reason: error,
      };
    });
    if (options.strict) {
      await deleteSource(connection, file);
      const issue = issues[0];
      throw badInput(
        'import.bad_row',
        issue
          ? `${issue.file}:${issue.line}: ${issue.reason} (--strict)`
          : `${file.name}: ${bad} unreadable rows (--strict)`,
      );
    }
    await connection.run(`DELETE FROM ${table} WHERE ${where} AND _import_error IS NOT NULL`);
  }
  return {
    file: file.name,
    view: file.view,
    rowsRead: total,
    rowsImported: total - bad,
    rowsSkipped: bad,
    duplicatesDropped: 0,
    issues,
  };
}

async function deleteSource(connection: DuckDBConnection, file: ExportFile): Promise<void> {
  await connection.run(
    `DELETE FROM ${quoteIdent(file.view)} WHERE _source = ${quoteLiteral(file.name)}`,
  );
}

async function detectSource(file: ExportFile): Promise<Source> {
  const lower = file.path.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.parquet')) {
    if (!gzip) return { format: 'parquet', path: file.path, gzip: false };
    // DuckDB reads Parquet's own compression, not a gzip wrapper around the file.
    const dir = await mkdtemp(join(tmpdir(), 'bqcost-'));
    const path = join(dir, 'export.parquet');
    await pipeline(createReadStream(file.path), createGunzip(), createWriteStream(path)).catch(
      (error: unknown) => {
        throw badInput(
          'import.bad_gzip',
          `${file.name}: not a readable gzip file (${firstLine(error)})`,
          error,
        );
      },
    );
    return {
      format: 'parquet',
      path,
      gzip: false,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  }
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson'))
    return { format: 'ndjson', path: file.path, gzip };
  if (base.endsWith('.json')) {
    // `bq query --format=json` writes an array; EXPORT DATA writes NDJSON even when named .json.
    const first = await firstNonSpace(file.path, gzip);
    return { format: first === '[' ? 'json-array' : 'ndjson', path: file.path, gzip };
  }
  throw badInput(
    'import.unknown_format',
    `${file.name}: unknown export format (expected .jsonl, .ndjson, .json or .parquet, optionally .gz)`,
  );
}

async function firstNonSpace(path: string, gzip: boolean): Promise<string | null> {
  if (!gzip) {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return /\S/.exec(buffer.subarray(0, bytesRead).toString('utf8'))?.[0] ?? null;
    } finally {
      await handle.close();
    }
  }
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream) {
      const found = /\S/.exec((chunk as Buffer).toString('utf8'))?.[0];
      if (found) return found;
    }
    return null;
  } catch (error) {
    throw badInput(
      'import.bad_gzip',
      `${path}: not a readable gzip file (${firstLine(error)})`,
      error,
    );
  } finally {
    stream.destroy();
  }
}

function fileError(file: ExportFile, error: unknown) {
  return badInput(
    'import.unreadable_file',
    `${file.name}: cannot be read as a ${file.view} export: ${firstLine(error)}`,
    error,
  );
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '');
}

export type { ExportView };
