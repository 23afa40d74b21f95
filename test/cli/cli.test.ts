import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analysisResultSchema } from '../../src/domain/analysis.js';
import { job, tempDir, writeNdjson } from '../fixtures/builders.js';
import { runCli } from '../helpers/run-cli.js';

const TiB = 2 ** 40;

function exportsDir(): string {
  const dir = tempDir();
  writeNdjson(join(dir, 'jobs.jsonl'), [
    job({
      jobId: 'a',
      bytesBilled: TiB,
      userEmail: 'ana@example.com',
      createdAt: '2026-10-10T10:00:00Z',
    }),
    job({
      jobId: 'b',
      bytesBilled: 2 * TiB,
      userEmail: 'bo@example.com',
      createdAt: '2026-10-11T10:00:00Z',
    }),
  ]);
  return dir;
}

describe('bqcost CLI', () => {
  it('prints usage with --help and exits 0; with no command exits 2', () => {
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: bqcost <command>');
    expect(runCli([]).code).toBe(2);
  });

  it.each(['analyze', 'report', 'import', 'demo', 'start'])(
    '%s --help describes its options',
    (command) => {
      const result = runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: bqcost ${command}`);
    },
  );

  it('rejects an unknown command and unknown flags with exit 2', () => {
    expect(runCli(['frobnicate']).code).toBe(2);
    const flag = runCli(['analyze', '--frob']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--frob'");
  });

  it('names what is wrong with a flag value', () => {
    const dir = exportsDir();
    const result = runCli(['analyze', '--from', dir, '--window-days', 'thirty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'bqcost: --window-days must be a whole number from 1 to 180, got "thirty"\n',
    );
    expect(runCli(['analyze', '--from', dir, '--as-of', 'tomorrow-ish']).stderr).toContain(
      '--as-of must be a date or timestamp',
    );
    expect(runCli(['analyze']).stderr).toContain('--from is required');
  });

  it('exits 2 with a clear message for a missing directory or a directory without jobs', () => {
    const missing = runCli(['analyze', '--from', join(tempDir(), 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/export directory .* does not exist/);
    const empty = runCli(['analyze', '--from', tempDir()]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no jobs export in');
  });

  it('analyze --format json prints the offline contract', () => {
    const result = runCli([
      'analyze',
      '--from',
      exportsDir(),
      '--as-of',
      '2026-11-01',
      '--format',
      'json',
    ]);
    expect(result.code).toBe(0);
    const json = analysisResultSchema.parse(JSON.parse(result.stdout));
    expect(json.totals.onDemandUsd).toBeCloseTo(3 * 6.25, 6);
    expect(json.attribution.byUser.map((r) => r.key)).toEqual([
      'bo@example.com',
      'ana@example.com',
    ]);
    expect(json.window).toEqual({
      start: '2026-10-02T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
    });
  });

  it('analyze --format text prints a readable report', () => {
    const result = runCli([
      'analyze',
      '--from',
      exportsDir(),
      '--as-of',
      '2026-11-01',
      '--format',
      'text',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Totals');
    expect(result.stdout).toContain('$18.75');
    expect(result.stdout).toContain('Top users');
  });

  it('skips and reports a bad row; --strict makes it fatal (exit 2, file:line: field)', () => {
    const dir = exportsDir();
    const lines = readFileSync(join(dir, 'jobs.jsonl'), 'utf8');
    writeFileSync(
      join(dir, 'jobs.jsonl'),
      `${lines}${JSON.stringify({ ...job({ jobId: 'x' }), total_slot_ms: 'many' })}\n`,
    );
    const lenient = runCli(['analyze', '--from', dir, '--as-of', '2026-11-01']);
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.stdout).warnings).toContain(
      'jobs.jsonl:3: field total_slot_ms: many is not an INT64 (row skipped)',
    );
    const strict = runCli(['analyze', '--from', dir, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toBe(
      'bqcost: jobs.jsonl:3: field total_slot_ms: many is not an INT64 (--strict)\n',
    );
  });

  it('a broken file exits 2 without a stack trace', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'jobs.json'), '[{"job_id": ');
    const result = runCli(['analyze', '--from', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^bqcost: jobs\.json: cannot be read as a jobs export/);
    expect(result.stderr).not.toContain('    at ');
  });

  it('a bad pricing file exits 2 naming the field', () => {
    const pricing = join(tempDir(), 'pricing.json');
    writeFileSync(pricing, JSON.stringify({ regions: { us: { onDemandUsdPerTib: -1 } } }));
    const result = runCli(['analyze', '--from', exportsDir(), '--pricing', pricing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('regions.us.onDemandUsdPerTib');
  });

  it('demo writes a deterministic organisation; import + report read it back', () => {
    const a = tempDir();
    const b = tempDir();
    const args = ['--days', '3', '--jobs-per-day', '40', '--end', '2026-11-01', '--seed', '5'];
    expect(runCli(['demo', '--out', a, ...args]).code).toBe(0);
    expect(runCli(['demo', '--out', b, ...args]).code).toBe(0);
    for (const name of [
      'jobs.jsonl',
      'table_storage.jsonl',
      'schemata_options.jsonl',
      'reservations_timeline.jsonl',
      'demo-truth.json',
    ]) {
      expect(existsSync(join(a, name)), name).toBe(true);
      expect(readFileSync(join(a, name), 'utf8')).toBe(readFileSync(join(b, name), 'utf8'));
    }
    const db = join(tempDir(), 'w.duckdb');
    const imported = runCli(['import', '--from', a, '--db', db]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported [\d,]+ jobs into/);
    const report = runCli(['report', '--db', db, '--window-days', '3']);
    expect(report.code).toBe(0);
    for (const section of [
      'Totals',
      'Daily compute spend',
      'Top projects',
      'Top users',
      'Top labels',
      'Top query patterns',
      'Top tables',
      'Top movers',
      'Storage by dataset',
    ]) {
      expect(report.stdout).toContain(section);
    }
  });

  it('report on an empty embedded warehouse says what to do', () => {
    const result = runCli(['report', '--db', join(tempDir(), 'empty.duckdb')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('holds no jobs yet');
  });
});
describe('bqcost in a pipeline', () => {
  it('exits quietly when the reader closes the pipe early (… | head)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    // Thousands of users: a JSON document far larger than a pipe buffer.
    const dir = tempDir();
    writeNdjson(
      join(dir, 'jobs.jsonl'),
      Array.from({ length: 4000 }, (_, i) =>
        job({ userEmail: `user${i}@example.com`, createdAt: '2026-10-10T10:00:00Z' }),
      ),
    );
    const script = `"${process.execPath}" --import tsx "${main}" analyze --from "${dir}" | head -c 100 > /dev/null; exit \${PIPESTATUS[0]}`;
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).not.toContain('EPIPE');
    expect(result.status).toBe(0);
  });
});
