import { compileRule } from './rules.js';
import { RedactionConfigError, type RedactionOptions, type RedactionPatternSpec } from './types.js';

const SNAKE: Record<string, string> = { fieldPattern: 'field_pattern', captureGroup: 'capture_group' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validate the `redaction` section of `~/.confab/config.json` (the Go CLI's format,
 * snake_case) and convert it. An absent section (undefined or null) means the defaults:
 * redaction on with the built-in patterns. Pattern strings are RE2 syntax and are compiled
 * here, so a bad one is reported at once, naming it. Unknown keys are ignored, as the Go
 * CLI does.
 *
 * ```json
 * { "redaction": { "enabled": true, "use_default_patterns": true,
 *   "patterns": [{ "name": "Internal host", "type": "host", "pattern": "\\bcorp\\.internal\\b" }] } }
 * ```
 */
export function redactionOptionsFromUserConfig(raw: unknown): RedactionOptions {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new RedactionConfigError('redaction: expected an object');
  const opts: RedactionOptions = {};
  for (const key of ['enabled', 'use_default_patterns'] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new RedactionConfigError(`redaction.${key}: expected true or false, got ${JSON.stringify(v)}`);
    if (key === 'enabled') opts.enabled = v;
    else opts.useDefaultPatterns = v;
  }
  const patterns = raw.patterns;
  if (patterns === undefined || patterns === null) return opts;
  if (!Array.isArray(patterns)) throw new RedactionConfigError('redaction.patterns: expected an array');
  opts.patterns = patterns.map((p: unknown, i) => patternFromUserConfig(p, i));
  return opts;
}

function patternFromUserConfig(p: unknown, i: number): RedactionPatternSpec {
  const at = `redaction.patterns[${i}]`;
  if (!isRecord(p)) throw new RedactionConfigError(`${at}: expected an object`);
  let label = at;
  const str = (key: string): string | undefined => {
    const v = p[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new RedactionConfigError(`${label}.${key}: expected a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const name = str('name');
  if (name) label = `${at} ("${name}")`;
  const type = str('type');
  if (!type) throw new RedactionConfigError(`${label}.type: required (the marker is [REDACTED:<TYPE>])`);
  const cg = p.capture_group;
  if (cg !== undefined && cg !== null && (typeof cg !== 'number' || !Number.isInteger(cg) || cg < 0)) {
    throw new RedactionConfigError(`${label}.capture_group: expected a non-negative integer, got ${JSON.stringify(cg)}`);
  }
  const spec: RedactionPatternSpec = { name: name ?? `patterns[${i}]`, type };
  const pattern = str('pattern');
  const fieldPattern = str('field_pattern');
  if (pattern !== undefined) spec.pattern = pattern;
  if (fieldPattern !== undefined) spec.fieldPattern = fieldPattern;
  if (typeof cg === 'number' && cg > 0) spec.captureGroup = cg;
  if (pattern === undefined && fieldPattern === undefined) throw new RedactionConfigError(`${label}: needs "pattern" or "field_pattern"`);
  try {
    compileRule(spec, i);
  } catch (err) {
    if (!(err instanceof RedactionConfigError)) throw err;
    const key = err.key ? `.${SNAKE[err.key] ?? err.key}` : '';
    throw new RedactionConfigError(`${label}${key}: ${err.reason.replace(/captureGroup/g, 'capture_group')}`, err.key, err.reason);
  }
  return spec;
}
