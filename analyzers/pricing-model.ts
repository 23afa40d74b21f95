// Compute is billed either per byte scanned (on-demand) or per slot-hour of capacity (editions).
// A project that scans many bytes with little CPU per byte pays several times more on-demand
// than the slots its queries burn would cost; a project that burns CPU on few bytes (UDFs,
// ML.PREDICT) is the other way round. A reservation whose baseline slots sit idle bills every
// idle slot-hour: baseline is paid around the clock whether jobs use it or not.
// https://cloud.google.com/bigquery/pricing#analysis_pricing_models
// https://cloud.google.com/bigquery/docs/slots-autoscaling-intro
import { costLine, type CostLine, type Recommendation } from '../src/domain/analysis.js';
import { stableId, type Analyzer, type AnalyzerContext } from '../src/domain/context.js';
import type { Edition } from '../src/domain/jobs.js';
import {
  bytesPerTib,
  msPerSlotHour,
  slotHourRate,
  type Commitment,
} from '../src/domain/pricing.js';

/** Slot usage of on-demand jobs in one project over the window (cost facts, project dimension). */
interface ProjectSlots {
  projectId: string;
  onDemandSlotMs: number;
  /** Peak concurrent slots; no fact carries it yet (JOBS_TIMELINE would). */
  peakSlots?: number;
}

export interface PricingModelOptions {
  /**
   * Slot-ms per TiB billed, used for projects without measured on-demand slot usage. Off (null)
   * by default: with one ratio for every project, editions look cheaper for all projects or for
   * none, and CPU-heavy projects (the ones on-demand suits best) would be told to switch.
   */
  assumedOnDemandSlotMsPerTib: number | null;
  /**
   * Billed ÷ used slot-hours for autoscaled capacity when no autoscale-only reservation in
   * RESERVATIONS_TIMELINE shows the real ratio. The autoscaler adds 50-slot steps and bills each
   * for at least 60 s, so short bursty queries bill several times their use and long steady ones
   * about 1.1x; 2 is a conservative middle.
   */
  defaultAutoscaleUplift: number;
  /**
   * A project switch is an operational change (reservation, assignment, monitoring) and the
   * capacity side is modelled; below 20% the margin is within the model's error.
   */
  minSavingsShare: number;
  /** Below $100/month a pricing change is not worth the work and the risk. */
  minMonthlySavingsUsd: number;
  /** Baseline used less than 30% of its slot-hours: most of it is paid for idling. */
  maxBaselineUtilization: number;
}

export const defaultPricingModelOptions: PricingModelOptions = {
  assumedOnDemandSlotMsPerTib: null,
  defaultAutoscaleUplift: 2,
  minSavingsShare: 0.2,
  minMonthlySavingsUsd: 100,
  maxBaselineUtilization: 0.3,
};

/**
 * On-demand includes features Standard edition lacks (BigQuery ML, CMEK, VPC Service Controls,
 * BI Engine), so the like-for-like capacity for an on-demand project is Enterprise.
 */
const targetEdition: Edition = 'ENTERPRISE';
const kind = 'pricing_model';
const hoursPerDay = 24;
const minutesPerDay = 1440;
const daysPerMonth = 30;

export function createPricingModel(overrides: Partial<PricingModelOptions> = {}): Analyzer {
  const options = { ...defaultPricingModelOptions, ...overrides };
  return {
    id: 'pricing-model',
    kinds: [kind],
    analyze(context) {
      const uplift = autoscaleUplift(context, options);
      const recommendations = [
        ...projectRecommendations(context, uplift, options),
        ...reservationRecommendations(context, uplift, options),
      ];
      return { recommendations, anomalies: [] };
    },
  };
}

export const pricingModel: Analyzer = createPricingModel();

interface Uplift {
  factor: number;
  observed: boolean;
  note: string;
}

interface ReservationWindow {
  reservationId: string;
  edition: string | null;
  baselineSlotHours: number;
  autoscaleSlotHours: number;
  minutes: number;
  days: Set<string>;
  usedSlotHours: number;
}

function reservationWindows(context: AnalyzerContext): ReservationWindow[] {
  const byId = new Map<string, ReservationWindow>();
  for (const row of context.reservations) {
    const entry = byId.get(row.reservationId) ?? {
      reservationId: row.reservationId,
      edition: row.edition,
      baselineSlotHours: 0,
      autoscaleSlotHours: 0,
      minutes: 0,
      days: new Set<string>(),
      usedSlotHours: 0,
    };
    entry.edition ??= row.edition;
    entry.baselineSlotHours += row.baselineSlotHours;
    entry.autoscaleSlotHours += row.autoscaleSlotHours;
    entry.minutes += row.minutes;
    entry.days.add(row.day);
    byId.set(row.reservationId, entry);
  }
  for (const fact of context.costFacts) {
    if (fact.dimension !== 'total' || fact.reservationId === null) continue;
    const entry = byId.get(fact.reservationId);
    // Only days the timeline covers: usage and billed capacity must describe the same time.
    if (entry?.days.has(fact.day)) entry.usedSlotHours += fact.reservationSlotMs / msPerSlotHour;
  }
  return [...byId.values()].sort((a, b) => (a.reservationId < b.reservationId ? -1 : 1));
}

