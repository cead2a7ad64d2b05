import { Gate } from './gate.js';
import { rewriteJsonStrings } from './json-strings.js';
import { BUILTIN_PATTERNS } from './patterns.js';
import { compileRule, isBuiltin, type BuiltinEngine, type CompiledRule } from './rules.js';
import type { RedactionOptions, Redactor } from './types.js';

/** Knobs for tests and benchmarks; the product always uses the defaults. */
export interface RedactorTuning {
  /** Run the built-ins on V8's engine (default) or on re2js. */
  builtinEngine?: BuiltinEngine;
  /** Skip texts no rule's gate matches (default true). Off: every rule runs on every string. */
  gating?: boolean;
}

/**
 * In a JSON line, `\u0041KIA…`, `\/` or an escaped space could hide a gate part from the
 * raw-text gate. JSON.stringify never writes those (it escapes only quotes, backslashes and
 * control characters, as `\n`, `\t`… or `\u001b`), so lines that have them just skip the gate.
 */
const GATE_HIDING_ESCAPE =
  /\\u(?:00[2-7][0-9a-fA-F]|000[9a-dA-D]|00[aA]0|1680|20[01][0-9a-fA-F]|202[89a-fA-F]|205[fF]|3000|[fF][eE][fF][fF])|\\\//;
const MARKER = /\[REDACTED:[A-Za-z0-9_.-]*\]/g;

export class PatternRedactor implements Redactor {
  private readonly counts = new Map<string, number>();
  private readonly rules: readonly CompiledRule[];
  private readonly gate: Gate;
  private readonly gateOff: boolean;

  constructor(rules: readonly CompiledRule[], gate: Gate, gating: boolean) {
    this.rules = rules;
    this.gate = gate;
    this.gateOff = !gating;
  }

  get stats(): ReadonlyMap<string, number> {
    return this.counts;
  }

  redactLine(line: string): string {
    let rules = this.candidates(line, true);
    let parsed = true;
    try {
      if (rules) JSON.parse(line);
    } catch {
      parsed = false;
    }
    if (parsed) {
      if (rules && rules.some((r) => !r.gated && r.joinable)) rules = this.dropIdleUserRules(line, rules);
      if (!rules) return line;
      const all = rules;
      const valueRules = all.filter((r) => !r.field);
      return rewriteJsonStrings(line, (value, field, isKey) => this.redactString(value, isKey ? undefined : field, isKey ? valueRules : all)) ?? line;
    }
    // Not JSON: rules see the text with its escapes (`\n`, `\t`) blanked, so the gate looks there too.
    const view = blankEscapes(line);
    if (view !== line) rules = union(this.rules, rules, this.candidates(view, true));
    return rules ? this.redactRaw(line, view, rules) : line;
  }

  redactText(text: string): string {
    const rules = this.candidates(text, false);
    if (!rules) return text;
    return this.redactString(text, undefined, rules);
  }

  /**
   * User patterns have no gate, so they would run on every string of every line. For those
   * that can, one search over all the line's strings joined tells whether they are needed.
   */
  private dropIdleUserRules(line: string, rules: CompiledRule[]): CompiledRule[] | null {
    const strings: string[] = [];
    rewriteJsonStrings(line, (value) => (strings.push(value), value));
    const joined = strings.join('\0');
    const kept = rules.filter((r) => r.gated || !r.joinable || r.value!.test(joined));
    return kept.length ? kept : null;
  }

  /** The rules that may match `text`, or null when none can (the common case). */
  private candidates(text: string, jsonEscaped: boolean): CompiledRule[] | null {
    // Both escapes are rare in agents' JSON: two substring searches rule most lines out faster than the pattern.
    const hiding = jsonEscaped && (text.includes('\\u') || text.includes('\\/')) && GATE_HIDING_ESCAPE.test(text);
    if (this.gateOff || hiding) return this.rules.length ? [...this.rules] : null;
    const passing = this.gate.passing(text);
    const out = this.rules.filter((rule, i) => !rule.gated || passing?.has(i));
    return out.length ? out : null;
  }

