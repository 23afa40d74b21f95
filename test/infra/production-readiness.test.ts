// docs/production-readiness.md: every checked item points at proof that exists (a file, and for
// quoted test titles, that test), and every unchecked item says what is missing.
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoPathExists } from './hcl.js';

interface Item {
  checked: boolean;
  text: string;
}

function items(markdown: string): Item[] {
  const found: Item[] = [];
  for (const line of markdown.split('\n')) {
    const start = /^- \[( |x)\] (.*)$/.exec(line);
    if (start) found.push({ checked: start[1] === 'x', text: start[2]! });
    else if (found.length > 0 && /^ {2}\S/.test(line))
      found[found.length - 1]!.text += ` ${line.trim()}`;
  }
  return found;
}

const pathPattern = /`((?:test|infra|docs|src|handlers|\.github|\.ci)\/[^`\s]*|manifest\.yml)`/g;

/** Problems with one item: missing files, unknown test titles, no proof, TODO without detail. */
function itemProblems(
  item: Item,
  exists: (path: string) => boolean,
  read: (path: string) => string,
): string[] {
  const problems: string[] = [];
  const paths = [...item.text.matchAll(pathPattern)].map((m) => m[1]!);
  // An open item may name the file that is missing; a checked one may not.
  for (const path of item.checked ? paths : []) {
    if (!exists(path.replace(/\/$/, ''))) problems.push(`${path} does not exist`);
  }
  // `test/x.test.ts` ("title", "other title …"): each title is a test in that file.
  for (const match of item.text.matchAll(/`(test\/[^`]+\.test\.ts)`\s*\(([^)]*)\)/g)) {
    const file = match[1]!;
    if (!exists(file)) continue;
    const source = read(file);
    for (const title of match[2]!.matchAll(/"([^"]+)"/g)) {
      const prefix = title[1]!.replace(/\s*…$/, '');
      if (!source.includes(prefix)) problems.push(`${file} has no test "${prefix}"`);
    }
  }
  if (item.checked && paths.length === 0) problems.push('checked without any proof');
  if (!item.checked && !/\*\*TODO/.test(item.text)) problems.push('unchecked without TODO');
  if (!item.checked && !/Missing|missing/.test(item.text))
    problems.push('TODO does not say what is missing');
  return problems.map((p) => `${item.text.slice(0, 60)}…: ${p}`);
}

describe('production-readiness checklist', () => {
  const list = items(readRepoFile('docs/production-readiness.md'));

  it('has items, checked and open', () => {
    expect(list.filter((i) => i.checked).length).toBeGreaterThanOrEqual(15);
  });

  it('every item links to proof that exists, and every open item says what is missing', () => {
    expect(list.flatMap((item) => itemProblems(item, repoPathExists, readRepoFile))).toEqual([]);
  });

  it('reports a dead link, an unknown test title, an unproven item and a vague TODO', () => {
    const broken = items(
      [
        '- [x] **A.** Proof: `test/infra/policy.test.ts` ("a test that does not exist").',
        '- [x] **B.** Proof: `infra/modules/nowhere/main.tf`.',
        '- [x] **C.** Trust me.',
        '- [ ] **D.** Later.',
      ].join('\n'),
    );
    const problems = broken.flatMap((item) => itemProblems(item, repoPathExists, readRepoFile));
    expect(problems.join('\n')).toMatch(/has no test "a test that does not exist"/);
    expect(problems.join('\n')).toMatch(/infra\/modules\/nowhere\/main.tf does not exist/);
    expect(problems.join('\n')).toMatch(/checked without any proof/);
    expect(problems.join('\n')).toMatch(/unchecked without TODO/);
    expect(problems.join('\n')).toMatch(/TODO does not say what is missing/);
  });
});
