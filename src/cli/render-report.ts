import type { PatternRegression } from '../../analyzers/pattern-regression.js';
import type { CostAnalysis, KeyedCost } from '../app/analyze.js';
import type { AnalysisResult } from '../domain/analysis.js';
import type { AttributionDimension } from '../domain/facts.js';

// The terminal report: what a person reads first. Every dollar figure says what it is made of.

const bars = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  const max = Math.max(...values, 0);
  if (max <= 0) return values.map(() => bars[0]).join('');
  return values
    .map((v) => bars[Math.min(bars.length - 1, Math.floor((v / max) * (bars.length - 1) + 0.5))])
    .join('');
}

export function usd(value: number | null): string {
  if (value === null) return 'unknown';
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function pad(text: string, width: number): string {
  return text.length >= width
    ? `${text.slice(0, width - 1)}…`
    : text + ' '.repeat(width - text.length);
}

function padStart(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

const titles: Record<AttributionDimension, string> = {
  user: 'Top users',
  project: 'Top projects',
  label: 'Top labels',
  query_pattern: 'Top query patterns (normalized hash)',
  table: 'Top tables read (a job counts toward every table it reads)',
};

export function renderReport(
  analysis: CostAnalysis & { regressions?: readonly PatternRegression[] },
  options: { top: number },
): string {
  const { result } = analysis;
  const out: string[] = [];
  const day = (iso: string) => iso.slice(0, 10);
  const endInclusive = new Date(new Date(result.window.end).getTime() - 1).toISOString();
  out.push(
    `bqcost report — ${day(result.window.start)} to ${day(endInclusive)} (${result.window.start} → ${result.window.end})`,
    '',
  );

  const t = result.totals;
  const compute = t.onDemandUsd + t.capacityUsd;
  out.push('Totals');
  const w = 44;
  out.push(`  ${pad('Jobs', w)} ${padStart(num(t.jobs), 14)}   SCRIPT parents excluded`);
  for (const line of analysis.costLines.filter((l) => !l.label.startsWith('Storage'))) {
    const qty =
      line.quantity === null
        ? 'unknown'
        : `${num(line.quantity, 3)} ${line.unit} × ${usd(line.unitPriceUsd)}`;
    out.push(`  ${pad(line.label, w)} ${padStart(usd(line.usd), 14)}   ${qty}`);
    if (line.method) out.push(`  ${' '.repeat(w)} ${' '.repeat(14)}   ${line.method}`);
  }
  out.push(`  ${pad('Compute total', w)} ${padStart(usd(compute), 14)}`);
  out.push(
    `  ${pad('Free tier (shown apart, not deducted)', w)} ${padStart(`−${usd(analysis.freeTierCreditUsd)}`, 14)}   first 1 TiB per month per billing account`,
  );
  out.push(
    `  ${pad('Storage per month', w)} ${padStart(usd(t.storageUsdPerMonth), 14)}   current snapshot, each dataset at its billing model`,
  );
  out.push('');

  const daily = analysis.daily;
  if (daily.length > 0) {
    const values = daily.map((d) => d.onDemandUsd + d.capacityUsd);
    const peak = daily[values.indexOf(Math.max(...values))]!;
    out.push('Daily compute spend');
    out.push(`  ${sparkline(values)}`);
    out.push(
      `  ${daily[0]!.day} … ${daily[daily.length - 1]!.day}   avg ${usd(values.reduce((a, b) => a + b, 0) / values.length)}/day, peak ${usd(peak.onDemandUsd + peak.capacityUsd)} on ${peak.day}`,
    );
    out.push('');
  }

  for (const dimension of ['project', 'user', 'label', 'query_pattern', 'table'] as const) {
    const rows = analysis.dimensions[dimension].slice(0, options.top);
    if (rows.length === 0) continue;
    out.push(titles[dimension]);
    out.push(
      `  ${pad('key', 48)} ${padStart('on-demand', 12)} ${padStart('slot-hours', 11)} ${padStart('jobs', 9)}`,
    );
    for (const row of rows) {
      out.push(
        `  ${pad(row.key, 48)} ${padStart(usd(row.onDemandUsd), 12)} ${padStart(num(row.slotHours, 1), 11)} ${padStart(num(row.jobs), 9)}`,
      );
    }
    out.push('');
  }

  const movers = topMovers(analysis, options.top);
  out.push(
    `Top movers in compute cost (on-demand + used capacity) vs the previous ${Math.round((analysis.window.end.getTime() - analysis.window.start.getTime()) / 86_400_000)} days`,
  );
  if (movers.length === 0) out.push('  (no change, or no earlier data)');
  for (const m of movers) {
    const sign = m.delta >= 0 ? '+' : '−';
    const pct = m.before > 0 ? ` (${sign}${num(Math.abs(m.delta / m.before) * 100)}%)` : ' (new)';
    out.push(
      `  ${pad(`${m.dimension} ${m.key}`, 56)} ${padStart(usd(m.before), 12)} → ${padStart(usd(m.after), 12)}  ${sign}${usd(Math.abs(m.delta))}${pct}`,
    );
  }
  out.push('');

  if (analysis.storage.length > 0) {
    out.push('Storage by dataset (per month)');
    for (const s of analysis.storage.slice(0, options.top)) {
      out.push(
        `  ${pad(s.dataset, 48)} ${padStart(usd(s.usdPerMonth), 12)}  ${s.model.toLowerCase()}, ${s.tables} table${s.tables === 1 ? '' : 's'}`,
      );
    }
    out.push('');
  }

  out.push(
    ...recommendationLines(result, options.top),
    ...anomalyLines(result, options.top),
    ...regressionLines(analysis.regressions ?? [], options.top),
  );

  if (result.warnings.length > 0) {
    out.push(`Warnings (${result.warnings.length})`);
    for (const w of result.warnings.slice(0, 20)) out.push(`  ! ${w}`);
    if (result.warnings.length > 20)
      out.push(`  … and ${result.warnings.length - 20} more (see --format json)`);
    out.push('');
  }
  return out.join('\n');
}

function recommendationLines(result: AnalysisResult, top: number): string[] {
  const all = result.recommendations;
  const shown = all.slice(0, top);
  const out = [
    `Recommendations (${shown.length < all.length ? `top ${shown.length} of ${all.length}` : all.length}, by monthly savings)`,
  ];
  if (all.length === 0) out.push('  (none)');
  else
    out.push(
      `  ${padStart('$/month', 12)}  ${pad('confidence', 11)} ${pad('kind', 28)} ${pad('target', 40)} summary`,
    );
  for (const r of shown) {
    const kind = r.rule ? `${r.kind}:${r.rule}` : r.kind;
    out.push(
      `  ${padStart(usd(r.monthlySavingsUsd), 12)}  ${pad(r.confidence, 11)} ${pad(kind, 28)} ${pad(r.target, 40)} ${r.summary}`,
    );
  }
  out.push('');
  return out;
}

function anomalyLines(result: AnalysisResult, top: number): string[] {
  const all = result.anomalies;
  const shown = all.slice(0, top);
  const out = [
    `Anomalies (${shown.length < all.length ? `top ${shown.length} of ${all.length}` : all.length}, most severe first)`,
  ];
  if (all.length === 0) out.push('  (none)');
  for (const a of shown) {
    out.push(
      `  ${a.day}  ${pad(a.severity, 9)} ${pad(a.scope, 48)} ${padStart(usd(a.usd), 12)} vs expected ${usd(a.expectedUsd)}`,
    );
  }
  out.push('');
  return out;
}

function regressionLines(regressions: readonly PatternRegression[], top: number): string[] {
  if (regressions.length === 0) return [];
  const out = [`Query patterns whose cost per run jumped (${regressions.length})`];
  for (const r of [...regressions]
    .sort((a, b) => b.excessUsdPerMonth - a.excessUsdPerMonth)
    .slice(0, top)) {
    out.push(
      `  ${r.day}  ${pad(r.hash, 20)} ${usd(r.before.usdPerRun)}/run → ${usd(r.after.usdPerRun)}/run (${num(r.ratio, 1)}×), +${usd(r.excessUsdPerMonth)}/month${r.projectId ? `  ${r.projectId}` : ''}`,
    );
  }
  out.push('');
  return out;
}

interface Mover {
  dimension: AttributionDimension;
  key: string;
  before: number;
  after: number;
  delta: number;
}

export function topMovers(analysis: CostAnalysis, top: number): Mover[] {
  const movers: Mover[] = [];
  for (const dimension of ['project', 'user', 'label'] as const) {
    const cost = (r: KeyedCost) => r.onDemandUsd + r.capacityUsd;
    const before = new Map(analysis.previousDimensions[dimension].map((r) => [r.key, cost(r)]));
    const after = new Map(analysis.dimensions[dimension].map((r) => [r.key, cost(r)]));
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const b = before.get(key) ?? 0;
      const a = after.get(key) ?? 0;
      if (Math.abs(a - b) >= 0.01)
        movers.push({ dimension, key, before: b, after: a, delta: a - b });
    }
  }
  return movers
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.key.localeCompare(y.key))
    .slice(0, top);
}

/** `analyze --format text`: the contract's numbers in a readable list. */
export function renderAnalyzeText(analysis: CostAnalysis): string {
  return renderReport(analysis, { top: 10 });
}
