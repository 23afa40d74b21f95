import type { LintRule } from '../../domain/analysis.js';
import type { ColumnPredicate, LintFinding } from '../../domain/context.js';
import type { InspectOptions, SqlInspection, SqlInspector } from '../../ports/sql-inspector.js';
import { before, type Pos } from './ast.js';
import { operatorChainDepth, splitStatements, tokenize, type Token } from './lexer.js';
import { buildModel } from './model.js';
import { extractPredicates, Resolver, type ColumnRef, type Predicate } from './predicates.js';
import { ruleById, sqlRules } from './rules/index.js';
import type { LintSettings, RuleContext } from './rules/rule.js';
import { WasmSqlParser } from './wasm-parser.js';

export interface GoogleSqlInspectorSettings extends Partial<LintSettings> {
  /**
   * Text whose operator chains go deeper than this is not handed to the parser (it would run out
   * of stack; see operatorChainDepth). Default 400, below the ~600 where sqlparser 0.62 fails.
   */
  maxOperatorChain?: number;
}

const defaults: LintSettings = {
  largeTableBytes: 100 * 2 ** 30,
  wideRangeDays: 365,
  now: () => new Date(),
};

/** GoogleSQL (BigQuery) inspector on sqlparser-rs: antipattern rules and column predicates. */
export class GoogleSqlInspector implements SqlInspector {
  private readonly settings: LintSettings;
  private readonly maxOperatorChain: number;

  private constructor(
    private readonly parser: WasmSqlParser,
    settings: GoogleSqlInspectorSettings,
  ) {
    this.settings = {
      largeTableBytes: settings.largeTableBytes ?? defaults.largeTableBytes,
      wideRangeDays: settings.wideRangeDays ?? defaults.wideRangeDays,
      now: settings.now ?? defaults.now,
    };
    this.maxOperatorChain = settings.maxOperatorChain ?? 400;
  }

  static async create(settings: GoogleSqlInspectorSettings = {}): Promise<GoogleSqlInspector> {
    return new GoogleSqlInspector(await WasmSqlParser.load(), settings);
  }

  inspect(sql: string, options: InspectOptions = {}): SqlInspection {
    try {
      return this.run(sql, options);
    } catch (error) {
      // A defect in a rule must not take the run down with it: report it like a parse failure.
      return {
        parsed: false,
        error: `internal error while inspecting: ${error instanceof Error ? error.message : String(error)}`,
        findings: [],
        filters: [],
        joins: [],
      };
    }
  }

  private run(sql: string, options: InspectOptions): SqlInspection {
    const tokens = tokenize(sql);
    if (tokens.length === 0)
      return { parsed: false, error: 'no SQL statement', findings: [], filters: [], joins: [] };
    const whole = this.parse(sql, tokens);
    if (whole.ok) {
      const analysis = this.analyze(whole.statements, tokens, [], options);
      return {
        parsed: true,
        findings: analysis.findings,
        filters: analysis.filters,
        joins: analysis.joins,
      };
    }
    // The script as a whole does not parse: lint the statements that parse on their own, so a
    // WHILE loop the parser cannot read does not hide a SELECT * elsewhere in the script.
    const statements: unknown[] = [];
    const unparsedDrops: string[][] = [];
    const spans = splitStatements(tokens);
    if (spans.length > 1) {
      for (const span of spans) {
        // pad so the parser's positions are the positions in the whole text
        const text =
          '\n'.repeat(span.line - 1) +
          ' '.repeat(span.column - 1) +
          sql.slice(span.start, span.end);
        const pieceTokens = tokens.filter((t) => t.start >= span.start && t.end <= span.end);
        const piece = this.parse(text, pieceTokens);
        if (piece.ok) statements.push(...piece.statements);
        else unparsedDrops.push(...droppedTables(pieceTokens));
      }
    }
    const findings =
      statements.length > 0
        ? this.analyze(statements, tokens, unparsedDrops, options).findings
        : [];
    return { parsed: false, error: whole.error, findings, filters: [], joins: [] };
  }

