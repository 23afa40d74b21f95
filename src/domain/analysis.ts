import { z } from 'zod';

// The offline contract's JSON (`bqcost analyze --format json`). Other tools depend on this shape.

export const attributionRowSchema = z.object({
  key: z.string(),
  onDemandUsd: z.number(),
  slotHours: z.number(),
  jobs: z.number().int(),
});
export type AttributionRow = z.infer<typeof attributionRowSchema>;

export const recommendationKinds = [
  'partition_table',
  'cluster_table',
  'require_partition_filter',
  'storage_billing_model',
  'expire_unused_table',
  'pricing_model',
  'materialize_repeated_query',
  'cap_bytes_billed',
  'sql_antipattern',
] as const;
export type RecommendationKind = (typeof recommendationKinds)[number];

export const lintRules = [
  'select_star',
  'semi_join_without_aggregation',
  'cte_referenced_multiple_times',
  'order_by_without_limit',
  'regexp_contains_instead_of_like',
  'latest_record_with_analytic_function',
  'dynamic_predicate',
  'where_order',
  'missing_drop_temp_table',
  'dropped_persistent_table',
  'missing_partition_filter',
  'unpartitioned_date_filter',
  'wide_date_range',
  'distinct_on_large_table',
] as const;
export type LintRule = (typeof lintRules)[number];

export const recommendationSchema = z.object({
  id: z.string(),
  kind: z.enum(recommendationKinds),
  rule: z.enum(lintRules).optional(),
  target: z.string(),
  monthlySavingsUsd: z.number().nullable(),
  confidence: z.enum(['high', 'medium', 'low']),
  summary: z.string(),
  evidence: z.unknown(),
  fix: z.unknown(),
});
export type Recommendation = z.infer<typeof recommendationSchema>;

export const anomalySchema = z.object({
  id: z.string(),
  scope: z.string(),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  usd: z.number(),
  expectedUsd: z.number(),
  severity: z.string(),
});
export type Anomaly = z.infer<typeof anomalySchema>;

export const analysisResultSchema = z.object({
  window: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }),
  totals: z.object({
    jobs: z.number().int(),
    onDemandUsd: z.number(),
    capacitySlotHours: z.number(),
    capacityUsd: z.number(),
    /** null when no table_storage export was given: unknown, not $0. */
    storageUsdPerMonth: z.number().nullable(),
  }),
  attribution: z.object({
    byUser: z.array(attributionRowSchema),
    byProject: z.array(attributionRowSchema),
    byLabel: z.array(attributionRowSchema),
    byQueryPattern: z.array(attributionRowSchema),
    byTable: z.array(attributionRowSchema),
  }),
  recommendations: z.array(recommendationSchema),
  anomalies: z.array(anomalySchema),
  warnings: z.array(z.string()),
});
export type AnalysisResult = z.infer<typeof analysisResultSchema>;

/** A priced quantity: every dollar figure is quantity × unit price, and says so. */
export interface CostLine {
  label: string;
  quantity: number | null;
  unit: string;
  unitPriceUsd: number;
  usd: number | null;
  method?: string;
}

export function costLine(
  label: string,
  quantity: number | null,
  unit: string,
  unitPriceUsd: number,
  method?: string,
): CostLine {
  return {
    label,
    quantity,
    unit,
    unitPriceUsd,
    usd: quantity === null ? null : quantity * unitPriceUsd,
    ...(method ? { method } : {}),
  };
}

/** Rounds money and quantities for output; sums are done on the unrounded values. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
