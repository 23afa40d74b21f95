import { z } from 'zod';
import type { Edition } from './jobs.js';

// List prices (USD). Defaults are the US multi-region's; every number can be overridden per
// region from a pricing file (see `pricingFileSchema`).

export const bytesPerTib = 2 ** 40;
export const bytesPerGib = 2 ** 30;
export const msPerSlotHour = 3.6e6;

const usd = z.number().nonnegative();

const editionRatesSchema = z.object({
  payg: usd,
  oneYear: usd.nullable(),
  threeYear: usd.nullable(),
});

export const regionPricingSchema = z.object({
  onDemandUsdPerTib: usd,
  freeTibPerMonth: z.number().nonnegative(),
  editionsUsdPerSlotHour: z.object({
    STANDARD: editionRatesSchema,
    ENTERPRISE: editionRatesSchema,
    ENTERPRISE_PLUS: editionRatesSchema,
  }),
  storageUsdPerGibMonth: z.object({
    logicalActive: usd,
    logicalLongTerm: usd,
    physicalActive: usd,
    physicalLongTerm: usd,
  }),
  /** Autoscaler step and minimum billing, which make billed capacity exceed used slot-ms. */
  autoscaleStepSlots: z.number().int().positive(),
  autoscaleMinBillingSeconds: z.number().positive(),
});
export type RegionPricing = z.infer<typeof regionPricingSchema>;

export type Commitment = 'payg' | 'oneYear' | 'threeYear';

export const reservationPricingSchema = z.object({
  edition: z.enum(['STANDARD', 'ENTERPRISE', 'ENTERPRISE_PLUS']),
  commitment: z.enum(['payg', 'oneYear', 'threeYear']).default('payg'),
});
export type ReservationPricing = z.infer<typeof reservationPricingSchema>;

export const usMultiRegionPricing: RegionPricing = {
  onDemandUsdPerTib: 6.25,
  freeTibPerMonth: 1,
  editionsUsdPerSlotHour: {
    STANDARD: { payg: 0.04, oneYear: null, threeYear: null },
    ENTERPRISE: { payg: 0.06, oneYear: 0.048, threeYear: 0.036 },
    ENTERPRISE_PLUS: { payg: 0.1, oneYear: 0.08, threeYear: 0.06 },
  },
  storageUsdPerGibMonth: {
    logicalActive: 0.02,
    logicalLongTerm: 0.01,
    physicalActive: 0.04,
    physicalLongTerm: 0.02,
  },
  autoscaleStepSlots: 50,
  autoscaleMinBillingSeconds: 60,
};

const deepPartialRegion = z.object({
  onDemandUsdPerTib: usd.optional(),
  freeTibPerMonth: z.number().nonnegative().optional(),
  editionsUsdPerSlotHour: z
    .object({
      STANDARD: editionRatesSchema.partial().optional(),
      ENTERPRISE: editionRatesSchema.partial().optional(),
      ENTERPRISE_PLUS: editionRatesSchema.partial().optional(),
    })
    .optional(),
  storageUsdPerGibMonth: regionPricingSchema.shape.storageUsdPerGibMonth.partial().optional(),
  autoscaleStepSlots: z.number().int().positive().optional(),
  autoscaleMinBillingSeconds: z.number().positive().optional(),
});

/**
 * A pricing file: `{ "regions": { "us": { ...overrides } }, "reservations": { "<id>": {...} },
 * "defaultEdition": "ENTERPRISE" }`. Regions not listed inherit nothing: a region without
 * known prices must be given in full, or based on another with `"extends": "us"`.
 */
export const pricingFileSchema = z
  .object({
    regions: z
      .record(z.string(), deepPartialRegion.extend({ extends: z.string().optional() }))
      .default({}),
    reservations: z.record(z.string(), reservationPricingSchema).default({}),
    defaultEdition: z.enum(['STANDARD', 'ENTERPRISE', 'ENTERPRISE_PLUS']).default('ENTERPRISE'),
  })
  .strict();
export type PricingFile = z.infer<typeof pricingFileSchema>;

export interface PricingContext {
  readonly region: string;
  readonly prices: RegionPricing;
  readonly reservations: Readonly<Record<string, ReservationPricing>>;
  readonly defaultEdition: Edition;
}

const builtInRegions: Record<string, RegionPricing> = { us: usMultiRegionPricing };

export class UnknownRegionPricingError extends Error {
  constructor(readonly region: string) {
    super(
      `no prices are known for region "${region}": add them to the pricing file under regions.${region} (or "extends": "us" with overrides)`,
    );
  }
}

