import type { AnalysisResult, AttributionRow, CostLine } from '../domain/analysis.js';
import { costLine, round6 } from '../domain/analysis.js';
import type {
  AttributionDimension,
  CostFact,
  ReservationCapacityFact,
  TableStorageFact,
  TimeWindow,
} from '../domain/facts.js';
import type { PricingContext, StorageBillingModel } from '../domain/pricing.js';
import {
  bytesPerTib,
  parseStorageBillingModel,
  slotHourRate,
  slotHours,
  storageUsdPerMonth,
} from '../domain/pricing.js';
import { msPerDay, startOfUtcDay, utcDay } from '../domain/timestamps.js';
import type { Warehouse } from '../ports/warehouse.js';

export interface AnalyzeDeps {
  warehouse: Warehouse;
  pricing: PricingContext;
}

export interface AnalyzeOptions {
  /** Exclusive end of the window; default: the end of the UTC day of the latest job. */
  asOf?: Date;
  windowDays: number;
  /** Messages from the import (skipped rows, duplicates) carried into `warnings`. */
  warnings?: readonly string[];
  /** Also attribute the previous window of the same length (for movers). Default true. */
  comparePrevious?: boolean;
}

export interface KeyedCost extends AttributionRow {
  capacityUsd: number;
}

export interface DailyCost {
  day: string;
  onDemandUsd: number;
  capacityUsd: number;
  jobs: number;
}

export interface ReservationCost {
  reservationId: string;
  edition: string;
  commitment: string;
  usdPerSlotHour: number;
  usedSlotHours: number;
  billedSlotHours: number | null;
  usd: number;
  method: string;
}

export interface DatasetStorageCost {
  dataset: string;
  model: StorageBillingModel;
  tables: number;
  usdPerMonth: number;
}

/** What the warehouse returned for the window, for use cases that build on this analysis. */
export interface AnalysisInputs {
  costFacts: CostFact[];
  tables: TableStorageFact[];
  reservations: ReservationCapacityFact[];
}

export interface CostAnalysis {
  result: AnalysisResult;
  inputs: AnalysisInputs;
  window: TimeWindow;
  previousWindow: TimeWindow;
  dimensions: Record<AttributionDimension, KeyedCost[]>;
  previousDimensions: Record<AttributionDimension, KeyedCost[]>;
  daily: DailyCost[];
  costLines: CostLine[];
  reservations: ReservationCost[];
  storage: DatasetStorageCost[];
  freeTierCreditUsd: number;
}

const dimensionKeys: Record<AttributionDimension, keyof AnalysisResult['attribution']> = {
  user: 'byUser',
  project: 'byProject',
  label: 'byLabel',
  query_pattern: 'byQueryPattern',
  table: 'byTable',
};