/** Billed ÷ used slot-hours of autoscale-only reservations, where the timeline shows them. */
function autoscaleUplift(context: AnalyzerContext, options: PricingModelOptions): Uplift {
  let billed = 0;
  let used = 0;
  const ids: string[] = [];
  for (const r of reservationWindows(context)) {
    if (r.baselineSlotHours > 0 || r.autoscaleSlotHours <= 0 || r.usedSlotHours <= 0) continue;
    billed += r.autoscaleSlotHours;
    used += r.usedSlotHours;
    ids.push(r.reservationId);
  }
  if (used > 0) {
    const factor = Math.max(1, billed / used);
    return {
      factor,
      observed: true,
      note: `autoscaled capacity bills ${factor.toFixed(2)}x the slot-hours jobs use, as observed in RESERVATIONS_TIMELINE for ${ids.join(', ')}`,
    };
  }
  return {
    factor: options.defaultAutoscaleUplift,
    observed: false,
    note: `autoscaled capacity is assumed to bill ${options.defaultAutoscaleUplift}x the slot-hours jobs use (${context.pricing.prices.autoscaleStepSlots}-slot steps, each billed for at least ${context.pricing.prices.autoscaleMinBillingSeconds} s); no autoscale-only reservation in RESERVATIONS_TIMELINE to measure it`,
  };
}

interface CapacityOption {
  name: string;
  commitment: Commitment;
  baselineSlots: number;
  windowUsd: number;
  lines: CostLine[];
}

