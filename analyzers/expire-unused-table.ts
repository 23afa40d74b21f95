// Storage is billed every month for every byte kept, read or not. A large table that no job
// has read for a whole window (a finished experiment, an old snapshot, an abandoned pipeline's
// output) costs its full storage price for nothing; an expiration removes it after a grace
// period in which an owner can still object.
// https://cloud.google.com/bigquery/docs/best-practices-storage#use_the_expiration_settings_to_remove_unneeded_tables_and_partitions
import { costLine, type CostLine, type Recommendation } from '../src/domain/analysis.js';
import {
  stableId,
  type Analyzer,
  type AnalyzerContext,
  type TableUsageFact,
} from '../src/domain/context.js';
import type { TableStorageFact } from '../src/domain/facts.js';
import {
  bytesPerGib,
  parseStorageBillingModel,
  storageUsdPerMonth,
  type StorageBillingModel,
} from '../src/domain/pricing.js';

/**
 * 10 GiB is at most $0.20–0.40/month active and half that long-term: below it a table is not
 * worth an owner's review (Google's own recommender ignores tables under ~10 GB for clustering).
 */
export const minLogicalBytes = 10 * bytesPerGib;
/** A card must pay for the attention it asks for. */
export const minMonthlySavingsUsd = 1;
/** Days of grace in the fix: the owner of a forgotten reader has a month to object. */
export const graceDays = 30;
/** Monthly jobs (month-end reports) are invisible in shorter windows: such findings are low confidence. */
export const minConfidentWindowDays = 28;

const kind = 'expire_unused_table';

/** TABLE_STORAGE types that hold billed bytes of their own; views and external tables do not. */
const storageTypes = new Set(['BASE TABLE', 'CLONE', 'SNAPSHOT']);

export const expireUnusedTable: Analyzer = {
  id: 'expire-unused-table',
  kinds: [kind],
  analyze(context) {
    const usage = new Map(context.tableUsage.map((u) => [u.table, u]));
    const recommendations: Recommendation[] = [];
    for (const table of context.tables) {
      const key = `${table.projectId}.${table.datasetId}.${table.tableId}`;
      const recommendation = recommend(table, key, usage.get(key), context);
      if (recommendation) recommendations.push(recommendation);
    }
    return { recommendations, anomalies: [] };
  },
};