/** Prices and attributes a window of job history plus the current storage snapshot. */
export async function analyzeCosts(
  deps: AnalyzeDeps,
  options: AnalyzeOptions,
): Promise<CostAnalysis> {
  const { warehouse, pricing } = deps;
  const warnings = [...(options.warnings ?? [])];
  const asOf = options.asOf ?? (await defaultAsOf(warehouse));
  const window = { start: new Date(asOf.getTime() - options.windowDays * msPerDay), end: asOf };
  const previousWindow = {
    start: new Date(window.start.getTime() - options.windowDays * msPerDay),
    end: window.start,
  };

  const [facts, previousFacts, capacity, tables] = await Promise.all([
    warehouse.costFacts(window),
    options.comparePrevious === false ? Promise.resolve([]) : warehouse.costFacts(previousWindow),
    warehouse.reservationCapacity(window),
    warehouse.tableStorage(),
  ]);

  const rate = (fact: CostFact) => slotHourRate(pricing, fact.reservationId, fact.edition);
  const totals = facts.filter((f) => f.dimension === 'total');
  const jobs = sum(totals, (f) => f.jobs);
  const onDemandBytes = sum(totals, (f) => f.onDemandBytesBilled);
  const onDemandUsd = (onDemandBytes / bytesPerTib) * pricing.prices.onDemandUsdPerTib;
  const usedSlotHours = sum(totals, (f) => slotHours(f.reservationSlotMs));

  const assumed = totals.filter((f) => f.reservationSlotMs > 0 && rate(f).assumed);
  if (assumed.length > 0) {
    warnings.push(
      `${round2(sum(assumed, (f) => slotHours(f.reservationSlotMs)))} slot-hours ran in reservations with no known edition; priced as ${pricing.defaultEdition} pay-as-you-go (set reservations in the pricing file)`,
    );
  }

  const reservations = priceReservations(totals, capacity, pricing);
  const capacityUsd = sum(reservations, (r) => r.usd);
  const storage = priceStorage(tables, pricing);
  if (tables.length === 0) warnings.push('no table_storage export: storage cost is unknown');
  const storageUsd = tables.length === 0 ? null : sum(storage, (s) => s.usdPerMonth);
  const freeTierCreditUsd = freeTierCredit(totals, pricing);

  const dimensions = attributeAll(facts, rate, pricing.prices.onDemandUsdPerTib);
  const previousDimensions = attributeAll(previousFacts, rate, pricing.prices.onDemandUsdPerTib);

  const costLines: CostLine[] = [
    costLine(
      'On-demand queries',
      onDemandBytes / bytesPerTib,
      'TiB billed',
      pricing.prices.onDemandUsdPerTib,
      'gross list price; SCRIPT parents, cache hits, failed and reservation jobs excluded',
    ),
    ...reservations.map((r) =>
      costLine(
        `Capacity ${r.reservationId}`,
        r.billedSlotHours ?? r.usedSlotHours,
        `slot-hours (${r.edition} ${r.commitment})`,
        r.usdPerSlotHour,
        r.method,
      ),
    ),
    ...storage.map((s) => ({
      label: `Storage ${s.dataset} (${s.model})`,
      quantity: s.tables,
      unit: 'tables',
      unitPriceUsd: 0,
      usd: s.usdPerMonth,
      method: 'per month at the dataset’s current billing model',
    })),
  ];

  const result: AnalysisResult = {
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    totals: {
      jobs,
      onDemandUsd: round6(onDemandUsd),
      capacitySlotHours: round6(usedSlotHours),
      capacityUsd: round6(capacityUsd),
      storageUsdPerMonth: storageUsd === null ? null : round6(storageUsd),
    },
    attribution: {
      byUser: dimensions.user.map(contractRow),
      byProject: dimensions.project.map(contractRow),
      byLabel: dimensions.label.map(contractRow),
      byQueryPattern: dimensions.query_pattern.map(contractRow),
      byTable: dimensions.table.map(contractRow),
    },
    recommendations: [],
    anomalies: [],
    warnings,
  };

  return {
    result,
    inputs: { costFacts: facts, tables, reservations: capacity },
    window,
    previousWindow,
    dimensions,
    previousDimensions,
    daily: dailyCosts(totals, window, rate, pricing),
    costLines,
    reservations,
    storage,
    freeTierCreditUsd,
  };
}

async function defaultAsOf(warehouse: Warehouse): Promise<Date> {
  const range = await warehouse.dataRange();
  const last = range.lastCreationTime ?? new Date();
  return new Date(startOfUtcDay(last).getTime() + msPerDay);
}

type RateOf = (fact: CostFact) => { usdPerSlotHour: number };

function attributeAll(
  facts: CostFact[],
  rate: RateOf,
  usdPerTib: number,
): Record<AttributionDimension, KeyedCost[]> {
  const out = {} as Record<AttributionDimension, KeyedCost[]>;
  for (const dimension of Object.keys(dimensionKeys) as AttributionDimension[]) {
    out[dimension] = attribute(
      facts.filter((f) => f.dimension === dimension),
      rate,
      usdPerTib,
    );
  }
  return out;
}

