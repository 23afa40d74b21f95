import { describe, expect, it } from 'vitest';
import {
  comparedToSubquery,
  formatBytes,
  formatUsd,
  isDateLikeColumn,
  isIdLikeColumn,
  readsByTable,
} from '../../src/domain/pattern-costs.js';
import { context, GiB, pattern, tableFact, TiB } from '../fixtures/context.js';

describe('column names', () => {
  it.each([
    'event_date',
    'order_date',
    'kpi_date',
    'event_ts',
    'ingest_ts',
    'updated_at',
    'week_start',
    'fiscal_month',
    '_PARTITIONTIME',
    'orderdate',
    'created_timestamp',
  ])('%s looks like a date', (name) => expect(isDateLikeColumn(name)).toBe(true));

  it.each(['lifetime_orders', 'tenure_days', 'status', 'event_name', 'customer_id', 'split'])(
    '%s does not look like a date',
    (name) => expect(isDateLikeColumn(name)).toBe(false),
  );

  it.each(['customer_id', 'user_id', 'session_id', 'sku', 'email', 'customerId', 'api_key'])(
    '%s looks like an id',
    (name) => expect(isIdLikeColumn(name)).toBe(true),
  );

  it.each(['segment', 'status', 'bucket', 'event_name', 'paid', 'valid'])(
    '%s does not look like an id',
    (name) => expect(isIdLikeColumn(name)).toBe(false),
  );
});

describe('comparedToSubquery', () => {
  it.each([
    ['WHERE c.customer_id IN (\n  SELECT o.customer_id FROM o)', true],
    ['WHERE order_date = (SELECT MAX(order_date) FROM t)', true],
    ['WHERE order_date IN ( WITH x AS (SELECT 1) SELECT * FROM x)', true],
    ['WHERE customer_id IN (1, 2, 3) AND x IN (SELECT 1)', false],
    ['WHERE my_customer_id IN (SELECT 1)', false],
  ])('%s → %s', (sql, expected) => {
    expect(comparedToSubquery(sql, 'customer_id') || comparedToSubquery(sql, 'order_date')).toBe(
      expected,
    );
  });
});

describe('readsByTable', () => {
  it('splits a join by table size and by the runs that read each table, and sorts by bytes', () => {
    const reads = readsByTable(
      context({
        tables: [
          tableFact({ table: 'p.d.big', totalLogicalBytes: 300 * GiB }),
          tableFact({ table: 'p.d.small', totalLogicalBytes: 100 * GiB }),
        ],
        patterns: [
          pattern({
            hash: 'join',
            runs: 10,
            onDemandBytesBilled: 8 * TiB,
            referencedTables: [
              { table: 'p.d.big', runs: 10 },
              { table: 'p.d.small', runs: 5 },
            ],
          }),
          pattern({
            hash: 'solo',
            onDemandBytesBilled: 2 * TiB,
            referencedTables: [{ table: 'p.d.small', runs: 10 }],
          }),
        ],
      }),
    );
    expect(reads.get('p.d.big')!.map((r) => [r.pattern.hash, r.share])).toEqual([['join', 0.75]]);
    expect(reads.get('p.d.small')!.map((r) => [r.pattern.hash, r.onDemandBytesBilled])).toEqual([
      ['solo', 2 * TiB],
      ['join', 8 * TiB * 0.25 * 0.5],
    ]);
  });

  it('splits evenly when a table size is unknown, and keeps unparsed SQL as null', () => {
    const reads = readsByTable(
      context({
        patterns: [
          pattern({
            hash: 'join',
            referencedTables: [
              { table: 'p.d.a', runs: 10 },
              { table: 'p.d.b', runs: 10 },
            ],
          }),
        ],
        sql: [{ hash: 'join', parsed: false, findings: [], filters: [], joins: [] }],
      }),
    );
    expect(reads.get('p.d.a')![0]!.share).toBe(0.5);
    expect(reads.get('p.d.a')![0]!.sql).toBeNull();
  });

  it('puts filters on the table they name, and keeps unattributable aliases apart', () => {
    const reads = readsByTable(
      context({
        patterns: [
          pattern({
            hash: 'join',
            referencedTables: [
              { table: 'p.d.a', runs: 10 },
              { table: 'p.d.b', runs: 10 },
            ],
          }),
        ],
        sql: [
          {
            hash: 'join',
            parsed: true,
            findings: [],
            filters: [
              { table: 'p.d.a', column: 'x', op: 'eq' },
              { table: 'd.b', column: 'y', op: 'eq' },
              { table: '`p.d.b`', column: 'z', op: 'eq' },
              { table: 'alias', column: 'w', op: 'eq' },
            ],
            joins: [],
          },
        ],
      }),
    );
    const a = reads.get('p.d.a')![0]!;
    const b = reads.get('p.d.b')![0]!;
    expect(a.filters.map((f) => f.column)).toEqual(['x']);
    expect(b.filters.map((f) => f.column)).toEqual(['y', 'z']);
    expect(a.ambiguousFilters.map((f) => f.column)).toEqual(['w']);
  });
});

describe('formatting', () => {
  it.each([
    [6481.47, '$6,481'],
    [1234567.4, '$1,234,567'],
    [218.75, '$219'],
    [99.5, '$99.50'],
    [0.16, '$0.16'],
  ])('formatUsd(%s) = %s', (usd, text) => expect(formatUsd(usd)).toBe(text));

  it.each([
    [36 * TiB, '36 TiB'],
    [4.4508 * TiB, '4.45 TiB'],
    [320 * GiB, '320 GiB'],
    [10 * 2 ** 20, '10 MiB'],
    [1536 * TiB, '1.5 PiB'],
  ])('formatBytes(%s) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});
