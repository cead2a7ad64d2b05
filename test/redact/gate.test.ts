import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fakeSecrets } from '../../bench/lib/fake-secrets.mjs';
import { BUILTIN_PATTERNS } from '../../src/redact/patterns.js';
import { buildRedactor } from '../../src/redact/redactor.js';

/**
 * Lines whose raw text contains no rule's gate skip parsing and matching altogether. That is
 * an optimisation only: with and without it, every output must be the same.
 */
const gated = buildRedactor({})!;
const ungated = buildRedactor({}, { gating: false })!;

const pieces = [
  ...fakeSecrets(9, 1).map((f) => f.text),
  ...fakeSecrets(10, 1).map((f) => f.secret),
  ...BUILTIN_PATTERNS.flatMap((p) => p.gate.map((part) => part.literal)),
  'password', 'Token', 'SECRET', ': "', '=', "='", '\\n', '\\"', '\\\\', '\\u0041', '\\/', '"', '\n', '\t', ' ', '://', '@', 'u:', '{', '}', '[', ']', ',', ':',
];
const text = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,50}$/)), { maxLength: 14 }).map((p) => p.join(''));

describe('the gate', () => {
  it('never changes what gets redacted (property)', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('raw', 'json', 'json-key', 'text'), (t, form) => {
        if (form === 'text') {
          expect(gated.redactText(t)).toBe(ungated.redactText(t));
          return;
        }
        const line = form === 'raw' ? t : form === 'json' ? JSON.stringify({ type: 'user', content: [t, { password: t }] }) : JSON.stringify({ [t]: t });
        expect(gated.redactLine(line)).toBe(ungated.redactLine(line));
      }),
      { numRuns: 3000 },
    );
  });

  it('skips lines without any gate literal without parsing them', () => {
    const original = JSON.parse;
    let parses = 0;
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => (parses++, original(...args))) as typeof JSON.parse;
    try {
      gated.redactLine('{"type":"assistant","message":{"content":[{"type":"text","text":"nothing to see here"}],"usage":{"input_tokens":3}}}');
      expect(parses).toBe(0);
      gated.redactLine('{"cmd":"curl -u a:secret1 https://x"}');
      expect(parses).toBeGreaterThan(0);
    } finally {
      JSON.parse = original;
    }
  });
});
