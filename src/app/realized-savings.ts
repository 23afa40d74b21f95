import type { RecommendationKind } from '../domain/analysis.js';
import type { CostFact, FactDimension, ReservationCapacityFact } from '../domain/facts.js';
import type { PricingContext } from '../domain/pricing.js';
import { bytesPerTib, slotHourRate, slotHours } from '../domain/pricing.js';
import { msPerDay, startOfUtcDay, utcDay } from '../domain/timestamps.js';
import type { Warehouse } from '../ports/warehouse.js';

// After a card is accepted: did the saving happen? The target's daily cost before acceptance is
// compared with its daily cost after, measured the way the recommendation was estimated:
//   partition_table, cluster_table, require_partition_filter → jobs reading the table
//     (`table` facts: a job reading several tables counts in full toward each);
//   materialize_repeated_query, sql_antipattern → the query shape (`query_pattern` facts);
//   cap_bytes_billed → the user (an email) or the project;
//   pricing_model → the project (on-demand bytes + slot-hours used × rate), or for a reservation
//     id (`admin-project:US.name`) its billed capacity from RESERVATIONS_TIMELINE, else the
//     slot-hours its jobs used × rate (a lower bound of what was billed);
//   storage_billing_model, expire_unused_table → unknown: only one storage snapshot exists.
// Windows are whole UTC days: `before` is the baselineDays before the acceptance day, `after`
// starts the day after it (the acceptance day mixes both) and ends at the last complete day,
// at most baselineDays long and cut to whole weeks when it spans one or more, so a weekly batch
// weighs the same on both sides. Measured as cost per day; a month is 30 days.
// Status: too_early with fewer than minDaysAfter complete days after the acceptance day; unknown
// for storage kinds, or without a baseline (fewer than minDaysAfter days of history before the
// acceptance day — history before the first job is missing, not $0 — or no cost for the target
// in them); saved when the cost per day fell by ≥ 10% and ≥ $1/month; else not_saved.

export type RealizedStatus = 'saved' | 'not_saved' | 'too_early' | 'unknown';

export interface AcceptedRecommendation {
  recommendationId: string;
  kind: RecommendationKind;
  target: string;
  acceptedAt: Date;
  estimatedMonthlySavingsUsd: number | null;
}

export interface RealizedSavingsInput {
  events: readonly AcceptedRecommendation[];
  asOf: Date;
  /** Complete days after the acceptance day needed for a verdict (default 7). */
  minDaysAfter?: number;
  /** Days before the acceptance day that form the baseline (default 28). */
  baselineDays?: number;
}

export interface CostPeriod {
  days: number;
  usdPerDay: number | null;
}

export interface RealizedSaving {
  recommendationId: string;
  status: RealizedStatus;
  before: CostPeriod;
  after: CostPeriod;
  /** (before − after) per day × 30; negative when the cost went up; null unless measured. */
  realizedMonthlyUsd: number | null;
  estimatedMonthlySavingsUsd: number | null;
  method: string;
}

/** A saving counts when the cost fell by at least 10% and at least $1 a month. */
export const minDropShare = 0.1;
export const minMonthlyUsd = 1;

type Series =
  | {
      kind: 'facts';
      dimension: FactDimension;
      key: string;
      /** Only facts of this reservation (the `total` facts of a reservation). */
      reservationId?: string;
      label: string;
    }
  | { kind: 'capacity'; reservationId: string; label: string }
  | { kind: 'unknown'; why: string };

/** `admin-project:US.name`; a domain-scoped project (`example.com:p`) has no dot after the colon. */
const reservationIdPattern = /^[^:]+:[A-Za-z0-9-]+\.[^.:]+$/;

interface Span {
  start: number;
  end: number;
}

