import { beforeAll, describe, expect, it } from 'vitest';
import { GoogleSqlInspector } from '../../../src/adapters/sql/googlesql-inspector.js';
import { lintRules, type LintRule } from '../../../src/domain/analysis.js';
import type { InspectOptions, TableMeta } from '../../../src/ports/sql-inspector.js';
import { googleSqlCorpus, knownUnparsed } from '../../fixtures/googlesql-corpus.js';

const GiB = 2 ** 30;
let inspector: GoogleSqlInspector;

beforeAll(async () => {
  inspector = await GoogleSqlInspector.create({ now: () => new Date('2026-06-01T00:00:00Z') });
});

function table(name: string, overrides: Partial<TableMeta> = {}): [string, TableMeta] {
  return [
    name,
    {
      table: name,
      totalLogicalBytes: 10 * GiB,
      partitioned: false,
      partitionColumn: null,
      clusteringColumns: [],
      ...overrides,
    },
  ];
}

const tables = new Map<string, TableMeta>([
  table('acme.sales.orders', {
    totalLogicalBytes: 500 * GiB,
    partitioned: true,
    partitionColumn: 'order_date',
    clusteringColumns: ['customer_id'],
  }),
  table('acme.web.events', { totalLogicalBytes: 800 * GiB }),
  table('acme.web.hits', { totalLogicalBytes: 900 * GiB, partitioned: true }),
  table('acme.web.ingest', {
    totalLogicalBytes: 50 * GiB,
    partitioned: true,
    partitionColumn: '_PARTITIONTIME',
  }),
  table('acme.crm.customers', { totalLogicalBytes: 5 * GiB }),
]);
const withMeta: InspectOptions = { tables, defaultProject: 'acme' };

/** [line, column] of every finding of `rule`. */
function found(rule: LintRule, sql: string, options: InspectOptions = withMeta): number[][] {
  return inspector
    .inspect(sql, options)
    .findings.filter((f) => f.rule === rule)
    .map((f) => [f.line, f.column]);
}

interface RuleCases {
  flagged: Array<[string, string, number[][]?]>;
  clean: Array<[string, string]>;
}

