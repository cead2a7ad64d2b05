import { describe, expect, it } from 'vitest';
import { fakeSecrets } from '../../bench/lib/fake-secrets.mjs';
import { ordinaryLines, secretLines } from '../../bench/lib/transcript.mjs';
import { adversarialTexts, nearMissText } from '../../bench/lib/adversarial-redaction.mjs';
import { createRedactor, type Redactor } from '../../src/redact/index.js';
import { BUILTIN_PATTERNS } from '../../src/redact/patterns.js';
import { buildRedactor } from '../../src/redact/redactor.js';

/**
 * The built-ins run on V8's backtracking engine because it is several times faster than
 * re2js. That is only safe if none of them can backtrack super-linearly; the adversarial
 * inputs (bench/lib/adversarial-redaction.mjs) are built to make each rule start, nearly
 * match and fail over and over. How long they take on V8 is measured by bench/redaction.mjs
 * (worst case against an ordinary text of the same size); here, without a clock, they must
 * redact exactly as on re2js, whose run time is linear by construction.
 */
const SIZE = 4 * 1024;

describe('built-in patterns on adversarial input', () => {
  it('redact every adversarial text exactly as the linear-time engine does', () => {
    const onRe2 = buildRedactor({}, { builtinEngine: 're2' })!;
    const onV8 = createRedactor({}) as Redactor;
    let texts = 0;
    for (const { label, text } of adversarialTexts(BUILTIN_PATTERNS, SIZE)) {
      expect(onV8.redactText(text), label).toBe(onRe2.redactText(text));
      expect(onV8.redactLine(text), label).toBe(onRe2.redactLine(text));
      texts++;
    }
    expect(texts).toBeGreaterThan(1000);
  });

  it('redact a JSON line full of near-misses exactly as the linear-time engine does', () => {
    const onRe2 = buildRedactor({}, { builtinEngine: 're2' })!;
    const onV8 = createRedactor({}) as Redactor;
    const line = JSON.stringify({ type: 'user', toolUseResult: { stdout: nearMissText(64 * 1024) } });
    expect(onV8.redactLine(line)).toBe(onRe2.redactLine(line));
  });
});

describe('built-in patterns are RE2 patterns', () => {
  it('compile on re2js and redact exactly as on V8, over both corpora', () => {
    const onRe2 = buildRedactor({}, { builtinEngine: 're2' })!;
    const onV8 = buildRedactor({})!;
    let lines = 0;
    for (const fake of fakeSecrets(77, 5)) {
      for (const { line } of secretLines(fake)) {
        expect(onRe2.redactLine(line)).toBe(onV8.redactLine(line));
        lines++;
      }
      expect(onRe2.redactText(fake.text)).toBe(onV8.redactText(fake.text));
    }
    for (const line of ordinaryLines(5, 280)) expect(onRe2.redactLine(line)).toBe(onV8.redactLine(line));
    expect(lines).toBeGreaterThan(1000);
    expect(Object.fromEntries(onRe2.stats)).toEqual(Object.fromEntries(onV8.stats));
  });
});
