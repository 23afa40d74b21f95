// Column predicates of every block (WHERE, QUALIFY, HAVING, join conditions), each resolved to
// the table it constrains: through aliases, and through CTEs and subqueries that pass the column
// on unchanged (BigQuery pushes such filters down, so they prune the underlying table too).
import type { TableMeta } from '../../ports/sql-inspector.js';
import {
  functionCall,
  identValue,
  isConstant,
  isNode,
  firstPos,
  stringLiteral,
  typedString,
  unwrap,
  variant,
  numberLiteral,
  type Pos,
} from './ast.js';
import { findItem, type Block, type FromItem, type Model } from './model.js';

export type PredicateOp = 'eq' | 'in' | 'range' | 'like' | 'other';
export type PredicateClause = 'where' | 'qualify' | 'having' | 'join';

export interface ColumnRef {
  /** The FROM item the column was read from in its own block. */
  item: FromItem | null;
  /** The base table the column comes from, after following CTEs and subqueries. */
  base: FromItem | null;
  /** `project.dataset.table` when resolved to a base table, else the alias/name as written. */
  table: string | null;
  column: string;
}

/** A bound of a range: an ISO date when literal; `daysAgo` for CURRENT_DATE() - INTERVAL n. */
export interface Bound {
  date: string | null;
  daysAgo?: number;
}

export interface Predicate {
  clause: PredicateClause;
  /** Whether the clause as a whole implies it (a top-level AND conjunct). */
  conjunct: boolean;
  block: Block;
  ref: ColumnRef;
  op: PredicateOp;
  from?: Bound;
  to?: Bound;
  /** The other column of `a.x = b.y`. */
  other?: ColumnRef;
  /** Compared with a date literal or a date expression. */
  dateValued: boolean;
  pos: Pos | null;
}

export interface ResolveOptions {
  tables?: ReadonlyMap<string, TableMeta>;
  defaultProject?: string;
}

export class Resolver {
  constructor(private readonly options: ResolveOptions) {}

  qualifiedName(parts: readonly string[]): string {
    const name = parts.join('.');
    if (parts.length === 2 && this.options.defaultProject)
      return `${this.options.defaultProject}.${name}`;
    return name;
  }

  meta(item: FromItem | null): TableMeta | undefined {
    if (!item || item.kind !== 'table' || !this.options.tables) return undefined;
    const tables = this.options.tables;
    return tables.get(this.qualifiedName(item.parts)) ?? tables.get(item.parts.join('.'));
  }

  /** What to call an item in a finding or a ColumnPredicate. */
  displayName(item: FromItem): string {
    if (item.kind === 'table') return this.qualifiedName(item.parts);
    if (item.parts.length > 0) return item.parts.join('.');
    return item.alias || '(subquery)';
  }

  /** Resolves a column reference (`x`, `t.x`, `DATE(t.ts)`) in a block, or null. */
  column(expr: unknown, block: Block): ColumnRef | null {
    const target = columnTarget(expr);
    if (!target) return null;
    let item: FromItem | null = null;
    let column: string;
    if (target.length === 1) {
      column = target[0]!;
      if (column.startsWith('@')) return null;
      item = this.pickItem(block, column);
    } else {
      const qualifier = target[0]!.toLowerCase();
      const found = findItem(block, qualifier);
      if (found) {
        item = found;
        column = target[1]!;
      } else {
        // a STRUCT field path: the first part is the column
        column = target[0]!;
        item = this.pickItem(block, column);
      }
    }
    column = column.toLowerCase();
    const base = item ? this.lineage(item, column, 0) : null;
    const table = base ? this.displayName(base) : item ? this.displayName(item) : null;
    return { item, base, table, column };
  }

  private pickItem(block: Block, column: string): FromItem | null {
    const candidates = block.items.filter((item) => item.kind !== 'unnest');
    if (candidates.length === 1) return candidates[0]!;
    const lowered = column.toLowerCase();
    const byMeta = candidates.filter((item) => {
      const meta = this.meta(item);
      return (
        meta &&
        (meta.partitionColumn?.toLowerCase() === lowered ||
          meta.clusteringColumns.some((c) => c.toLowerCase() === lowered))
      );
    });
    return byMeta.length === 1 ? byMeta[0]! : null;
  }

