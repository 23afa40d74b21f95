import { describe, expect, it } from 'vitest';
import {
  parseStorageBillingModel,
  pricingFileSchema,
  resolvePricing,
  slotHourRate,
  storageUsdPerMonth,
  UnknownRegionPricingError,
} from '../../src/domain/pricing.js';
import { jobRowSchema } from '../../src/domain/jobs.js';

const GiB = 2 ** 30;

describe('pricing', () => {
  it('has the US multi-region list prices', () => {
    const { prices } = resolvePricing('us');
    expect(prices.onDemandUsdPerTib).toBe(6.25);
    expect(prices.editionsUsdPerSlotHour.ENTERPRISE).toEqual({
      payg: 0.06,
      oneYear: 0.048,
      threeYear: 0.036,
    });
    expect(prices.editionsUsdPerSlotHour.STANDARD.oneYear).toBeNull();
    expect(resolvePricing('region-US').region).toBe('us');
  });

  it('overrides any price per region from a pricing file, and extends a known region', () => {
    const file = pricingFileSchema.parse({
      regions: {
        us: { onDemandUsdPerTib: 5, editionsUsdPerSlotHour: { ENTERPRISE: { payg: 0.05 } } },
        'europe-west2': { extends: 'us', storageUsdPerGibMonth: { logicalActive: 0.023 } },
      },
      reservations: { 'admin:US.etl': { edition: 'ENTERPRISE_PLUS', commitment: 'threeYear' } },
    });
    const us = resolvePricing('us', file);
    expect(us.prices.onDemandUsdPerTib).toBe(5);
    expect(us.prices.editionsUsdPerSlotHour.ENTERPRISE).toEqual({
      payg: 0.05,
      oneYear: 0.048,
      threeYear: 0.036,
    });
    const london = resolvePricing('europe-west2', file);
    expect(london.prices.onDemandUsdPerTib).toBe(5);
    expect(london.prices.storageUsdPerGibMonth).toMatchObject({
      logicalActive: 0.023,
      logicalLongTerm: 0.01,
    });
    expect(slotHourRate(us, 'admin:US.etl', 'ENTERPRISE')).toMatchObject({
      usdPerSlotHour: 0.06,
      edition: 'ENTERPRISE_PLUS',
      commitment: 'threeYear',
    });
  });

  it('refuses a region it has no prices for, naming it', () => {
    expect(() => resolvePricing('asia-northeast1')).toThrow(UnknownRegionPricingError);
    expect(() => resolvePricing('asia-northeast1')).toThrow(/asia-northeast1/);
  });

  it('rejects unknown keys in a pricing file', () => {
    expect(pricingFileSchema.safeParse({ region: {} }).success).toBe(false);
  });

  it('prices storage under each model, fail-safe at the active physical rate', () => {
    const pricing = resolvePricing('us');
    const bytes = {
      activeLogicalBytes: 100 * GiB,
      longTermLogicalBytes: 100 * GiB,
      activePhysicalBytes: 10 * GiB,
      longTermPhysicalBytes: 10 * GiB,
      failSafePhysicalBytes: 5 * GiB,
    };
    expect(storageUsdPerMonth(bytes, 'LOGICAL', pricing)).toBeCloseTo(3, 9);
    expect(storageUsdPerMonth(bytes, 'PHYSICAL', pricing)).toBeCloseTo(15 * 0.04 + 10 * 0.02, 9);
  });

  it.each([
    ['"PHYSICAL"', 'PHYSICAL'],
    ['PHYSICAL', 'PHYSICAL'],
    ['"LOGICAL"', 'LOGICAL'],
    [null, 'LOGICAL'],
  ] as const)('storage_billing_model option %j is %s', (value, model) => {
    expect(parseStorageBillingModel(value)).toBe(model);
  });
});

describe('job row schema', () => {
  it('reads the export shapes', () => {
    const row = jobRowSchema.parse({
      creation_time: '2026-10-02 03:04:05.123456 UTC',
      project_id: 'p',
      job_id: 'j',
      total_bytes_billed: '1099511627776',
      cache_hit: 'false',
      labels: [{ key: 'a', value: 'b' }],
    });
    expect(row.total_bytes_billed).toBe(2 ** 40);
    expect(row.cache_hit).toBe(false);
    expect(row.creation_time.toISOString()).toBe('2026-10-02T03:04:05.123Z');
  });

  it('names the field that is wrong', () => {
    const result = jobRowSchema.safeParse({ creation_time: 'soon', project_id: 'p', job_id: 'j' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['creation_time']);
  });
});
