import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analysisResultSchema, type Recommendation } from '../../src/domain/analysis.js';
import { renderReport } from '../../src/cli/render-report.js';
import { analysisJobs, analysisTables } from '../fixtures/analysis-jobs.js';
import * as builders from '../fixtures/builders.js';
import { tempDir, writeNdjson } from '../fixtures/builders.js';
import { analyzeDir } from '../helpers/analyze-dir.js';
import { runCli } from '../helpers/run-cli.js';

// The CLI runs the analyzer registry through runAnalysis; its output stays the offline contract.

function exportsDir(): string {
  const dir = tempDir();
  writeNdjson(join(dir, 'jobs.jsonl'), analysisJobs());
  writeNdjson(join(dir, 'table_storage.jsonl'), analysisTables());
  return dir;
}

describe('bqcost analyze with the analyzer registry', () => {
  it('--format json validates against the contract, recommendations ranked', () => {
    const result = runCli(['analyze', '--from', exportsDir(), '--as-of', '2026-11-01']);
    expect(result.code, result.stderr).toBe(0);
    const json = analysisResultSchema.parse(JSON.parse(result.stdout));
    expect(json.totals.jobs).toBe(10);
    const savings = json.recommendations.map((r) => r.monthlySavingsUsd);
    const known = savings.filter((s): s is number => s !== null);
    expect(savings).toEqual([
      ...[...known].sort((a, b) => b - a),
      ...savings.filter((s) => s === null),
    ]);
    expect(new Set(json.recommendations.map((r) => r.id)).size).toBe(json.recommendations.length);
  });

  it('report prints the Recommendations and Anomalies sections', () => {
    const result = runCli(['report', '--from', exportsDir(), '--as-of', '2026-11-01']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Recommendations \(/m);
    expect(result.stdout).toMatch(/^Anomalies \(/m);
  });
});

describe('renderReport sections', () => {
  const recommendation = (
    id: string,
    monthlySavingsUsd: number | null,
    extra: Partial<Recommendation> = {},
  ): Recommendation => ({
    id,
    kind: 'partition_table',
    target: 'proj-a.sales.orders',
    monthlySavingsUsd,
    confidence: 'high',
    summary: `summary of ${id}`,
    evidence: {},
    fix: {},
    ...extra,
  });

  it('shows the top N recommendations with $/month or unknown, and anomalies vs expected', async () => {
    const dir = exportsDir();
    const analysis = await analyzeDir(dir, { asOf: new Date('2026-11-01T00:00:00Z') });
    analysis.result.recommendations = [
      recommendation('r1', 1234.5),
      recommendation('r2', null, {
        kind: 'sql_antipattern',
        rule: 'select_star',
        target: 'hA',
        confidence: 'low',
      }),
      recommendation('r3', 1),
    ];
    analysis.result.anomalies = [
      {
        id: 'a1',
        scope: 'project:proj-a',
        day: '2026-10-06',
        usd: 37.5,
        expectedUsd: 6.25,
        severity: 'high',
      },
    ];
    const text = renderReport(analysis, { top: 2 });
    const lines = text.split('\n');
    const at = lines.indexOf('Recommendations (top 2 of 3, by monthly savings)');
    expect(at).toBeGreaterThan(-1);
    expect(lines[at + 2]).toMatch(
      /^\s+\$1,234\.50 {2}high\s+partition_table\s+proj-a\.sales\.orders\s+summary of r1$/,
    );
    expect(lines[at + 3]).toMatch(
      /^\s+unknown {2}low\s+sql_antipattern:select_star\s+hA\s+summary of r2$/,
    );
    expect(text).not.toContain('summary of r3');
    expect(text).toMatch(
      /Anomalies \(1, most severe first\)\n {2}2026-10-06 {2}high\s+project:proj-a\s+\$37\.50 vs expected \$6\.25\n/,
    );
  });

  it('says (none) when there is nothing to show', async () => {
    const analysis = await analyzeDir(exportsDir(), { asOf: new Date('2026-11-01T00:00:00Z') });
    analysis.result.recommendations = [];
    analysis.result.anomalies = [];
    const text = renderReport(analysis, { top: 10 });
    expect(text).toContain('Recommendations (0, by monthly savings)\n  (none)');
    expect(text).toContain('Anomalies (0, most severe first)\n  (none)');
  });
});

describe('report: query pattern regressions', () => {
  it('shows a recurring query shape whose cost per run jumped, with before and after', () => {
    const { job } = builders;
    const dir = tempDir();
    const TiB = 2 ** 40;
    const jobs = [];
    for (let d = 0; d < 24; d += 1) {
      const day = new Date(Date.parse('2026-10-05T09:00:00Z') + d * 86_400_000);
      // 0.1 TiB per run for 20 days, then 2 TiB per run: ≈ $119 a day more.
      const bytes = d < 20 ? TiB / 10 : 2 * TiB;
      for (let r = 0; r < 10; r += 1) {
        jobs.push(
          job({
            createdAt: new Date(day.getTime() + r * 60_000),
            bytesBilled: bytes,
            hash: 'jumpy',
            userEmail: 'ana@example.com',
          }),
        );
      }
    }
    writeNdjson(join(dir, 'jobs.jsonl'), jobs);
    const result = runCli(['report', '--from', dir, '--as-of', '2026-11-01']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Query patterns whose cost per run jumped \(1\)$/m);
    expect(result.stdout).toMatch(/2026-10-25 +jumpy +\$0\.63\/run → \$12\.50\/run \(20\.0×\)/);
  });
});
