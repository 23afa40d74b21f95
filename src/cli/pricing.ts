import { readFileSync } from 'node:fs';
import { badInput } from '../errors.js';
import {
  pricingFileSchema,
  resolvePricing,
  UnknownRegionPricingError,
  type PricingContext,
} from '../domain/pricing.js';

export function loadPricing(region: string, file: string | undefined): PricingContext {
  let parsedFile = pricingFileSchema.parse({});
  if (file) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw badInput(
        'pricing.unreadable',
        `pricing file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const result = pricingFileSchema.safeParse(json);
    if (!result.success) {
      const problems = result.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      throw badInput('pricing.invalid', `pricing file ${file}: ${problems}`);
    }
    parsedFile = result.data;
  }
  try {
    return resolvePricing(region, parsedFile);
  } catch (error) {
    if (error instanceof UnknownRegionPricingError)
      throw badInput('pricing.unknown_region', error.message);
    throw badInput('pricing.invalid', error instanceof Error ? error.message : String(error));
  }
}
