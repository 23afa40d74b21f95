// A dataset's storage billing model prices every byte in it. LOGICAL bills uncompressed bytes at
// half the physical rate; PHYSICAL bills compressed bytes (plus time travel and fail-safe) at
// twice the rate. Data compressing better than ~2x with little churn is cheaper on PHYSICAL;
// poorly compressed or heavily rewritten data is cheaper on LOGICAL. The wrong model can double
// a dataset's storage bill, and the option is set once per dataset and then forgotten.
// https://cloud.google.com/bigquery/docs/datasets-intro#dataset_storage_billing_models
import { costLine, type CostLine } from '../src/domain/analysis.js';
import { stableId, type Analyzer, type AnalyzerContext } from '../src/domain/context.js';
import type { Recommendation } from '../src/domain/analysis.js';
import type { TableStorageFact } from '../src/domain/facts.js';
import {
  bytesPerGib,
  parseStorageBillingModel,
  storageUsdPerMonth,
  type StorageBillingModel,
  type StorageBytes,
} from '../src/domain/pricing.js';

/**
 * A switch cannot be reverted for 14 days, and each model's cost moves with compression and
 * churn (time travel, fail-safe): an edge under 5% can flip with a normal month of writes.
 */
export const minSavingsShare = 0.05;
/** Below $1/month the card costs more reader attention than it saves. */
export const minMonthlySavingsUsd = 1;

const kind = 'storage_billing_model';

interface DatasetBytes extends StorageBytes {
  timeTravelPhysicalBytes: number;
}

interface DatasetSummary {
  dataset: string;
  models: Set<StorageBillingModel>;
  tables: number;
  bytes: DatasetBytes;
  /** Tables whose bytes cannot be used (non-finite, or physical bytes missing). */
  unknownTables: string[];
  unknownLogicalBytes: number;
}

export const storageBillingModel: Analyzer = {
  id: 'storage-billing-model',
  kinds: [kind],
  analyze(context) {
    const recommendations: Recommendation[] = [];
    for (const summary of summarize(context.tables)) {
      const recommendation = recommend(summary, context);
      if (recommendation) recommendations.push(recommendation);
    }
    return { recommendations, anomalies: [] };
  },
};

function summarize(tables: readonly TableStorageFact[]): DatasetSummary[] {
  const byDataset = new Map<string, DatasetSummary>();
  for (const table of tables) {
    const dataset = `${table.projectId}.${table.datasetId}`;
    const summary = byDataset.get(dataset) ?? {
      dataset,
      models: new Set<StorageBillingModel>(),
      tables: 0,
      bytes: {
        activeLogicalBytes: 0,
        longTermLogicalBytes: 0,
        activePhysicalBytes: 0,
        longTermPhysicalBytes: 0,
        failSafePhysicalBytes: 0,
        timeTravelPhysicalBytes: 0,
      },
      unknownTables: [],
      unknownLogicalBytes: 0,
    };
    byDataset.set(dataset, summary);
    summary.models.add(parseStorageBillingModel(table.storageBillingModelOption));
    summary.tables += 1;
    if (!bytesKnown(table)) {
      summary.unknownTables.push(`${dataset}.${table.tableId}`);
      if (Number.isFinite(table.totalLogicalBytes))
        summary.unknownLogicalBytes += table.totalLogicalBytes;
      continue;
    }
    const b = summary.bytes;
    b.activeLogicalBytes += table.activeLogicalBytes;
    b.longTermLogicalBytes += table.longTermLogicalBytes;
    b.activePhysicalBytes += table.activePhysicalBytes;
    b.longTermPhysicalBytes += table.longTermPhysicalBytes;
    b.failSafePhysicalBytes += table.failSafePhysicalBytes;
    b.timeTravelPhysicalBytes += table.timeTravelPhysicalBytes;
  }
  return [...byDataset.values()].sort((a, b) => (a.dataset < b.dataset ? -1 : 1));
}

/**
 * Physical bytes of 0 next to logical bytes means the export did not carry them (real data
 * always has a physical footprint): pricing PHYSICAL from that would show a fake saving.
 */
function bytesKnown(table: TableStorageFact): boolean {
  const values = [
    table.activeLogicalBytes,
    table.longTermLogicalBytes,
    table.activePhysicalBytes,
    table.longTermPhysicalBytes,
    table.failSafePhysicalBytes,
    table.timeTravelPhysicalBytes,
  ];
  if (!values.every((v) => Number.isFinite(v) && v >= 0)) return false;
  const logical = table.activeLogicalBytes + table.longTermLogicalBytes;
  const physical =
    table.activePhysicalBytes + table.longTermPhysicalBytes + table.failSafePhysicalBytes;
  return !(logical > 0 && physical === 0);
}

/** Tables of unknown size may hold at most this share of the dataset's logical bytes. */
const maxUnknownShare = 0.1;

