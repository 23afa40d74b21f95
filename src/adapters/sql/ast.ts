// Reading sqlparser-rs's syntax tree as it arrives from WebAssembly: serde's JSON, where an enum
// is `{ Variant: payload }` and identifiers, literals and keywords carry `span` positions. The
// package's TypeScript types lag that shape, so the adapter reads it as plain JSON through these
// helpers and never trusts a field it has not checked.

export type Node = Record<string, unknown>;

export interface Pos {
  line: number;
  column: number;
}

export const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The payload of `{ [key]: payload }`, when the node is that variant. */
export function variant(value: unknown, key: string): Node | undefined {
  if (!isNode(value)) return undefined;
  const payload = value[key];
  return isNode(payload) ? payload : undefined;
}

/** The single key of an enum node (`{ Select: … }` → 'Select'). */
export function variantName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isNode(value)) return undefined;
  for (const key in value) return key;
  return undefined;
}

function spanStart(value: Node): Pos | null {
  const span = value.span;
  if (!isNode(span) || !isNode(span.start)) return null;
  const { line, column } = span.start as { line?: unknown; column?: unknown };
  return typeof line === 'number' && typeof column === 'number' && line > 0
    ? { line, column }
    : null;
}

export const before = (a: Pos, b: Pos) =>
  a.line < b.line || (a.line === b.line && a.column < b.column);

/** The earliest position anywhere in the subtree (nodes without a span of their own). */
export function firstPos(value: unknown, limit = 4000): Pos | null {
  let best: Pos | null = null;
  let budget = limit;
  const stack: unknown[] = [value];
  while (stack.length > 0 && budget > 0) {
    const current = stack.pop();
    budget -= 1;
    if (Array.isArray(current)) {
      for (const child of current)
        if (typeof child === 'object' && child !== null) stack.push(child);
    } else if (isNode(current)) {
      const own = spanStart(current);
      if (own && (!best || before(own, best))) best = own;
      for (const key in current) {
        if (key === 'span') continue;
        const child = current[key];
        if (typeof child === 'object' && child !== null) stack.push(child);
      }
    }
  }
  return best;
}

/** `Ident` (`{ value }`) or an object-name part (`{ Identifier: { value } }`). */
export function identValue(value: unknown): string | undefined {
  if (!isNode(value)) return undefined;
  if (typeof value.value === 'string') return value.value;
  const inner = variant(value, 'Identifier');
  return inner && typeof inner.value === 'string' ? inner.value : undefined;
}

export function identPos(value: unknown): Pos | null {
  if (!isNode(value)) return null;
  return spanStart(value) ?? spanStart(variant(value, 'Identifier') ?? {});
}

/** Parts of an `ObjectName` (a list of parts; BigQuery's `a.b.c` in one pair of backticks is split). */
export function nameParts(value: unknown): string[] {
  const parts: string[] = [];
  for (const part of asArray(value)) {
    const text = identValue(part);
    if (text === undefined) return [];
    parts.push(text);
  }
  return parts;
}

const stringKinds = new Set([
  'SingleQuotedString',
  'DoubleQuotedString',
  'TripleSingleQuotedString',
  'TripleDoubleQuotedString',
  'SingleQuotedRawStringLiteral',
  'DoubleQuotedRawStringLiteral',
  'TripleSingleQuotedRawStringLiteral',
  'TripleDoubleQuotedRawStringLiteral',
]);

/** The text of a string literal expression (`'x'`, `"x"`, `r'x'`, triple-quoted), else undefined. */
export function stringLiteral(expr: unknown): string | undefined {
  const value = variant(expr, 'Value');
  const literal = value?.value;
  if (!isNode(literal)) return undefined;
  for (const key in literal) {
    if (stringKinds.has(key) && typeof literal[key] === 'string') return literal[key];
  }
  return undefined;
}

export function numberLiteral(expr: unknown): number | undefined {
  const literal = variant(expr, 'Value')?.value;
  if (!isNode(literal)) return undefined;
  const number = literal.Number;
  if (Array.isArray(number) && typeof number[0] === 'string') return Number(number[0]);
  return undefined;
}

/** A literal (number, string, boolean, NULL, typed string) or a query parameter. */
export function isConstant(expr: unknown): boolean {
  if (variant(expr, 'Value') || variant(expr, 'TypedString')) return true;
  const ident = variant(expr, 'Identifier');
  return typeof ident?.value === 'string' && ident.value.startsWith('@');
}

/** `DATE '2026-01-01'`, `TIMESTAMP '…'`: [type, text]. */
export function typedString(expr: unknown): [string, string] | undefined {
  const typed = variant(expr, 'TypedString');
  if (!typed) return undefined;
  const type = variantName(typed.data_type) ?? '';
  const text = stringLiteral({ Value: typed.value }) ?? stringLiteral(typed.value);
  return text === undefined ? undefined : [type, text];
}

export interface FunctionCall {
  name: string;
  args: unknown[];
  node: Node;
}

/** A function call's upper-cased name (last part: `SAFE.PARSE_DATE` → PARSE_DATE) and arguments. */
export function functionCall(expr: unknown): FunctionCall | undefined {
  const fn = variant(expr, 'Function');
  if (!fn) return undefined;
  const parts = nameParts(fn.name);
  const name = (parts[parts.length - 1] ?? '').toUpperCase();
  const list = variant(fn.args, 'List');
  const args: unknown[] = [];
  for (const arg of asArray(list?.args)) {
    const unnamed = isNode(arg) ? arg.Unnamed : undefined;
    const expr = variant(unnamed, 'Expr');
    if (expr) args.push(expr);
    else if (unnamed === 'Wildcard' || variant(unnamed, 'QualifiedWildcard')) args.push('*');
    else {
      const named = variant(arg, 'Named') ?? variant(arg, 'ExprNamed');
      const namedExpr = variant(named?.arg, 'Expr');
      if (namedExpr) args.push(namedExpr);
    }
  }
  return { name, args, node: fn };
}

/** Strips redundant parentheses: `((x))` → x. */
export function unwrap(expr: unknown): unknown {
  let current = expr;
  for (;;) {
    const nested = isNode(current) ? current.Nested : undefined;
    if (nested === undefined) return current;
    current = nested;
  }
}
