// The top-level layout from shared/STYLE.md and the package facts the CLI and CI rely on.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  type?: string;
  bin?: Record<string, string>;
  engines?: { node?: string };
};

/** The lowest major a semver range admits, over its `||` alternatives (`>=20.12 || 22` -> 20). */
function lowestMajor(range: string): number {
  const majors = range.split('||').map((part) => {
    const match = /(\d+)/.exec(part.replace(/<=?\s*[\d.x*]+/g, ''));
    return match ? Number(match[1]) : 0;
  });
  return Math.min(...majors);
}

describe('repository layout', () => {
  it.each(['src', 'handlers', 'analyzers', 'infra', 'test'])('has the %s/ folder', (dir) => {
    const path = join(repoRoot, dir);
    expect(existsSync(path) && statSync(path).isDirectory(), `${dir}/ is missing`).toBe(true);
  });

  it.each(['package.json', 'tsconfig.json', 'README.md'])('has %s', (file) => {
    expect(existsSync(join(repoRoot, file)), `${file} is missing`).toBe(true);
  });
});

describe('package.json', () => {
  it('is an ES module package', () => {
    expect(pkg.type).toBe('module');
  });

  it('declares the bqcost command as an executable node script', () => {
    expect(pkg.bin?.bqcost).toBe('bin/bqcost.js');
    const bin = join(repoRoot, pkg.bin!.bqcost!);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
  });

  it('requires Node 20 or later', () => {
    expect(pkg.engines?.node).toBeTypeOf('string');
    expect(lowestMajor(pkg.engines!.node!)).toBeGreaterThanOrEqual(20);
  });

  it('admits the Node this suite runs on', () => {
    expect(lowestMajor(pkg.engines!.node!)).toBeLessThanOrEqual(
      Number(process.versions.node.split('.')[0]),
    );
  });
});
