// Import boundaries from shared/STYLE.md ("Boundaries"). Run by `npm run boundaries` (part of
// `npm test`); every rule is an error so any violation exits non-zero. Each rule has a failing
// fixture in test/architecture/boundaries.test.ts — add one there when you add a rule here.
//
// Paths are matched against what dependency-cruiser resolved, relative to the working directory:
// our files as `src/app/x.ts`, node builtins as `fs` (the `node:` prefix dropped), packages as
// `node_modules/<pkg>/…` (`…/node_modules/<pkg>/…` through a symlink) and a package that is not
// installed as its bare name (`@slack/bolt`). The package patterns cover all three forms.

/** @param {string} names alternation of package names, e.g. 'zod|date-fns' */
const pkg = (names) => `(^|node_modules/)(${names})(/|$)`;

const allowedPureDeps = pkg('zod|date-fns');
// Cloud and platform SDKs: only the adapter folder named after one may import it. The GoogleSQL
// parser counts as one: only src/adapters/sql may use it (rule sql-adapter-only-parser).
const sqlParser = '(^|node_modules/)@guanmingchiu/sqlparser-ts(/|$)';
const sdk =
  '(^|node_modules/)((@google-cloud|@slack|@duckdb)/|(pino|pino-[^/]+)(/|$)|@guanmingchiu/sqlparser-ts(/|$))';
