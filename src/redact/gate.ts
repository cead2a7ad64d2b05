import type { GatePart } from './patterns.js';

interface CompiledPart {
  readonly rule: number;
  readonly literal: string;
  readonly caseSensitive: boolean;
  readonly then?: RegExp;
  readonly notAfter?: RegExp;
}

/**
 * After this many failed `then` checks of one part in one text, the part counts as passed:
 * a text built to fail a check over and over cannot make the gate slow.
 */
const MAX_FAILED_CHECKS = 16;
/** Transition entries carry this bit when the target state ends at least one literal. */
const ACCEPTS = 0x8000;

/**
 * Finds which rules can possibly match a text in one pass over it: an Aho-Corasick automaton
 * over all gate literals (ASCII, case-folded), then, where a literal ends, the exact-case and
 * `then` checks of the parts it belongs to. With a hundred-odd literals this runs several
 * times faster than V8 on one alternation of them, and its speed does not depend on how many
 * there are.
 */
export class Gate {
  /** states × 128 transitions; the state's number in the low 15 bits, ACCEPTS above. */
  private readonly table: Uint16Array;
  /** For each state, the parts whose literal ends there. */
  private readonly endings: (readonly CompiledPart[])[];
  private readonly ruleCount: number;

  constructor(entries: readonly { rule: number; part: GatePart }[]) {
    const parts: CompiledPart[] = entries.map(({ rule, part }) => ({
      rule,
      literal: part.literal,
      caseSensitive: !part.anyCase,
      then: part.then === undefined ? undefined : new RegExp(part.then, part.anyCase ? 'iy' : 'y'),
      notAfter: part.notAfter === undefined ? undefined : new RegExp(part.notAfter),
    }));
    this.ruleCount = new Set(parts.map((p) => p.rule)).size;

    // The trie of lower-cased literals.
    const children: Map<number, number>[] = [new Map()];
    const own: CompiledPart[][] = [[]];
    for (const part of parts) {
      let state = 0;
      for (const ch of part.literal.toLowerCase()) {
        const c = ch.charCodeAt(0);
        if (c === 0 || c >= 128) throw new Error(`gate literal ${JSON.stringify(part.literal)} must be printable ASCII`);
        let next = children[state]!.get(c);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          own.push([]);
          children[state]!.set(c, next);
        }
        state = next;
      }
      own[state]!.push(part);
    }
    const states = children.length;
    if (states >= ACCEPTS) throw new Error('too many gate literals');

    // Breadth-first: failure links and the full transition table (a DFA).
    const table = new Uint16Array(states * 128);
    const fail = new Uint16Array(states);
    const endings: CompiledPart[][] = own.map((list) => [...list]);
    const queue: number[] = [];
    for (const [c, next] of children[0]!) {
      table[c] = next;
      queue.push(next);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      endings[state]!.push(...endings[fail[state]!]!);
      for (let c = 0; c < 128; c++) {
        const next = children[state]!.get(c);
        if (next === undefined) {
          table[state * 128 + c] = table[fail[state]! * 128 + c]!;
        } else {
          fail[next] = table[fail[state]! * 128 + c]!;
          table[state * 128 + c] = next;
          queue.push(next);
        }
      }
    }
    // Fold case into the table (upper-case rows copy lower-case ones) and flag accepting targets.
    for (let s = 0; s < states; s++) {
      for (let c = 65; c <= 90; c++) table[s * 128 + c] = table[s * 128 + c + 32]!;
      for (let c = 0; c < 128; c++) {
        const i = s * 128 + c;
        if (endings[table[i]!]!.length) table[i] = table[i]! | ACCEPTS;
      }
    }
    this.table = table;
    this.endings = endings;
  }

  /** The rules whose gate passes in `text`, or null when none does. */
  passing(text: string): Set<number> | null {
    const table = this.table;
    let found: Set<number> | null = null;
    let failures: Map<CompiledPart, number> | undefined;
    let state = 0;
    for (let i = 0, n = text.length; i < n; i++) {
      const c = text.charCodeAt(i);
      const t = table[(state << 7) | (c < 128 ? c : 0)]!;
      state = t & ~ACCEPTS;
      if (t < ACCEPTS) continue;
      for (const part of this.endings[state]!) {
        if (found?.has(part.rule)) continue;
        const at = i + 1 - part.literal.length;
        if (part.caseSensitive && !text.startsWith(part.literal, at)) continue;
        // In escaped text the character before may be the `n` of `\\n`: only a plain one disqualifies.
        if (part.notAfter && at > 0 && text.charCodeAt(at - 2) !== 92 && part.notAfter.test(text[at - 1]!)) continue;
        if (part.then) {
          part.then.lastIndex = i + 1;
          if (!part.then.test(text)) {
            const failed = ((failures ??= new Map()).get(part) ?? 0) + 1;
            failures.set(part, failed);
            if (failed <= MAX_FAILED_CHECKS) continue;
          }
        }
        (found ??= new Set()).add(part.rule);
        if (found.size === this.ruleCount) return found;
      }
    }
    return found;
  }
}
