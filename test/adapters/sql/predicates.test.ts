import { beforeAll, describe, expect, it } from 'vitest';
import { GoogleSqlInspector } from '../../../src/adapters/sql/googlesql-inspector.js';
import type { ColumnPredicate } from '../../../src/domain/context.js';
import type { InspectOptions, TableMeta } from '../../../src/ports/sql-inspector.js';

let inspector: GoogleSqlInspector;
beforeAll(async () => {
  inspector = await GoogleSqlInspector.create();
});

const orders: TableMeta = {
  table: 'acme.sales.orders',
  totalLogicalBytes: 2 ** 40,
  partitioned: true,
  partitionColumn: 'order_date',
  clusteringColumns: ['customer_id'],
};
const options: InspectOptions = {
  tables: new Map([['acme.sales.orders', orders]]),
  defaultProject: 'acme',
};

const filters = (sql: string) => inspector.inspect(sql, options).filters;
const joins = (sql: string) => inspector.inspect(sql, options).joins;
const p = (
  table: string | null,
  column: string,
  op: ColumnPredicate['op'],
  range?: [string | null, string | null],
): ColumnPredicate => ({
  table,
  column,
  op,
  ...(range ? { from: range[0], to: range[1] } : {}),
});

describe('filters', () => {
  it.each<[string, string, ColumnPredicate[]]>([
    [
      'equality',
      "SELECT 1 FROM `acme.sales.orders` WHERE region = 'EU'",
      [p('acme.sales.orders', 'region', 'eq')],
    ],
    [
      'qualified with the default project',
      'SELECT 1 FROM sales.orders AS o WHERE o.customer_id = @id',
      [p('acme.sales.orders', 'customer_id', 'eq')],
    ],
    [
      'split backticks',
      'SELECT 1 FROM `acme`.`sales`.`orders` WHERE x = 1',
      [p('acme.sales.orders', 'x', 'eq')],
    ],
    [
      'IN list and IN UNNEST',
      'SELECT 1 FROM t WHERE a IN (1, 2) AND b IN UNNEST(@ids)',
      [p('t', 'a', 'in'), p('t', 'b', 'in')],
    ],
    ['IN subquery', 'SELECT 1 FROM t WHERE a IN (SELECT DISTINCT x FROM u)', [p('t', 'a', 'in')]],
    [
      'LIKE, STARTS_WITH',
      "SELECT 1 FROM t WHERE s LIKE 'a%' AND STARTS_WITH(u, 'b')",
      [p('t', 's', 'like'), p('t', 'u', 'like')],
    ],
    [
      'BETWEEN dates',
      "SELECT 1 FROM t WHERE d BETWEEN '2026-01-01' AND DATE '2026-01-31'",
      [p('t', 'd', 'range', ['2026-01-01', '2026-01-31'])],
    ],
    [
      'two bounds merged',
      "SELECT 1 FROM t WHERE d >= TIMESTAMP '2026-01-01 00:00:00 UTC' AND d < '2026-02-01'",
      [p('t', 'd', 'range', ['2026-01-01', '2026-02-01'])],
    ],
    [
      'literal on the left',
      "SELECT 1 FROM t WHERE '2026-03-01' > d",
      [p('t', 'd', 'range', [null, '2026-03-01'])],
    ],
    [
      'relative bound is not literal',
      'SELECT 1 FROM t WHERE d >= DATE_SUB(CURRENT_DATE(), INTERVAL 7 DAY)',
      [p('t', 'd', 'range', [null, null])],
    ],
    [
      'DATE(ts) keeps the column',
      "SELECT 1 FROM t WHERE DATE(ts) = '2026-01-01'",
      [p('t', 'ts', 'eq')],
    ],
    [
      '_TABLE_SUFFIX as dates',
      "SELECT 1 FROM `p.d.events_*` WHERE _TABLE_SUFFIX BETWEEN '20260101' AND '20260107'",
      [p('p.d.events_*', '_table_suffix', 'range', ['2026-01-01', '2026-01-07'])],
    ],
    ['OR of equalities is IN', 'SELECT 1 FROM t WHERE a = 1 OR a = 2', [p('t', 'a', 'in')]],
    [
      'mixed OR is other',
      'SELECT 1 FROM t WHERE a = 1 OR b = 2',
      [p('t', 'a', 'other'), p('t', 'b', 'other')],
    ],
    [
      '!=, IS NULL, NOT LIKE',
      "SELECT 1 FROM t WHERE a != 1 AND b IS NULL AND c NOT LIKE 'x'",
      [p('t', 'a', 'other'), p('t', 'b', 'other'), p('t', 'c', 'other')],
    ],
    [
      'QUALIFY and HAVING',
      'SELECT a, COUNT(*) AS n FROM t GROUP BY a HAVING MAX(b) > 1 QUALIFY n = 2',
      [p('t', 'b', 'other'), p('t', 'n', 'eq')],
    ],
    [
      'through a CTE to its table',
      "WITH o AS (SELECT order_date, region FROM sales.orders) SELECT 1 FROM o WHERE order_date = '2026-01-01'",
      [p('acme.sales.orders', 'order_date', 'eq', undefined)],
    ],
    [
      'through a subquery star',
      "SELECT 1 FROM (SELECT * FROM sales.orders) AS s WHERE s.region = 'EU'",
      [p('acme.sales.orders', 'region', 'eq')],
    ],
    [
      'computed CTE column stays on the CTE',
      'WITH o AS (SELECT UPPER(region) AS region FROM sales.orders) SELECT 1 FROM o WHERE region = 1',
      [p('o', 'region', 'eq')],
    ],
    [
      'unqualified column of two tables resolved by metadata',
      "SELECT 1 FROM sales.orders, other.t WHERE order_date = '2026-01-01'",
      [p('acme.sales.orders', 'order_date', 'eq')],
    ],
    ['ambiguous unqualified column', 'SELECT 1 FROM a.x, b.y WHERE z = 1', [p(null, 'z', 'eq')]],
    ['a parameter is not a column', 'SELECT 1 FROM t WHERE @flag', []],
    [
      'a DELETE',
      "DELETE FROM sales.orders WHERE order_date < '2020-01-01'",
      [p('acme.sales.orders', 'order_date', 'range', [null, '2020-01-01'])],
    ],
  ])('%s', (_name, sql, expected) => {
    expect(filters(sql)).toEqual(expected);
  });

  it('reads predicates of subqueries too, each resolved in its own block', () => {
    const sql =
      "SELECT 1 FROM a.t AS x WHERE x.k IN (SELECT k FROM sales.orders AS x WHERE x.order_date = '2026-01-01')";
    expect(filters(sql)).toEqual([
      p('acme.a.t', 'k', 'in'),
      p('acme.sales.orders', 'order_date', 'eq'),
    ]);
  });

  it('is empty when the SQL does not parse', () => {
    expect(filters('SELEC 1 FROM t WHERE a = 1')).toEqual([]);
  });
});

