/**
 * Redaction: secrets in transcript lines and metadata become `[REDACTED:<TYPE>]` before
 * anything leaves the machine. On by default; see docs/redaction.md.
 */
import { buildRedactor } from './redactor.js';
import type { RedactionOptions, Redactor } from './types.js';

export type { RedactionOptions, RedactionPatternSpec, Redactor } from './types.js';
export { RedactionConfigError } from './types.js';
export { DEFAULT_PATTERNS } from './patterns.js';
export { redactionOptionsFromUserConfig } from './user-config.js';
export { applyRedaction, REDACTION_TAP } from './hooks.js';
export { RedactionAhead, type AheadLine } from './ahead.js';

/**
 * A redactor for these options, or undefined when redaction is off (`enabled: false`, or
 * no patterns at all). Throws `RedactionConfigError` naming the first invalid pattern.
 */
export function createRedactor(opts: RedactionOptions = {}): Redactor | undefined {
  return buildRedactor(opts);
}

/**
 * Layer redaction options (e.g. `~/.confab/config.json`, then the project config): later
 * layers decide `enabled` and `useDefaultPatterns` when they set them; patterns add up.
 */
export function mergeRedactionOptions(...layers: (RedactionOptions | undefined)[]): RedactionOptions {
  const out: RedactionOptions = {};
  const patterns = [];
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.enabled !== undefined) out.enabled = layer.enabled;
    if (layer.useDefaultPatterns !== undefined) out.useDefaultPatterns = layer.useDefaultPatterns;
    if (layer.patterns) patterns.push(...layer.patterns);
  }
  if (patterns.length) out.patterns = patterns;
  return out;
}
