import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintRules } from '../../src/domain/analysis.js';
import { runCli } from '../helpers/run-cli.js';

interface Entry {
  input: string;
  parsed: boolean;
  error?: string;
  findings: { rule: string; line: number; column: number; message: string }[];
}

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bqcost-lint-'));
  writeFileSync(
    file('star.sql'),
    '-- SELECT * in a comment\nSELECT *\nFROM `acme.sales.orders`\nORDER BY 1\n',
  );
  writeFileSync(
    file('clean.sql'),
    "SELECT id, 'ORDER BY' AS s FROM `acme.sales.orders` LIMIT 10\n",
  );
  writeFileSync(file('broken.sql'), 'SELEC id FRM t\n');
  writeFileSync(
    file('script.sql'),
    'CREATE TEMP TABLE s AS SELECT id FROM t;\nWHILE TRUE DO\n  SELECT * FROM `acme.crm.customers`;\nEND WHILE;\n',
  );
  mkdirSync(file('folder.sql'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bqcost lint', () => {
  it('prints one JSON entry per input, in the contract shape, and exits 0 with findings', () => {
    const run = runCli([
      'lint',
      '--format',
      'json',
      file('star.sql'),
      file('clean.sql'),
      file('broken.sql'),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const entries = JSON.parse(run.stdout) as Entry[];
    expect(entries.map((e) => [e.input, e.parsed])).toEqual([
      [file('star.sql'), true],
      [file('clean.sql'), true],
      [file('broken.sql'), false],
    ]);
    expect(entries[0]!.findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['select_star', 2, 8],
      ['order_by_without_limit', 4, 1],
    ]);
    for (const finding of entries[0]!.findings) {
      expect(Object.keys(finding).sort()).toEqual(['column', 'line', 'message', 'rule']);
      expect(lintRules).toContain(finding.rule);
    }
    expect(entries[1]).toEqual({ input: file('clean.sql'), parsed: true, findings: [] });
    expect(entries[2]!.error).toMatch(/SELEC/);
    expect(entries[2]!.findings).toEqual([]);
  });

  it('lints what parses in a script the parser cannot read whole', () => {
    const run = runCli(['lint', '--format', 'json', file('script.sql')]);
    const [entry] = JSON.parse(run.stdout) as Entry[];
    expect(entry!.parsed).toBe(false);
    expect(entry!.findings.map((f) => f.rule)).toEqual(['missing_drop_temp_table', 'select_star']);
  });

  it('reads --sql text and prints text by default', () => {
    const run = runCli(['lint', '--sql', "SELECT 1 FROM t WHERE REGEXP_CONTAINS(url, 'promo')"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "--sql:1:23 regexp_contains_instead_of_like REGEXP_CONTAINS with a plain-string pattern needs no regular expression: use url LIKE '%promo%', which is cheaper per row.\n" +
        '1 finding in 1 input\n',
    );
  });

  it('keeps going past a file it cannot read, names it, and exits 2', () => {
    const missing = file('missing.sql');
    const run = runCli([
      'lint',
      '--format',
      'json',
      missing,
      file('folder.sql'),
      file('clean.sql'),
    ]);
    expect(run.code).toBe(2);
    const entries = JSON.parse(run.stdout) as Entry[];
    expect(entries.map((e) => e.parsed)).toEqual([false, false, true]);
    expect(entries[0]!.error).toContain(`cannot read ${missing}`);
    expect(entries[1]!.error).toContain('cannot read');
  });

  it('text output names file, line and column, and counts what did not parse', () => {
    const run = runCli(['lint', file('star.sql'), file('broken.sql')]);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^${file('star.sql')}:2:8 select_star SELECT \\* reads every column`),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${file('broken.sql')}: not parsed: .*SELEC`)),
    );
    expect(lines.at(-1)).toBe('2 findings in 2 inputs (1 not parsed)');
  });

  it.each([
    [['lint'], /name a \.sql file/],
    [['lint', '--format', 'xml', 'a.sql'], /--format must be one of text, json/],
    [['lint', '--rules', 'select_star,nope', 'a.sql'], /unknown rule "nope"/],
    [['lint', '--bogus'], /bogus/],
  ])('exits 2 on bad usage: %j', (argv, message) => {
    const run = runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('limits the rules with --rules, and documents itself', () => {
    const run = runCli([
      'lint',
      '--format',
      'json',
      '--rules',
      'order_by_without_limit',
      file('star.sql'),
    ]);
    expect((JSON.parse(run.stdout) as Entry[])[0]!.findings.map((f) => f.rule)).toEqual([
      'order_by_without_limit',
    ]);
    const help = runCli(['lint', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 when every input was linted');
    expect(runCli(['--help']).stdout).toContain('lint ');
  });
});