export async function measureRealizedSavings(
  deps: { warehouse: Warehouse; pricing: PricingContext },
  input: RealizedSavingsInput,
): Promise<RealizedSaving[]> {
  const minDaysAfter = input.minDaysAfter ?? 7;
  const baselineDays = input.baselineDays ?? 28;
  const lastDay = startOfUtcDay(input.asOf).getTime() / msPerDay; // exclusive

  const plans = input.events.map((event) => {
    const accepted = startOfUtcDay(event.acceptedAt).getTime() / msPerDay;
    const before: Span = { start: accepted - baselineDays, end: accepted };
    const available = Math.max(0, Math.min(baselineDays, lastDay - (accepted + 1)));
    const wholeWeeks = available - (available % 7);
    const afterDays = wholeWeeks >= Math.max(7, minDaysAfter) ? wholeWeeks : available;
    const after: Span = { start: accepted + 1, end: accepted + 1 + afterDays };
    return { event, before, after, afterDays, series: seriesOf(event) };
  });

  const measurable = plans.filter(
    (p) => p.series.kind !== 'unknown' && p.afterDays >= minDaysAfter,
  );
  const span = measurable.reduce<Span | null>(
    (s, p) => ({
      start: Math.min(s?.start ?? p.before.start, p.before.start),
      end: Math.max(s?.end ?? p.after.end, p.after.end),
    }),
    null,
  );
  const window = span && {
    start: new Date(span.start * msPerDay),
    end: new Date(span.end * msPerDay),
  };
  const needsCapacity = measurable.some((p) => p.event.kind === 'pricing_model');
  const [facts, capacity, range] = window
    ? await Promise.all([
        deps.warehouse.costFacts(window),
        needsCapacity ? deps.warehouse.reservationCapacity(window) : Promise.resolve([]),
        deps.warehouse.dataRange(),
      ])
    : [[], [], null];
  // History before the first job is not $0, it is missing: the baseline starts at the first
  // complete day of data.
  const firstDay = range?.firstCreationTime
    ? Math.ceil(range.firstCreationTime.getTime() / msPerDay)
    : null;

  return plans.map(({ event, before, after, afterDays, series }) => {
    const base = {
      recommendationId: event.recommendationId,
      estimatedMonthlySavingsUsd: event.estimatedMonthlySavingsUsd,
    };
    if (series.kind === 'unknown') {
      return {
        ...base,
        status: 'unknown',
        before: { days: 0, usdPerDay: null },
        after: { days: 0, usdPerDay: null },
        realizedMonthlyUsd: null,
        method: series.why,
      };
    }
    if (afterDays < minDaysAfter) {
      return {
        ...base,
        status: 'too_early',
        before: { days: 0, usdPerDay: null },
        after: { days: afterDays, usdPerDay: null },
        realizedMonthlyUsd: null,
        method: `${afterDays} complete day(s) since the acceptance day; ${minDaysAfter} are needed`,
      };
    }
    const resolved: Exclude<Series, { kind: 'unknown' }> =
      series.kind === 'capacity' && !capacity.some((c) => c.reservationId === series.reservationId)
        ? {
            kind: 'facts',
            dimension: 'total',
            key: '',
            reservationId: series.reservationId,
            label:
              'slot-hours used in the reservation (no RESERVATIONS_TIMELINE: a lower bound of billed capacity)',
          }
        : series;
    const baseline = { start: Math.max(before.start, firstDay ?? before.start), end: before.end };
    const beforeDays = Math.max(0, baseline.end - baseline.start);
    const daily = (s: Span) =>
      resolved.kind === 'capacity'
        ? capacityUsd(capacity, resolved.reservationId, s, deps.pricing)
        : factsUsd(facts, resolved, s, deps.pricing);
    const beforeCost = beforeDays > 0 ? daily(baseline) : { usd: 0, present: false };
    const afterCost = daily(after);
    const method = methodOf(resolved, event.target, baseline, after, deps.pricing);
    if (beforeDays < minDaysAfter || !beforeCost.present) {
      return {
        ...base,
        status: 'unknown',
        before: { days: beforeDays, usdPerDay: null },
        after: { days: afterDays, usdPerDay: afterCost.usd / afterDays },
        realizedMonthlyUsd: null,
        method: `no baseline: ${beforeDays} day(s) of history before acceptance${beforeCost.present ? '' : ' and no cost for the target in them'}; ${method}`,
      };
    }
    const beforePerDay = beforeCost.usd / beforeDays;
    const afterPerDay = afterCost.usd / afterDays;
    const realizedMonthlyUsd = (beforePerDay - afterPerDay) * 30;
    const saved =
      beforePerDay - afterPerDay >= minDropShare * beforePerDay &&
      realizedMonthlyUsd >= minMonthlyUsd;
    return {
      ...base,
      status: saved ? 'saved' : 'not_saved',
      before: { days: beforeDays, usdPerDay: beforePerDay },
      after: { days: afterDays, usdPerDay: afterPerDay },
      realizedMonthlyUsd,
      method,
    };
  });
}

