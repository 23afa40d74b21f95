// `npm run bench`: generate N jobs, then time import + attribution against the floor (a bare
// DuckDB scan-and-group of the same file), each in its own process. Prints numbers; asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemoExports } from '../src/app/demo-export-writer.js';
import { generateJobs, type DemoOptions } from '../src/app/demo-org.js';
import { benchAckLatency } from './ack-latency.js';
import { benchLint } from './lint.js';

const jobs = Number(process.env.BENCH_JOBS ?? 1_000_000);
const days = 60;
const dir = mkdtempSync(join(tmpdir(), 'bqcost-bench-'));
const phaseScript = fileURLToPath(new URL('./phase.ts', import.meta.url));

function runPhase(phase: string): Record<string, number> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', phaseScript, phase, dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

const fmt = (n: number) => n.toLocaleString('en-US');
try {
  process.stdout.write(`bqcost bench — ${fmt(jobs)} jobs, ${days} days, node ${process.version}\n`);
  // The generator's weekly rhythm makes the count differ from days × jobsPerDay: calibrate once.
  const base: DemoOptions = {
    seed: 7,
    days,
    jobsPerDay: Math.ceil(jobs / days),
    end: new Date('2026-11-01T00:00:00Z'),
  };
  let nominal = 0;
  for (const _ of generateJobs(base)) nominal += 1;
  const options = { ...base, jobsPerDay: Math.round((base.jobsPerDay * jobs) / nominal) };
  const genStart = performance.now();
  const written = await writeDemoExports(dir, options);
  const genMs = performance.now() - genStart;
  const size = statSync(join(dir, 'jobs.jsonl')).size;
  process.stdout.write(
    `generate      ${fmt(written.jobs)} jobs, ${(size / 2 ** 20).toFixed(0)} MiB NDJSON in ${(genMs / 1000).toFixed(2)} s (${fmt(Math.round(written.jobs / (genMs / 1000)))} jobs/s)\n`,
  );

  const floors = [runPhase('floor'), runPhase('floor')];
  const floor = floors.reduce((a, b) => (a.ms! <= b.ms! ? a : b));
  process.stdout.write(
    `floor         bare DuckDB scan-and-group: ${fmt(floor.ms!)} ms (best of 2), peak RSS ${fmt(floor.maxRssMb!)} MB\n`,
  );

  const load = runPhase('floor-load');
  process.stdout.write(
    `context       bare DuckDB load of every column into a table: ${fmt(load.ms!)} ms, peak RSS ${fmt(load.maxRssMb!)} MB\n`,
  );

  const run = runPhase('import-attribute');
  const total = run.importMs! + run.attributeMs!;
  process.stdout.write(
    `import        ${fmt(run.jobsImported!)} jobs in ${fmt(run.importMs!)} ms (${fmt(Math.round(run.jobsImported! / (run.importMs! / 1000)))} rows/s)\n` +
      `attribute     30-day window, ${fmt(run.jobsInWindow!)} jobs, $${fmt(run.onDemandUsd!)} on demand, in ${fmt(run.attributeMs!)} ms\n` +
      `total         import + attribution ${fmt(total)} ms, process wall ${fmt(run.ms!)} ms, peak RSS ${fmt(run.maxRssMb!)} MB\n` +
      `ratio         ${(total / floor.ms!).toFixed(2)}× the floor (target ≤ 3×), ${(total / load.ms!).toFixed(2)}× the bare load; target ≤ 10,000 ms and ≤ 1,536 MB\n`,
  );

  const analyze = runPhase('analyze');
  process.stdout.write(
    `analyze       end to end (import, attribution, ${analyze.kinds} kinds of recommendation, lint): ${fmt(analyze.ms!)} ms, ` +
      `peak RSS ${fmt(analyze.maxRssMb!)} MB; ${analyze.recommendations} recommendations, ${analyze.anomalies} anomalies ` +
      `(target ≤ 20,000 ms and ≤ 2,048 MB)\n`,
  );
  for (const line of await benchLint()) process.stdout.write(`${line}\n`);
  for (const line of await benchAckLatency()) process.stdout.write(`${line}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
