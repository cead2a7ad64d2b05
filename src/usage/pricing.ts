/**
 * Prices of the models agents use, in USD per million tokens, shipped with confab so costs work
 * offline. `pricing` in ~/.confab/config.json adds or replaces models. A model not listed has
 * tokens and no price: a guessed price would be worse than none.
 */
export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache (Anthropic's 5-minute cache write). */
  cache_write: number;
  cache_read: number;
}

export const PRICES_AS_OF = '2026-11-01';

const p = (input: number, output: number, cache_write: number, cache_read: number): ModelPrice => ({ input, output, cache_write, cache_read });

export const BUILTIN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-5': p(5, 25, 6.25, 0.5),
  'claude-opus-4-1': p(15, 75, 18.75, 1.5),
  'claude-opus-4': p(15, 75, 18.75, 1.5),
  'claude-sonnet-4-5': p(3, 15, 3.75, 0.3),
  'claude-sonnet-4': p(3, 15, 3.75, 0.3),
  'claude-3-7-sonnet': p(3, 15, 3.75, 0.3),
  'claude-3-5-sonnet': p(3, 15, 3.75, 0.3),
  'claude-haiku-4-5': p(1, 5, 1.25, 0.1),
  'claude-3-5-haiku': p(0.8, 4, 1, 0.08),
  'claude-3-opus': p(15, 75, 18.75, 1.5),
  'claude-3-haiku': p(0.25, 1.25, 0.3, 0.03),
  'gpt-5': p(1.25, 10, 0, 0.125),
  'gpt-5-codex': p(1.25, 10, 0, 0.125),
  'gpt-5.1': p(1.25, 10, 0, 0.125),
  'gpt-5.1-codex': p(1.25, 10, 0, 0.125),
  'gpt-5-mini': p(0.25, 2, 0, 0.025),
  'gpt-5-nano': p(0.05, 0.4, 0, 0.005),
  'gpt-4.1': p(2, 8, 0, 0.5),
  'gpt-4.1-mini': p(0.4, 1.6, 0, 0.1),
  o3: p(2, 8, 0, 0.5),
  'o4-mini': p(1.1, 4.4, 0, 0.275),
};

/** A model id as transcripts write it, reduced to the table's key: no vendor prefix, no date or version suffix. */
export function priceKey(model: string): string {
  return model
    .trim()
    .toLowerCase()
    .replace(/^(anthropic|openai|bedrock|vertex)[/.:]/, '')
    .replace(/[@-](\d{8}|\d{4}-\d{2}-\d{2})$/, '')
    .replace(/-v\d+(:\d+)?$/, '');
}

export class PricingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PricingConfigError';
  }
}

/** `pricing` from the user config: `{ "<model>": { input, output, cache_write?, cache_read? } }`, USD per million tokens. */
export function parsePricingConfig(value: unknown): Record<string, ModelPrice> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PricingConfigError('pricing in the config must be an object of model → prices');
  const out: Record<string, ModelPrice> = {};
  for (const [model, raw] of Object.entries(value as Record<string, unknown>)) {
    const r = raw as Record<string, unknown> | null;
    const num = (k: string, required: boolean): number => {
      const v = r?.[k];
      if (v === undefined && !required) return 0;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new PricingConfigError(`pricing.${model}.${k} must be a non-negative number (USD per million tokens)`);
      return v;
    };
    if (typeof r !== 'object' || r === null) throw new PricingConfigError(`pricing.${model} must be an object with input and output prices`);
    out[priceKey(model)] = { input: num('input', true), output: num('output', true), cache_write: num('cache_write', false), cache_read: num('cache_read', false) };
  }
  return out;
}

export class PriceTable {
  private readonly prices: Record<string, ModelPrice>;

  constructor(overrides: Record<string, ModelPrice> = {}) {
    this.prices = { ...BUILTIN_PRICES, ...overrides };
  }

  priceOf(model: string | undefined): ModelPrice | undefined {
    return model ? this.prices[priceKey(model)] : undefined;
  }

  /** USD for these tokens, or undefined when the model has no price. */
  cost(model: string | undefined, t: { input: number; output: number; cacheCreation: number; cacheRead: number }): number | undefined {
    const price = this.priceOf(model);
    if (!price) return undefined;
    return (t.input * price.input + t.output * price.output + t.cacheCreation * price.cache_write + t.cacheRead * price.cache_read) / 1_000_000;
  }
}
