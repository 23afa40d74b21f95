// Cap the bytes one query may bill, for whoever occasionally runs away.
//
// A single mistaken query (a join of two multi-TiB tables, SELECT * on raw events) can bill more
// than a month of someone's ordinary work. With `maximum_bytes_billed` set, such a query fails
// before it reads anything and bills nothing
// (https://cloud.google.com/bigquery/docs/best-practices-costs); custom quotas
// cap the bytes per day (https://cloud.google.com/bigquery/docs/custom-quotas).
//
// Flagged: a user or project whose largest on-demand query billed at least 1 TiB and at least 10×
// their ordinary work, read as the highest of p99 … p95 that is itself under a tenth of the largest
// (with a few hundred jobs, four runaways already reach p99). The proposed cap is the next power of
// two at or above 2 × that percentile, so ordinary work stays well under it. The saving counts only
// bytes above the cap (a blocked query is assumed rewritten to fit), and only what the facts prove:
// jobs known from the quantiles to bill above it, and for a user the query shapes only they run
// (Σ max(0, bytes − cap) ≥ max(largest run − cap, total − runs × cap)). It is a lower bound.

import type { Recommendation } from '../src/domain/analysis.js';
import type {
  Analyzer,
  AnalyzerContext,
  BytesDistributionFact,
  Evidence,
  Fix,
} from '../src/domain/context.js';
import { stableId } from '../src/domain/context.js';
import {
  bytesPerMonth,
  formatBytes,
  formatUsd,
  minMonthlySavedBytes,
  scanLine,
} from '../src/domain/pattern-costs.js';
import { bytesPerGib, bytesPerTib, onDemandUsd } from '../src/domain/pricing.js';

const runawayRatio = 10;
/** Where ordinary work ends, tried from the top. */
const ordinaryPercentiles = [99, 98, 97, 96, 95];
const minRunawayBytes = bytesPerTib;
const minCapBytes = bytesPerGib;

export const capBytesBilled: Analyzer = {
  id: 'cap-bytes-billed',
  kinds: ['cap_bytes_billed'],
  analyze(context) {
    const recommendations: Recommendation[] = [];
    // Users first: a project whose largest job is a flagged user's is the same finding.
    const byScope = [...context.bytesDistribution].sort((a, b) =>
      a.scope === b.scope ? 0 : a.scope === 'user' ? -1 : 1,
    );
    const coveredJobs = new Set<string>();
    for (const fact of byScope) {
      if (fact.scope === 'project' && fact.maxJobId !== null && coveredJobs.has(fact.maxJobId))
        continue;
      const recommendation = recommend(context, fact);
      if (!recommendation) continue;
      if (fact.maxJobId !== null) coveredJobs.add(fact.maxJobId);
      recommendations.push(recommendation);
    }
    return { recommendations, anomalies: [] };
  },
};

/** The next power of two at or above `bytes`. */
function nextPowerOfTwo(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(bytes));
}

/** Bytes billed above `cap`, at least: from the top, about jobs × (100 − i) ÷ 100 jobs bill ≥ q[i]. */
function quantileBytesAbove(quantiles: number[], jobs: number, cap: number): number {
  let bytes = 0;
  let counted = 0;
  for (let i = 100; i >= 0 && quantiles[i]! > cap; i -= 1) {
    const atLeast = i === 100 ? 1 : Math.max(1, Math.floor((jobs * (100 - i)) / 100));
    const more = Math.max(0, atLeast - counted);
    bytes += more * (quantiles[i]! - cap);
    counted += more;
  }
  return bytes;
}

