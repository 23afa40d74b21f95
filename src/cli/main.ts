import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { analyzers } from '../../analyzers/index.js';
import { DuckDbWarehouse } from '../adapters/duckdb/duckdb-warehouse.js';
import { runAnalysis, type RunAnalysisDeps } from '../app/run-analysis.js';
import { writeDemoExports } from '../app/demo-export-writer.js';
import { loadConfig, type Config } from '../config.js';
import type { PricingContext } from '../domain/pricing.js';
import { startOfUtcDay } from '../domain/timestamps.js';
import { badInput, isAppError } from '../errors.js';
import * as args from './args.js';
import { backupCommand, restoreCommand } from './backup.js';
import { createInspector } from './compose.js';
import { startLocalStack } from './local-stack.js';
import { localSecret, sendLocalCommand } from './slack-local.js';
import { lint } from './lint.js';
import { manifestCommand, manifestHelp } from './manifest.js';
import { loadExports } from './load.js';
import { loadPricing } from './pricing.js';
import { progress } from './progress.js';
import { renderAnalyzeText, renderReport } from './render-report.js';

const usage = `bqcost — BigQuery cost intelligence

Usage: bqcost <command> [options]

Commands:
  analyze   price and attribute INFORMATION_SCHEMA exports (the offline contract)
  report    a readable terminal report of spend, top spenders, trend and movers
  import    load exports into the embedded warehouse (${'.bqcost/bqcost.duckdb'})
  demo      write a realistic demo organisation's exports
  start     the embedded default: seed the demo organisation if empty, then report
  lint      lint GoogleSQL files for cost antipatterns, offline
  slack     send a signed /bqcost command to the local Slack receiver (npm start)
  backup    copy every table of the embedded warehouse to a directory (Parquet)
  restore   restore such a backup into the embedded warehouse
  manifest  print manifest.yml with the request URLs of one environment

Run "bqcost <command> --help" for a command's options.
Exit codes: 0 ok, 1 internal error, 2 bad input.
`;

const windowOptions = {
  'as-of': { type: 'string' },
  'window-days': { type: 'string' },
  region: { type: 'string' },
  pricing: { type: 'string' },
} as const;

