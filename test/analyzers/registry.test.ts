import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzers } from '../../analyzers/index.js';
import { recommendationKinds } from '../../src/domain/analysis.js';
import type { Analyzer } from '../../src/domain/context.js';

// One analyzer = one file analyzers/<id>.ts + one test test/analyzers/<id>.test.ts + one line in
// the registry. This fails when any of the three is missing or an id differs from its file name.

const dir = new URL('../../analyzers/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.slice(0, -3))
  .sort();

function isAnalyzer(value: unknown): value is Analyzer {
  return typeof value === 'object' && value !== null && 'id' in value && 'analyze' in value;
}

/** The comment lines (// or a block) before the first line of code. */
function headerComment(source: string): string {
  const header: string[] = [];
  let inBlock = false;
  for (const line of source.split('\n')) {
    const text = line.trim();
    if (inBlock || text.startsWith('/*')) {
      header.push(text);
      inBlock = !text.includes('*/');
    } else if (text.startsWith('//') || text === '') header.push(text);
    else break;
  }
  return header.join('\n');
}

describe('analyzer registry', () => {
  it('lists every analyzer file once, sorted by id', () => {
    const ids = analyzers.map((a) => a.id);
    expect(ids).toEqual(files);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(files)(
    '%s: exports an analyzer whose id is its file name, registered, tested, documented',
    async (file) => {
      const module = (await import(new URL(`${file}.ts`, dir).href)) as Record<string, unknown>;
      const exported = Object.values(module).filter(isAnalyzer);
      expect(exported.map((a) => a.id)).toEqual([file]);
      expect(analyzers).toContain(exported[0]);
      expect(
        existsSync(new URL(`../../test/analyzers/${file}.test.ts`, import.meta.url)),
        `test/analyzers/${file}.test.ts`,
      ).toBe(true);
      const source = readFileSync(new URL(`${file}.ts`, dir), 'utf8');
      expect(headerComment(source), 'a header comment that links the docs').toContain('https://');
    },
  );

  it('has no test file without an analyzer', () => {
    const tests = readdirSync(new URL('./', import.meta.url))
      .filter((f) => f.endsWith('.test.ts') && f !== 'registry.test.ts')
      .map((f) => f.slice(0, -'.test.ts'.length));
    expect(tests.filter((t) => !files.includes(t))).toEqual([]);
  });

  it('declares only kinds of the offline contract', () => {
    for (const analyzer of analyzers) {
      for (const kind of analyzer.kinds) expect(recommendationKinds).toContain(kind);
    }
  });
});