/** Sums daily facts per key; sorted by cost (on-demand + used capacity) desc, then key. */
export function attribute(facts: CostFact[], rate: RateOf, usdPerTib: number): KeyedCost[] {
  const byKey = new Map<
    string,
    { bytes: number; slotMs: number; capacityUsd: number; jobs: number }
  >();
  for (const fact of facts) {
    const entry = byKey.get(fact.key) ?? { bytes: 0, slotMs: 0, capacityUsd: 0, jobs: 0 };
    entry.bytes += fact.onDemandBytesBilled;
    entry.slotMs += fact.reservationSlotMs;
    entry.capacityUsd += slotHours(fact.reservationSlotMs) * rate(fact).usdPerSlotHour;
    entry.jobs += fact.jobs;
    byKey.set(fact.key, entry);
  }
  const rows = [...byKey.entries()].map(([key, e]) => ({
    key,
    onDemandUsd: (e.bytes / bytesPerTib) * usdPerTib,
    slotHours: slotHours(e.slotMs),
    jobs: e.jobs,
    capacityUsd: e.capacityUsd,
  }));
  return rows.sort(
    (a, b) =>
      b.onDemandUsd + b.capacityUsd - (a.onDemandUsd + a.capacityUsd) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

function contractRow(row: KeyedCost): AttributionRow {
  return {
    key: row.key,
    onDemandUsd: round6(row.onDemandUsd),
    slotHours: round6(row.slotHours),
    jobs: row.jobs,
  };
}

function priceReservations(
  totals: CostFact[],
  capacity: ReservationCapacityFact[],
  pricing: PricingContext,
): ReservationCost[] {
  const used = new Map<string, { slotMs: number; edition: string | null }>();
  for (const fact of totals) {
    if (!fact.reservationId || fact.reservationSlotMs === 0) continue;
    const entry = used.get(fact.reservationId) ?? { slotMs: 0, edition: fact.edition };
    entry.slotMs += fact.reservationSlotMs;
    used.set(fact.reservationId, entry);
  }
  const billed = new Map<string, { slotHours: number; edition: string | null }>();
  for (const row of capacity) {
    const entry = billed.get(row.reservationId) ?? { slotHours: 0, edition: row.edition };
    entry.slotHours += row.baselineSlotHours + row.autoscaleSlotHours;
    billed.set(row.reservationId, entry);
  }
  const ids = [...new Set([...used.keys(), ...billed.keys()])].sort();
  return ids.map((id) => {
    const usedSlotHours = slotHours(used.get(id)?.slotMs ?? 0);
    const timeline = billed.get(id);
    const price = slotHourRate(pricing, id, used.get(id)?.edition ?? timeline?.edition ?? null);
    const base = {
      reservationId: id,
      edition: price.edition,
      commitment: price.commitment,
      usdPerSlotHour: price.usdPerSlotHour,
      usedSlotHours,
    };
    if (timeline) {
      return {
        ...base,
        billedSlotHours: timeline.slotHours,
        usd: timeline.slotHours * price.usdPerSlotHour,
        method:
          'billed capacity from RESERVATIONS_TIMELINE (baseline + autoscaled slots per minute)',
      };
    }
    return {
      ...base,
      billedSlotHours: null,
      usd: usedSlotHours * price.usdPerSlotHour,
      method: `lower bound: slot-hours used by jobs × rate; the autoscaler bills ${pricing.prices.autoscaleStepSlots}-slot steps for at least ${pricing.prices.autoscaleMinBillingSeconds} s, so the real bill is higher (export RESERVATIONS_TIMELINE for billed capacity)`,
    };
  });
}

function priceStorage(tables: TableStorageFact[], pricing: PricingContext): DatasetStorageCost[] {
  const byDataset = new Map<string, DatasetStorageCost>();
  for (const table of tables) {
    const dataset = `${table.projectId}.${table.datasetId}`;
    const model = parseStorageBillingModel(table.storageBillingModelOption);
    const usd = storageUsdPerMonth(
      {
        activeLogicalBytes: table.activeLogicalBytes,
        longTermLogicalBytes: table.longTermLogicalBytes,
        activePhysicalBytes: table.activePhysicalBytes,
        longTermPhysicalBytes: table.longTermPhysicalBytes,
        failSafePhysicalBytes: table.failSafePhysicalBytes,
      },
      model,
      pricing,
    );
    const entry = byDataset.get(dataset) ?? { dataset, model, tables: 0, usdPerMonth: 0 };
    entry.tables += 1;
    entry.usdPerMonth += usd;
    byDataset.set(dataset, entry);
  }
  return [...byDataset.values()].sort(
    (a, b) => b.usdPerMonth - a.usdPerMonth || a.dataset.localeCompare(b.dataset),
  );
}

/** The first TiB each calendar month is free per billing account: shown apart, never deducted. */
function freeTierCredit(totals: CostFact[], pricing: PricingContext): number {
  const bytesByMonth = new Map<string, number>();
  for (const fact of totals) {
    const month = fact.day.slice(0, 7);
    bytesByMonth.set(month, (bytesByMonth.get(month) ?? 0) + fact.onDemandBytesBilled);
  }
  const freeBytes = pricing.prices.freeTibPerMonth * bytesPerTib;
  let credit = 0;
  for (const bytes of bytesByMonth.values())
    credit += (Math.min(bytes, freeBytes) / bytesPerTib) * pricing.prices.onDemandUsdPerTib;
  return credit;
}

function dailyCosts(
  totals: CostFact[],
  window: TimeWindow,
  rate: RateOf,
  pricing: PricingContext,
): DailyCost[] {
  const days = new Map<string, DailyCost>();
  for (let t = startOfUtcDay(window.start).getTime(); t < window.end.getTime(); t += msPerDay) {
    const day = utcDay(new Date(t));
    days.set(day, { day, onDemandUsd: 0, capacityUsd: 0, jobs: 0 });
  }
  for (const fact of totals) {
    const entry = days.get(fact.day);
    if (!entry) continue;
    entry.onDemandUsd +=
      (fact.onDemandBytesBilled / bytesPerTib) * pricing.prices.onDemandUsdPerTib;
    entry.capacityUsd += slotHours(fact.reservationSlotMs) * rate(fact).usdPerSlotHour;
    entry.jobs += fact.jobs;
  }
  return [...days.values()];
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += of(item);
  return total;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