const cases: Record<LintRule, RuleCases> = {
  select_star: {
    flagged: [
      [
        'star on a table',
        'SELECT * FROM `acme.sales.orders` WHERE order_date = "2026-01-01"',
        [[1, 8]],
      ],
      ['EXCEPT still reads the rest', 'SELECT * EXCEPT (email) FROM crm.customers', [[1, 8]]],
      [
        'qualified star on the table',
        'SELECT o.*, c.name FROM sales.orders AS o JOIN crm.customers AS c USING (id)',
        [[1, 8]],
      ],
      ['split backtick path', 'SELECT *\nFROM `acme`.`crm`.`customers`', [[1, 8]]],
      [
        'star through a CTE that returns it',
        'WITH c AS (SELECT * FROM crm.customers)\nSELECT * FROM c',
        [[1, 19]],
      ],
      ['star written to a table', 'INSERT INTO crm.copy SELECT * FROM crm.customers', [[1, 29]]],
      ['lower case', 'select * from crm.customers', [[1, 8]]],
    ],
    clean: [
      ['COUNT(*)', 'SELECT COUNT(*) FROM crm.customers'],
      [
        'star on a CTE whose columns are chosen',
        'WITH c AS (SELECT id, name FROM crm.customers)\nSELECT * FROM c',
      ],
      [
        'star on a subquery whose columns are chosen',
        'SELECT * FROM (SELECT id FROM crm.customers)',
      ],
      [
        'star inside a CTE that is read by column',
        'WITH c AS (SELECT * FROM crm.customers)\nSELECT id FROM c',
      ],
      ['star on UNNEST', 'SELECT * FROM UNNEST([1, 2, 3])'],
      [
        'star in EXISTS',
        'SELECT id FROM crm.customers AS c WHERE EXISTS (SELECT * FROM sales.orders AS o WHERE o.id = c.id)',
      ],
      ['star in a comment', '-- SELECT * FROM crm.customers\nSELECT id FROM crm.customers'],
      ['star in a string', "SELECT 'SELECT * FROM t' AS text, id FROM crm.customers"],
      [
        'qualified star on a subquery',
        'SELECT s.* FROM (SELECT id FROM crm.customers) AS s JOIN crm.customers AS c USING (id)',
      ],
    ],
  },
  semi_join_without_aggregation: {
    flagged: [
      [
        'IN subquery',
        'SELECT id FROM crm.customers\nWHERE id IN (SELECT customer_id FROM sales.orders)',
        [[2, 14]],
      ],
      [
        'NOT IN subquery',
        'SELECT id FROM crm.customers WHERE id NOT IN (SELECT customer_id FROM sales.orders)',
        [[1, 47]],
      ],
      [
        'UNION ALL branch',
        'SELECT 1 FROM t WHERE a IN (SELECT x FROM u UNION ALL SELECT DISTINCT y FROM v)',
        [[1, 29]],
      ],
      [
        'IN subquery in a JOIN condition',
        'SELECT 1 FROM t JOIN u ON t.a = u.a AND u.b IN (SELECT b FROM v)',
        [[1, 49]],
      ],
    ],
    clean: [
      ['DISTINCT', 'SELECT id FROM t WHERE id IN (SELECT DISTINCT customer_id FROM sales.orders)'],
      [
        'GROUP BY',
        'SELECT id FROM t WHERE id IN (SELECT customer_id FROM sales.orders GROUP BY customer_id)',
      ],
      ['aggregate', 'SELECT id FROM t WHERE d IN (SELECT MAX(d) FROM u)'],
      [
        'UNION DISTINCT',
        'SELECT 1 FROM t WHERE a IN (SELECT x FROM u UNION DISTINCT SELECT y FROM v)',
      ],
      ['IN list', "SELECT id FROM t WHERE id IN (1, 2, 3) AND s IN ('a')"],
      ['EXISTS', 'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)'],
      ['in a string', "SELECT 'x IN (SELECT y FROM z)' FROM t"],
    ],
  },
  cte_referenced_multiple_times: {
    flagged: [
      [
        'self join',
        'WITH d AS (SELECT 1 AS x)\nSELECT * FROM d AS a JOIN d AS b USING (x)',
        [[1, 6]],
      ],
      [
        'referenced from another CTE',
        'WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a)\nSELECT * FROM a, b',
        [[1, 6]],
      ],
      [
        'case-insensitive name',
        'WITH Daily AS (SELECT 1 AS x) SELECT * FROM daily UNION ALL SELECT * FROM DAILY',
        [[1, 6]],
      ],
      [
        'in a subquery',
        'WITH d AS (SELECT 1 AS x) SELECT * FROM d WHERE x IN (SELECT x FROM d)',
        [[1, 6]],
      ],
    ],
    clean: [
      ['once', 'WITH d AS (SELECT 1 AS x) SELECT * FROM d'],
      ['each once', 'WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b'],
      [
        'recursive self-reference',
        'WITH RECURSIVE n AS (SELECT 1 AS x UNION ALL SELECT x + 1 FROM n WHERE x < 5) SELECT x FROM n',
      ],
      [
        'same name as a table column',
        'WITH d AS (SELECT 1 AS x) SELECT d.x, t.d FROM d JOIN t ON t.d = d.x',
      ],
    ],
  },
  order_by_without_limit: {
    flagged: [
      ['outermost ORDER BY', 'SELECT a FROM t\nORDER BY a DESC', [[2, 1]]],
      ['after UNION', 'SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY a', [[1, 43]]],
      ['in an INSERT source', 'INSERT INTO x (a) SELECT a FROM t ORDER BY a', [[1, 35]]],
      ['lower case', 'select a from t order by a', [[1, 17]]],
      [
        'statement in a script',
        'DECLARE x INT64 DEFAULT 1;\nSELECT a FROM t ORDER BY a;',
        [[2, 17]],
      ],
    ],
    clean: [
      ['with LIMIT', 'SELECT a FROM t ORDER BY a LIMIT 10'],
      ['window ORDER BY', 'SELECT ROW_NUMBER() OVER (ORDER BY a) AS rn FROM t'],
      ['ARRAY_AGG ORDER BY', 'SELECT ARRAY_AGG(a ORDER BY b LIMIT 5) FROM t'],
      ['ARRAY_AGG ORDER BY without LIMIT', 'SELECT STRING_AGG(a, "," ORDER BY b) FROM t'],
      ['in a string', "SELECT 'ORDER BY' AS s FROM t"],
      ['in a comment', 'SELECT a FROM t -- ORDER BY a\n'],
      ['in a subquery, outer has LIMIT', 'SELECT * FROM (SELECT a FROM t ORDER BY a) LIMIT 5'],
    ],
  },
  regexp_contains_instead_of_like: {
    flagged: [
      ['plain string', "SELECT 1 FROM t WHERE REGEXP_CONTAINS(url, 'checkout')", [[1, 23]]],
      ['lower case function', "select 1 from t where regexp_contains(url, 'checkout')", [[1, 23]]],
      ['anchored start', "SELECT REGEXP_CONTAINS(url, r'^/products/') FROM t", [[1, 8]]],
      ['anchored both ends', "SELECT REGEXP_CONTAINS(url, '^/cart$') FROM t", [[1, 8]]],
      ['.* on both sides', "SELECT REGEXP_CONTAINS(url, '.*promo.*') FROM t", [[1, 8]]],
      ['escaped dot', "SELECT REGEXP_CONTAINS(host, r'acme\\.com$') FROM t", [[1, 8]]],
    ],
    clean: [
      ['character class', "SELECT REGEXP_CONTAINS(url, r'^/products/[0-9]+$') FROM t"],
      ['alternation', "SELECT REGEXP_CONTAINS(url, 'cart|checkout') FROM t"],
      ['case-insensitive flag', "SELECT REGEXP_CONTAINS(url, '(?i)checkout') FROM t"],
      ['\\d class', "SELECT REGEXP_CONTAINS(url, r'id\\d') FROM t"],
      ['pattern from a column', 'SELECT REGEXP_CONTAINS(url, pattern) FROM t'],
      ['other regexp function', "SELECT REGEXP_EXTRACT(url, 'checkout') FROM t"],
      ['in a comment', "-- REGEXP_CONTAINS(url, 'x')\nSELECT url FROM t"],
    ],
  },
  latest_record_with_analytic_function: {
    flagged: [
      [
        'ROW_NUMBER in a subquery, = 1 outside',
        'SELECT id FROM (\n  SELECT id, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) AS rn FROM t\n)\nWHERE rn = 1',
        [[4, 7]],
      ],
      [
        'QUALIFY',
        'SELECT id FROM t\nQUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) = 1',
        [[2, 9]],
      ],
      [
        'QUALIFY on an alias',
        'SELECT id, RANK() OVER (PARTITION BY id ORDER BY ts) AS r FROM t QUALIFY r <= 1',
        [[1, 74]],
      ],
      [
        'through a CTE',
        'WITH x AS (SELECT id, row_number() OVER (PARTITION BY id ORDER BY ts) AS rn FROM t)\nSELECT id FROM x WHERE rn = 1',
        [[2, 24]],
      ],
      [
        '1 = rn, with other conditions',
        'SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts) AS rn FROM t) AS s WHERE s.id > 0 AND 1 = s.rn',
        [[1, 114]],
      ],
    ],
    clean: [
      [
        'rn = 2',
        'SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts) AS rn FROM t) WHERE rn = 2',
      ],
      ['QUALIFY on COUNT', 'SELECT id FROM t QUALIFY COUNT(*) OVER (PARTITION BY id) > 1'],
      ['row number not filtered', 'SELECT id, ROW_NUMBER() OVER (ORDER BY ts) AS rn FROM t'],
      [
        'ARRAY_AGG already',
        'SELECT id, ARRAY_AGG(t ORDER BY ts DESC LIMIT 1)[OFFSET(0)] AS latest FROM t GROUP BY id',
      ],
      ['a column named rn from a table', 'SELECT id FROM t WHERE rn = 1'],
    ],
  },
  dynamic_predicate: {
    flagged: [
      ['scalar subquery', 'SELECT a FROM t\nWHERE d = (SELECT MAX(d) FROM t)', [[2, 12]]],
      ['IN subquery', 'SELECT a FROM t WHERE d IN (SELECT MAX(d) FROM t)', [[1, 29]]],
      ['EXISTS', 'SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u)', [[1, 31]]],
      ['in a DELETE', 'DELETE FROM t WHERE d < (SELECT MIN(d) FROM u)', [[1, 26]]],
      [
        'two subqueries',
        'SELECT a FROM t WHERE a = (SELECT 1) AND b = (SELECT 2)',
        [
          [1, 28],
          [1, 47],
        ],
      ],
    ],
    clean: [
      ['constant', "SELECT a FROM t WHERE d = '2026-01-01'"],
      ['subquery in SELECT list', 'SELECT (SELECT MAX(d) FROM u) FROM t'],
      ['subquery in FROM', 'SELECT a FROM (SELECT a FROM t WHERE a > 1)'],
      ['subquery in HAVING', 'SELECT a, COUNT(*) FROM t GROUP BY a HAVING COUNT(*) > (SELECT 1)'],
      [
        'SET from a subquery in a script',
        'DECLARE d DATE;\nSET d = (SELECT MAX(d) FROM t);\nSELECT a FROM t WHERE dt = d;',
      ],
      ['in a comment', 'SELECT a FROM t /* WHERE d = (SELECT 1) */'],
    ],
  },
  where_order: {
    flagged: [
      ['LIKE before equality', "SELECT a FROM t\nWHERE name LIKE '%x%' AND id = 5", [[2, 7]]],
      [
        'REGEXP before equality',
        "SELECT a FROM t WHERE REGEXP_CONTAINS(name, 'x+') AND country = 'DE'",
        [[1, 23]],
      ],
      ['inequality before equality', "SELECT a FROM t WHERE s != 'x' AND id = @id", [[1, 23]]],
      ['function before equality', "SELECT a FROM t WHERE LOWER(name) = 'x' AND id = 5", [[1, 23]]],
    ],
    clean: [
      ['equality first', "SELECT a FROM t WHERE id = 5 AND name LIKE '%x%'"],
      ['no equality', "SELECT a FROM t WHERE name LIKE '%x%' AND d > '2026-01-01'"],
      ['OR, not AND', "SELECT a FROM t WHERE name LIKE '%x%' OR id = 5"],
      ['equality is a join condition', "SELECT 1 FROM t, u WHERE t.name LIKE 'x%' AND t.id = u.id"],
      ['single condition', "SELECT a FROM t WHERE name LIKE '%x%'"],
    ],
  },
  missing_drop_temp_table: {
    flagged: [
      [
        'never dropped',
        'CREATE TEMP TABLE stage AS SELECT 1 AS x;\nSELECT * FROM stage;',
        [[1, 19]],
      ],
      [
        'dropped before it is created',
        'DROP TABLE IF EXISTS stage;\nCREATE TEMP TABLE stage AS SELECT 1 AS x;',
        [[2, 19]],
      ],
      [
        'TEMPORARY, in BEGIN … END',
        'BEGIN\n  CREATE TEMPORARY TABLE s (x INT64);\n  DROP TABLE other;\nEND;',
        [[2, 26]],
      ],
      [
        'another name dropped',
        'CREATE TEMP TABLE a AS SELECT 1 AS x; CREATE TEMP TABLE b AS SELECT 2 AS x; DROP TABLE a;',
        [[1, 57]],
      ],
    ],
    clean: [
      [
        'dropped',
        'CREATE TEMP TABLE stage AS SELECT 1 AS x;\nSELECT * FROM stage;\nDROP TABLE stage;',
      ],
      [
        'dropped, other case',
        'CREATE TEMP TABLE Stage AS SELECT 1 AS x; DROP TABLE IF EXISTS stage;',
      ],
      [
        'dropped inside IF',
        'CREATE TEMP TABLE s AS SELECT 1 AS x;\nIF TRUE THEN\n  DROP TABLE s;\nEND IF;',
      ],
      ['persistent table', 'CREATE TABLE `acme.d.t` AS SELECT 1 AS x'],
      ['in a comment', '-- CREATE TEMP TABLE stage AS SELECT 1;\nSELECT 1'],
    ],
  },
  dropped_persistent_table: {
    flagged: [
      [
        'created then dropped',
        'CREATE TABLE `acme.tmp.stage` AS SELECT 1 AS x;\nSELECT * FROM `acme.tmp.stage`;\nDROP TABLE `acme.tmp.stage`;',
        [[1, 14]],
      ],
      [
        'dataset.table with the default project',
        'CREATE OR REPLACE TABLE tmp.stage AS SELECT 1 AS x;\nDROP TABLE `acme.tmp.stage`;',
        [[1, 25]],
      ],
      [
        'split backticks',
        'CREATE TABLE `acme`.`tmp`.`s` (x INT64); DROP TABLE acme.tmp.s;',
        [[1, 14]],
      ],
    ],
    clean: [
      [
        'drop before create (rebuild)',
        'DROP TABLE IF EXISTS `acme.tmp.stage`;\nCREATE TABLE `acme.tmp.stage` AS SELECT 1 AS x;',
      ],
      ['temp table dropped', 'CREATE TEMP TABLE s AS SELECT 1 AS x; DROP TABLE s;'],
      ['kept', 'CREATE TABLE `acme.tmp.stage` AS SELECT 1 AS x;'],
      ['another table dropped', 'CREATE TABLE acme.tmp.a (x INT64); DROP TABLE acme.tmp.b;'],
    ],
  },
  missing_partition_filter: {
    flagged: [
      ['no WHERE', 'SELECT customer_id FROM `acme.sales.orders`', [[1, 25]]],
      ['filter on another column', 'SELECT 1 FROM sales.orders WHERE customer_id = 5', [[1, 15]]],
      [
        'partition filter only under OR',
        "SELECT 1 FROM sales.orders WHERE order_date = '2026-01-01' OR customer_id = 5",
        [[1, 15]],
      ],
      [
        'unknown partition column, no date filter',
        'SELECT 1 FROM `acme.web.hits` WHERE page = "/"',
        [[1, 15]],
      ],
      [
        'in an IN subquery',
        'SELECT 1 FROM crm.customers WHERE id IN (SELECT DISTINCT customer_id FROM sales.orders)',
        [[1, 75]],
      ],
      [
        'ingestion time table filtered on another column',
        'SELECT 1 FROM web.ingest WHERE x = 1',
        [[1, 15]],
      ],
    ],
    clean: [
      [
        'partition filter',
        "SELECT 1 FROM sales.orders WHERE order_date >= '2026-01-01' AND customer_id = 5",
      ],
      [
        'through an alias',
        "SELECT o.customer_id FROM `acme.sales.orders` AS o WHERE o.order_date = DATE '2026-01-01'",
      ],
      [
        'through a CTE',
        "WITH o AS (SELECT * FROM sales.orders) SELECT customer_id FROM o WHERE order_date > '2026-01-01'",
      ],
      [
        'DATE() around the column',
        "SELECT 1 FROM sales.orders WHERE DATE(order_date) = '2026-01-01'",
      ],
      [
        'in the join condition',
        "SELECT 1 FROM crm.customers AS c JOIN sales.orders AS o ON o.customer_id = c.id AND o.order_date = '2026-01-01'",
      ],
      [
        'unknown partition column, date-like filter',
        "SELECT 1 FROM web.hits WHERE event_date = '2026-01-01'",
      ],
      ['ingestion time', "SELECT 1 FROM web.ingest WHERE _PARTITIONDATE = '2026-01-01'"],
      ['unpartitioned table', 'SELECT 1 FROM web.events'],
      ['unknown table', 'SELECT 1 FROM other.t'],
    ],
  },
  unpartitioned_date_filter: {
    flagged: [
      [
        'large, unpartitioned, date filter',
        "SELECT 1 FROM `acme.web.events` WHERE event_date >= '2026-01-01'",
        [[1, 15]],
      ],
      [
        'timestamp column',
        'SELECT 1 FROM web.events AS e WHERE e.created_at > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 DAY)',
        [[1, 15]],
      ],
      [
        'date-valued filter on any column',
        "SELECT 1 FROM web.events WHERE snapshot = DATE '2026-01-01'",
        [[1, 15]],
      ],
    ],
    clean: [
      ['small table', "SELECT 1 FROM crm.customers WHERE signup_date >= '2026-01-01'"],
      ['partitioned', "SELECT 1 FROM sales.orders WHERE order_date >= '2026-01-01'"],
      ['no date filter', "SELECT 1 FROM web.events WHERE page = '/'"],
      [
        'date column compared to another column',
        'SELECT 1 FROM web.events AS e JOIN crm.customers AS c ON e.user_id = c.id WHERE e.event_date = c.signup_date',
      ],
    ],
  },
  wide_date_range: {
    flagged: [
      [
        'BETWEEN two literals',
        "SELECT 1 FROM t WHERE d BETWEEN '2020-01-01' AND '2026-01-01'",
        [[1, 23]],
      ],
      [
        '>= and <',
        "SELECT 1 FROM t WHERE d >= DATE '2024-01-01' AND d < DATE '2025-06-01'",
        [[1, 23]],
      ],
      ['open-ended from long ago', "SELECT 1 FROM t WHERE d >= '2019-01-01'", [[1, 23]]],
      [
        'relative: last 2 years',
        'SELECT 1 FROM t WHERE d >= DATE_SUB(CURRENT_DATE(), INTERVAL 2 YEAR)',
        [[1, 23]],
      ],
      [
        'wildcard table suffix',
        "SELECT 1 FROM `acme.a.events_*` WHERE _TABLE_SUFFIX BETWEEN '20240101' AND '20251231'",
        [[1, 39]],
      ],
      ['literal on the left', "SELECT 1 FROM t WHERE '2019-01-01' <= d", [[1, 23]]],
    ],
    clean: [
      ['one month', "SELECT 1 FROM t WHERE d BETWEEN '2026-01-01' AND '2026-01-31'"],
      ['recent open-ended', "SELECT 1 FROM t WHERE d >= '2026-05-01'"],
      [
        'relative: last 30 days',
        'SELECT 1 FROM t WHERE d >= DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)',
      ],
      ['upper bound only', "SELECT 1 FROM t WHERE d < '2026-01-01'"],
      ['numbers', 'SELECT 1 FROM t WHERE n BETWEEN 1 AND 100000'],
      ['in a string', "SELECT 'd BETWEEN 2001-01-01 AND 2026-01-01' FROM t"],
    ],
  },
  distinct_on_large_table: {
    flagged: [
      ['COUNT(DISTINCT)', 'SELECT COUNT(DISTINCT user_id) FROM web.events', [[1, 8]]],
      ['SELECT DISTINCT', 'SELECT DISTINCT user_id FROM `acme.web.events`', [[1, 1]]],
      ['lower case', 'select count(distinct user_id) from web.events', [[1, 8]]],
    ],
    clean: [
      ['small table', 'SELECT COUNT(DISTINCT id) FROM crm.customers'],
      ['APPROX_COUNT_DISTINCT', 'SELECT APPROX_COUNT_DISTINCT(user_id) FROM web.events'],
      ['COUNT(*)', 'SELECT COUNT(*) FROM web.events'],
      ['unknown table', 'SELECT DISTINCT a FROM other.t'],
    ],
  },
};

