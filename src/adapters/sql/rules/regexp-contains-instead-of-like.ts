// REGEXP_CONTAINS runs a regular-expression engine per row; when the pattern is a plain string
// (optionally anchored), LIKE does the same match for fewer slots. Google's recognizer:
// StringComparison. https://cloud.google.com/bigquery/docs/best-practices-performance-compute
import { identValue, isNode, stringLiteral, unwrap, variant } from '../ast.js';
import { type SqlRule } from './rule.js';

const metacharacters = '.^$*+?()[]{}|';

/** The LIKE pattern that matches what `pattern` matches, or null if it needs a regex. */
export function likeEquivalent(pattern: string): { like: string; exact: boolean } | null {
  let body = pattern;
  let anchoredStart = false;
  let anchoredEnd = false;
  if (body.startsWith('^')) {
    anchoredStart = true;
    body = body.slice(1);
  } else if (body.startsWith('.*')) body = body.slice(2);
  if (body.endsWith('$') && !body.endsWith('\\$')) {
    anchoredEnd = true;
    body = body.slice(0, -1);
  } else if (body.endsWith('.*') && !body.endsWith('\\.*')) body = body.slice(0, -2);
  let literal = '';
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i]!;
    if (ch === '\\') {
      const next = body[i + 1];
      // \. \- \/ are literal punctuation; \d \w \s \b are classes
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return null;
      literal += next;
      i += 1;
      continue;
    }
    if (metacharacters.includes(ch)) return null;
    literal += ch;
  }
  if (literal === '') return null;
  const escaped = literal.replace(/[\\%_]/g, (c) => `\\\\${c}`).replace(/'/g, "\\'");
  return {
    like: `${anchoredStart ? '' : '%'}${escaped}${anchoredEnd ? '' : '%'}`,
    exact: anchoredStart && anchoredEnd,
  };
}

function columnText(expr: unknown): string {
  const value = unwrap(expr);
  const ident = variant(value, 'Identifier');
  if (ident && typeof ident.value === 'string') return ident.value;
  const compound = isNode(value) ? value.CompoundIdentifier : undefined;
  if (Array.isArray(compound)) return compound.map((part) => identValue(part) ?? '?').join('.');
  return 'value';
}

export const regexpContainsInsteadOfLike: SqlRule = {
  id: 'regexp_contains_instead_of_like',
  check({ model, report }) {
    for (const call of model.calls) {
      if (call.name !== 'REGEXP_CONTAINS' || call.args.length !== 2) continue;
      const pattern = stringLiteral(unwrap(call.args[1]));
      if (pattern === undefined) continue;
      const equivalent = likeEquivalent(pattern);
      if (!equivalent) continue;
      const column = columnText(call.args[0]);
      const exactText = equivalent.like.replace(/\\\\([\\%_])/g, '$1');
      report(
        call.pos,
        equivalent.exact
          ? `REGEXP_CONTAINS with an anchored plain string is an equality: use ${column} = '${exactText}'.`
          : `REGEXP_CONTAINS with a plain-string pattern needs no regular expression: use ${column} LIKE '${equivalent.like}', which is cheaper per row.`,
      );
    }
  },
};