const help: Record<string, string> = {
  manifest: manifestHelp,
  analyze: `Usage: bqcost analyze --from <dir> [--as-of <timestamp>] [--window-days <n>] [--format json|text] [--strict]

Analyzes exports in <dir> named after their views: jobs.* (required), table_storage.*,
schemata_options.*, reservations_timeline.* — .jsonl, .ndjson, .json (array) or .parquet, optionally .gz.
The window is [as-of − window-days, as-of).

  --from <dir>          export directory (required)
  --as-of <timestamp>   window end (exclusive); default: the end of the UTC day of the latest job
  --window-days <n>     window length in days (default 30)
  --format json|text    output format (default json)
  --strict              fail on the first unreadable row instead of skipping it
  --region <location>   price list region (default $BQCOST_REGION or us)
  --pricing <file>      JSON file overriding prices (see README)
`,
  report: `Usage: bqcost report [--from <dir>] [--as-of <timestamp>] [--window-days <n>] [--top <n>]

Prints totals, top users/projects/labels/query patterns/tables, day-by-day spend with a sparkline,
and the top movers against the previous period of the same length.
Reads the exports in --from, or the embedded warehouse (--db, default $BQCOST_DB) when no --from is given.

  --from <dir>          export directory to analyze instead of the embedded warehouse
  --db <path>           embedded warehouse file (default .bqcost/bqcost.duckdb)
  --as-of, --window-days, --region, --pricing, --strict   as for analyze
  --top <n>             rows per table (default 10)
`,
  import: `Usage: bqcost import --from <dir> [--db <path>] [--strict]

Loads every export in <dir> into the embedded warehouse, replacing what it held.
Rows that cannot be read are skipped and listed (or fatal with --strict).
`,
  demo: `Usage: bqcost demo --out <dir> [--seed <n>] [--days <n>] [--jobs-per-day <n>] [--end <date>]

Writes a deterministic demo organisation's exports (jobs, table_storage, schemata_options,
reservations_timeline) plus demo-truth.json describing the waste planted in it.

  --seed <n>            random seed (default 42)
  --days <n>            days of history (default 60)
  --jobs-per-day <n>    average jobs per day (default 800)
  --end <date>          exclusive end day (default: today, UTC)
`,
  slack: `Usage: bqcost slack [--user <U…>] [--channel <C…>] [--url <receiver url>] "<text>"

Sends "/bqcost <text>" to the local Slack receiver started by npm start, signed like Slack signs
requests (SLACK_SIGNING_SECRET, or the local secret npm start keeps beside the database), and
prints the answer. Examples: bqcost slack "summary 7d" · bqcost slack "top users" · bqcost slack help

  --user <id>      the Slack user asking (default U0LOCAL01)
  --channel <id>   the channel it is asked in (default C0FINOPS00)
  --url <url>      default http://localhost:$BQCOST_SLACK_PORT/slack/events
`,
  start: `Usage: bqcost start [--db <path>] [--reseed] [--once] [--window-days <n>]

The whole system on this machine, no cloud account needed:
  1. creates the embedded warehouse (DuckDB) and seeds the demo organisation when it is empty
     (or with --reseed; set BQCOST_DATA_DIR to use your own exports instead), prints the report;
  2. runs the analysis worker, the notifier, the daily digest and the escalation ticks through the
     same handlers as the Cloud Functions, over an in-process bus (or the Pub/Sub emulator when
     PUBSUB_EMULATOR_HOST is set);
  3. serves the Slack receiver on http://localhost:$BQCOST_SLACK_PORT/slack/events (default 3000)
     until Ctrl-C. Try it with: npx bqcost slack "summary 7d".
Without SLACK_BOT_TOKEN, Slack messages go to a transcript: readable in the terminal, Block Kit
JSON in .bqcost/transcript.jsonl. With SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET it posts to your
workspace. Logs (Cloud Logging JSON) go to .bqcost/bqcost.log.

  --once              run the loop and exit instead of serving the receiver
  --reseed            regenerate the demo organisation
  --window-days <n>   analysis window (default 30)
`,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    process.stdout.write('bqcost 0.1.0\n');
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'analyze':
      return analyze(rest, config);
    case 'report':
      return report(rest, config);
    case 'import':
      return importCommand(rest, config);
    case 'demo':
      return demo(rest);
    case 'lint':
      return lint(rest);
    case 'start':
      return start(rest, config);
    case 'slack':
      return slack(rest, config);
    case 'backup':
      return backupCommand(rest, config);
    case 'restore':
      return restoreCommand(rest, config);
    case 'manifest':
      return manifestCommand(rest);
    default:
      process.stderr.write(`bqcost: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

async function analysisDeps(
  warehouse: DuckDbWarehouse,
  pricing: PricingContext,
): Promise<RunAnalysisDeps> {
  return { warehouse, pricing, inspector: await createInspector(), analyzers };
}

function wantsHelp(command: string, values: { help?: boolean | undefined }): boolean {
  if (values.help) process.stdout.write(help[command] ?? usage);
  return Boolean(values.help);
}

async function analyze(argv: string[], config: Config): Promise<number> {
  const { values } = args.parse('analyze', argv, {
    from: { type: 'string' },
    format: { type: 'string' },
    strict: { type: 'boolean' },
    ...windowOptions,
  });
  if (wantsHelp('analyze', values)) return 0;
  const from = args.required('from', 'analyze', values.from);
  const format = args.oneOf('format', values.format, ['json', 'text'], 'json');
  const windowDays = args.positiveInt('window-days', values['window-days'], 30, 180);
  const asOf = args.timestamp('as-of', values['as-of']);
  const pricing = loadPricing(
    values.region ?? config.BQCOST_REGION,
    values.pricing ?? config.BQCOST_PRICING_FILE,
  );
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    const loaded = await loadExports(warehouse, from, { strict: Boolean(values.strict) });
    const analysis = await runAnalysis(await analysisDeps(warehouse, pricing), {
      asOf,
      windowDays,
      warnings: loaded.warnings,
      comparePrevious: format === 'text',
    });
    process.stdout.write(
      format === 'json'
        ? `${JSON.stringify(analysis.result, null, 2)}\n`
        : `${renderAnalyzeText(analysis)}\n`,
    );
    return 0;
  } finally {
    await warehouse.close();
  }
}

async function report(argv: string[], config: Config): Promise<number> {
  const { values } = args.parse('report', argv, {
    from: { type: 'string' },
    db: { type: 'string' },
    top: { type: 'string' },
    strict: { type: 'boolean' },
    ...windowOptions,
  });
  if (wantsHelp('report', values)) return 0;
  const windowDays = args.positiveInt('window-days', values['window-days'], 30, 180);
  const top = args.positiveInt('top', values.top, 10, 1000);
  const asOf = args.timestamp('as-of', values['as-of']);
  const pricing = loadPricing(
    values.region ?? config.BQCOST_REGION,
    values.pricing ?? config.BQCOST_PRICING_FILE,
  );
  const warehouse = await DuckDbWarehouse.open(
    values.from ? ':memory:' : (values.db ?? config.BQCOST_DB),
  );
  try {
    let warnings: string[] = [];
    if (values.from)
      warnings = (await loadExports(warehouse, values.from, { strict: Boolean(values.strict) }))
        .warnings;
    else if ((await warehouse.rowCount('jobs')) === 0) {
      process.stderr.write(
        'bqcost report: the embedded warehouse holds no jobs yet; run "bqcost import --from <dir>" or "npm start"\n',
      );
      return 2;
    }
    const analysis = await runAnalysis(await analysisDeps(warehouse, pricing), {
      asOf,
      windowDays,
      warnings,
    });
    process.stdout.write(`${renderReport(analysis, { top })}\n`);
    return 0;
  } finally {
    await warehouse.close();
  }
}

async function importCommand(argv: string[], config: Config): Promise<number> {
  const { values } = args.parse('import', argv, {
    from: { type: 'string' },
    db: { type: 'string' },
    strict: { type: 'boolean' },
  });
  if (wantsHelp('import', values)) return 0;
  const from = args.required('from', 'import', values.from);
  const db = values.db ?? config.BQCOST_DB;
  const warehouse = await DuckDbWarehouse.open(db);
  try {
    const loaded = await loadExports(warehouse, from, { strict: Boolean(values.strict) });
    for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
    const jobs = await warehouse.rowCount('jobs');
    process.stdout.write(`imported ${jobs.toLocaleString('en-US')} jobs into ${db}\n`);
    return 0;
  } finally {
    await warehouse.close();
  }
}

interface DemoArgs {
  out: string;
  seed: number;
  days: number;
  jobsPerDay: number;
  end: Date;
}

async function demo(argv: string[]): Promise<number> {
  const { values } = args.parse('demo', argv, {
    out: { type: 'string' },
    seed: { type: 'string' },
    days: { type: 'string' },
    'jobs-per-day': { type: 'string' },
    end: { type: 'string' },
  });
  if (wantsHelp('demo', values)) return 0;
  const options: DemoArgs = {
    out: args.required('out', 'demo', values.out),
    seed: args.nonNegativeInt('seed', values.seed, 42),
    days: args.positiveInt('days', values.days, 60, 400),
    jobsPerDay: args.positiveInt('jobs-per-day', values['jobs-per-day'], 800, 1_000_000),
    end: startOfUtcDay(args.timestamp('end', values.end) ?? new Date()),
  };
  await writeDemo(options);
  return 0;
}

async function writeDemo(options: DemoArgs): Promise<void> {
  const expected = options.days * options.jobsPerDay;
  const bar = progress(`generating the demo organisation in ${options.out}`);
  const written = await writeDemoExports(
    options.out,
    { seed: options.seed, days: options.days, jobsPerDay: options.jobsPerDay, end: options.end },
    (jobs) => bar.update(jobs, expected),
  );
  bar.done(
    `demo organisation: ${written.jobs.toLocaleString('en-US')} jobs in ${written.files.length} files under ${options.out}`,
  );
}

async function slack(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = args.parse('slack', argv, {
    user: { type: 'string' },
    channel: { type: 'string' },
    url: { type: 'string' },
  });
  if (wantsHelp('slack', values)) return 0;
  const text = positionals.join(' ').trim();
  if (text === '') {
    throw badInput(
      'args.missing',
      'bqcost slack: give the command text, e.g. bqcost slack "summary 7d"',
    );
  }
  const answer = await sendLocalCommand(localSecret(config), {
    text,
    url: values.url ?? `http://localhost:${config.BQCOST_SLACK_PORT}/slack/events`,
    user: values.user ?? 'U0LOCAL01',
    channel: values.channel ?? 'C0FINOPS00',
    team: config.SLACK_TEAM_ID,
  });
  process.stdout.write(`${answer.text}\n`);
  return answer.status === 200 ? 0 : 1;
}