  /** Follows a column out of a CTE or subquery to the base table it comes from. */
  private lineage(item: FromItem, column: string, depth: number): FromItem | null {
    if (item.kind === 'table') return item;
    const query = item.kind === 'cte' ? item.cte?.query : item.query;
    if (!query || query.outputs.length !== 1 || depth > 8) return null;
    const block = query.outputs[0]!;
    const projected = block.projection.find((p) => p.name === column);
    if (projected) {
      const target = columnTarget(projected.expr);
      if (!target || target.length > 2) return null;
      const ref = this.column(projected.expr, block);
      return ref?.item ? this.lineage(ref.item, ref.column, depth + 1) : null;
    }
    for (const wildcard of block.wildcards) {
      const inner = wildcard.qualifier
        ? block.items.find((candidate) => candidate.alias === wildcard.qualifier)
        : this.pickItem(block, column);
      if (inner) return this.lineage(inner, column, depth + 1);
    }
    return null;
  }
}

// Functions that keep a date/timestamp column prunable: DATE(ts) = '…' still prunes.
const transparentFunctions = new Set([
  'DATE',
  'DATETIME',
  'TIMESTAMP',
  'DATE_TRUNC',
  'DATETIME_TRUNC',
  'TIMESTAMP_TRUNC',
]);

/** Name parts of the column an expression reads directly (through CAST/DATE()/…), else null. */
function columnTarget(expr: unknown): string[] | null {
  const value = unwrap(expr);
  const ident = variant(value, 'Identifier');
  if (ident && typeof ident.value === 'string') return [ident.value];
  const compound = isNode(value) ? value.CompoundIdentifier : undefined;
  if (Array.isArray(compound)) {
    const parts = compound.map((part) => identValue(part) ?? '');
    return parts.every(Boolean) ? parts : null;
  }
  const cast = variant(value, 'Cast');
  if (cast) return columnTarget(cast.expr);
  const call = functionCall(value);
  if (call && transparentFunctions.has(call.name) && call.args.length >= 1) {
    return columnTarget(call.args[0]);
  }
  return null;
}

const comparison: Record<string, PredicateOp> = {
  Eq: 'eq',
  NotEq: 'other',
  Lt: 'range',
  LtEq: 'range',
  Gt: 'range',
  GtEq: 'range',
};
const flipped: Record<string, string> = { Lt: 'Gt', LtEq: 'GtEq', Gt: 'Lt', GtEq: 'LtEq' };

const datePattern = /^(\d{4})-(\d{2})-(\d{2})/;