  /** Field rules (when the string belongs to a field), then value rules, in order. */
  private redactString(value: string, field: string | undefined, rules: readonly CompiledRule[]): string {
    let s = value;
    if (field) {
      for (const rule of rules) {
        if (!rule.field || !rule.field.test(field)) continue;
        s = rule.value ? this.replaceMatches(rule, s) : this.replaceWhole(rule, s);
      }
    }
    for (const rule of rules) if (!rule.field && rule.value) s = this.replaceMatches(rule, s);
    return s;
  }

  private replaceWhole(rule: CompiledRule, s: string): string {
    if (s === '' || isMarkerOnly(s) || (rule.accept && !rule.accept(s))) return s;
    this.count(rule);
    return rule.marker;
  }

  private replaceMatches(rule: CompiledRule, s: string): string {
    let out: string[] | undefined;
    let last = 0;
    const markers = markerSpans(s);
    rule.value!.forEachTarget(s, rule.captureGroup, (start, end) => {
      if (start < last || cutsMarker(markers, start, end)) return;
      const target = s.slice(start, end);
      if (isMarkerOnly(target) || (rule.accept && !rule.accept(target))) return;
      (out ??= []).push(s.slice(last, start), rule.marker);
      last = end;
      this.count(rule);
    });
    if (!out) return s;
    out.push(s.slice(last));
    return out.join('');
  }

  /**
   * A line that is not JSON (a truncated write, another tool's log line): value rules only.
   * First every JSON string literal in it that carries escapes — the unterminated last one
   * of a truncated line too — is decoded, redacted and re-encoded, so a secret split by `\n`
   * or `\"` is seen whole. Then the rules run over the whole text, matching on a view in
   * which escape sequences are blanked to spaces (same offsets), so `\nsk-…` still starts a
   * token; the replacements go into the real text.
   */
  private redactRaw(text: string, view: string, rules: readonly CompiledRule[]): string {
    const valueRules = rules.filter((r) => !r.field);
    if (valueRules.length === 0) return text;
    let s = text;
    if (s.includes('\\')) {
      const pieces: string[] = [];
      let last = 0;
      forEachStringLiteral(s, (start, end, closed) => {
        let literal = s.slice(start, end);
        if (!closed) literal = `${dropPartialEscape(literal)}"`;
        let decoded: unknown;
        try {
          decoded = JSON.parse(literal);
        } catch {
          return;
        }
        if (typeof decoded !== 'string') return;
        const redacted = this.redactString(decoded, undefined, valueRules);
        if (redacted === decoded) return;
        const encoded = JSON.stringify(redacted);
        pieces.push(s.slice(last, start), closed ? encoded : encoded.slice(0, -1));
        last = end;
      });
      if (pieces.length) s = pieces.join('') + s.slice(last);
    }
    let v = s === text ? view : blankEscapes(s);
    for (const rule of valueRules) [s, v] = this.replaceMatchesInView(rule, s, v);
    return s;
  }

  /** replaceMatches, with matches found in `view` (same length as `s`) and applied to both. */
  private replaceMatchesInView(rule: CompiledRule, s: string, view: string): [string, string] {
    if (view === s) {
      const out = this.replaceMatches(rule, s);
      return [out, out];
    }
    const outS: string[] = [];
    const outV: string[] = [];
    let last = 0;
    const markers = markerSpans(s);
    rule.value!.forEachTarget(view, rule.captureGroup, (start, end) => {
      if (start < last || cutsMarker(markers, start, end)) return;
      const target = s.slice(start, end);
      if (isMarkerOnly(target) || (rule.accept && !rule.accept(view.slice(start, end)))) return;
      outS.push(s.slice(last, start), rule.marker);
      outV.push(view.slice(last, start), rule.marker);
      last = end;
      this.count(rule);
    });
    if (outS.length === 0) return [s, view];
    outS.push(s.slice(last));
    outV.push(view.slice(last));
    return [outS.join(''), outV.join('')];
  }

