import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../src/adapters/duckdb/duckdb-warehouse.js';
import { isAppError } from '../../../src/errors.js';
import type { ExportFile } from '../../../src/ports/warehouse.js';
import { job, tempDir, writeNdjson } from '../../fixtures/builders.js';

const TiB = 2 ** 40;
let warehouse: DuckDbWarehouse;
let dir: string;

beforeEach(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  dir = tempDir();
});
afterEach(async () => {
  await warehouse.close();
});

const jobsFile = (name: string): ExportFile => ({ view: 'jobs', path: join(dir, name), name });
const rows = () => [
  job({
    jobId: 'a',
    bytesBilled: TiB,
    createdAt: '2026-10-02T03:04:05.123Z',
    labels: { team: 'x' },
    tables: ['p.d.t'],
  }),
  job({ jobId: 'b', bytesBilled: 3 * TiB, createdAt: '2026-10-03T00:00:00Z' }),
  job({ jobId: 'c', bytesBilled: null, cacheHit: true, createdAt: '2026-10-04T00:00:00Z' }),
];

async function totals() {
  const [row] = await warehouse.sql(
    `SELECT count(*) AS n, sum(total_bytes_billed) AS bytes, min(creation_time) AS first,
       sum(len(labels)) AS labels, sum(len(referenced_tables)) AS refs FROM jobs`,
  );
  return {
    n: Number(row!.n),
    bytes: Number(row!.bytes),
    first: (row!.first as Date).toISOString(),
    labels: Number(row!.labels),
    refs: Number(row!.refs),
  };
}

const expected = { n: 3, bytes: 4 * TiB, first: '2026-10-02T03:04:05.123Z', labels: 1, refs: 1 };

describe('import formats', () => {
  it('reads EXPORT DATA NDJSON: INT64 as strings, "… UTC" timestamps', async () => {
    writeNdjson(join(dir, 'jobs.jsonl'), rows());
    const report = await warehouse.importFile(jobsFile('jobs.jsonl'), { strict: false });
    expect(report).toMatchObject({ rowsRead: 3, rowsImported: 3, rowsSkipped: 0, issues: [] });
    expect(await totals()).toEqual(expected);
  });

  it('reads `bq query --format=json` arrays, with numbers and RFC 3339 times', async () => {
    const array = rows().map((r) => ({
      ...r,
      creation_time: new Date(
        String(r.creation_time).replace(' UTC', 'Z').replace(' ', 'T'),
      ).toISOString(),
      total_bytes_billed: r.total_bytes_billed === null ? null : Number(r.total_bytes_billed),
    }));
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(array, null, 2));
    await warehouse.importFile(jobsFile('jobs.json'), { strict: false });
    expect(await totals()).toEqual(expected);
  });

  it('reads the REST API’s float epoch seconds, as numbers and as strings', async () => {
    const epoch = rows().map((r, i) => {
      const seconds =
        Date.parse(String(r.creation_time).replace(' UTC', 'Z').replace(' ', 'T')) / 1000;
      return { ...r, creation_time: i === 0 ? seconds.toExponential() : seconds };
    });
    writeNdjson(join(dir, 'jobs.ndjson'), epoch);
    await warehouse.importFile(jobsFile('jobs.ndjson'), { strict: false });
    expect(await totals()).toEqual(expected);
  });

  it('applies RFC 3339 offsets', async () => {
    writeNdjson(join(dir, 'jobs.jsonl'), [
      { ...job({ jobId: 'z' }), creation_time: '2026-10-02T05:04:05.123+02:00' },
    ]);
    await warehouse.importFile(jobsFile('jobs.jsonl'), { strict: false });
    expect((await totals()).first).toBe('2026-10-02T03:04:05.123Z');
  });

  it('reads gzip-compressed NDJSON and JSON arrays', async () => {
    writeFileSync(
      join(dir, 'jobs.jsonl.gz'),
      gzipSync(
        rows()
          .map((r) => JSON.stringify(r))
          .join('\n'),
      ),
    );
    await warehouse.importFile(jobsFile('jobs.jsonl.gz'), { strict: false });
    expect(await totals()).toEqual(expected);
    await warehouse.clear();
    writeFileSync(join(dir, 'jobs.json.gz'), gzipSync(JSON.stringify(rows())));
    await warehouse.importFile(jobsFile('jobs.json.gz'), { strict: false });
    expect(await totals()).toEqual(expected);
  });

  it('reads Parquet (typed columns) and gzip-wrapped Parquet', async () => {
    writeNdjson(join(dir, 'seed.jsonl'), rows());
    await warehouse.importFile(jobsFile('seed.jsonl'), { strict: false });
    const parquet = join(dir, 'jobs.parquet');
    await warehouse.sql(
      `COPY (SELECT * EXCLUDE (_source, _line, _import_error) FROM jobs) TO '${parquet}' (FORMAT parquet)`,
    );
    await warehouse.clear();
    await warehouse.importFile(jobsFile('jobs.parquet'), { strict: false });
    expect(await totals()).toEqual(expected);
    await warehouse.clear();
    const { readFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'jobs.parquet.gz'), gzipSync(readFileSync(parquet)));
    await warehouse.importFile(jobsFile('jobs.parquet.gz'), { strict: false });
    expect(await totals()).toEqual(expected);
  });

  it('treats NDJSON named .json as NDJSON', async () => {
    writeNdjson(join(dir, 'jobs.json'), rows());
    await warehouse.importFile(jobsFile('jobs.json'), { strict: false });
    expect(await totals()).toEqual(expected);
  });
});

