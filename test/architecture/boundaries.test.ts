// Proves every rule in .dependency-cruiser.cjs can fail. A small tree with the project's folder
// names is written to a temporary directory (with fake packages in its own node_modules, so the
// result does not depend on what is installed), checked once clean and once with one violating
// file per case, through the same script `npm run boundaries` runs.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const boundariesScript = join(repoRoot, 'scripts', 'boundaries.mjs');
const roots = ['src', 'handlers', 'analyzers'];

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string; severity: string };
}
interface CruiseJson {
  modules: Array<{
    source: string;
    dependencies: Array<{ resolved: string; couldNotResolve: boolean }>;
  }>;
  summary: { violations: Violation[]; error: number; warn: number; info: number };
}
interface Run {
  exitCode: number;
  result: CruiseJson;
}

const fakePackages = {
  dependencies: [
    'zod',
    'date-fns',
    'pino',
    '@duckdb/node-api',
    '@google-cloud/bigquery',
    '@google-cloud/pubsub',
    '@slack/bolt',
    '@guanmingchiu/sqlparser-ts',
  ],
  devDependencies: ['nock'],
  // installed but not declared in package.json
  undeclared: ['left-pad'],
};

/** A tree that follows every rule, touching each allowed edge at least once. */
const cleanTree: Record<string, string> = {
  'src/domain/jobs.ts': `
    import { z } from 'zod';
    import { addDays } from 'date-fns';
    import { bytesPerTib } from './pricing.js';
    export const jobSchema = z.object({ bytesBilled: z.number() });
    export type Job = { bytesBilled: number };
    export const window = (day: Date) => addDays(day, bytesPerTib > 0 ? 1 : 0);`,
  // closes a cycle with jobs.ts through a type-only edge: erased at compile time, allowed
  'src/domain/pricing.ts': `
    import type { Job } from './jobs.js';
    export const bytesPerTib = 2 ** 40;
    export const tib = (job: Job) => job.bytesBilled / bytesPerTib;`,
  'src/errors.ts': `export class AppError extends Error {}`,
  'src/logger.ts': `import pino from 'pino'; export const logger = pino;`,
  'src/config.ts': `import { z } from 'zod'; export const configSchema = z.object({});`,
  'src/ports/warehouse.ts': `
    import type { Job } from '../domain/jobs.js';
    import type { AppError } from '../errors.js';
    export interface Warehouse { jobs(): Promise<Job[]>; failure?: AppError }`,
  'src/queries/cost.ts': `
    import { readFileSync } from 'node:fs';
    import { jobSchema } from '../domain/jobs.js';
    export const costSql = () => String(readFileSync(new URL('./cost.sql', import.meta.url)));
    export const schema = jobSchema;`,
  'analyzers/index.ts': `import { bigScan } from './big-scan.js'; export const analyzers = [bigScan];`,
  'analyzers/big-scan.ts': `
    import { differenceInDays } from 'date-fns';
    import type { Job } from '../src/domain/jobs.js';
    export const bigScan = (job: Job, now: Date) => differenceInDays(now, now) + job.bytesBilled;`,
  'src/app/run-analysis.ts': `
    import { randomUUID } from 'node:crypto';
    import type { Warehouse } from '../ports/warehouse.js';
    import { analyzers } from '../../analyzers/index.js';
    import { AppError } from '../errors.js';
    import { recordAck } from './record-ack.js';
    export const runAnalysis = async (w: Warehouse) => {
      if (!analyzers.length) throw new AppError(randomUUID());
      return recordAck(await w.jobs());
    };`,
  'src/app/record-ack.ts': `import type { Job } from '../domain/jobs.js'; export const recordAck = (jobs: Job[]) => jobs.length;`,
  'src/app/demo-export-writer.ts': `
    import { createWriteStream } from 'node:fs';
    import { join } from 'node:path';
    import { pipeline } from 'node:stream/promises';
    import { createGzip } from 'node:zlib';
    export const write = (dir: string) => pipeline(createGzip(), createWriteStream(join(dir, 'x.gz')));`,
  'src/adapters/duckdb/duckdb-warehouse.ts': `
    import { readFileSync } from 'node:fs';
    import { DuckDBInstance } from '@duckdb/node-api';
    import type { Warehouse } from '../../ports/warehouse.js';
    import { costSql } from '../../queries/cost.js';
    import { AppError } from '../../errors.js';
    import { logger } from '../../logger.js';
    import { schemaSql } from './schema.js';
    export const make = (): Partial<Warehouse> => ({ failure: new AppError(String([DuckDBInstance, readFileSync, costSql, logger, schemaSql])) });`,
  'src/adapters/duckdb/schema.ts': `export const schemaSql = 'create table t (x int)';`,
  'src/adapters/bigquery/bigquery-warehouse.ts': `import { BigQuery } from '@google-cloud/bigquery'; export const client = BigQuery;`,
  'src/adapters/pubsub/pubsub-bus.ts': `import { PubSub } from '@google-cloud/pubsub'; export const bus = PubSub;`,
  'src/adapters/slack/slack-chat.ts': `import { App } from '@slack/bolt'; export const chat = App;`,
  'src/adapters/memory/memory-warehouse.ts': `import type { Job } from '../../domain/jobs.js'; export const rows: Job[] = [];`,
  'src/adapters/sql/sql-inspector.ts': `
    import { parse } from '@guanmingchiu/sqlparser-ts';
    import type { Job } from '../../domain/jobs.js';
    export const inspect = (sql: string, _job?: Job) => parse(sql);`,
  'handlers/commands/cost.ts': `
    import type { App } from '@slack/bolt';
    import { runAnalysis } from '../../src/app/run-analysis.js';
    import type { Warehouse } from '../../src/ports/warehouse.js';
    export const costCommand = (deps: { app: App; warehouse: Warehouse }) => () => runAnalysis(deps.warehouse);`,
  'src/cli/main.ts': `
    import { make } from '../adapters/duckdb/duckdb-warehouse.js';
    import { rows } from '../adapters/memory/memory-warehouse.js';
    import { inspect } from '../adapters/sql/sql-inspector.js';
    import { runAnalysis } from '../app/run-analysis.js';
    export const main = () => [make, rows, inspect, runAnalysis];`,
  'src/index.ts': `
    import { client } from './adapters/bigquery/bigquery-warehouse.js';
    import { bus } from './adapters/pubsub/pubsub-bus.js';
    import { chat } from './adapters/slack/slack-chat.js';
    import { costCommand } from '../handlers/commands/cost.js';
    import { configSchema } from './config.js';
    export const entry = [client, bus, chat, costCommand, configSchema];`,
  // only reachable from the violating tree
  'test/fixtures/jobs.ts': `export const job = {};`,
};