async function start(argv: string[], config: Config): Promise<number> {
  const { values } = args.parse('start', argv, {
    db: { type: 'string' },
    reseed: { type: 'boolean' },
    once: { type: 'boolean' },
    ...windowOptions,
  });
  if (wantsHelp('start', values)) return 0;
  const db = values.db ?? config.BQCOST_DB;
  const pricing = loadPricing(
    values.region ?? config.BQCOST_REGION,
    values.pricing ?? config.BQCOST_PRICING_FILE,
  );
  const warehouse = await DuckDbWarehouse.open(db);
  try {
    let warnings: string[] = [];
    if (config.BQCOST_DATA_DIR) {
      warnings = (await loadExports(warehouse, config.BQCOST_DATA_DIR, { strict: false })).warnings;
    } else if (values.reseed || (await warehouse.rowCount('jobs')) === 0) {
      const dir = join(resolve(db, '..'), 'demo');
      if (values.reseed || !existsSync(join(dir, 'jobs.jsonl'))) {
        await writeDemo({
          out: dir,
          seed: 42,
          days: 60,
          jobsPerDay: 800,
          end: startOfUtcDay(new Date()),
        });
      }
      warnings = (await loadExports(warehouse, dir, { strict: false })).warnings;
    }
    const asOf = args.timestamp('as-of', values['as-of']);
    const windowDays = args.positiveInt('window-days', values['window-days'], 30, 180);
    const analysis = await runAnalysis(await analysisDeps(warehouse, pricing), {
      asOf,
      windowDays,
      warnings,
    });
    process.stdout.write(`${renderReport(analysis, { top: 10 })}\n`);
    const stack = await startLocalStack({
      config,
      warehouse,
      write: (text) => process.stdout.write(text),
      windowEnd: new Date(analysis.result.window.end),
      windowDays,
      stateDir: dirname(db),
      demo: !config.BQCOST_DATA_DIR,
      serve: !values.once,
    });
    const where = stack.transcriptFile
      ? `Slack output: the transcript above; Block Kit JSON in ${stack.transcriptFile}`
      : 'Slack output: posted to your workspace';
    process.stdout.write(`\n${where}. Logs: ${join(dirname(db), 'bqcost.log')}.\n`);
    if (!stack.url && !stack.socketMode) {
      await stack.close();
      return 0;
    }
    process.stdout.write(
      stack.url
        ? `Slack receiver: ${stack.url} (signed with ${config.SLACK_SIGNING_SECRET ? 'SLACK_SIGNING_SECRET' : `the local secret in ${join(dirname(db), 'local-signing-secret')}`}).\n` +
            `Try: npx bqcost slack "summary 7d"   ·   Ctrl-C stops everything.\n`
        : 'Try /bqcost help in your workspace   ·   Ctrl-C stops everything.\n',
    );
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stdout.write('\nStopping…\n');
    await stack.close();
    return 0;
  } finally {
    await warehouse.close();
  }
}

function debugEnabled(): boolean {
  try {
    return Boolean(loadConfig().BQCOST_DEBUG);
  } catch {
    return false;
  }
}

// `bqcost analyze … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isAppError(error) && !error.retryable && error.code !== 'internal') {
      process.stderr.write(`bqcost: ${error.userMessage}\n`);
      process.exitCode = error.code.startsWith('warehouse.') ? 1 : 2;
      return;
    }
    process.stderr.write(
      `bqcost: internal error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    if (debugEnabled()) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    process.exitCode = 1;
  },
);