describe('bad rows', () => {
  it('skips a row with an unreadable value, naming file, line and field', async () => {
    writeFileSync(
      join(dir, 'jobs.jsonl'),
      [
        JSON.stringify(job({ jobId: 'ok1' })),
        '',
        JSON.stringify({ ...job({ jobId: 'bad' }), total_bytes_billed: 'lots' }),
        JSON.stringify(job({ jobId: 'ok2' })),
      ].join('\n'),
    );
    const report = await warehouse.importFile(jobsFile('jobs.jsonl'), { strict: false });
    expect(report.rowsImported).toBe(2);
    expect(report.rowsSkipped).toBe(1);
    // line 3: the blank line 2 still counts as a line
    expect(report.issues).toEqual([
      {
        file: 'jobs.jsonl',
        line: 3,
        field: 'total_bytes_billed',
        reason: 'field total_bytes_billed: lots is not an INT64',
      },
    ]);
    expect(await warehouse.rowCount('jobs')).toBe(2);
  });

  it('reports malformed JSON lines and imports the rest', async () => {
    writeFileSync(
      join(dir, 'jobs.jsonl'),
      [
        JSON.stringify(job({ jobId: 'ok1' })),
        '{"job_id": "broken", ',
        JSON.stringify(job({ jobId: 'ok2' })),
      ].join('\n'),
    );
    const report = await warehouse.importFile(jobsFile('jobs.jsonl'), { strict: false });
    expect(report.rowsImported).toBe(2);
    expect(report.issues).toEqual([
      { file: 'jobs.jsonl', line: 2, field: null, reason: 'malformed JSON' },
    ]);
  });

  it('reports a nested value of the wrong shape and a missing required field', async () => {
    writeFileSync(
      join(dir, 'jobs.jsonl'),
      [
        JSON.stringify({ ...job({ jobId: 'l' }), labels: 'team=x' }),
        JSON.stringify({ ...job({ jobId: 'm' }), project_id: null }),
        JSON.stringify({ ...job({ jobId: 't' }), creation_time: 'yesterday' }),
        JSON.stringify(job({ jobId: 'ok' })),
      ].join('\n'),
    );
    const report = await warehouse.importFile(jobsFile('jobs.jsonl'), { strict: false });
    expect(report.rowsImported).toBe(1);
    expect(report.issues.map((i) => [i.line, i.field])).toEqual([
      [1, 'labels'],
      [2, 'project_id'],
      [3, 'creation_time'],
    ]);
    expect(report.issues[0]!.reason).toContain('is not an array of {key, value}');
    expect(report.issues[1]!.reason).toBe('field project_id: missing (required)');
  });

  it('--strict makes the first bad row fatal and imports nothing from the file', async () => {
    writeNdjson(join(dir, 'jobs.jsonl'), [
      job({ jobId: 'ok' }),
      { ...job({ jobId: 'bad' }), cache_hit: 'maybe' },
    ]);
    const error = await warehouse
      .importFile(jobsFile('jobs.jsonl'), { strict: true })
      .catch((e: unknown) => e);
    expect(isAppError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'jobs.jsonl:2: field cache_hit: maybe is not a BOOL (--strict)',
    );
    expect(await warehouse.rowCount('jobs')).toBe(0);
  });

  it('a JSON array that does not parse is a bad file, with a clear message', async () => {
    writeFileSync(join(dir, 'jobs.json'), '[{"job_id": "a"}, {');
    const error = await warehouse
      .importFile(jobsFile('jobs.json'), { strict: false })
      .catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('import.unreadable_file');
    expect((error as Error).message).toMatch(/^jobs\.json: cannot be read as a jobs export: /);
  });

  it('a file that is not Parquet is a bad file', async () => {
    writeFileSync(join(dir, 'jobs.parquet'), 'not parquet at all');
    const error = await warehouse
      .importFile(jobsFile('jobs.parquet'), { strict: false })
      .catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('import.unreadable_parquet');
  });

  it('counts the same job exported twice once', async () => {
    writeNdjson(join(dir, 'jobs.part1.jsonl'), [job({ jobId: 'dup' }), job({ jobId: 'one' })]);
    writeNdjson(join(dir, 'jobs.part2.jsonl'), [job({ jobId: 'dup' })]);
    await warehouse.importFile(jobsFile('jobs.part1.jsonl'), { strict: false });
    const second = await warehouse.importFile(jobsFile('jobs.part2.jsonl'), { strict: false });
    expect(second.duplicatesDropped).toBe(1);
    expect(await warehouse.rowCount('jobs')).toBe(2);
  });
});