describe('GoogleSqlInspector rules', () => {
  it('has flagged and clean cases for every rule', () => {
    expect(Object.keys(cases).sort()).toEqual([...lintRules].sort());
    for (const rule of lintRules) {
      expect(cases[rule].flagged.length, rule).toBeGreaterThanOrEqual(3);
      expect(cases[rule].clean.length, rule).toBeGreaterThanOrEqual(4);
    }
  });

  describe.each(lintRules.map((rule) => [rule, cases[rule]] as const))(
    '%s',
    (rule, { flagged, clean }) => {
      it.each(flagged)('flags: %s', (_name, sql, positions) => {
        const result = inspector.inspect(sql, withMeta);
        expect(result.error).toBeUndefined();
        const hits = found(rule, sql);
        expect(hits.length).toBeGreaterThan(0);
        if (positions) expect(hits).toEqual(positions);
        for (const finding of result.findings.filter((f) => f.rule === rule))
          expect(finding.message.length).toBeGreaterThan(30);
      });
      it.each(clean)('leaves alone: %s', (_name, sql) => {
        expect(inspector.inspect(sql, withMeta).parsed).toBe(true);
        expect(found(rule, sql)).toEqual([]);
      });
    },
  );
});

describe('messages', () => {
  it('suggests the LIKE pattern', () => {
    const [finding] = inspector.inspect(
      "SELECT 1 FROM t WHERE REGEXP_CONTAINS(t.url, '^/promo')",
    ).findings;
    expect(finding?.message).toContain("t.url LIKE '/promo%'");
  });
  it('suggests an equality for an anchored pattern, escaping LIKE wildcards', () => {
    const [exact] = inspector.inspect("SELECT REGEXP_CONTAINS(u, '^a_b$') FROM t").findings;
    expect(exact?.message).toContain("u = 'a_b'");
    const [like] = inspector.inspect("SELECT REGEXP_CONTAINS(u, '50%') FROM t").findings;
    expect(like?.message).toContain("u LIKE '%50\\\\%%'");
  });
  it('names the grouping and ordering in the latest-record suggestion', () => {
    const sql = 'SELECT id FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) = 1';
    expect(inspector.inspect(sql).findings[0]?.message).toContain(
      'ARRAY_AGG(t ORDER BY ts DESC LIMIT 1)[OFFSET(0)] … GROUP BY id',
    );
  });
  it('names the table, its partition column and size', () => {
    const [finding] = inspector.inspect('SELECT 1 FROM sales.orders', withMeta).findings;
    expect(finding?.message).toContain('`acme.sales.orders` is partitioned on `order_date`');
    expect(finding?.message).toContain('500 GiB');
  });
  it('counts the CTE references', () => {
    const sql = 'WITH d AS (SELECT 1 AS x)\nSELECT * FROM d, d AS e,\nd AS f';
    expect(inspector.inspect(sql).findings[0]?.message).toContain('referenced 3 times (line 2, 3)');
  });
});

