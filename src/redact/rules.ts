import { compileJs, compileRe2, type CompiledRegex } from './engine.js';
import { BUILTIN_PATTERNS, type BuiltinPattern } from './patterns.js';
import { RedactionConfigError, type RedactionPatternSpec } from './types.js';

/** A pattern ready to run. */
export interface CompiledRule {
  readonly name: string;
  /** `[REDACTED:<TYPE>]`. */
  readonly marker: string;
  /** The stats key: the upper-cased type. */
  readonly type: string;
  readonly value?: CompiledRegex;
  readonly field?: CompiledRegex;
  readonly captureGroup: number;
  /** False for user patterns: every text is a candidate for them. */
  readonly gated: boolean;
  /**
   * A value pattern whose matches do not depend on where a string starts or ends (no `^`,
   * `$`, `\A`, `\z`, lookbehind): if it finds nothing in all of a line's strings joined by
   * NUL, it finds nothing in any one of them.
   */
  readonly joinable: boolean;
  readonly accept?: (target: string) => boolean;
}

export type BuiltinEngine = 'js' | 're2';

const builtinSet = new Set<RedactionPatternSpec>(BUILTIN_PATTERNS);

export function isBuiltin(spec: RedactionPatternSpec): spec is BuiltinPattern {
  return builtinSet.has(spec);
}

export function markerFor(type: string): string {
  return `[REDACTED:${type.toUpperCase()}]`;
}

function describe(spec: RedactionPatternSpec, index: number): string {
  return spec.name ? `redaction pattern "${spec.name}"` : `redaction pattern #${index + 1}`;
}

/**
 * Compile one spec. Built-ins (recognised by identity, also when a project config lists some
 * of `DEFAULT_PATTERNS` itself) keep their gate and run on V8's engine unless `builtinEngine`
 * says otherwise; everything else runs on re2js.
 */
export function compileRule(spec: RedactionPatternSpec, index: number, builtinEngine: BuiltinEngine = 'js'): CompiledRule {
  const what = describe(spec, index);
  const fail = (key: string | undefined, reason: string): never => {
    throw new RedactionConfigError(key ? `${what}: ${key}: ${reason}` : `${what}: ${reason}`, key, reason);
  };
  if (spec === null || typeof spec !== 'object') fail(undefined, 'expected an object');
  if (typeof spec.type !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(spec.type)) {
    fail('type', 'must be letters, digits, "_", "-" or "." (it becomes [REDACTED:TYPE])');
  }
  const isPattern = (p: unknown): p is RegExp | string => p instanceof RegExp || typeof p === 'string';
  if (spec.pattern !== undefined && !isPattern(spec.pattern)) fail('pattern', 'must be a RegExp or a string');
  if (spec.fieldPattern !== undefined && !isPattern(spec.fieldPattern)) fail('fieldPattern', 'must be a RegExp or a string');
  if (spec.pattern === undefined && spec.fieldPattern === undefined) fail(undefined, 'needs a pattern or a field pattern');
  if (spec.pattern === '') fail('pattern', 'is empty (it would match everywhere)');
  if (spec.fieldPattern === '') fail('fieldPattern', 'is empty (it would match every field)');
  const captureGroup = spec.captureGroup ?? 0;
  if (!Number.isInteger(captureGroup) || captureGroup < 0) fail('captureGroup', 'must be a non-negative integer');

  const builtin = isBuiltin(spec) ? spec : undefined;
  const compile = (p: RegExp | string, key: string): CompiledRegex => {
    if (builtin && builtinEngine === 'js' && p instanceof RegExp) return compileJs(p);
    const compiled = compileRe2(p);
    return typeof compiled === 'string' ? fail(key, compiled) : compiled;
  };
  const value = spec.pattern !== undefined ? compile(spec.pattern, 'pattern') : undefined;
  const field = spec.fieldPattern !== undefined ? compile(spec.fieldPattern, 'fieldPattern') : undefined;
  if (captureGroup > 0 && !value) fail('captureGroup', 'needs a pattern');
  if (value && captureGroup > value.groupCount) fail('captureGroup', `is ${captureGroup} but the pattern has ${value.groupCount} group(s)`);
  const type = spec.type.toUpperCase();
  return {
    name: spec.name || `#${index + 1}`,
    type,
    marker: markerFor(type),
    value,
    field,
    captureGroup,
    gated: builtin !== undefined,
    joinable: spec.pattern !== undefined && isJoinable(spec.pattern),
    accept: builtin?.accept,
  };
}

/** See `CompiledRule.joinable`. Escapes and character classes are dropped before looking for anchors. */
function isJoinable(pattern: RegExp | string): boolean {
  const source = typeof pattern === 'string' ? pattern : pattern.source;
  const structure = source
    .replace(/\\[AzZ]/g, '^')
    .replace(/\\./g, '')
    .replace(/\[\^?\]?[^\]]*\]/g, '');
  return !/[\^$]|\(\?<[=!]/.test(structure);
}