describe('joins', () => {
  it('splits ON a.x = b.y into both sides', () => {
    expect(
      joins('SELECT 1 FROM sales.orders AS o JOIN crm.customers AS c ON o.customer_id = c.id'),
    ).toEqual([p('acme.sales.orders', 'customer_id', 'eq'), p('acme.crm.customers', 'id', 'eq')]);
  });

  it('reads USING for both tables', () => {
    expect(joins('SELECT 1 FROM sales.orders LEFT JOIN crm.customers USING (customer_id)')).toEqual(
      [p('acme.sales.orders', 'customer_id', 'eq'), p('acme.crm.customers', 'customer_id', 'eq')],
    );
  });

  it('keeps constant conditions of ON and column = column from WHERE', () => {
    const sql =
      "SELECT 1 FROM sales.orders AS o, crm.customers AS c WHERE o.customer_id = c.id AND o.order_date >= '2026-01-01'";
    expect(joins(sql)).toEqual([
      p('acme.sales.orders', 'customer_id', 'eq'),
      p('acme.crm.customers', 'id', 'eq'),
    ]);
    expect(filters(sql)).toEqual([
      p('acme.sales.orders', 'order_date', 'range', ['2026-01-01', null]),
    ]);
    const on = "SELECT 1 FROM a.x JOIN b.y ON x.id = y.id AND y.d > '2026-01-01'";
    expect(joins(on)).toEqual([
      p('acme.a.x', 'id', 'eq'),
      p('acme.b.y', 'id', 'eq'),
      p('acme.b.y', 'd', 'range', ['2026-01-01', null]),
    ]);
  });

  it('reads MERGE … ON', () => {
    const sql =
      'MERGE sales.orders AS t USING (SELECT id FROM s.n) AS s ON t.id = s.id WHEN MATCHED THEN DELETE';
    expect(joins(sql)).toEqual([p('acme.sales.orders', 'id', 'eq'), p('acme.s.n', 'id', 'eq')]);
  });
});
