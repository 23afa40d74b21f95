// One pass over the syntax tree builds what every rule reads: the script's statements in order,
// each SELECT block with its FROM items (tables, CTE references, subqueries, UNNESTs) and clauses,
// CTE definitions with their references, subquery expressions and function calls with the clause
// they sit in. Rules then ask questions of this model instead of walking the tree themselves.
import {
  asArray,
  firstPos,
  functionCall,
  identPos,
  identValue,
  isNode,
  nameParts,
  variant,
  variantName,
  type Node,
  type Pos,
} from './ast.js';

export type Clause =
  | 'projection'
  | 'from'
  | 'join'
  | 'where'
  | 'group'
  | 'having'
  | 'qualify'
  | 'window'
  | 'order'
  | 'other';

export type QueryRole = 'top' | 'cte' | 'derived' | 'expression';

export interface CteDef {
  name: string;
  /** Lower-cased, for matching references. */
  key: string;
  pos: Pos | null;
  query: QueryInfo | null;
  references: Pos[];
}

export interface FromItem {
  kind: 'table' | 'cte' | 'derived' | 'unnest' | 'other';
  /** Lower-cased alias (or the last name part). */
  alias: string;
  /** Name parts as written, for tables and CTE references. */
  parts: string[];
  pos: Pos | null;
  cte?: CteDef;
  query?: QueryInfo;
}

export interface Wildcard {
  pos: Pos | null;
  /** `t.*` → 't' (lower-cased); `*` → null. */
  qualifier: string | null;
  except: boolean;
}

export interface ProjectionItem {
  /** Lower-cased output name, when there is one. */
  name: string | null;
  expr: unknown;
}

export interface Block {
  id: number;
  kind: 'select' | 'dml';
  pos: Pos | null;
  parent: Block | null;
  query: QueryInfo | null;
  statement: StatementInfo;
  items: FromItem[];
  wildcards: Wildcard[];
  projection: ProjectionItem[];
  where: unknown;
  having: unknown;
  qualify: unknown;
  joinConditions: unknown[];
  usingColumns: { column: string; pos: Pos | null; items: FromItem[] }[];
  distinct: boolean;
  groupBy: boolean;
  /** Non-window aggregate calls in the projection or HAVING. */
  aggregates: boolean;
}

export interface QueryInfo {
  node: Node;
  role: QueryRole;
  /** The SELECT blocks whose rows the query returns (several for UNION …). */
  outputs: Block[];
  orderBy: unknown[];
  hasLimit: boolean;
  /** Whether the output goes through a set operation that removes duplicates. */
  distinctSet: boolean;
  statement: StatementInfo;
}

export interface SubqueryExpr {
  kind: 'in' | 'exists' | 'scalar';
  negated: boolean;
  clause: Clause;
  /** The block the expression sits in (null at statement level, e.g. SET x = (SELECT …)). */
  block: Block | null;
  query: QueryInfo;
  pos: Pos | null;
}

export interface CallInfo {
  name: string;
  args: unknown[];
  node: Node;
  clause: Clause;
  block: Block | null;
  window: boolean;
  distinct: boolean;
  pos: Pos | null;
}

export interface StatementInfo {
  index: number;
  kind: string;
  pos: Pos | null;
  created?: { parts: string[]; temporary: boolean; pos: Pos | null };
  dropped?: { parts: string[]; pos: Pos | null }[];
  queries: QueryInfo[];
}

export interface Model {
  statements: StatementInfo[];
  blocks: Block[];
  ctes: CteDef[];
  subqueries: SubqueryExpr[];
  calls: CallInfo[];
}

export const aggregateFunctions = new Set([
  'ANY_VALUE',
  'APPROX_COUNT_DISTINCT',
  'APPROX_QUANTILES',
  'APPROX_TOP_COUNT',
  'APPROX_TOP_SUM',
  'ARRAY_AGG',
  'ARRAY_CONCAT_AGG',
  'AVG',
  'BIT_AND',
  'BIT_OR',
  'BIT_XOR',
  'COUNT',
  'COUNTIF',
  'GROUPING',
  'LOGICAL_AND',
  'LOGICAL_OR',
  'MAX',
  'MAX_BY',
  'MIN',
  'MIN_BY',
  'STRING_AGG',
  'SUM',
  'CORR',
  'COVAR_POP',
  'COVAR_SAMP',
  'STDDEV',
  'STDDEV_POP',
  'STDDEV_SAMP',
  'VARIANCE',
  'VAR_POP',
  'VAR_SAMP',
  'HLL_COUNT.MERGE',
]);