function recommend(summary: DatasetSummary, context: AnalyzerContext): Recommendation | null {
  // The option is per dataset, repeated on each of its tables; disagreement means bad input.
  if (summary.models.size !== 1) return null;
  const current = [...summary.models][0]!;
  const other: StorageBillingModel = current === 'LOGICAL' ? 'PHYSICAL' : 'LOGICAL';
  const { bytes } = summary;
  const knownLogical = bytes.activeLogicalBytes + bytes.longTermLogicalBytes;
  const allLogical = knownLogical + summary.unknownLogicalBytes;
  if (summary.unknownTables.length > 0 && !(allLogical > 0)) return null;
  if (
    summary.unknownTables.length > 0 &&
    summary.unknownLogicalBytes / allLogical > maxUnknownShare
  )
    return null;

  const currentUsd = storageUsdPerMonth(bytes, current, context.pricing);
  const otherUsd = storageUsdPerMonth(bytes, other, context.pricing);
  const savings = currentUsd - otherUsd;
  if (!(savings >= minMonthlySavingsUsd) || !(savings >= minSavingsShare * currentUsd)) return null;

  const target = summary.dataset;
  const complete = summary.unknownTables.length === 0;
  const assumptions = [
    'Bytes are the TABLE_STORAGE snapshot at the end of the window; both models are priced on the same bytes, so the forecast holds while compression and churn stay similar.',
    'Physical billing charges time travel (inside active physical bytes) and fail-safe bytes at the active physical rate.',
    'Data keeps its long-term status (90 days unmodified) across a switch.',
  ];
  if (!complete) {
    assumptions.push(
      `${summary.unknownTables.length} table(s) with unknown bytes (${summary.unknownTables.join(', ')}) are left out; they hold at most ${Math.round(maxUnknownShare * 100)}% of the dataset's logical bytes.`,
    );
  }
  const costLines = [
    ...modelLines(bytes, current, 'current', context),
    ...modelLines(bytes, other, 'proposed', context),
  ];

  return {
    id: stableId('rec', kind, target),
    kind,
    target,
    monthlySavingsUsd: savings,
    confidence: complete ? 'high' : 'medium',
    summary: `Switch dataset ${target} from ${current} to ${other} storage billing: ${money(otherUsd)}/month instead of ${money(currentUsd)}/month, saving ${money(savings)}/month.`,
    evidence: {
      method: `Monthly storage cost of the dataset's ${summary.tables} table(s) under each billing model from TABLE_STORAGE bytes; savings = current − proposed.`,
      costLines,
      assumptions,
      dataset: target,
      currentModel: current,
      proposedModel: other,
      currentUsdPerMonth: currentUsd,
      proposedUsdPerMonth: otherUsd,
      tables: summary.tables,
      compressionRatio:
        bytes.activePhysicalBytes + bytes.longTermPhysicalBytes > 0
          ? knownLogical / (bytes.activePhysicalBytes + bytes.longTermPhysicalBytes)
          : null,
      timeTravelPhysicalBytes: bytes.timeTravelPhysicalBytes,
      failSafePhysicalBytes: bytes.failSafePhysicalBytes,
    },
    fix: {
      summary: `Set storage_billing_model = '${other}' on ${target}.`,
      sql: `ALTER SCHEMA \`${target}\` SET OPTIONS(storage_billing_model = '${other}')`,
      steps: [
        'Run the ALTER SCHEMA statement (needs bigquery.datasets.update on the dataset).',
        'The new model applies to every table in the dataset; billing changes within about 24 hours.',
      ],
      caveats: [
        'A dataset cannot change its billing model again for 14 days after a switch.',
        other === 'PHYSICAL'
          ? 'Under PHYSICAL, time travel and fail-safe bytes are billed at the active physical rate: heavy rewrites raise the bill. Reducing the time travel window (max_time_travel_hours, down to 48) lowers it.'
          : 'Under LOGICAL, time travel and fail-safe bytes are no longer billed, but every byte is billed uncompressed: a later rise in compression would favour PHYSICAL again.',
      ],
    },
  };
}

function modelLines(
  bytes: DatasetBytes,
  model: StorageBillingModel,
  role: 'current' | 'proposed',
  context: AnalyzerContext,
): CostLine[] {
  const rates = context.pricing.prices.storageUsdPerGibMonth;
  const gib = (value: number) => value / bytesPerGib;
  const tag = `${role}, ${model}`;
  if (model === 'LOGICAL') {
    return [
      costLine(
        `Active logical storage (${tag})`,
        gib(bytes.activeLogicalBytes),
        'GiB-month',
        rates.logicalActive,
      ),
      costLine(
        `Long-term logical storage (${tag})`,
        gib(bytes.longTermLogicalBytes),
        'GiB-month',
        rates.logicalLongTerm,
      ),
    ];
  }
  return [
    costLine(
      `Active physical storage incl. time travel (${tag})`,
      gib(bytes.activePhysicalBytes),
      'GiB-month',
      rates.physicalActive,
    ),
    costLine(
      `Fail-safe physical storage (${tag})`,
      gib(bytes.failSafePhysicalBytes),
      'GiB-month',
      rates.physicalActive,
      'fail-safe bytes are billed at the active physical rate',
    ),
    costLine(
      `Long-term physical storage (${tag})`,
      gib(bytes.longTermPhysicalBytes),
      'GiB-month',
      rates.physicalLongTerm,
    ),
  ];
}

function money(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