function seriesOf(event: AcceptedRecommendation): Series {
  const target = event.target;
  switch (event.kind) {
    case 'partition_table':
    case 'cluster_table':
    case 'require_partition_filter':
      return { kind: 'facts', dimension: 'table', key: target, label: 'jobs reading the table' };
    case 'materialize_repeated_query':
    case 'sql_antipattern':
      return { kind: 'facts', dimension: 'query_pattern', key: target, label: 'the query shape' };
    case 'cap_bytes_billed':
      return target.includes('@')
        ? { kind: 'facts', dimension: 'user', key: target, label: 'the user' }
        : { kind: 'facts', dimension: 'project', key: target, label: 'the project' };
    case 'pricing_model':
      return reservationIdPattern.test(target)
        ? {
            kind: 'capacity',
            reservationId: target,
            label:
              'billed capacity of the reservation (RESERVATIONS_TIMELINE baseline + autoscaled slot-hours × edition rate)',
          }
        : { kind: 'facts', dimension: 'project', key: target, label: 'the project' };
    case 'storage_billing_model':
    case 'expire_unused_table':
      return {
        kind: 'unknown',
        why: 'storage savings cannot be measured yet: only the latest TABLE_STORAGE snapshot is available, not its history',
      };
  }
}

function inSpan(day: string, span: Span): boolean {
  const d = Date.parse(`${day}T00:00:00Z`) / msPerDay;
  return d >= span.start && d < span.end;
}

function factsUsd(
  facts: readonly CostFact[],
  series: Extract<Series, { kind: 'facts' }>,
  span: Span,
  pricing: PricingContext,
): { usd: number; present: boolean } {
  let usd = 0;
  let present = false;
  for (const fact of facts) {
    if (fact.dimension !== series.dimension || fact.key !== series.key) continue;
    if (series.reservationId !== undefined && fact.reservationId !== series.reservationId) continue;
    if (!inSpan(fact.day, span)) continue;
    present = true;
    usd +=
      (fact.onDemandBytesBilled / bytesPerTib) * pricing.prices.onDemandUsdPerTib +
      slotHours(fact.reservationSlotMs) *
        slotHourRate(pricing, fact.reservationId, fact.edition).usdPerSlotHour;
  }
  return { usd, present };
}

function capacityUsd(
  capacity: readonly ReservationCapacityFact[],
  reservationId: string,
  span: Span,
  pricing: PricingContext,
): { usd: number; present: boolean } {
  let usd = 0;
  let present = false;
  for (const row of capacity) {
    if (row.reservationId !== reservationId || !inSpan(row.day, span)) continue;
    present = true;
    usd +=
      (row.baselineSlotHours + row.autoscaleSlotHours) *
      slotHourRate(pricing, reservationId, row.edition).usdPerSlotHour;
  }
  return { usd, present };
}

function methodOf(
  series: Exclude<Series, { kind: 'unknown' }>,
  target: string,
  before: Span,
  after: Span,
  pricing: PricingContext,
): string {
  const days = (s: Span) =>
    `${utcDay(new Date(s.start * msPerDay))}..${utcDay(new Date((s.end - 1) * msPerDay))} (${s.end - s.start} days)`;
  const what =
    series.kind === 'capacity'
      ? series.label
      : `${series.label}, ${series.dimension === 'total' ? 'reservation' : series.dimension} ${target}: on-demand bytes billed × $${pricing.prices.onDemandUsdPerTib}/TiB + reservation slot-hours used × edition rate`;
  return `cost per day of ${what}; before ${days(before)} vs after ${days(after)}, the acceptance day left out; saved = at least ${minDropShare * 100}% and $${minMonthlyUsd}/month lower`;
}