// Builtins that do I/O or reach the process; a use case gets these through a port instead.
const ioBuiltinNames = [
  'fs',
  'path',
  'stream',
  'zlib',
  'child_process',
  'cluster',
  'dgram',
  'dns',
  'http',
  'http2',
  'https',
  'inspector',
  'net',
  'os',
  'process',
  'readline',
  'repl',
  'tls',
  'v8',
  'vm',
  'worker_threads',
];
const builtin = (names) => `^(node:)?(${names.join('|')})(/|$)`;
const demoExportWriter = '^src/app/demo-export-writer[.]ts$';
const demoExportWriterBuiltins = ['fs', 'path', 'stream', 'zlib'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain-zod-date-fns',
      comment: 'src/domain is pure types and schemas: other domain files, zod and date-fns only.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', allowedPureDeps] },
    },
    {
      name: 'analyzers-import-only-domain',
      comment:
        'Analyzers are pure (facts in, findings out): src/domain, other analyzers, zod, ' +
        'date-fns. No clients, no I/O, no node builtins.',
      severity: 'error',
      from: { path: '^analyzers/' },
      to: { pathNot: ['^analyzers/', '^src/domain/', allowedPureDeps] },
    },
    {
      name: 'app-imports-only-domain-ports-analyzers',
      comment:
        'Use cases talk to ports: they may import src/domain, src/ports, analyzers/, other use ' +
        'cases and src/errors.ts — never adapters, handlers, the CLI, config or the logger ' +
        '(inject those).',
      severity: 'error',
      from: { path: '^src/app/' },
      to: {
        dependencyTypes: ['local'],
        pathNot: ['^src/(domain|ports|app)/', '^analyzers/', '^src/errors[.]ts$'],
      },
    },
    {
      name: 'app-no-sdk',
      comment:
        'Use cases never touch an SDK (@google-cloud/*, @slack/*, @duckdb/*, pino, the SQL parser).',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: sdk },
    },
    {
      name: 'app-no-io-builtins',
      comment:
        'Use cases do I/O through ports. Only src/app/demo-export-writer.ts may use ' +
        'node:fs/path/stream/zlib (it writes the demo export files).',
      severity: 'error',
      from: { path: '^src/app/', pathNot: demoExportWriter },
      to: { dependencyTypes: ['core'], path: builtin(ioBuiltinNames) },
    },
    {
      name: 'app-demo-export-writer-builtins',
      comment: 'demo-export-writer.ts may use node:fs/path/stream/zlib and no other I/O builtin.',
      severity: 'error',
      from: { path: demoExportWriter },
      to: {
        dependencyTypes: ['core'],
        path: builtin(ioBuiltinNames.filter((name) => !demoExportWriterBuiltins.includes(name))),
      },
    },
    {
      name: 'adapter-not-to-other-adapter',
      comment: 'An adapter implements one port with one technology; it never uses another adapter.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/$1/' },
    },
    {
      name: 'adapter-imports-only-domain-ports-queries',
      comment:
        'Of our own code an adapter may import src/domain, src/ports, src/queries, ' +
        'src/errors.ts, src/logger.ts and its own folder — never app, handlers, cli, analyzers.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: {
        dependencyTypes: ['local'],
        // other adapter folders: reported by adapter-not-to-other-adapter
        pathNot: ['^src/(domain|ports|queries|adapters)/', '^src/(errors|logger)[.]ts$'],
      },
    },
    {
      name: 'adapter-only-own-sdk',
      comment:
        'An adapter folder imports only its own SDK: adapters/duckdb -> @duckdb/*, ' +
        'adapters/slack -> @slack/*, adapters/bigquery -> @google-cloud/bigquery, ' +
        'adapters/pubsub -> @google-cloud/pubsub (adapters/sql -> @guanmingchiu/sqlparser-ts: ' +
        'sql-adapter-only-parser). Logging goes through src/logger.ts.',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/', pathNot: '^src/adapters/sql/' },
      to: {
        path: sdk,
        pathNot: ['(^|node_modules/)@$1/', '(^|node_modules/)@google-cloud/$1(/|$)'],
      },
    },
    {
      name: 'sql-adapter-only-parser',
      comment:
        'adapters/sql (the GoogleSQL inspector) imports only its parser, ' +
        '@guanmingchiu/sqlparser-ts, of the SDKs.',
      severity: 'error',
      from: { path: '^src/adapters/sql/' },
      to: { path: sdk, pathNot: sqlParser },
    },
    {
      name: 'queries-import-only-domain-and-builtins',
      comment:
        'The shared SQL catalogue (src/queries) depends on src/domain and node builtins only.',
      severity: 'error',
      from: { path: '^src/queries/' },
      to: { dependencyTypesNot: ['core'], pathNot: ['^src/(queries|domain)/'] },
    },
    {
      name: 'handlers-not-to-adapters',
      comment: 'Handlers call use cases; they get adapters only as injected port implementations.',
      severity: 'error',
      from: { path: '^handlers/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'handlers-no-sql',
      comment: 'Handlers hold no SQL; queries belong to adapters via src/queries.',
      severity: 'error',
      from: { path: '^handlers/' },
      to: { path: '^src/queries/' },
    },
    {
      name: 'handlers-sdk-only-slack',
      comment: 'Handlers may use @slack/* and no other SDK; everything else goes through a port.',
      severity: 'error',
      from: { path: '^handlers/' },
      to: { path: sdk, pathNot: '(^|node_modules/)@slack/' },
    },
    {
      name: 'ports-are-contracts',
      comment: 'Ports are interfaces over domain types: no adapters, use cases, handlers or SDKs.',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: {
        path: [
          '^src/(adapters|app|cli)/',
          '^src/(index|config)[.]ts$',
          '^(handlers|analyzers)/',
          sdk,
        ],
      },
    },
    {
      name: 'adapters-only-from-composition-roots',
      comment:
        'Only the composition roots (src/index.ts, src/runtime.ts, src/cli/, bench/, test/) know which adapter ' +
        'implements which port.',
      severity: 'error',
      from: {
        pathNot: [
          '^src/index[.]ts$',
          '^src/runtime[.]ts$',
          '^src/cli/',
          '^bench/',
          '^test/',
          '^src/adapters/',
        ],
      },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'no-circular',
      comment:
        'A runtime import cycle (ESM evaluates a half-initialised module). A cycle closed only by ' +
        '`import type` edges is erased at compile time and allowed.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-dev-dep',
      comment:
        'Shipped code (src, handlers, analyzers) imports a devDependency: it will be missing in ' +
        'production. Move it to dependencies (type-only imports are fine).',
      severity: 'error',
      from: { path: '^(src|handlers|analyzers)/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only'],
        pathNot: 'node_modules/@types/',
      },
    },
    {
      name: 'not-to-test-or-bench',
      comment: 'Shipped code never imports tests, fixtures or benchmarks.',
      severity: 'error',
      from: { path: '^(src|handlers|analyzers)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-non-package-json',
      comment: 'Imports a package that is not declared in package.json (a transitive dependency?).',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Imports something that does not exist on disk (typo, or a package not installed).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    // Count `import type` too, so a type-only import of an SDK still breaks a boundary.
    tsPreCompilationDeps: true,
    // `--config` in package.json points here; the cruise roots come from the command line.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
