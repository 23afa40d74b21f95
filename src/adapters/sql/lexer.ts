// A GoogleSQL tokenizer for the few jobs the parser cannot do for us: splitting a script that
// does not parse into statements (so the ones that do parse can still be linted), placing
// keywords the syntax tree keeps no position for (ORDER BY), and measuring how deep an operator
// chain goes before the text reaches the parser (see `operatorChainDepth`). It never throws:
// an unterminated string or comment runs to the end of the text.

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'op' | 'punct';

export interface Token {
  kind: TokenKind;
  /** Upper-cased for words, as written otherwise. */
  text: string;
  start: number;
  end: number;
  /** 1-based. */
  line: number;
  column: number;
}

const isWordStart = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 64 || c > 127;
const isWordPart = (c: number) => isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDigit = (c: number) => c >= 48 && c <= 57;
// r'' raw strings, b'' bytes, rb'' / br''
const isStringPrefix = (c: number) => c === 114 || c === 82 || c === 98 || c === 66;
const twoCharOps = new Set(['<=', '>=', '<>', '!=', '||', '<<', '>>', '=>', '@@']);

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const push = (
    kind: TokenKind,
    start: number,
    end: number,
    text: string,
    l: number,
    col: number,
  ) => tokens.push({ kind, text, start, end, line: l, column: col });
  // Advances over [from, to), keeping line bookkeeping right across newlines.
  const advanceTo = (to: number) => {
    for (let k = i; k < to; k += 1) {
      if (sql.charCodeAt(k) === 10) {
        line += 1;
        lineStart = k + 1;
      }
    }
    i = to;
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 10) {
      line += 1;
      i += 1;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12) {
      i += 1;
      continue;
    }
    const startLine = line;
    const startCol = i - lineStart + 1;
    const start = i;
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0;
    // comments: -- and # to the end of the line, /* */ blocks
    if ((c === 45 && next === 45) || c === 35) {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol;
      continue;
    }
    if (c === 47 && next === 42) {
      const close = sql.indexOf('*/', i + 2);
      advanceTo(close === -1 ? n : close + 2);
      continue;
    }
    // string literals, with optional r/b prefixes
    let q = i;
    while (q < i + 2 && isStringPrefix(sql.charCodeAt(q))) q += 1;
    const quote = sql.charCodeAt(q);
    if (quote === 39 || quote === 34) {
      const triple = sql.charCodeAt(q + 1) === quote && sql.charCodeAt(q + 2) === quote;
      let k = q + (triple ? 3 : 1);
      for (; k < n; k += 1) {
        const ch = sql.charCodeAt(k);
        if (ch === 92) {
          k += 1;
          continue;
        }
        if (ch === quote) {
          if (!triple) break;
          if (sql.charCodeAt(k + 1) === quote && sql.charCodeAt(k + 2) === quote) {
            k += 2;
            break;
          }
        }
        if (ch === 10 && !triple) break;
      }
      const end = Math.min(n, k + 1);
      advanceTo(end);
      push('string', start, end, sql.slice(start, end), startLine, startCol);
      continue;
    }
    if (c === 96) {
      let k = i + 1;
      for (; k < n; k += 1) {
        const ch = sql.charCodeAt(k);
        if (ch === 92) k += 1;
        else if (ch === 96 || ch === 10) break;
      }
      const end = Math.min(n, k + 1);
      advanceTo(end);
      push('quoted', start, end, sql.slice(start, end), startLine, startCol);
      continue;
    }
    if (isWordStart(c)) {
      let k = i + 1;
      while (k < n && isWordPart(sql.charCodeAt(k))) k += 1;
      // `region-us` style dashes only inside backticks; a bare dash is an operator
      i = k;
      push('word', start, k, sql.slice(start, k).toUpperCase(), startLine, startCol);
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(next))) {
      let k = i + 1;
      while (k < n && (isWordPart(sql.charCodeAt(k)) || sql.charCodeAt(k) === 46)) k += 1;
      i = k;
      push('number', start, k, sql.slice(start, k), startLine, startCol);
      continue;
    }
    const two = sql.slice(i, i + 2);
    if (twoCharOps.has(two)) {
      i += 2;
      push('op', start, i, two, startLine, startCol);
      continue;
    }
    i += 1;
    const ch = sql[start]!;
    push('()[],;.'.includes(ch) ? 'punct' : 'op', start, i, ch, startLine, startCol);
  }
  return tokens;
}

