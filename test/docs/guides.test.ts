import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README and the guides stay true to the code: every setting src/config.ts reads is in the
// README's Configuration table (and nothing else is), and every relative link resolves.

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Keys of the env schema: `  NAME: z…` at the object's first indentation level. */
function configSettings(source: string): string[] {
  return [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!).sort();
}

/** First-column variables of the README's Configuration table. */
function documentedSettings(readme: string): string[] {
  const start = readme.indexOf('## Configuration');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!).sort();
}

/** Relative link targets (no scheme, no pure anchors), without their #fragment. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/#.*$/, ''));
}

describe('README configuration table', () => {
  it('lists exactly the settings src/config.ts reads', () => {
    const settings = configSettings(read('src/config.ts'));
    expect(settings.length).toBeGreaterThanOrEqual(20);
    expect(documentedSettings(read('README.md'))).toEqual(settings);
  });

  it('would notice a missing or an extra row', () => {
    const readme =
      '## Configuration\n\n| `A_ONE` | x |\n| `B_TWO` | y |\n\n## Next\n| `C_NOT` | z |\n';
    expect(documentedSettings(readme)).toEqual(['A_ONE', 'B_TWO']);
    expect(
      configSettings('const s = z.object({\n  A_ONE: z.string(),\n    NESTED: 1,\n});'),
    ).toEqual(['A_ONE']);
  });
});

describe.each(['README.md', 'docs/deploy.md', 'docs/operations.md'])('%s', (file) => {
  it('links only to files that exist', () => {
    const links = relativeLinks(read(file));
    expect(links.length).toBeGreaterThan(0);
    const missing = links.filter((link) => !existsSync(join(root, dirname(file), link)));
    expect(missing).toEqual([]);
  });
});

describe('relativeLinks', () => {
  it('keeps relative paths, drops URLs and anchors', () => {
    expect(
      relativeLinks(
        '[a](docs/x.md) [b](https://e.com) [c](#top) [d](runbooks/y.md#step) <https://z>',
      ),
    ).toEqual(['docs/x.md', 'runbooks/y.md']);
  });
});