describe('options', () => {
  it('runs only the rules asked for', () => {
    const sql = "SELECT * FROM t WHERE REGEXP_CONTAINS(a, 'x') ORDER BY 1";
    const rules = inspector
      .inspect(sql, { rules: ['order_by_without_limit'] })
      .findings.map((f) => f.rule);
    expect(rules).toEqual(['order_by_without_limit']);
  });
  it('matches dataset.table only with the default project, or by dataset.table key', () => {
    const sql = 'SELECT 1 FROM sales.orders';
    expect(found('missing_partition_filter', sql, { tables })).toEqual([]);
    expect(found('missing_partition_filter', sql, { tables, defaultProject: 'other' })).toEqual([]);
    const byDataset = new Map([['sales.orders', tables.get('acme.sales.orders')!]]);
    expect(found('missing_partition_filter', sql, { tables: byDataset })).toEqual([[1, 15]]);
  });
  it('takes the large-table and wide-range thresholds from its settings', async () => {
    const strict = await GoogleSqlInspector.create({
      largeTableBytes: GiB,
      wideRangeDays: 20,
      now: () => new Date('2026-06-01T00:00:00Z'),
    });
    const small = strict.inspect('SELECT COUNT(DISTINCT id) FROM crm.customers', withMeta);
    expect(small.findings.map((f) => f.rule)).toEqual(['distinct_on_large_table']);
    const month = strict.inspect("SELECT 1 FROM t WHERE d BETWEEN '2026-01-01' AND '2026-01-31'");
    expect(month.findings.map((f) => f.rule)).toEqual(['wide_date_range']);
  });
});