/** A literal date bound ('2026-01-01', DATE '…', TIMESTAMP '…', DATE(2026, 1, 1)), else undefined. */
function boundOf(expr: unknown, column: string): Bound | undefined {
  const value = unwrap(expr);
  const text = stringLiteral(value) ?? typedString(value)?.[1];
  if (text !== undefined) {
    const match = datePattern.exec(text);
    if (match) return { date: `${match[1]}-${match[2]}-${match[3]}` };
    // wildcard tables: _TABLE_SUFFIX BETWEEN '20260101' AND '20260131'
    if (column === '_table_suffix' && /^\d{8}$/.test(text))
      return { date: `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}` };
    return undefined;
  }
  const call = functionCall(value);
  if (!call) return undefined;
  if (/^CURRENT_(DATE|TIMESTAMP|DATETIME)$/.test(call.name)) return { date: null, daysAgo: 0 };
  if (transparentFunctions.has(call.name) || call.name === 'PARSE_DATE') {
    if (call.name === 'DATE' && call.args.length === 3) {
      const [y, m, d] = call.args.map(numberLiteral);
      if (y !== undefined && m !== undefined && d !== undefined)
        return {
          date: `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
        };
    }
    const inner = call.args[call.name === 'PARSE_DATE' ? 1 : 0];
    return inner === undefined ? undefined : boundOf(inner, column);
  }
  if (/^(DATE|DATETIME|TIMESTAMP)_SUB$/.test(call.name) && call.args.length === 2) {
    const start = boundOf(call.args[0], column);
    const days = intervalDays(call.args[1]);
    if (start?.daysAgo !== undefined && days !== undefined)
      return { date: null, daysAgo: start.daysAgo + days };
  }
  return undefined;
}

const unitDays: Record<string, number> = { Day: 1, Week: 7, Month: 30, Quarter: 91, Year: 365 };

function intervalDays(expr: unknown): number | undefined {
  const interval = variant(unwrap(expr), 'Interval');
  if (!interval) return undefined;
  const amount = numberLiteral(interval.value) ?? Number(stringLiteral(interval.value));
  const unit = typeof interval.leading_field === 'string' ? unitDays[interval.leading_field] : 1;
  return Number.isFinite(amount) && unit !== undefined ? amount * unit : undefined;
}

function isDateExpression(expr: unknown): boolean {
  const value = unwrap(expr);
  const typed = typedString(value);
  if (typed) return /^(Date|Datetime|Timestamp)/.test(typed[0]);
  const call = functionCall(value);
  return Boolean(call && /DATE|TIME/.test(call.name));
}

function containsColumn(expr: unknown): boolean {
  let found = false;
  const visit = (value: unknown) => {
    if (found || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const node = value as Record<string, unknown>;
    if ('Subquery' in node || 'InSubquery' in node || 'Exists' in node) return;
    const fn = variant(node, 'Function');
    if (fn) {
      visit(fn.args);
      return;
    }
    const ident = variant(node, 'Identifier');
    if ((ident && !String(ident.value).startsWith('@')) || 'CompoundIdentifier' in node) {
      found = true;
      return;
    }
    for (const key in node) if (key !== 'span') visit(node[key]);
  };
  visit(expr);
  return found;
}

/** Every column reference directly in an expression (not inside subqueries). */
function columnsIn(expr: unknown, block: Block, resolver: Resolver): ColumnRef[] {
  const refs: ColumnRef[] = [];
  const visit = (value: unknown) => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const node = value as Record<string, unknown>;
    if ('Subquery' in node || 'Exists' in node) return;
    if ('Identifier' in node || 'CompoundIdentifier' in node) {
      const ref = resolver.column(node, block);
      if (ref) refs.push(ref);
      return;
    }
    const inSubquery = variant(node, 'InSubquery');
    if (inSubquery) {
      visit(inSubquery.expr);
      return;
    }
    if ('Function' in node) {
      const fn = variant(node, 'Function');
      visit(fn?.args);
      return;
    }
    for (const key in node) if (key !== 'span') visit(node[key]);
  };
  visit(expr);
  return refs;
}

function conjunctsOf(expr: unknown): unknown[] {
  const value = unwrap(expr);
  const binary = variant(value, 'BinaryOp');
  if (binary && binary.op === 'And')
    return [...conjunctsOf(binary.left), ...conjunctsOf(binary.right)];
  return [value];
}

function disjunctsOf(expr: unknown): unknown[] {
  const value = unwrap(expr);
  const binary = variant(value, 'BinaryOp');
  if (binary && binary.op === 'Or')
    return [...disjunctsOf(binary.left), ...disjunctsOf(binary.right)];
  return [value];
}

/** The top-level AND conjuncts of a clause, in written order. */
export const conjuncts = conjunctsOf;

export function extractPredicates(model: Model, resolver: Resolver): Predicate[] {
  const predicates: Predicate[] = [];
  for (const block of model.blocks) {
    const clauses: [PredicateClause, unknown][] = [
      ['where', block.where],
      ['qualify', block.qualify],
      ['having', block.having],
      ...block.joinConditions.map((on): [PredicateClause, unknown] => ['join', on]),
    ];
    for (const [clause, expr] of clauses) {
      if (expr === null || expr === undefined) continue;
      const found: Predicate[] = [];
      for (const conjunct of conjunctsOf(expr))
        extractOne(conjunct, true, clause, block, resolver, found);
      predicates.push(...mergeRanges(found));
    }
    for (const using of block.usingColumns) {
      const right = using.items[using.items.length - 1];
      const left = using.items[using.items.length - 2];
      for (const item of [left, right]) {
        if (!item) continue;
        const base = item.kind === 'table' ? item : null;
        predicates.push({
          clause: 'join',
          conjunct: true,
          block,
          ref: {
            item,
            base,
            table: resolver.displayName(item),
            column: using.column,
          },
          op: 'eq',
          dateValued: false,
          pos: using.pos,
        });
      }
    }
  }
  return predicates;
}

function extractOne(
  expr: unknown,
  conjunct: boolean,
  clause: PredicateClause,
  block: Block,
  resolver: Resolver,
  out: Predicate[],
): void {
  const value = unwrap(expr);
  const pos = firstPos(value, 200);
  const add = (ref: ColumnRef, op: PredicateOp, extra: Partial<Predicate> = {}): void => {
    out.push({ clause, conjunct, block, ref, op, dateValued: false, pos, ...extra });
  };
  const others = (isConjunct: boolean) => {
    for (const ref of columnsIn(value, block, resolver))
      out.push({ clause, conjunct: isConjunct, block, ref, op: 'other', dateValued: false, pos });
  };

  const binary = variant(value, 'BinaryOp');
  if (binary && typeof binary.op === 'string' && binary.op in comparison) {
    let op = binary.op;
    let columnSide = binary.left;
    let valueSide = binary.right;
    let ref = resolver.column(columnSide, block);
    const rightRef = resolver.column(valueSide, block);
    if (ref && rightRef) {
      const sameItem = ref.item !== null && ref.item === rightRef.item;
      add(ref, comparison[op]!, sameItem ? {} : { other: rightRef });
      if (!sameItem) add(rightRef, comparison[op]!, { other: ref });
      return;
    }
    if (!ref && rightRef) {
      ref = rightRef;
      [columnSide, valueSide] = [valueSide, columnSide];
      op = flipped[op] ?? op;
    }
    if (!ref) {
      others(false);
      return;
    }
    if (containsColumn(valueSide) && !isConstant(valueSide)) {
      // x = f(y): constrains x by another column — not prunable
      others(false);
      return;
    }
    const kind = comparison[op]!;
    const bound = boundOf(valueSide, ref.column);
    const dateValued = Boolean(bound) || isDateExpression(valueSide);
    if (kind === 'range') {
      const lower = op === 'Gt' || op === 'GtEq';
      add(ref, 'range', {
        dateValued,
        ...(lower ? { from: bound ?? { date: null } } : { to: bound ?? { date: null } }),
      });
    } else if (kind === 'eq') {
      add(ref, 'eq', { dateValued, ...(bound ? { from: bound, to: bound } : {}) });
    } else add(ref, 'other', { dateValued });
    return;
  }

  const between = variant(value, 'Between');
  if (between) {
    const ref = resolver.column(between.expr, block);
    if (!ref) return others(false);
    if (between.negated === true) return add(ref, 'other');
    const from = boundOf(between.low, ref.column) ?? { date: null };
    const to = boundOf(between.high, ref.column) ?? { date: null };
    const dateValued =
      from.date !== null ||
      to.date !== null ||
      isDateExpression(between.low) ||
      isDateExpression(between.high);
    return add(ref, 'range', { from, to, dateValued });
  }

  const inList =
    variant(value, 'InList') ?? variant(value, 'InUnnest') ?? variant(value, 'InSubquery');
  if (inList) {
    const ref = resolver.column(inList.expr, block);
    if (!ref) return others(false);
    return add(ref, inList.negated === true ? 'other' : 'in');
  }

  const like = variant(value, 'Like') ?? variant(value, 'ILike');
  if (like) {
    const ref = resolver.column(like.expr, block);
    if (!ref) return others(false);
    return add(ref, like.negated === true ? 'other' : 'like');
  }

  const call = functionCall(value);
  if (call && /^(REGEXP_CONTAINS|STARTS_WITH|ENDS_WITH)$/.test(call.name)) {
    const ref = resolver.column(call.args[0], block);
    if (ref && call.args.slice(1).every((arg) => !containsColumn(arg))) return add(ref, 'like');
  }

  const or = variant(value, 'BinaryOp');
  if (or && or.op === 'Or') {
    // x = 'a' OR x = 'b' is x IN ('a', 'b')
    const parts = disjunctsOf(value).map((part) => {
      const eq = variant(part, 'BinaryOp');
      if (!eq || eq.op !== 'Eq') return null;
      const left = resolver.column(eq.left, block);
      if (left && !containsColumn(eq.right)) return left;
      const right = resolver.column(eq.right, block);
      return right && !containsColumn(eq.left) ? right : null;
    });
    const first = parts[0];
    if (first && parts.every((p) => p && p.column === first.column && p.item === first.item))
      return add(first, 'in');
    return others(false);
  }
  others(false);
}

/** `d >= '2026-01-01' AND d < '2026-02-01'` is one range on d. */
function mergeRanges(found: Predicate[]): Predicate[] {
  const merged: Predicate[] = [];
  const ranges = new Map<string, Predicate>();
  for (const predicate of found) {
    if (predicate.op !== 'range' || !predicate.conjunct || predicate.other) {
      merged.push(predicate);
      continue;
    }
    const key = `${predicate.ref.table ?? ''}\u0000${predicate.ref.column}`;
    const existing = ranges.get(key);
    if (!existing) {
      const copy = { ...predicate };
      ranges.set(key, copy);
      merged.push(copy);
      continue;
    }
    if (predicate.from && (!existing.from || existing.from.date === null))
      existing.from = predicate.from;
    if (predicate.to && (!existing.to || existing.to.date === null)) existing.to = predicate.to;
    existing.dateValued ||= predicate.dateValued;
  }
  return merged;
}