export function resolvePricing(
  region: string,
  file: PricingFile = pricingFileSchema.parse({}),
): PricingContext {
  const key = region.toLowerCase().replace(/^region-/, '');
  const resolve = (name: string, seen: Set<string>): RegionPricing => {
    if (seen.has(name)) throw new Error(`pricing file: regions.${name} extends itself`);
    seen.add(name);
    const override = file.regions[name];
    const base = override?.extends ? resolve(override.extends, seen) : builtInRegions[name];
    if (!base && !override) throw new UnknownRegionPricingError(name);
    return regionPricingSchema.parse(mergeRegion(base, override));
  };
  return {
    region: key,
    prices: resolve(key, new Set()),
    reservations: file.reservations,
    defaultEdition: file.defaultEdition,
  };
}

function mergeRegion(
  base: RegionPricing | undefined,
  override: z.infer<typeof deepPartialRegion> | undefined,
) {
  if (!override) return base;
  const editions = base?.editionsUsdPerSlotHour;
  const overEd = override.editionsUsdPerSlotHour;
  return {
    ...base,
    ...override,
    editionsUsdPerSlotHour: {
      STANDARD: { ...editions?.STANDARD, ...overEd?.STANDARD },
      ENTERPRISE: { ...editions?.ENTERPRISE, ...overEd?.ENTERPRISE },
      ENTERPRISE_PLUS: { ...editions?.ENTERPRISE_PLUS, ...overEd?.ENTERPRISE_PLUS },
    },
    storageUsdPerGibMonth: { ...base?.storageUsdPerGibMonth, ...override.storageUsdPerGibMonth },
  };
}

export function onDemandUsd(bytesBilled: number, pricing: PricingContext): number {
  return (bytesBilled / bytesPerTib) * pricing.prices.onDemandUsdPerTib;
}

export function slotHours(slotMs: number): number {
  return slotMs / msPerSlotHour;
}

/** Rate for a reservation: its configured edition/commitment, else the job's edition, else the default. */
export function slotHourRate(
  pricing: PricingContext,
  reservationId: string | null,
  jobEdition: string | null,
): {
  usdPerSlotHour: number;
  edition: Edition;
  commitment: 'payg' | 'oneYear' | 'threeYear';
  assumed: boolean;
} {
  const configured = reservationId ? pricing.reservations[reservationId] : undefined;
  const edition = configured?.edition ?? asEdition(jobEdition) ?? pricing.defaultEdition;
  const commitment = configured?.commitment ?? 'payg';
  const rates = pricing.prices.editionsUsdPerSlotHour[edition];
  const rate = rates[commitment] ?? rates.payg;
  return {
    usdPerSlotHour: rate,
    edition,
    commitment,
    assumed: !configured && !asEdition(jobEdition),
  };
}

export function asEdition(value: string | null | undefined): Edition | null {
  const upper = value?.toUpperCase();
  return upper === 'STANDARD' || upper === 'ENTERPRISE' || upper === 'ENTERPRISE_PLUS'
    ? upper
    : null;
}

export type StorageBillingModel = 'LOGICAL' | 'PHYSICAL';

export interface StorageBytes {
  activeLogicalBytes: number;
  longTermLogicalBytes: number;
  activePhysicalBytes: number;
  longTermPhysicalBytes: number;
  failSafePhysicalBytes: number;
}

/**
 * Monthly storage cost under a billing model. Physical billing charges time travel (already
 * inside active_physical_bytes) and fail-safe bytes at the active physical rate.
 */
export function storageUsdPerMonth(
  bytes: StorageBytes,
  model: StorageBillingModel,
  pricing: PricingContext,
): number {
  const rates = pricing.prices.storageUsdPerGibMonth;
  if (model === 'LOGICAL') {
    return (
      (bytes.activeLogicalBytes * rates.logicalActive +
        bytes.longTermLogicalBytes * rates.logicalLongTerm) /
      bytesPerGib
    );
  }
  return (
    ((bytes.activePhysicalBytes + bytes.failSafePhysicalBytes) * rates.physicalActive +
      bytes.longTermPhysicalBytes * rates.physicalLongTerm) /
    bytesPerGib
  );
}

/** SCHEMATA_OPTIONS shows string options quoted (`"PHYSICAL"`); absent means LOGICAL. */
export function parseStorageBillingModel(
  optionValue: string | null | undefined,
): StorageBillingModel {
  const bare = (optionValue ?? '')
    .trim()
    .replace(/^["']|["']$/g, '')
    .toUpperCase();
  return bare === 'PHYSICAL' ? 'PHYSICAL' : 'LOGICAL';
}