interface Case {
  file: string;
  source: string;
  /** Every violation this file must cause, and no other. */
  expect: Array<{ rule: string; to: string | RegExp }>;
}

const pkgRe = (name: string) => new RegExp(`(^|node_modules/)${name}(/|$)`);
const builtinRe = (name: string) => new RegExp(`^(node:)?${name}$`);

const cases: Case[] = [
  {
    file: 'src/domain/bad-builtin.ts',
    source: `import { readFileSync } from 'node:fs'; export const x = readFileSync;`,
    expect: [{ rule: 'domain-imports-only-domain-zod-date-fns', to: builtinRe('fs') }],
  },
  {
    file: 'src/domain/bad-package.ts',
    source: `import pino from 'pino'; export const x = pino;`,
    expect: [{ rule: 'domain-imports-only-domain-zod-date-fns', to: pkgRe('pino') }],
  },
  {
    file: 'src/domain/bad-ours.ts',
    source: `import { AppError } from '../errors.js'; export const x = AppError;`,
    expect: [{ rule: 'domain-imports-only-domain-zod-date-fns', to: 'src/errors.ts' }],
  },
  {
    file: 'analyzers/bad-builtin.ts',
    source: `import { createHash } from 'node:crypto'; export const x = createHash;`,
    expect: [{ rule: 'analyzers-import-only-domain', to: builtinRe('crypto') }],
  },
  {
    file: 'analyzers/bad-port.ts',
    source: `import type { Warehouse } from '../src/ports/warehouse.js'; export type X = Warehouse;`,
    expect: [{ rule: 'analyzers-import-only-domain', to: 'src/ports/warehouse.ts' }],
  },
  {
    file: 'analyzers/bad-adapter.ts',
    source: `import { rows } from '../src/adapters/memory/memory-warehouse.js'; export const x = rows;`,
    expect: [
      { rule: 'analyzers-import-only-domain', to: 'src/adapters/memory/memory-warehouse.ts' },
      {
        rule: 'adapters-only-from-composition-roots',
        to: 'src/adapters/memory/memory-warehouse.ts',
      },
    ],
  },
  {
    file: 'src/app/bad-adapter.ts',
    source: `import { make } from '../adapters/duckdb/duckdb-warehouse.js'; export const x = make;`,
    expect: [
      {
        rule: 'app-imports-only-domain-ports-analyzers',
        to: 'src/adapters/duckdb/duckdb-warehouse.ts',
      },
      {
        rule: 'adapters-only-from-composition-roots',
        to: 'src/adapters/duckdb/duckdb-warehouse.ts',
      },
    ],
  },
  {
    file: 'src/app/bad-handler.ts',
    source: `import { costCommand } from '../../handlers/commands/cost.js'; export const x = costCommand;`,
    expect: [{ rule: 'app-imports-only-domain-ports-analyzers', to: 'handlers/commands/cost.ts' }],
  },
  {
    file: 'src/app/bad-config.ts',
    source: `import { configSchema } from '../config.js'; export const x = configSchema;`,
    expect: [{ rule: 'app-imports-only-domain-ports-analyzers', to: 'src/config.ts' }],
  },
  {
    file: 'src/app/bad-sdk-type-only.ts',
    source: `import type { BigQuery } from '@google-cloud/bigquery'; export type X = BigQuery;`,
    expect: [{ rule: 'app-no-sdk', to: pkgRe('@google-cloud/bigquery') }],
  },
  {
    file: 'src/app/bad-slack.ts',
    source: `import { App } from '@slack/bolt'; export const x = App;`,
    expect: [{ rule: 'app-no-sdk', to: pkgRe('@slack/bolt') }],
  },
  {
    file: 'src/app/bad-pino.ts',
    source: `import pino from 'pino'; export const x = pino;`,
    expect: [{ rule: 'app-no-sdk', to: pkgRe('pino') }],
  },
  {
    file: 'src/app/bad-fs.ts',
    source: `import { readFile } from 'node:fs/promises'; export const x = readFile;`,
    expect: [{ rule: 'app-no-io-builtins', to: builtinRe('fs/promises') }],
  },
  {
    file: 'src/app/bad-http.ts',
    source: `import { request } from 'https'; export const x = request;`,
    expect: [{ rule: 'app-no-io-builtins', to: builtinRe('https') }],
  },
  {
    // the exception file, with one builtin beyond its four
    file: 'src/app/demo-export-writer.ts',
    source: `${cleanTree['src/app/demo-export-writer.ts']}
    import { spawn } from 'node:child_process'; export const x = spawn;`,
    expect: [{ rule: 'app-demo-export-writer-builtins', to: builtinRe('child_process') }],
  },
  {
    file: 'src/app/cycle-a.ts',
    source: `import { b } from './cycle-b.js'; export const a = () => b;`,
    expect: [{ rule: 'no-circular', to: 'src/app/cycle-b.ts' }],
  },
  {
    file: 'src/app/cycle-b.ts',
    source: `import { a } from './cycle-a.js'; export const b = () => a;`,
    expect: [{ rule: 'no-circular', to: 'src/app/cycle-a.ts' }],
  },
  {
    file: 'src/adapters/duckdb/bad-other-adapter.ts',
    source: `import { rows } from '../memory/memory-warehouse.js'; export const x = rows;`,
    expect: [
      { rule: 'adapter-not-to-other-adapter', to: 'src/adapters/memory/memory-warehouse.ts' },
    ],
  },
  {
    file: 'src/adapters/duckdb/bad-app.ts',
    source: `import { runAnalysis } from '../../app/run-analysis.js'; export const x = runAnalysis;`,
    expect: [{ rule: 'adapter-imports-only-domain-ports-queries', to: 'src/app/run-analysis.ts' }],
  },
  {
    file: 'src/adapters/duckdb/bad-handler.ts',
    source: `import { costCommand } from '../../../handlers/commands/cost.js'; export const x = costCommand;`,
    expect: [
      { rule: 'adapter-imports-only-domain-ports-queries', to: 'handlers/commands/cost.ts' },
    ],
  },
  {
    file: 'src/adapters/duckdb/bad-cli.ts',
    source: `import { main } from '../../cli/main.js'; export const x = main;`,
    expect: [{ rule: 'adapter-imports-only-domain-ports-queries', to: 'src/cli/main.ts' }],
  },
  {
    file: 'src/adapters/duckdb/bad-foreign-sdk.ts',
    source: `import { BigQuery } from '@google-cloud/bigquery'; export const x = BigQuery;`,
    expect: [{ rule: 'adapter-only-own-sdk', to: pkgRe('@google-cloud/bigquery') }],
  },
  {
    file: 'src/adapters/bigquery/bad-sibling-sdk.ts',
    source: `import { PubSub } from '@google-cloud/pubsub'; export const x = PubSub;`,
    expect: [{ rule: 'adapter-only-own-sdk', to: pkgRe('@google-cloud/pubsub') }],
  },
  {
    file: 'src/adapters/duckdb/bad-sql-parser.ts',
    source: `import { parse } from '@guanmingchiu/sqlparser-ts'; export const x = parse;`,
    expect: [{ rule: 'adapter-only-own-sdk', to: pkgRe('@guanmingchiu/sqlparser-ts') }],
  },
  {
    file: 'src/adapters/sql/bad-sdk.ts',
    source: `import { DuckDBInstance } from '@duckdb/node-api'; export const x = DuckDBInstance;`,
    expect: [{ rule: 'sql-adapter-only-parser', to: pkgRe('@duckdb/node-api') }],
  },
  {
    file: 'src/app/bad-sql-parser.ts',
    source: `import { parse } from '@guanmingchiu/sqlparser-ts'; export const x = parse;`,
    expect: [{ rule: 'app-no-sdk', to: pkgRe('@guanmingchiu/sqlparser-ts') }],
  },
  {
    file: 'src/adapters/slack/bad-pino.ts',
    source: `import pino from 'pino'; export const x = pino;`,
    expect: [{ rule: 'adapter-only-own-sdk', to: pkgRe('pino') }],
  },
  {
    file: 'src/queries/bad-zod.ts',
    source: `import { z } from 'zod'; export const x = z;`,
    expect: [{ rule: 'queries-import-only-domain-and-builtins', to: pkgRe('zod') }],
  },
  {
    file: 'src/queries/bad-port.ts',
    source: `import type { Warehouse } from '../ports/warehouse.js'; export type X = Warehouse;`,
    expect: [{ rule: 'queries-import-only-domain-and-builtins', to: 'src/ports/warehouse.ts' }],
  },
  {
    file: 'handlers/commands/bad-adapter.ts',
    source: `import { chat } from '../../src/adapters/slack/slack-chat.js'; export const x = chat;`,
    expect: [
      { rule: 'handlers-not-to-adapters', to: 'src/adapters/slack/slack-chat.ts' },
      { rule: 'adapters-only-from-composition-roots', to: 'src/adapters/slack/slack-chat.ts' },
    ],
  },
  {
    file: 'handlers/commands/bad-sql.ts',
    source: `import { costSql } from '../../src/queries/cost.js'; export const x = costSql;`,
    expect: [{ rule: 'handlers-no-sql', to: 'src/queries/cost.ts' }],
  },
  {
    file: 'handlers/commands/bad-sdk.ts',
    source: `import { BigQuery } from '@google-cloud/bigquery'; export const x = BigQuery;`,
    expect: [{ rule: 'handlers-sdk-only-slack', to: pkgRe('@google-cloud/bigquery') }],
  },
  {
    file: 'handlers/commands/bad-dev-dep.ts',
    source: `import nock from 'nock'; export const x = nock;`,
    expect: [{ rule: 'not-to-dev-dep', to: pkgRe('nock') }],
  },
  {
    file: 'handlers/commands/bad-test-import.ts',
    source: `import { job } from '../../test/fixtures/jobs.js'; export const x = job;`,
    expect: [{ rule: 'not-to-test-or-bench', to: 'test/fixtures/jobs.ts' }],
  },
  {
    file: 'handlers/commands/bad-undeclared.ts',
    source: `import leftPad from 'left-pad'; export const x = leftPad;`,
    expect: [{ rule: 'no-non-package-json', to: pkgRe('left-pad') }],
  },
  {
    file: 'handlers/commands/bad-missing.ts',
    source: `import { gone } from './does-not-exist.js'; export const x = gone;`,
    expect: [{ rule: 'not-to-unresolvable', to: './does-not-exist.js' }],
  },
  {
    file: 'src/ports/bad-adapter.ts',
    source: `import type { rows } from '../adapters/memory/memory-warehouse.js'; export type X = typeof rows;`,
    expect: [
      { rule: 'ports-are-contracts', to: 'src/adapters/memory/memory-warehouse.ts' },
      {
        rule: 'adapters-only-from-composition-roots',
        to: 'src/adapters/memory/memory-warehouse.ts',
      },
    ],
  },
  {
    file: 'src/ports/bad-sdk.ts',
    source: `import type { DuckDBConnection } from '@duckdb/node-api'; export type X = DuckDBConnection;`,
    expect: [{ rule: 'ports-are-contracts', to: pkgRe('@duckdb/node-api') }],
  },
  {
    file: 'src/bad-root.ts',
    source: `import { client } from './adapters/bigquery/bigquery-warehouse.js'; export const x = client;`,
    expect: [
      {
        rule: 'adapters-only-from-composition-roots',
        to: 'src/adapters/bigquery/bigquery-warehouse.ts',
      },
    ],
  },
];

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), `${source.trim()}\n`);
  }
}