function projectRecommendations(
  context: AnalyzerContext,
  uplift: Uplift,
  options: PricingModelOptions,
): Recommendation[] {
  const bytesByProject = new Map<string, number>();
  for (const fact of context.costFacts) {
    if (fact.dimension !== 'project' || fact.reservationId !== null) continue;
    bytesByProject.set(fact.key, (bytesByProject.get(fact.key) ?? 0) + fact.onDemandBytesBilled);
  }
  const slots = new Map<string, ProjectSlots>();
  for (const fact of context.costFacts) {
    if (fact.dimension !== 'project' || !(fact.onDemandSlotMs > 0)) continue;
    const entry = slots.get(fact.key) ?? { projectId: fact.key, onDemandSlotMs: 0 };
    entry.onDemandSlotMs += fact.onDemandSlotMs;
    slots.set(fact.key, entry);
  }
  const prices = context.pricing.prices;
  const rates = prices.editionsUsdPerSlotHour[targetEdition];
  const windowHours = context.windowDays * hoursPerDay;
  const monthly = (usd: number) => (usd * daysPerMonth) / context.windowDays;
  const out: Recommendation[] = [];

  for (const [project, bytes] of [...bytesByProject].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!(bytes > 0)) continue;
    const tib = bytes / bytesPerTib;
    const onDemandLine = costLine(
      'On-demand queries in the window',
      tib,
      'TiB billed',
      prices.onDemandUsdPerTib,
      'gross list price (the free TiB per billing account is not deducted)',
    );
    const onDemandUsd = onDemandLine.usd ?? 0;
    if (monthly(onDemandUsd) < options.minMonthlySavingsUsd) continue;

    const measured = slots.get(project);
    const assumedRatio = options.assumedOnDemandSlotMsPerTib;
    if (!measured && assumedRatio === null) continue;
    const usedSlotHours = measured
      ? measured.onDemandSlotMs / msPerSlotHour
      : (tib * assumedRatio!) / msPerSlotHour;
    // No slot time for billed bytes means the measurement is missing, not that the work is free.
    if (!Number.isFinite(usedSlotHours) || !(usedSlotHours > 0)) continue;

    const autoscaled = (slotHours: number, label: string): CostLine =>
      costLine(
        label,
        slotHours * uplift.factor,
        `billed slot-hours (${targetEdition} pay-as-you-go; ${uplift.factor.toFixed(2)}x used)`,
        rates.payg,
        uplift.note,
      );
    const candidates: CapacityOption[] = [
      {
        name: `${targetEdition} pay-as-you-go, autoscaling from 0`,
        commitment: 'payg',
        baselineSlots: 0,
        windowUsd: 0,
        lines: [autoscaled(usedSlotHours, 'Autoscaled slots')],
      },
    ];
    // A commitment is sized at the largest step of slots below the average use, so on average it
    // is busy; what exceeds it autoscales.
    const step = prices.autoscaleStepSlots;
    const baselineSlots = Math.floor(usedSlotHours / windowHours / step) * step;
    for (const commitment of ['oneYear', 'threeYear'] as const) {
      const rate = rates[commitment];
      if (rate === null || baselineSlots < step) continue;
      const baselineHours = baselineSlots * windowHours;
      candidates.push({
        name: `${targetEdition} ${commitment === 'oneYear' ? '1-year' : '3-year'} commitment of ${baselineSlots} slots + autoscaling`,
        commitment,
        baselineSlots,
        windowUsd: 0,
        lines: [
          costLine(
            `Committed baseline (${baselineSlots} slots around the clock)`,
            baselineHours,
            `slot-hours (${targetEdition} ${commitment})`,
            rate,
          ),
          autoscaled(
            Math.max(0, usedSlotHours - baselineHours),
            'Autoscaled slots above the baseline',
          ),
        ],
      });
    }
    for (const c of candidates) c.windowUsd = c.lines.reduce((sum, l) => sum + (l.usd ?? 0), 0);
    const best = candidates.reduce((a, b) => (b.windowUsd < a.windowUsd ? b : a));
    const savings = monthly(onDemandUsd - best.windowUsd);
    if (!(savings >= options.minMonthlySavingsUsd)) continue;
    if (!(onDemandUsd - best.windowUsd >= options.minSavingsShare * onDemandUsd)) continue;

    const breakEvenUplift = rates.payg > 0 ? onDemandUsd / (usedSlotHours * rates.payg) : null;
    const assumptions = [
      measured
        ? `Slot-hours are what the project's on-demand jobs used in the window (${usedSlotHours.toFixed(1)}); the same work needs the same slot time on editions.`
        : `On-demand slot usage is not measured: assumed ${assumedRatio} slot-ms per TiB billed. CPU-heavy queries use far more, so this figure can be badly wrong.`,
      uplift.note,
      `Window costs are scaled to a ${daysPerMonth}-day month.`,
    ];
    if (best.commitment !== 'payg')
      assumptions.push(
        `The ${best.baselineSlots}-slot commitment assumes at least that many slots are busy around the clock; bursty use idles part of it and raises the cost.`,
      );
    const editionMonthly = monthly(best.windowUsd);
    out.push({
      id: stableId('rec', kind, project),
      kind,
      target: project,
      monthlySavingsUsd: savings,
      confidence: measured ? 'medium' : 'low',
      summary: `Move project ${project} from on-demand to ${best.name}: about ${money(editionMonthly)}/month instead of ${money(monthly(onDemandUsd))}/month, saving ${money(savings)}/month.`,
      evidence: {
        method:
          'On-demand cost of the window (TiB billed × price) against the same slot time on Enterprise edition capacity (used slot-hours × autoscale uplift × rate, or a commitment plus autoscaling); the cheapest option is proposed; scaled to a month.',
        costLines: [onDemandLine, ...best.lines],
        assumptions,
        project,
        onDemandUsdPerMonth: monthly(onDemandUsd),
        editionsUsdPerMonth: editionMonthly,
        usedSlotHours,
        slotUsageSource: measured ? 'measured' : 'assumed',
        peakSlots: measured?.peakSlots ?? null,
        autoscaleUplift: uplift.factor,
        autoscaleUpliftObserved: uplift.observed,
        breakEvenUplift,
        options: candidates.map((c) => ({ name: c.name, usdPerMonth: monthly(c.windowUsd) })),
      },
      fix: {
        summary: `Create an ${targetEdition} reservation and assign ${project} to it.`,
        steps: [
          `In an admin project, create a reservation with edition ${targetEdition}, baseline ${best.baselineSlots} slots and autoscale_max_slots ${measured?.peakSlots ? `of at least ${Math.ceil(measured.peakSlots / step) * step} (the peak seen)` : 'sized to the peak concurrent slots of its jobs'}.`,
          ...(best.commitment !== 'payg'
            ? [
                `Purchase a ${best.commitment === 'oneYear' ? '1-year' : '3-year'} capacity commitment of ${best.baselineSlots} slots.`,
              ]
            : []),
          `Assign ${project} (job type QUERY) to the reservation; compare a week of billed capacity with the on-demand cost before moving more.`,
        ],
        caveats: [
          'Queries in a reservation compete for its slots: latency depends on autoscale_max_slots, where on-demand lends up to 2,000 slots.',
          'Capacity is billed whether or not the slots are busy; the autoscaler bills 50-slot steps for at least 60 s.',
          'Commitments cannot be cancelled before they end.',
        ],
      },
    });
  }
  return out;
}

