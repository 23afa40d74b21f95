import { readFile } from 'node:fs/promises';
import { GoogleSqlInspector } from '../adapters/sql/googlesql-inspector.js';
import { lintRules, type LintRule } from '../domain/analysis.js';
import type { LintFinding } from '../domain/context.js';
import { badInput } from '../errors.js';
import * as args from './args.js';

export const lintHelp = `Usage: bqcost lint [--format text|json] [--rules <id,…>] <file.sql>… | --sql "<text>" | -

Lints GoogleSQL (BigQuery) for cost antipatterns, offline: no data, no credentials. Each input is
a file (a query or a whole script), "-" for standard input, or --sql text (repeatable).
Rules that need table metadata (missing_partition_filter, unpartitioned_date_filter,
distinct_on_large_table) need data from "bqcost analyze" and never fire here.

  --format text|json   output (default text: "file:line:col rule message")
                       json: an array, one entry per input:
                       { "input", "parsed", "error"?, "findings": [ { "rule", "line", "column", "message" } ] }
  --rules <id,…>       only these rules (default: all): ${lintRules.join(', ')}

An input that does not parse still gets an entry (parsed: false, with the parser's error) and the
statements of a script that parse on their own are still linted.
Exit codes: 0 when every input was linted, findings or not; 2 on bad usage, or when an input
could not be read — its entry says why (parsed: false, error "cannot read …") and the other
inputs are still linted.
`;

export interface LintEntry {
  input: string;
  parsed: boolean;
  error?: string;
  findings: LintFinding[];
}

interface Input {
  name: string;
  read: () => Promise<string>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function lint(argv: string[]): Promise<number> {
  const { values, positionals } = args.parse('lint', argv, {
    format: { type: 'string' },
    sql: { type: 'string', multiple: true },
    rules: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(lintHelp);
    return 0;
  }
  const format = args.oneOf('format', values.format, ['text', 'json'], 'text');
  const rules = parseRules(values.rules);
  const texts = (values.sql as unknown as string[] | undefined) ?? [];
  const inputs: Input[] = [
    ...texts.map((text, index) => ({
      name: texts.length > 1 ? `--sql #${index + 1}` : '--sql',
      read: () => Promise.resolve(text),
    })),
    ...positionals.map((path) => ({
      name: path,
      read: () => (path === '-' ? readStdin() : readFile(path, 'utf8')),
    })),
  ];
  if (inputs.length === 0)
    throw badInput(
      'cli.bad_arguments',
      'lint: name a .sql file, "-" or --sql "<text>" (see bqcost lint --help)',
    );

  const inspector = await GoogleSqlInspector.create();
  const entries: LintEntry[] = [];
  let unreadable = 0;
  for (const input of inputs) {
    let sql: string;
    try {
      sql = await input.read();
    } catch (error) {
      unreadable += 1;
      const reason = error instanceof Error ? error.message : String(error);
      entries.push({
        input: input.name,
        parsed: false,
        error: `cannot read ${input.name}: ${reason}`,
        findings: [],
      });
      continue;
    }
    const inspection = inspector.inspect(sql, rules ? { rules } : {});
    entries.push({
      input: input.name,
      parsed: inspection.parsed,
      ...(inspection.error !== undefined ? { error: inspection.error } : {}),
      findings: inspection.findings,
    });
  }
  process.stdout.write(
    format === 'json' ? `${JSON.stringify(entries, null, 2)}\n` : renderText(entries),
  );
  return unreadable > 0 ? 2 : 0;
}

function parseRules(value: string | undefined): LintRule[] | undefined {
  if (value === undefined) return undefined;
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !(lintRules as readonly string[]).includes(id));
  if (ids.length === 0 || unknown.length > 0)
    throw badInput(
      'cli.bad_value',
      `--rules: unknown rule ${unknown.map((id) => `"${id}"`).join(', ') || '(none given)'}; rules are ${lintRules.join(', ')}`,
    );
  return ids as LintRule[];
}

export function renderText(entries: readonly LintEntry[]): string {
  const lines: string[] = [];
  let findings = 0;
  let notParsed = 0;
  for (const entry of entries) {
    if (!entry.parsed) {
      notParsed += 1;
      lines.push(`${entry.input}: not parsed: ${entry.error ?? 'unknown error'}`);
    }
    for (const finding of entry.findings) {
      findings += 1;
      lines.push(
        `${entry.input}:${finding.line}:${finding.column} ${finding.rule} ${finding.message}`,
      );
    }
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    `${plural(findings, 'finding')} in ${plural(entries.length, 'input')}` +
      (notParsed > 0 ? ` (${notParsed} not parsed)` : ''),
  );
  return `${lines.join('\n')}\n`;
}
