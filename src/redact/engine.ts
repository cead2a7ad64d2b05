import type * as Re2js from 're2js';

type RE2JS = Re2js.RE2JS;
let re2js: typeof Re2js.RE2JS | undefined;

/**
 * re2js is loaded on the first user pattern: built-ins run on V8's engine, so a daemon whose
 * config adds no pattern never pays for it. Loaded synchronously (its CommonJS build) because
 * compiling a rule is synchronous.
 */
function loadRe2(): typeof Re2js.RE2JS {
  if (!re2js) {
    const { createRequire } = process.getBuiltinModule('node:module');
    re2js = (createRequire(import.meta.url)('re2js') as typeof Re2js).RE2JS;
  }
  return re2js;
}

/**
 * A compiled regex, whichever engine runs it. `forEachTarget` reports the span to replace
 * for each match (capture group `group`, or the whole match when 0), skipping empty spans
 * and groups that did not take part in the match.
 */
export interface CompiledRegex {
  readonly engine: 'js' | 're2';
  readonly groupCount: number;
  test(text: string): boolean;
  forEachTarget(text: string, group: number, onTarget: (start: number, end: number) => void): void;
}

class JsRegex implements CompiledRegex {
  readonly engine = 'js';
  readonly groupCount: number;
  private readonly tester: RegExp;
  private readonly finder: RegExp;
  private readonly finderWithIndices: RegExp;

  constructor(re: RegExp) {
    const flags = re.flags.replace(/[gyd]/g, '');
    this.tester = new RegExp(re.source, flags);
    this.finder = new RegExp(re.source, `${flags}g`);
    this.finderWithIndices = new RegExp(re.source, `${flags}gd`);
    this.groupCount = (new RegExp(`${re.source}|`, flags).exec('')?.length ?? 1) - 1;
  }

  test(text: string): boolean {
    return this.tester.test(text);
  }

  forEachTarget(text: string, group: number, onTarget: (start: number, end: number) => void): void {
    const re = group > 0 ? this.finderWithIndices : this.finder;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (group === 0) onTarget(m.index, m.index + m[0].length);
      else {
        const span = m.indices?.[group];
        if (span && span[1] > span[0]) onTarget(span[0], span[1]);
      }
    }
  }
}

class Re2Regex implements CompiledRegex {
  readonly engine = 're2';
  readonly groupCount: number;

  constructor(private readonly re: RE2JS) {
    this.groupCount = re.groupCount();
  }

  test(text: string): boolean {
    return this.re.test(text);
  }

  forEachTarget(text: string, group: number, onTarget: (start: number, end: number) => void): void {
    // The DFA-only test is much cheaper than a search that tracks groups; most strings fail it.
    if (!this.re.test(text)) return;
    const m = this.re.matcher(text);
    while (m.find()) {
      const start = m.start(group);
      const end = m.end(group);
      if (start >= 0 && end > start) onTarget(start, end);
    }
  }
}


/**
 * Compile a user pattern on the linear-time engine: a string is RE2 (Go) syntax, a RegExp is
 * translated. Returns the reason as a string when the pattern is not valid RE2.
 */
export function compileRe2(pattern: RegExp | string): CompiledRegex | string {
  const RE2JS = loadRe2();
  try {
    if (typeof pattern === 'string') return new Re2Regex(RE2JS.compile(pattern, RE2JS.LOOKBEHINDS));
    let flags = RE2JS.LOOKBEHINDS;
    if (pattern.flags.includes('i')) flags |= RE2JS.CASE_INSENSITIVE;
    if (pattern.flags.includes('s')) flags |= RE2JS.DOTALL;
    if (pattern.flags.includes('m')) flags |= RE2JS.MULTILINE;
    return new Re2Regex(RE2JS.compile(RE2JS.translateRegExp(pattern), flags));
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^error parsing regexp:\s*/, '');
    return `invalid regular expression (RE2 syntax: no lookahead or backreferences): ${reason}`;
  }
}

/** Compile a built-in pattern for V8's engine (built-ins are written to stay linear there). */
export function compileJs(pattern: RegExp): CompiledRegex {
  return new JsRegex(pattern);
}