  private parse(
    sql: string,
    tokens: readonly Token[],
  ): { ok: true; statements: unknown[] } | { ok: false; error: string } {
    const depth = operatorChainDepth(tokens);
    if (depth > this.maxOperatorChain)
      return {
        ok: false,
        error: `not parsed: an expression chains ${depth} operators, more than the ${this.maxOperatorChain} the parser can take safely`,
      };
    const result = this.parser.parse(sql);
    return result.ok ? result : { ok: false, error: result.error };
  }

  private analyze(
    statements: unknown[],
    tokens: readonly Token[],
    unparsedDrops: string[][],
    options: InspectOptions,
  ): { findings: LintFinding[]; filters: ColumnPredicate[]; joins: ColumnPredicate[] } {
    const model = buildModel(statements);
    const resolver = new Resolver(options);
    const predicates = extractPredicates(model, resolver);
    const findings: LintFinding[] = [];
    const seen = new Set<string>();
    const rules = options.rules
      ? options.rules.map((id) => ruleById.get(id)).filter((rule) => rule !== undefined)
      : sqlRules;
    for (const rule of rules) {
      const context: RuleContext = {
        model,
        predicates,
        resolver,
        tokens,
        settings: this.settings,
        unparsedDrops,
        report: (pos: Pos | null, message: string) => {
          const at = pos ?? { line: 1, column: 1 };
          const key = `${rule.id}:${at.line}:${at.column}`;
          if (seen.has(key)) return;
          seen.add(key);
          findings.push({ rule: rule.id as LintRule, line: at.line, column: at.column, message });
        },
      };
      rule.check(context);
    }
    findings.sort((a, b) =>
      a.line !== b.line
        ? a.line - b.line
        : a.column !== b.column
          ? a.column - b.column
          : a.rule.localeCompare(b.rule),
    );
    return { findings, ...columnPredicates(predicates) };
  }
}

function toColumnPredicate(ref: ColumnRef, p: Predicate): ColumnPredicate {
  const predicate: ColumnPredicate = { table: ref.table, column: ref.column, op: p.op };
  if (p.op === 'range') {
    predicate.from = p.from?.date ?? null;
    predicate.to = p.to?.date ?? null;
  }
  return predicate;
}

/** Filters: WHERE / QUALIFY / HAVING. Joins: ON / USING, and column = column in WHERE. */
function columnPredicates(predicates: readonly Predicate[]): {
  filters: ColumnPredicate[];
  joins: ColumnPredicate[];
} {
  const filters = new Map<string, ColumnPredicate>();
  const joins = new Map<string, ColumnPredicate>();
  for (const p of [...predicates].sort((a, b) =>
    a.pos && b.pos ? (before(a.pos, b.pos) ? -1 : before(b.pos, a.pos) ? 1 : 0) : 0,
  )) {
    const target = p.clause === 'join' || p.other ? joins : filters;
    const predicate = toColumnPredicate(p.ref, p);
    const key = JSON.stringify(predicate);
    if (!target.has(key)) target.set(key, predicate);
  }
  return { filters: [...filters.values()], joins: [...joins.values()] };
}

/** `DROP TABLE [IF EXISTS] name` in the tokens of a statement the parser could not read. */
function droppedTables(tokens: readonly Token[]): string[][] {
  const dropped: string[][] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    if (tokens[i]!.text !== 'DROP' || tokens[i + 1]?.text !== 'TABLE') continue;
    let k = i + 2;
    if (tokens[k]?.text === 'IF' && tokens[k + 1]?.text === 'EXISTS') k += 2;
    const parts: string[] = [];
    for (; k < tokens.length; k += 1) {
      const t = tokens[k]!;
      if (t.kind === 'quoted') parts.push(...t.text.slice(1, -1).split('.'));
      else if (t.kind === 'word') parts.push(t.text);
      else if (t.text !== '.') break;
      if (tokens[k + 1]?.text !== '.') break;
      k += 1;
    }
    if (parts.length > 0) dropped.push(parts.map((p) => p.toLowerCase()));
  }
  return dropped;
}