function recommend(
  table: TableStorageFact,
  target: string,
  usage: TableUsageFact | undefined,
  context: AnalyzerContext,
): Recommendation | null {
  if (table.tableType !== null && !storageTypes.has(table.tableType.toUpperCase())) return null;
  if (!(table.totalLogicalBytes >= minLogicalBytes)) return null;
  if ((usage?.reads ?? 0) > 0) return null;
  // Created inside the window: too new for "nobody read it in the window" to mean anything.
  if (table.creationTime && table.creationTime.getTime() >= context.window.start.getTime())
    return null;

  const writes = usage?.writes ?? 0;
  const modifiedInWindow =
    table.storageLastModifiedTime !== null &&
    table.storageLastModifiedTime.getTime() >= context.window.start.getTime();
  // Modified in the window without a visible write job: streaming or jobs of other projects.
  const written = writes > 0 || modifiedInWindow;

  const model = parseStorageBillingModel(table.storageBillingModelOption);
  const lines = storageLines(table, model, context);
  const savings = lines.every((line) => line.usd !== null)
    ? storageUsdPerMonth(table, model, context.pricing)
    : null;
  if (savings !== null && !(savings >= minMonthlySavingsUsd)) return null;

  const days = context.windowDays;
  const size = `${gibText(table.totalLogicalBytes)} logical`;
  const saving = savings === null ? 'an unknown amount' : `${money(savings)}/month`;
  const summary = written
    ? `Table ${target} (${size}) is written${writes > 0 ? ` ${writes} time(s)` : ''} in the last ${days} days but no job read it: expiring it (and stopping its writer) saves ${saving}.`
    : `Table ${target} (${size}) was not read or written by any job in the last ${days} days: expiring it saves ${saving}.`;

  const assumptions = [
    `"Not read" means no job in the jobs export referenced it in [${context.window.start.toISOString()}, ${context.window.end.toISOString()}).`,
    `Saving = the table's monthly storage under its dataset's current ${model} billing model, from the TABLE_STORAGE snapshot.`,
  ];
  if (written)
    assumptions.push(
      'The table is still being written: the saving only happens if its writer is stopped too (or it would be re-created).',
    );
  if (savings === null)
    assumptions.push(
      'Physical bytes are missing from the export, so the cost under PHYSICAL is unknown.',
    );

  return {
    id: stableId('rec', kind, target),
    kind,
    target,
    monthlySavingsUsd: savings,
    confidence: written || days < minConfidentWindowDays ? 'low' : 'medium',
    summary,
    evidence: {
      method: `TABLE_STORAGE size and billing model × storage rates; reads and writes from the jobs of the last ${days} days (referenced_tables, destination_table).`,
      costLines: lines,
      assumptions,
      table: target,
      tableType: table.tableType,
      totalLogicalBytes: table.totalLogicalBytes,
      totalPhysicalBytes: table.totalPhysicalBytes,
      storageBillingModel: model,
      creationTime: table.creationTime?.toISOString() ?? null,
      storageLastModifiedTime: table.storageLastModifiedTime?.toISOString() ?? null,
      readsInWindow: 0,
      lastRead: null,
      lastReadNote: `unknown: no read within the ${days}-day window`,
      writesInWindow: writes,
      lastWrite: usage?.lastWrite?.toISOString() ?? null,
      window: {
        start: context.window.start.toISOString(),
        end: context.window.end.toISOString(),
      },
    },
    fix: {
      summary: `Let ${target} expire in ${graceDays} days unless an owner objects.`,
      sql: `ALTER TABLE \`${target}\` SET OPTIONS(expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL ${graceDays} DAY))`,
      steps: [
        "Ask the dataset's owners whether anything still needs the table; export it to Cloud Storage (archive class) if it must be kept.",
        ...(written ? ['Find and stop the job that writes it, or it will be re-created.'] : []),
        'Run the ALTER TABLE statement; to cancel before it expires, set expiration_timestamp = NULL.',
      ],
      caveats: [
        "INFORMATION_SCHEMA.JOBS keeps only 180 days and covers only this project's jobs in this region: readers in other projects or regions are invisible.",
        'Reads that are not query jobs (BigQuery Storage Read API clients such as Spark or Dataflow, console previews via tabledata.list) do not appear in the jobs history.',
        'Under PHYSICAL billing a deleted table stays billed for its time travel (up to 7 days) and fail-safe (7 more days) bytes; it can be restored during time travel.',
      ],
    },
  };
}

function storageLines(
  table: TableStorageFact,
  model: StorageBillingModel,
  context: AnalyzerContext,
): CostLine[] {
  const rates = context.pricing.prices.storageUsdPerGibMonth;
  const gib = (value: number) => (Number.isFinite(value) ? value / bytesPerGib : null);
  if (model === 'LOGICAL') {
    return [
      costLine(
        'Active logical storage',
        gib(table.activeLogicalBytes),
        'GiB-month',
        rates.logicalActive,
      ),
      costLine(
        'Long-term logical storage',
        gib(table.longTermLogicalBytes),
        'GiB-month',
        rates.logicalLongTerm,
      ),
    ];
  }
  // No physical footprint next to logical bytes: the export did not carry physical bytes.
  const physicalMissing =
    table.totalLogicalBytes > 0 &&
    table.activePhysicalBytes + table.longTermPhysicalBytes + table.failSafePhysicalBytes === 0;
  const physical = (value: number) => (physicalMissing ? null : gib(value));
  return [
    costLine(
      'Active physical storage incl. time travel',
      physical(table.activePhysicalBytes),
      'GiB-month',
      rates.physicalActive,
    ),
    costLine(
      'Fail-safe physical storage',
      physical(table.failSafePhysicalBytes),
      'GiB-month',
      rates.physicalActive,
      'fail-safe bytes are billed at the active physical rate',
    ),
    costLine(
      'Long-term physical storage',
      physical(table.longTermPhysicalBytes),
      'GiB-month',
      rates.physicalLongTerm,
    ),
  ];
}

function gibText(bytes: number): string {
  const gib = bytes / bytesPerGib;
  return gib >= 1024 ? `${(gib / 1024).toFixed(1)} TiB` : `${gib.toFixed(0)} GiB`;
}

function money(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
