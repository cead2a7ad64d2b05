import { loadUserConfig } from '../config/user-config.js';
import { parsePricingConfig, PriceTable } from '../usage/pricing.js';

/** The shipped prices with the user's `pricing` overrides from ~/.confab/config.json. */
export function configuredPrices(): PriceTable {
  return new PriceTable(parsePricingConfig(loadUserConfig().pricing));
}
