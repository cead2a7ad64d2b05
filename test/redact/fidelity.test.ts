import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor, type Redactor } from '../../src/redact/index.js';
import { rewriteJsonStrings } from '../../src/redact/json-strings.js';

const GH = 'ghp_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5'; // format only: 36 base62 characters
const redactor = createRedactor({}) as Redactor;
/** A redactor with a user pattern: every line goes through the JSON walk, not just the gated ones. */
const walking = createRedactor({ patterns: [{ name: 'never', type: 'x', pattern: 'zzz-never-matches-zzz' }] }) as Redactor;

const ODD_BUT_VALID = [
  '{"n":1.0,"e":1e400,"neg":-0,"exp":1E+2,"small":5e-324}',
  '{"big":123456789012345678901234567890,"id":9007199254740993}',
  '{"u":"caf\\u00e9 \\ud83d\\ude00 \\u001b[31mred\\u001b[0m","slash":"a\\/b","q":"\\"quoted\\"","bs":"C:\\\\dir\\\\"}',
  '{ "spaced" :  [ 1 , 2 ,\t3 ] ,\r\n "z" : { } , "a" : [ ] }',
  '{"z":1,"a":2,"m":{"y":true,"b":false,"c":null}}',
  '{"dup":"first","dup":"second"}',
  '{"2":"numeric-like key first in JS","b":1,"1":"x"}',
  '[[["deep",["deeper",{"k":["v"]}]]]]',
  '"a bare string"',
  '12345678901234567890',
  'null',
  '{"emoji":"😀 raw non-ASCII ñ","nul":"\\u0000"}',
  '{"html":"<script>alert(1)</script> & more"}',
  '{"trailing":"crlf"}\r',
  '{"password_hint":"ask Bob","tokens":42,"input_tokens":3,"secretary":"Ann"}',
];

describe('byte fidelity', () => {
  it.each(ODD_BUT_VALID)('returns a line with nothing to redact as the same string: %s', (line) => {
    expect(redactor.redactLine(line)).toBe(line);
    expect(walking.redactLine(line)).toBe(line);
  });

  it('returns any JSON without secrets unchanged, whatever its formatting (property)', () => {
    const value = fc.jsonValue({ maxDepth: 4 });
    const spaced = fc.tuple(value, fc.constantFrom(undefined, 1, '\t', '  ')).map(([v, space]) => JSON.stringify(v, null, space).replace(/\n/g, ' '));
    fc.assert(
      fc.property(spaced, (line) => {
        expect(walking.redactLine(line)).toBe(line);
      }),
      { numRuns: 300 },
    );
  });

  it('changes only the string that held the secret, keeping numbers, order and other escapes', () => {
    const line = `{"z":1.0,"big":123456789012345678901234567890,"u":"caf\\u00e9","msg":"token ${GH} here\\n","a":[1.50,"x"]}`;
    const out = redactor.redactLine(line);
    expect(out).toBe('{"z":1.0,"big":123456789012345678901234567890,"u":"caf\\u00e9","msg":"token [REDACTED:GITHUB_TOKEN] here\\n","a":[1.50,"x"]}');
  });

  it('redacts a secret hidden behind a duplicate key that JSON.parse would drop', () => {
    const line = `{"note":"${GH}","note":"harmless"}`;
    expect(JSON.parse(line).note).toBe('harmless');
    expect(redactor.redactLine(line)).toBe('{"note":"[REDACTED:GITHUB_TOKEN]","note":"harmless"}');
  });

  it('keeps the structure of any JSON when a secret is planted in a string (property)', () => {
    const withSecret = fc.jsonValue({ maxDepth: 3 }).chain((v) =>
      fc.tuple(fc.constant(v), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([base, pre, post]) => ({ base, planted: `${pre} ${GH} ${post}` })),
    );
    fc.assert(
      fc.property(withSecret, ({ base, planted }) => {
        const line = JSON.stringify({ before: base, planted, after: base });
        const out = redactor.redactLine(line);
        expect(out).not.toContain(GH);
        const parsed = JSON.parse(out) as { before: unknown; planted: string; after: unknown };
        const roundTripped: unknown = JSON.parse(JSON.stringify(base));
        expect(parsed.before).toEqual(roundTripped);
        expect(parsed.after).toEqual(roundTripped);
        expect(parsed.planted).toContain('[REDACTED:GITHUB_TOKEN]');
        // Everything outside the planted string is byte for byte the same.
        const [head] = line.split('"planted"');
        expect(out.startsWith(`${head}"planted"`)).toBe(true);
        expect(out.endsWith(line.slice(line.indexOf(',"after":')))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('passes member names, array element inheritance and top-level strings to the rewriter', () => {
    const seen: [string, string | undefined, boolean][] = [];
    rewriteJsonStrings('{"a":"1","list":["2",["3"],{"b":"4"}],"o":{"c":"5"}}', (v, field, isKey) => {
      seen.push([v, field, isKey]);
      return v;
    });
    expect(seen).toEqual([
      ['a', undefined, true],
      ['1', 'a', false],
      ['list', undefined, true],
      ['2', 'list', false],
      ['3', 'list', false],
      ['b', undefined, true],
      ['4', 'b', false],
      ['o', undefined, true],
      ['c', undefined, true],
      ['5', 'c', false],
    ]);
    const top: (string | undefined)[] = [];
    rewriteJsonStrings('"top"', (v, field) => (top.push(field), v));
    expect(top).toEqual([undefined]);
  });

  it('redacts a secret used as a member name, leaving its value alone', () => {
    expect(redactor.redactLine(`{"tokens":{"${GH}":42}}`)).toBe('{"tokens":{"[REDACTED:GITHUB_TOKEN]":42}}');
  });

  it('handles backslash runs before quotes', () => {
    const line = JSON.stringify({ a: 'x\\', b: '\\"', c: `\\\\${GH}\\` });
    const out = redactor.redactLine(line);
    expect(JSON.parse(out)).toEqual({ a: 'x\\', b: '\\"', c: '\\\\[REDACTED:GITHUB_TOKEN]\\' });
  });
});