describe('parsing', () => {
  it.each(googleSqlCorpus.filter(([id]) => !knownUnparsed.includes(id)))(
    'parses the corpus query %s',
    (_id, sql) => {
      const result = inspector.inspect(sql);
      expect(result.error).toBeUndefined();
      expect(result.parsed).toBe(true);
    },
  );

  it.each([
    ['garbage', 'SELEC 1 FRM t'],
    ['unterminated string', "SELECT 'abc FROM t"],
    ['unterminated comment', 'SELECT 1 /* no end'],
    ['unterminated backtick', 'SELECT * FROM `acme.sales.orders'],
    ['only a comment', '-- nothing here'],
    ['empty', ''],
    ['ML.PREDICT (not in the parser)', googleSqlCorpus.find(([id]) => id === 'ml-predict')![1]],
  ])('reports %s as not parsed, without throwing', (_name, sql) => {
    const result = inspector.inspect(sql, withMeta);
    expect(result.parsed).toBe(false);
    expect(result.error).toMatch(/\w/);
    expect(result.findings).toEqual([]);
    expect(result.filters).toEqual([]);
    expect(result.joins).toEqual([]);
  });

  it('still lints the statements of a script that parse on their own', () => {
    const script = [
      'DECLARE i INT64 DEFAULT 0;',
      'CREATE TEMP TABLE stage AS SELECT * FROM crm.customers;',
      'WHILE i < 3 DO',
      '  SET i = i + 1;',
      '  SELECT a FROM stage ORDER BY a;',
      'END WHILE;',
    ].join('\n');
    const result = inspector.inspect(script, withMeta);
    expect(result.parsed).toBe(false);
    expect(result.error).toContain('DO');
    expect(result.findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['missing_drop_temp_table', 2, 19],
      ['select_star', 2, 35],
      ['order_by_without_limit', 5, 23],
    ]);
    expect(result.filters).toEqual([]);
  });

  it('counts a DROP inside a loop the parser cannot read', () => {
    const script =
      'CREATE TEMP TABLE s AS SELECT 1 AS x;\nWHILE TRUE DO\n  DROP TABLE s;\n  BREAK;\nEND WHILE;';
    const result = inspector.inspect(script);
    expect(result.parsed).toBe(false);
    expect(found('missing_drop_temp_table', script, {})).toEqual([]);
  });

  it('refuses an operator chain too deep for the parser, and keeps working', () => {
    const deep = `SELECT 1 FROM t WHERE ${Array.from({ length: 2000 }, (_, i) => `x = ${i}`).join(' OR ')}`;
    const result = inspector.inspect(deep);
    expect(result.parsed).toBe(false);
    expect(result.error).toContain('chains 1999 operators');
    expect(inspector.inspect('SELECT * FROM crm.customers').parsed).toBe(true);
  });

  it('survives the parser crashing, with a fresh parser instance', async () => {
    // past the guard on purpose: the WebAssembly instance traps and must be replaced
    const reckless = await GoogleSqlInspector.create({ maxOperatorChain: 100_000 });
    const deep = `SELECT 1 FROM t WHERE ${Array.from({ length: 3000 }, (_, i) => `x = ${i}`).join(' OR ')}`;
    const crashed = reckless.inspect(deep);
    expect(crashed.parsed).toBe(false);
    expect(crashed.error).toContain('crashed');
    const next = reckless.inspect('SELECT * FROM crm.customers');
    expect(next.parsed).toBe(true);
    expect(next.findings.map((f) => f.rule)).toEqual(['select_star']);
  });

  it('reports positions in the original text across comments and lines', () => {
    const sql = '# header\n/* a\n   b */ SELECT\n  -- SELECT * FROM x\n  *\nFROM t';
    expect(inspector.inspect(sql).findings).toMatchObject([
      { rule: 'select_star', line: 5, column: 3 },
    ]);
  });
});