function recommend(context: AnalyzerContext, fact: BytesDistributionFact): Recommendation | null {
  if (fact.quantiles.length !== 101) return null;
  const quantiles = fact.quantiles;
  const max = quantiles[100]!;
  if (max < minRunawayBytes) return null;
  // Ordinary work: the highest of p99 … p95 that is not itself runaway-sized. With few jobs, a
  // handful of runaways already reach p99; if they reach p95 they are a habit, not an accident.
  const ceilingPercentile = ordinaryPercentiles.find((i) => max >= runawayRatio * quantiles[i]!);
  if (ceilingPercentile === undefined) return null;
  const ceilingBytes = quantiles[ceilingPercentile]!;

  const capBytes = Math.max(minCapBytes, nextPowerOfTwo(2 * ceilingBytes));
  const fromQuantiles = quantileBytesAbove(quantiles, fact.jobs, capBytes);
  const shapes =
    fact.scope === 'user'
      ? context.patterns.filter(
          (p) =>
            p.distinctUsers === 1 &&
            p.userEmail?.toLowerCase() === fact.key.toLowerCase() &&
            p.onDemandBytesBilled > 0,
        )
      : [];
  const shapeBounds = shapes
    .map((p) => ({
      hash: p.hash,
      runs: p.runs,
      maxBytesBilled: p.maxBytesBilled,
      bytesAboveCap: Math.max(
        0,
        p.maxBytesBilled - capBytes,
        p.onDemandBytesBilled - p.runs * capBytes,
      ),
    }))
    .filter((s) => s.bytesAboveCap > 0);
  const fromShapes = shapeBounds.reduce((sum, s) => sum + s.bytesAboveCap, 0);
  const aboveInWindow = Math.max(fromQuantiles, fromShapes);
  const aboveBytes = bytesPerMonth(aboveInWindow, context.windowDays);
  if (aboveBytes < minMonthlySavedBytes) return null;

  const pricing = context.pricing;
  const savingsUsd = onDemandUsd(aboveBytes, pricing);
  const who = fact.scope === 'user' ? fact.key : `project ${fact.key}`;
  const evidence: Evidence = {
    method:
      'Bytes billed above the cap in the window, as a lower bound: from the quantiles (about jobs × (100 − i) ÷ 100 ' +
      'jobs bill at least the i-th percentile), or for a user the sum over query shapes only they run of ' +
      'max(largest run − cap, total − runs × cap), whichever is larger; ' +
      `scaled from the ${context.windowDays}-day window to 30 days.`,
    costLines: [
      scanLine(
        `Bytes billed above a ${formatBytes(capBytes)} cap by ${who}, per month (lower bound)`,
        aboveBytes,
        pricing,
      ),
    ],
    assumptions: [
      'A query stopped by the cap is rewritten to fit under it, so only the bytes above the cap are saved; if it is simply dropped, the saving is larger.',
      'Between two percentile points only the lower one is counted, so jobs near the largest add less than they billed.',
      'APPROX_QUANTILES is approximate; the largest job is exact.',
    ],
    scope: fact.scope,
    key: fact.key,
    jobs: fact.jobs,
    p50Bytes: quantiles[50],
    p90Bytes: quantiles[90],
    p95Bytes: quantiles[95],
    p99Bytes: quantiles[99],
    maxBytes: max,
    ordinaryCeilingPercentile: ceilingPercentile,
    maxJobId: fact.maxJobId,
    capBytes,
    bytesAboveCapInWindow: aboveInWindow,
    bytesAboveCapFromQuantiles: fromQuantiles,
    shapesAboveCap: shapeBounds,
  };

  return {
    id: stableId('rec', 'cap_bytes_billed', fact.key),
    kind: 'cap_bytes_billed',
    target: fact.key,
    monthlySavingsUsd: savingsUsd,
    confidence: 'medium',
    summary: `Cap bytes billed per query at ${formatBytes(capBytes)} for ${who}: their largest query billed ${formatBytes(max)} against ${formatBytes(ceilingBytes)} at p${ceilingPercentile}; blocking what goes above the cap saves at least ${formatUsd(savingsUsd)}/month.`,
    evidence,
    fix: fixFor(fact, capBytes),
  };
}

function fixFor(fact: BytesDistributionFact, capBytes: number): Fix {
  const cap = String(capBytes);
  const whose = fact.scope === 'user' ? `${fact.key}'s queries` : `queries in project ${fact.key}`;
  return {
    summary: `Set maximum_bytes_billed = ${cap} (${formatBytes(capBytes)}) on ${whose}, and consider a daily custom quota as a backstop.`,
    steps: [
      `bq CLI: bq query --maximum_bytes_billed=${cap} …, or once per person in ~/.bigqueryrc under [query]: --maximum_bytes_billed=${cap}`,
      'Console: More → Query settings → Advanced options → Maximum bytes billed.',
      `API and client libraries: configuration.query.maximumBytesBilled = "${cap}" in the job; BI tools and dbt (maximum_bytes_billed in profiles.yml) have the same setting per connection.`,
      `Backstop per day: IAM & Admin → Quotas → BigQuery API "Query usage per day per user" (QueryUsagePerUserPerDay)${fact.scope === 'project' ? ' or "Query usage per day" (QueryUsagePerDay)' : ''} on ${fact.scope === 'project' ? fact.key : 'the projects they query from'}.`,
    ],
    caveats: [
      'BigQuery has no server-side default for maximum_bytes_billed per user or per project, and no SQL statement sets one: each client sets it per job. Only the custom quotas are enforced server-side, and they cap daily totals, not single queries.',
      'The per-user quota applies to every user and service account of the project alike, and quotas cover on-demand queries only.',
      'A query over the cap fails ("Query exceeded limit for bytes billed") and bills nothing; a legitimate large job needs the cap raised for that run.',
    ],
  };
}