  private count(rule: CompiledRule): void {
    this.counts.set(rule.type, (this.counts.get(rule.type) ?? 0) + 1);
  }
}

/** Where the markers already in `s` are (usually none). */
function markerSpans(s: string): [number, number][] | undefined {
  if (!s.includes('[REDACTED:')) return undefined;
  return [...s.matchAll(MARKER)].map((m) => [m.index, m.index + m[0].length]);
}

/**
 * A target that cuts into a marker (`SLACK_WEBHOOK]` read as the password of
 * `https://[REDACTED:SLACK_WEBHOOK]@`) is an artefact of an earlier replacement, not a secret.
 */
function cutsMarker(markers: [number, number][] | undefined, start: number, end: number): boolean {
  if (!markers) return false;
  for (const [a, b] of markers) if (start < b && end > a && (start > a || end < b)) return true;
  return false;
}

/** A span that is already a marker (or markers and a little noise) is left alone. */
function isMarkerOnly(target: string): boolean {
  if (!target.includes('[REDACTED:')) return false;
  return target.replace(MARKER, '').trim().length < 4;
}

/** Drop a backslash escape cut off by truncation: a lone trailing `\\`, or an incomplete `\\uXX`. */
function dropPartialEscape(literal: string): string {
  const u = /\\u[0-9a-fA-F]{0,3}$/.exec(literal);
  const at = u ? u.index : literal.endsWith('\\') ? literal.length - 1 : -1;
  if (at < 0) return literal;
  let run = 0;
  for (let k = at - 1; k >= 0 && literal.charCodeAt(k) === 92; k--) run++;
  return run % 2 === 0 ? literal.slice(0, at) : literal;
}

/**
 * `"…"` literals that contain a backslash, scanning once (quotes toggle, `\x` skips); the
 * last one may be unterminated (`closed` false).
 */
function forEachStringLiteral(text: string, onLiteral: (start: number, end: number, closed: boolean) => void): void {
  let start = -1;
  let hasEscape = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (start < 0) {
      if (c === 34) {
        start = i;
        hasEscape = false;
      }
    } else if (c === 92) {
      hasEscape = true;
      i++;
    } else if (c === 34) {
      if (hasEscape) onLiteral(start, i + 1, true);
      start = -1;
    }
  }
  if (start >= 0 && hasEscape) onLiteral(start, text.length, false);
}

/** `\n`, `\\t`, `\r`… (any run of backslashes before n, r or t) blanked to spaces of the same length. */
function blankEscapes(text: string): string {
  return text.includes('\\') ? text.replace(/\\+[nrt]/g, (m) => ' '.repeat(m.length)) : text;
}

/** Rules in `all`'s order that are in either list. */
function union(all: readonly CompiledRule[], a: CompiledRule[] | null, b: CompiledRule[] | null): CompiledRule[] | null {
  if (!a || !b) return a ?? b;
  const set = new Set([...a, ...b]);
  return all.filter((r) => set.has(r));
}

export function buildRedactor(opts: RedactionOptions, tuning: RedactorTuning = {}): PatternRedactor | undefined {
  if (opts.enabled === false) return undefined;
  const specs = [...(opts.useDefaultPatterns === false ? [] : BUILTIN_PATTERNS), ...(opts.patterns ?? [])];
  if (specs.length === 0) return undefined;
  const rules = specs.map((spec, i) => compileRule(spec, i, tuning.builtinEngine));
  const gate = new Gate(specs.flatMap((spec, rule) => (isBuiltin(spec) ? spec.gate.map((part) => ({ rule, part })) : [])));
  return new PatternRedactor(rules, gate, tuning.gating !== false);
}