const lower = (text: string) => text.toLowerCase();

export function buildModel(statements: unknown[]): Model {
  const model: Model = { statements: [], blocks: [], ctes: [], subqueries: [], calls: [] };
  let blockIds = 0;
  // CTEs whose body is being visited: a recursive CTE's reference to itself is not a re-read
  const openCtes = new Set<CteDef>();

  const visitStatement = (raw: unknown, scope: Map<string, CteDef>) => {
    const kind = variantName(raw) ?? 'Unknown';
    const node = isNode(raw) ? raw[kind] : undefined;
    const info: StatementInfo = {
      index: model.statements.length,
      kind,
      pos: firstPos(raw, 200),
      queries: [],
    };
    model.statements.push(info);
    if (!isNode(node)) return;
    switch (kind) {
      case 'Query':
        info.queries.push(visitQuery(node, 'top', null, scope, info));
        return;
      case 'Insert': {
        const source = node.source;
        if (isNode(source)) info.queries.push(visitQuery(source, 'top', null, scope, info));
        return;
      }
      case 'CreateTable': {
        const parts = nameParts(node.name);
        info.created = {
          parts,
          temporary: node.temporary === true,
          pos: identPos(asArray(node.name)[0]),
        };
        if (isNode(node.query)) info.queries.push(visitQuery(node.query, 'top', null, scope, info));
        return;
      }
      case 'Drop': {
        if (node.object_type !== 'Table') return;
        info.dropped = asArray(node.names).map((name) => ({
          parts: nameParts(name),
          pos: identPos(asArray(name)[0]),
        }));
        return;
      }
      case 'Delete':
      case 'Update':
      case 'Merge':
        visitDml(kind, node, scope, info);
        return;
      case 'StartTransaction':
        // BEGIN … END: a block of statements
        for (const inner of asArray(node.statements)) visitStatement(inner, scope);
        return;
      default:
        walkStatementParts(node, scope, info);
    }
  };

  // Statements we do not model (IF, WHILE bodies the parser read, DECLARE, SET, EXPORT DATA …):
  // nested statement lists are visited as statements, queries as top-level queries, and other
  // expressions for their subqueries and calls.
  const walkStatementParts = (node: unknown, scope: Map<string, CteDef>, info: StatementInfo) => {
    if (Array.isArray(node)) {
      for (const child of node) walkStatementParts(child, scope, info);
      return;
    }
    if (!isNode(node)) return;
    for (const key in node) {
      const child = node[key];
      if (key === 'span' || typeof child !== 'object' || child === null) continue;
      if (key === 'statements' && Array.isArray(child)) {
        for (const inner of child) visitStatement(inner, scope);
      } else if (isNode(child) && isQueryNode(child)) {
        info.queries.push(visitQuery(child, 'top', null, scope, info));
      } else if (key === 'condition' || key === 'values' || key === 'assignment') {
        walkExpr(child, null, 'other', scope, info);
      } else walkStatementParts(child, scope, info);
    }
  };

  const newBlock = (
    kind: Block['kind'],
    pos: Pos | null,
    parent: Block | null,
    query: QueryInfo | null,
    info: StatementInfo,
  ): Block => {
    const block: Block = {
      id: blockIds++,
      kind,
      pos,
      parent,
      query,
      statement: info,
      items: [],
      wildcards: [],
      projection: [],
      where: null,
      having: null,
      qualify: null,
      joinConditions: [],
      usingColumns: [],
      distinct: false,
      groupBy: false,
      aggregates: false,
    };
    model.blocks.push(block);
    return block;
  };

  const visitDml = (kind: string, node: Node, scope: Map<string, CteDef>, info: StatementInfo) => {
    const block = newBlock('dml', firstPos(node, 50), null, null, info);
    const factors: unknown[] = [];
    if (kind === 'Delete') {
      const from = isNode(node.from) ? Object.values(node.from)[0] : undefined;
      factors.push(...asArray(from), ...asArray(node.using));
    } else if (kind === 'Update') {
      factors.push(node.table);
      const from = isNode(node.from) ? Object.values(node.from)[0] : undefined;
      factors.push(...asArray(from));
    } else {
      for (const factor of [node.table, node.source]) factors.push({ relation: factor, joins: [] });
      if (node.on) block.joinConditions.push(node.on);
    }
    for (const factor of factors) visitTableWithJoins(factor, block, scope, info);
    block.where = node.selection ?? null;
    if (block.where) walkExpr(block.where, block, 'where', scope, info);
    for (const condition of block.joinConditions) walkExpr(condition, block, 'join', scope, info);
    if (kind === 'Update') walkExpr(node.assignments, block, 'other', scope, info);
    if (kind === 'Merge') walkExpr(node.clauses, block, 'other', scope, info);
  };

  const visitQuery = (
    node: Node,
    role: QueryRole,
    outer: Block | null,
    parentScope: Map<string, CteDef>,
    info: StatementInfo,
  ): QueryInfo => {
    const query: QueryInfo = {
      node,
      role,
      outputs: [],
      orderBy: [],
      hasLimit: false,
      distinctSet: false,
      statement: info,
    };
    let scope = parentScope;
    const withClause = isNode(node.with) ? node.with : undefined;
    if (withClause) {
      scope = new Map(parentScope);
      for (const cte of asArray(withClause.cte_tables)) {
        if (!isNode(cte)) continue;
        const aliasName = isNode(cte.alias) ? cte.alias.name : undefined;
        const name = identValue(aliasName) ?? '';
        const def: CteDef = {
          name,
          key: lower(name),
          pos: identPos(aliasName),
          query: null,
          references: [],
        };
        model.ctes.push(def);
        // visible in its own body (WITH RECURSIVE) and in every later CTE
        scope.set(def.key, def);
        openCtes.add(def);
        if (isNode(cte.query)) def.query = visitQuery(cte.query, 'cte', outer, scope, info);
        openCtes.delete(def);
      }
    }
    visitSetExpr(node.body, query, outer, scope, info);
    const orderBy = isNode(node.order_by) ? node.order_by : undefined;
    const kind = isNode(orderBy?.kind) ? orderBy.kind : undefined;
    query.orderBy = asArray(kind?.Expressions);
    if (query.orderBy.length > 0)
      walkExpr(query.orderBy, query.outputs[0] ?? outer, 'order', scope, info);
    const limitClause = node.limit_clause;
    const limitOffset = variant(limitClause, 'LimitOffset');
    query.hasLimit =
      Boolean(limitOffset && limitOffset.limit) ||
      Boolean(variant(limitClause, 'OffsetCommaLimit')) ||
      Boolean(node.fetch);
    return query;
  };

  const visitSetExpr = (
    body: unknown,
    query: QueryInfo,
    outer: Block | null,
    scope: Map<string, CteDef>,
    info: StatementInfo,
  ) => {
    const select = variant(body, 'Select');
    if (select) {
      query.outputs.push(visitSelect(select, query, outer, scope, info));
      return;
    }
    const setOp = variant(body, 'SetOperation');
    if (setOp) {
      if (setOp.set_quantifier === 'Distinct') query.distinctSet = true;
      visitSetExpr(setOp.left, query, outer, scope, info);
      visitSetExpr(setOp.right, query, outer, scope, info);
      return;
    }
    const nested = variant(body, 'Query');
    if (nested) {
      const inner = visitQuery(nested, query.role, outer, scope, info);
      query.outputs.push(...inner.outputs);
      if (inner.distinctSet) query.distinctSet = true;
      return;
    }
    walkExpr(body, outer, 'other', scope, info);
  };

  const visitSelect = (
    select: Node,
    query: QueryInfo,
    outer: Block | null,
    scope: Map<string, CteDef>,
    info: StatementInfo,
  ): Block => {
    const selectToken = isNode(select.select_token) ? select.select_token : {};
    const block = newBlock('select', firstPos(selectToken, 20), outer, query, info);
    for (const from of asArray(select.from)) visitTableWithJoins(from, block, scope, info);
    block.distinct = select.distinct !== undefined && select.distinct !== null;
    const groupBy = select.group_by;
    const grouped = isNode(groupBy) ? asArray(groupBy.Expressions) : [];
    const groupExprs = asArray(grouped[0]);
    block.groupBy = variantName(groupBy) === 'All' || groupExprs.length > 0;

    for (const item of asArray(select.projection)) {
      const wildcard = variant(item, 'Wildcard');
      if (wildcard) {
        block.wildcards.push({
          pos: firstPos(wildcard.wildcard_token, 20),
          qualifier: null,
          except: Boolean(wildcard.opt_except || wildcard.opt_exclude),
        });
        continue;
      }
      const qualified = isNode(item) ? item.QualifiedWildcard : undefined;
      if (Array.isArray(qualified)) {
        const [kind, options] = qualified;
        const parts = nameParts(isNode(kind) ? kind.ObjectName : undefined);
        const opts = isNode(options) ? options : {};
        block.wildcards.push({
          pos: firstPos(kind, 20) ?? firstPos(opts.wildcard_token, 20),
          qualifier: parts.length > 0 ? lower(parts[parts.length - 1]!) : null,
          except: Boolean(opts.opt_except || opts.opt_exclude),
        });
        continue;
      }
      const aliased = variant(item, 'ExprWithAlias');
      if (aliased) {
        block.projection.push({ name: lower(identValue(aliased.alias) ?? ''), expr: aliased.expr });
        continue;
      }
      const unnamed = isNode(item) ? item.UnnamedExpr : undefined;
      if (unnamed !== undefined)
        block.projection.push({ name: outputName(unnamed), expr: unnamed });
    }

    const callsBefore = model.calls.length;
    walkExpr(
      block.projection.map((p) => p.expr),
      block,
      'projection',
      scope,
      info,
    );
    block.where = select.selection ?? null;
    block.having = select.having ?? null;
    block.qualify = select.qualify ?? null;
    if (block.where) walkExpr(block.where, block, 'where', scope, info);
    if (block.having) walkExpr(block.having, block, 'having', scope, info);
    if (block.qualify) walkExpr(block.qualify, block, 'qualify', scope, info);
    walkExpr(groupExprs, block, 'group', scope, info);
    walkExpr(select.named_window, block, 'window', scope, info);
    for (const condition of block.joinConditions) walkExpr(condition, block, 'join', scope, info);
    block.aggregates = model.calls
      .slice(callsBefore)
      .some(
        (call) =>
          call.block === block &&
          !call.window &&
          (call.clause === 'projection' || call.clause === 'having') &&
          aggregateFunctions.has(call.name),
      );
    return block;
  };

  const visitTableWithJoins = (
    value: unknown,
    block: Block,
    scope: Map<string, CteDef>,
    info: StatementInfo,
  ) => {
    if (!isNode(value)) return;
    visitFactor(value.relation, block, scope, info);
    for (const join of asArray(value.joins)) {
      if (!isNode(join)) continue;
      visitFactor(join.relation, block, scope, info);
      const operator = join.join_operator;
      const kindName = variantName(operator);
      const constraint = kindName && isNode(operator) ? operator[kindName] : undefined;
      const on = isNode(constraint) ? constraint.On : undefined;
      if (on !== undefined) block.joinConditions.push(on);
      const using = isNode(constraint) ? constraint.Using : undefined;
      for (const name of asArray(using)) {
        const parts = nameParts(name);
        const column = parts[parts.length - 1];
        if (column)
          block.usingColumns.push({
            column: lower(column),
            pos: identPos(asArray(name)[0]),
            items: [...block.items],
          });
      }
    }
  };

  const visitFactor = (
    factor: unknown,
    block: Block,
    scope: Map<string, CteDef>,
    info: StatementInfo,
  ) => {
    const table = variant(factor, 'Table');
    if (table) {
      const parts = nameParts(table.name);
      const alias = identValue(isNode(table.alias) ? table.alias.name : undefined);
      const pos = identPos(asArray(table.name)[0]);
      const key = lower(alias ?? parts[parts.length - 1] ?? '');
      if (table.args) {
        walkExpr(table.args, block, 'from', scope, info);
        block.items.push({ kind: 'other', alias: key, parts, pos });
        return;
      }
      const cte = parts.length === 1 ? scope.get(lower(parts[0]!)) : undefined;
      if (cte) {
        if (!openCtes.has(cte)) cte.references.push(pos ?? { line: 0, column: 0 });
        block.items.push({ kind: 'cte', alias: key, parts, pos, cte });
        return;
      }
      // `FROM t, t.array_column` is an implicit UNNEST of a column, not a table
      if (parts.length > 1 && findItem(block, lower(parts[0]!))) {
        block.items.push({ kind: 'unnest', alias: key, parts, pos });
        return;
      }
      block.items.push({ kind: 'table', alias: key, parts, pos });
      return;
    }
    const derived = variant(factor, 'Derived');
    if (derived) {
      const alias = identValue(isNode(derived.alias) ? derived.alias.name : undefined);
      const query = isNode(derived.subquery)
        ? visitQuery(derived.subquery, 'derived', block.parent, scope, info)
        : undefined;
      block.items.push({
        kind: 'derived',
        alias: lower(alias ?? ''),
        parts: [],
        pos: firstPos(derived.subquery, 200),
        ...(query ? { query } : {}),
      });
      return;
    }
    const unnest = variant(factor, 'UNNEST');
    if (unnest) {
      walkExpr(unnest.array_exprs, block, 'from', scope, info);
      const alias = identValue(isNode(unnest.alias) ? unnest.alias.name : undefined);
      block.items.push({ kind: 'unnest', alias: lower(alias ?? ''), parts: [], pos: null });
      return;
    }
    const nested = variant(factor, 'NestedJoin');
    if (nested) {
      visitTableWithJoins(nested.table_with_joins, block, scope, info);
      return;
    }
    const pivot = variant(factor, 'Pivot') ?? variant(factor, 'Unpivot');
    if (pivot) {
      visitFactor(pivot.table, block, scope, info);
      const alias = identValue(isNode(pivot.alias) ? pivot.alias.name : undefined);
      const inner = block.items[block.items.length - 1];
      if (inner && alias) inner.alias = lower(alias);
      return;
    }
    walkExpr(factor, block, 'from', scope, info);
    block.items.push({ kind: 'other', alias: '', parts: [], pos: firstPos(factor, 50) });
  };

  const walkExpr = (
    value: unknown,
    block: Block | null,
    clause: Clause,
    scope: Map<string, CteDef>,
    info: StatementInfo,
  ) => {
    if (Array.isArray(value)) {
      for (const child of value) walkExpr(child, block, clause, scope, info);
      return;
    }
    if (!isNode(value)) return;
    for (const key in value) {
      const child = value[key];
      if (key === 'span' || typeof child !== 'object' || child === null) continue;
      if (key === 'Subquery' && isNode(child)) {
        const query = visitQuery(child, 'expression', block, scope, info);
        model.subqueries.push({
          kind: 'scalar',
          negated: false,
          clause,
          block,
          query,
          pos: query.outputs[0]?.pos ?? firstPos(child, 50),
        });
      } else if ((key === 'InSubquery' || key === 'Exists') && isNode(child)) {
        if (child.expr) walkExpr(child.expr, block, clause, scope, info);
        if (!isNode(child.subquery)) continue;
        const query = visitQuery(child.subquery, 'expression', block, scope, info);
        model.subqueries.push({
          kind: key === 'InSubquery' ? 'in' : 'exists',
          negated: child.negated === true,
          clause,
          block,
          query,
          pos: query.outputs[0]?.pos ?? firstPos(child.subquery, 50),
        });
      } else if (key === 'Function' && isNode(child)) {
        const call = functionCall(value);
        if (call) {
          const list = variant(child.args, 'List');
          model.calls.push({
            name: call.name,
            args: call.args,
            node: child,
            clause,
            block,
            window: child.over !== undefined && child.over !== null,
            distinct: list?.duplicate_treatment === 'Distinct',
            pos: identPos(asArray(child.name)[0]),
          });
        }
        walkExpr(child.args, block, clause, scope, info);
        walkExpr(child.filter, block, clause, scope, info);
        walkExpr(child.over, block, 'window', scope, info);
      } else if (isNode(child) && isQueryNode(child)) {
        visitQuery(child, 'expression', block, scope, info);
      } else walkExpr(child, block, clause, scope, info);
    }
  };

  for (const statement of statements) visitStatement(statement, new Map());
  return model;
}

function isQueryNode(node: Node): boolean {
  const body = node.body;
  return (
    isNode(body) &&
    ('Select' in body || 'SetOperation' in body || 'Query' in body || 'Values' in body) &&
    'limit_clause' in node
  );
}

function outputName(expr: unknown): string | null {
  const ident = variant(expr, 'Identifier');
  if (ident && typeof ident.value === 'string') return lower(ident.value);
  const compound = isNode(expr) ? expr.CompoundIdentifier : undefined;
  if (Array.isArray(compound) && compound.length > 0)
    return lower(identValue(compound[compound.length - 1]) ?? '') || null;
  return null;
}

/** The FROM item an alias names, in this block or an enclosing one (correlated subqueries). */
export function findItem(block: Block | null, alias: string): FromItem | undefined {
  for (let current = block; current; current = current.parent) {
    const item = current.items.find((candidate) => candidate.alias === alias);
    if (item) return item;
  }
  return undefined;
}
