import { describe, expect, it } from 'vitest';
import {
  lastTokenBefore,
  operatorChainDepth,
  splitStatements,
  tokenize,
} from '../../../src/adapters/sql/lexer.js';

const texts = (sql: string) => tokenize(sql).map((t) => t.text);
const pieces = (sql: string) =>
  splitStatements(tokenize(sql)).map((s) => sql.slice(s.start, s.end));

describe('tokenize', () => {
  it('skips every comment style and keeps strings whole', () => {
    expect(
      texts("-- a ; b\n# c\n/* d ; */ SELECT 'x;y', r\"\\\"\", '''a\n;b''' FROM `p.d;t`"),
    ).toEqual(['SELECT', "'x;y'", ',', 'r"\\""', ',', "'''a\n;b'''", 'FROM', '`p.d;t`']);
  });

  it('tracks lines and columns', () => {
    const [, second] = tokenize('SELECT\n  /* x\n */ a');
    expect(second).toMatchObject({ text: 'A', line: 3, column: 5 });
  });

  it('never throws on unterminated input', () => {
    expect(texts("SELECT 'abc")).toEqual(['SELECT', "'abc"]);
    expect(texts('SELECT /* open')).toEqual(['SELECT']);
    expect(texts('SELECT `x')).toEqual(['SELECT', '`x']);
  });
});

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    expect(pieces("SELECT ';'; SELECT (1);\n-- ;\nSELECT 2")).toEqual([
      "SELECT ';'",
      'SELECT (1)',
      'SELECT 2',
    ]);
  });

  it('peels scripting keywords off the statements inside blocks', () => {
    const script =
      'BEGIN\nIF x > 1 THEN SELECT 1; ELSE SELECT 2; END IF;\nWHILE (i < 3) DO SET i = i + 1; END WHILE;\nEND;';
    expect(pieces(script)).toEqual(['SELECT 1', 'SELECT 2', 'SET i = i + 1']);
  });

  it('keeps BEGIN TRANSACTION', () => {
    expect(pieces('BEGIN TRANSACTION; COMMIT;')).toEqual(['BEGIN TRANSACTION', 'COMMIT']);
  });
});

describe('operatorChainDepth', () => {
  it.each([
    ['SELECT a FROM t', 0],
    ['SELECT a + b, c + d FROM t', 1],
    ['SELECT 1 WHERE a = 1 OR a = 2 OR a = 3', 2],
    ['SELECT 1 WHERE a AND (b OR c OR (d AND e))', 4],
    ['SELECT f(a + b, c) WHERE x AND y', 1],
  ])('%s → %i', (sql, depth) => {
    expect(operatorChainDepth(tokenize(sql))).toBe(depth);
  });
});

describe('lastTokenBefore', () => {
  it('finds the keyword before a position', () => {
    const tokens = tokenize('SELECT a FROM t\nORDER BY a');
    expect(lastTokenBefore(tokens, 2, 10, 'ORDER')).toMatchObject({ line: 2, column: 1 });
    expect(lastTokenBefore(tokens, 1, 5, 'ORDER')).toBeUndefined();
  });
});