/** A run of tokens between top-level semicolons, with where it starts in the text. */
export interface StatementSpan {
  start: number;
  end: number;
  line: number;
  column: number;
}

const blockOpeners = new Set(['BEGIN', 'ELSE', 'LOOP', 'REPEAT', 'DO', 'THEN']);
const conditionHeads = new Set(['IF', 'ELSEIF', 'WHILE', 'FOR', 'UNTIL', 'EXCEPTION', 'WHEN']);

/**
 * Splits a script at its top-level semicolons and peels the scripting keywords that open a
 * block (`BEGIN`, `IF … THEN`, `WHILE … DO`, `LOOP`, `ELSE`, `END IF` …) off each piece, so
 * that the statements inside a loop the parser cannot read can be parsed one by one.
 */
export function splitStatements(tokens: readonly Token[]): StatementSpan[] {
  const spans: StatementSpan[] = [];
  let depth = 0;
  let first = 0;
  const close = (endIndex: number) => {
    let from = first;
    // Drop `END [IF|LOOP|WHILE|REPEAT|FOR]` and block openers at the front of the piece.
    for (;;) {
      const t = tokens[from];
      if (!t || from >= endIndex) break;
      if (t.kind === 'word' && t.text === 'END') {
        from += 1;
        const kw = tokens[from];
        if (kw && kw.kind === 'word' && /^(IF|LOOP|WHILE|REPEAT|FOR)$/.test(kw.text)) from += 1;
        continue;
      }
      if (t.kind === 'word' && blockOpeners.has(t.text)) {
        const after = tokens[from + 1];
        if (t.text === 'BEGIN' && after?.kind === 'word' && after.text === 'TRANSACTION') break;
        from += 1;
        continue;
      }
      if (t.kind === 'word' && conditionHeads.has(t.text)) {
        // skip to the THEN / DO that closes the condition (IF x THEN, WHILE x DO, FOR r IN (…) DO)
        let d = 0;
        let k = from + 1;
        for (; k < endIndex; k += 1) {
          const u = tokens[k]!;
          if (u.text === '(') d += 1;
          else if (u.text === ')') d -= 1;
          else if (d === 0 && u.kind === 'word' && (u.text === 'THEN' || u.text === 'DO')) break;
        }
        if (k >= endIndex) break;
        from = k + 1;
        continue;
      }
      break;
    }
    if (from < endIndex) {
      const t = tokens[from]!;
      spans.push({
        start: t.start,
        end: tokens[endIndex - 1]!.end,
        line: t.line,
        column: t.column,
      });
    }
  };
  tokens.forEach((t, index) => {
    if (t.text === '(' || t.text === '[') depth += 1;
    else if (t.text === ')' || t.text === ']') depth = Math.max(0, depth - 1);
    else if (t.text === ';' && depth === 0) {
      close(index);
      first = index + 1;
    }
  });
  close(tokens.length);
  return spans;
}

const chainOperators = new Set([
  'AND',
  'OR',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  '+',
  '-',
  '*',
  '/',
  '||',
  '&',
  '|',
  '^',
]);

/**
 * The longest run of chained binary operators along any path of parentheses: a left-deep
 * expression (`x = 1 OR x = 2 OR …`, generated by BI tools) becomes a tree as deep as the chain,
 * and the parser's WebAssembly stack overflows while handing such a tree back (measured at
 * ~600 levels for sqlparser 0.62). Commas end a chain (select items, arguments).
 */
export function operatorChainDepth(tokens: readonly Token[]): number {
  const stack: number[] = [];
  let base = 0;
  let current = 0;
  let max = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[') {
      stack.push(base, current);
      base = current;
    } else if (t.text === ')' || t.text === ']') {
      current = stack.pop() ?? 0;
      base = stack.pop() ?? 0;
    } else if (t.text === ',' || t.text === ';') {
      current = base;
    } else if ((t.kind === 'op' || t.kind === 'word') && chainOperators.has(t.text)) {
      current += 1;
      if (current > max) max = current;
    }
  }
  return max;
}

/** The last token before (line, column) whose text is `text`, or undefined. */
export function lastTokenBefore(
  tokens: readonly Token[],
  line: number,
  column: number,
  text: string,
): Token | undefined {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const t = tokens[mid]!;
    if (t.line < line || (t.line === line && t.column < column)) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo - 1; k >= 0; k -= 1) if (tokens[k]!.text === text) return tokens[k];
  return undefined;
}
