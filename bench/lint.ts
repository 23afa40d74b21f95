// `npx tsx bench/lint.ts`: SQL lint throughput on one core — tokenize, parse, model, every rule
// and predicate extraction — against the floor of the parser alone on the same queries. The
// corpus is every distinct query text and script of 60 days of the demo organisation plus the
// hand-written GoogleSQL corpus, linted with table metadata so the metadata rules run too.
// Prints numbers; asserts nothing.
import { fileURLToPath } from 'node:url';
import { GoogleSqlInspector } from '../src/adapters/sql/googlesql-inspector.js';
import { WasmSqlParser } from '../src/adapters/sql/wasm-parser.js';
import { generateJobs, generateTableStorage, type DemoOptions } from '../src/app/demo-org.js';
import type { TableMeta } from '../src/ports/sql-inspector.js';
import { googleSqlCorpus } from '../test/fixtures/googlesql-corpus.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function corpus(): { queries: string[]; tables: Map<string, TableMeta> } {
  const options: DemoOptions = {
    seed: 7,
    days: 60,
    jobsPerDay: 400,
    end: new Date('2026-11-01T00:00:00Z'),
  };
  const texts = new Set<string>();
  for (const job of generateJobs(options)) if (job.query) texts.add(job.query);
  for (const [, sql] of googleSqlCorpus) texts.add(sql);
  const tables = new Map<string, TableMeta>();
  for (const row of generateTableStorage(options)) {
    const table = `${row.project_id}.${row.table_schema}.${row.table_name}`;
    tables.set(table, {
      table,
      totalLogicalBytes: Number(row.total_logical_bytes),
      partitioned: Number(row.total_partitions ?? 0) > 1,
      partitionColumn: null,
      clusteringColumns: [],
    });
  }
  return { queries: [...texts], tables };
}

/** Best of `rounds` passes over the queries: queries per second. */
function rate(queries: readonly string[], rounds: number, run: (sql: string) => void): number {
  let best = 0;
  for (let round = 0; round < rounds; round += 1) {
    const start = performance.now();
    for (const sql of queries) run(sql);
    best = Math.max(best, queries.length / ((performance.now() - start) / 1000));
  }
  return best;
}

export async function benchLint(): Promise<string[]> {
  const { queries, tables } = corpus();
  const parser = await WasmSqlParser.load();
  const inspector = await GoogleSqlInspector.create({ now: () => new Date('2026-11-01') });
  const chars = queries.reduce((sum, sql) => sum + sql.length, 0);

  let parsed = 0;
  let findings = 0;
  let lintParsed = 0;
  for (const sql of queries) {
    if (parser.parse(sql).ok) parsed += 1;
    const inspection = inspector.inspect(sql, { tables });
    if (inspection.parsed) lintParsed += 1;
    findings += inspection.findings.length;
  }
  // warm both paths before timing
  rate(queries, 1, (sql) => parser.parse(sql));
  rate(queries, 1, (sql) => inspector.inspect(sql, { tables }));
  const parseRate = rate(queries, 3, (sql) => parser.parse(sql));
  const lintRate = rate(queries, 3, (sql) => inspector.inspect(sql, { tables }));
  const pct = (n: number) => `${((100 * n) / queries.length).toFixed(1)}%`;
  return [
    `lint corpus   ${fmt(queries.length)} distinct queries and scripts (demo organisation, 60 days, + ${googleSqlCorpus.length} hand-written), ${fmt(chars / queries.length)} chars on average`,
    `parse floor   sqlparser-rs (WASM) alone: ${fmt(parseRate)} queries/s (best of 3), parse rate ${pct(parsed)} (${fmt(queries.length - parsed)} not parsed)`,
    `lint          tokenize + parse + model + 14 rules + predicates: ${fmt(lintRate)} queries/s (best of 3), ${((100 * lintRate) / parseRate).toFixed(0)}% of the floor; ${pct(lintParsed)} parsed, ${fmt(findings)} findings`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of await benchLint()) process.stdout.write(`${line}\n`);
}