function reservationRecommendations(
  context: AnalyzerContext,
  uplift: Uplift,
  options: PricingModelOptions,
): Recommendation[] {
  const out: Recommendation[] = [];
  const step = context.pricing.prices.autoscaleStepSlots;
  for (const r of reservationWindows(context)) {
    if (!(r.baselineSlotHours > 0) || !(r.minutes > 0)) continue;
    const utilization = r.usedSlotHours / r.baselineSlotHours;
    if (!(utilization < options.maxBaselineUtilization)) continue;

    const hours = r.minutes / 60;
    const days = r.minutes / minutesPerDay;
    const rate = slotHourRate(context.pricing, r.reservationId, r.edition);
    const payg = context.pricing.prices.editionsUsdPerSlotHour[rate.edition].payg;
    const currentSlots = r.baselineSlotHours / hours;
    const newBaselineSlots = Math.floor(r.usedSlotHours / hours / step) * step;
    const released = costLine(
      'Idle baseline released',
      r.baselineSlotHours - newBaselineSlots * hours,
      `slot-hours (${rate.edition} ${rate.commitment})`,
      rate.usdPerSlotHour,
      `baseline slot-hours in RESERVATIONS_TIMELINE above a ${newBaselineSlots}-slot baseline`,
    );
    // Conservative: all use above the new baseline is billed again by the autoscaler, even the
    // part the current autoscaled slots already served.
    const displaced = costLine(
      'Added autoscaling for use above the new baseline (subtracted)',
      Math.max(0, r.usedSlotHours - newBaselineSlots * hours) * uplift.factor,
      `billed slot-hours (${rate.edition} pay-as-you-go; ${uplift.factor.toFixed(2)}x used)`,
      payg,
      uplift.note,
    );
    const windowSavings = (released.usd ?? 0) - (displaced.usd ?? 0);
    const savings = (windowSavings * daysPerMonth) / days;
    if (!(savings >= options.minMonthlySavingsUsd)) continue;

    const target = r.reservationId;
    const ddl = reservationDdlName(target);
    out.push({
      id: stableId('rec', kind, target),
      kind,
      target,
      monthlySavingsUsd: savings,
      confidence: rate.assumed ? 'medium' : 'high',
      summary: `Reservation ${target} used ${(utilization * 100).toFixed(1)}% of its ${Math.round(currentSlots)}-slot baseline: lowering the baseline to ${newBaselineSlots} slots saves about ${money(savings)}/month.`,
      evidence: {
        method:
          'Baseline slot-hours billed (RESERVATIONS_TIMELINE) against slot-hours its jobs used (jobs with this reservation_id, same days); savings = released baseline × rate − the use above the new baseline billed by the autoscaler; scaled to a month.',
        costLines: [released, displaced],
        assumptions: [
          `Rate ${rate.edition} ${rate.commitment}${rate.assumed ? ' (assumed: set this reservation in the pricing file)' : ''}.`,
          uplift.note,
          `The timeline covers ${days.toFixed(1)} day(s); figures are scaled to a ${daysPerMonth}-day month.`,
        ],
        reservationId: target,
        targetKind: 'reservation',
        baselineSlotHours: r.baselineSlotHours,
        autoscaleSlotHours: r.autoscaleSlotHours,
        usedSlotHours: r.usedSlotHours,
        baselineUtilization: utilization,
        averageBaselineSlots: currentSlots,
        proposedBaselineSlots: newBaselineSlots,
      },
      fix: {
        summary: `Lower the baseline of ${target} to ${newBaselineSlots} slots and let the autoscaler cover peaks.`,
        ...(ddl
          ? { sql: `ALTER RESERVATION \`${ddl}\` SET OPTIONS(slot_capacity = ${newBaselineSlots})` }
          : {}),
        steps: [
          `Set the baseline (slot_capacity) to ${newBaselineSlots}.`,
          `Raise autoscale_max_slots by the ${Math.round(currentSlots - newBaselineSlots)} slots removed so peak capacity stays the same.`,
        ],
        caveats: [
          'A capacity commitment behind the baseline keeps billing until it ends: lower or do not renew it.',
          'Other reservations of the admin project may borrow idle baseline slots (idle slot sharing); they will autoscale more instead.',
          'Queries that ran on idle baseline slots wait for the autoscaler (seconds) when a burst starts.',
        ],
      },
    });
  }
  return out;
}

/** `admin-project:US.name` (as JOBS and the timeline report it) → `admin-project.region-us.name`. */
function reservationDdlName(reservationId: string): string | null {
  const match = /^([^:]+):([^.]+)\.(.+)$/.exec(reservationId);
  if (!match) return null;
  const [, project, location, name] = match;
  return `${project}.region-${location!.toLowerCase()}.${name}`;
}

function money(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