function makeFixture(dir: string, files: Record<string, string>): void {
  const { dependencies, devDependencies, undeclared } = fakePackages;
  const versions = (names: string[]) => Object.fromEntries(names.map((name) => [name, '1.0.0']));
  writeTree(dir, {
    'package.json': JSON.stringify({
      name: 'fixture',
      type: 'module',
      dependencies: versions(dependencies),
      devDependencies: versions(devDependencies),
    }),
    ...Object.fromEntries(
      [...dependencies, ...devDependencies, ...undeclared].flatMap((name) => [
        [
          `node_modules/${name}/package.json`,
          JSON.stringify({ name, version: '1.0.0', main: 'index.js' }),
        ],
        [`node_modules/${name}/index.js`, 'module.exports = {};'],
      ]),
    ),
    ...files,
  });
}

function runBoundaries(cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [boundariesScript, '--output-type', 'json', ...roots],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        try {
          resolve({ exitCode, result: JSON.parse(stdout) as CruiseJson });
        } catch {
          reject(new Error(`boundaries gave no JSON (exit ${exitCode}): ${stderr || stdout}`));
        }
      },
    );
  });
}

const matches = (expected: string | RegExp, actual: string) =>
  typeof expected === 'string' ? expected === actual : expected.test(actual);

describe('import boundaries (.dependency-cruiser.cjs)', () => {
  let workDir: string;
  let clean: Run;
  let violating: Run;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'bqcost-boundaries-'));
    const badFiles = Object.fromEntries(cases.map((c) => [c.file, c.source]));
    makeFixture(join(workDir, 'clean'), cleanTree);
    makeFixture(join(workDir, 'violating'), { ...cleanTree, ...badFiles });
    [clean, violating] = await Promise.all([
      runBoundaries(join(workDir, 'clean')),
      runBoundaries(join(workDir, 'violating')),
    ]);
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('passes a tree that follows every rule, with every import resolved', () => {
    expect(clean.result.summary.violations).toEqual([]);
    expect(clean.exitCode).toBe(0);
    const sources = clean.result.modules.map((m) => m.source);
    for (const file of Object.keys(cleanTree).filter((f) => !f.startsWith('test/'))) {
      expect(sources).toContain(file);
    }
    const edges = clean.result.modules.flatMap((m) => m.dependencies);
    expect(edges.filter((d) => d.couldNotResolve)).toEqual([]);
    expect(edges.some((d) => /node_modules\/@duckdb\/node-api\//.test(d.resolved))).toBe(true);
  });

  it('exits non-zero when a rule is broken', () => {
    expect(violating.exitCode).toBe(1);
    expect(violating.result.summary.error).toBeGreaterThan(0);
  });

  it.each(cases)('$file breaks $expect.0.rule', ({ file, expect: expected }) => {
    const reported = violating.result.summary.violations.filter((v) => v.from === file);
    for (const { rule, to } of expected) {
      const hit = reported.find((v) => v.rule.name === rule && matches(to, v.to));
      expect(
        hit,
        `${file} -> ${String(to)} should break ${rule}; got ${JSON.stringify(reported)}`,
      ).toBeDefined();
      expect(hit?.rule.severity).toBe('error');
    }
    // and nothing the case does not name: a rule that over-reaches fails here
    expect(reported).toHaveLength(expected.length);
  });

  it('reports violations only from the violating files', () => {
    const badFiles = new Set(cases.map((c) => c.file));
    const strays = violating.result.summary.violations.filter((v) => !badFiles.has(v.from));
    expect(strays).toEqual([]);
  });

  it('has a failing case for every rule in the config', () => {
    const require = createRequire(import.meta.url);
    const config = require(join(repoRoot, '.dependency-cruiser.cjs')) as {
      forbidden: Array<{ name: string }>;
    };
    const tested = new Set(cases.flatMap((c) => c.expect.map((e) => e.rule)));
    expect(config.forbidden.map((rule) => rule.name).filter((name) => !tested.has(name))).toEqual(
      [],
    );
  });

  it('is what `npm run boundaries` runs', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.boundaries).toBe(`node scripts/boundaries.mjs ${roots.join(' ')}`);
    expect(pkg.scripts.test).toContain('npm run boundaries');
  });
});
