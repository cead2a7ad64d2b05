import { describe, expect, it } from 'vitest';
import { fakeSecrets } from '../../bench/lib/fake-secrets.mjs';
import { ordinaryLines, secretLines } from '../../bench/lib/transcript.mjs';
import { createRedactor, type Redactor } from '../../src/redact/index.js';
import { BUILTIN_PATTERNS } from '../../src/redact/patterns.js';
import { buildRedactor } from '../../src/redact/redactor.js';

/**
 * The built-ins run on V8's backtracking engine because it is several times faster than
 * re2js. That is only safe if none of them can backtrack super-linearly; these inputs are
 * built to make each rule start, nearly match and fail over and over.
 */
const SIZE = 128 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

const literalGateParts = BUILTIN_PATTERNS.flatMap((p) => p.gate.map((part) => part.literal));

const UNITS = [
  ...new Set([
    ...literalGateParts,
    'sk-ant-api03-',
    'sk-proj-',
    'xoxe.xoxb-',
    'discord.com/api/webhooks/1234567/',
    'SK0123456789abcdef0123456789abcdef',
    'SG.aaaaaaaaaaaaaaaaaaaaaa.',
    '0123456789abcdef0123456789abcdef-us1',
    'dapi0123456789abcdef0123456789abcdef',
    'aaaaaaaaaaaaaa.atlasv1.',
    'dp.pt.',
    'fm2_',
    'abc1Q~',
    '12345678:AA',
    'eyJa.eyJa.',
    'Bearer ',
    'Authorization: Basic ',
    'authorization=',
    'curl -u ',
    ' -u a:',
    '://a:',
    '://:b',
    'a:b@',
    'x:y@tcp(',
    '?password=',
    '&token=',
    'GITHUB_TOKEN=',
    'A_SECRET_B=',
    'PASSWORD',
    'password: "',
    "api_key='",
    'token=',
    'secret_access_key=',
    'SessionToken: ',
    '-----BEGIN PRIVATE KEY-----',
    '-----BEGIN RSA PRIVATE KEY-----\n',
    '-----BEGIN PRIVATE KEY-----\nProc-Type: 4\n',
    '-----END PRIVATE KEY-----',
    '----',
    '\\n',
    '\\\\n',
    '\\"',
  ]),
];
const TAILS = ['', 'a', 'aB3', '0', '-', ' ', '\n', '='];

describe('built-in patterns stay linear on adversarial input', () => {
  it(`redacts ${UNITS.length * TAILS.length} adversarial ${SIZE / 1024} KB texts in bounded time each`, () => {
    const redactor = createRedactor({}) as Redactor;
    let worst = { ms: 0, input: '' };
    let total = 0;
    for (const unit of UNITS) {
      for (const tail of TAILS) {
        const text = fill(unit + tail);
        const t0 = performance.now();
        redactor.redactText(text);
        const ms = performance.now() - t0;
        total += ms;
        if (ms > worst.ms) worst = { ms, input: JSON.stringify(unit + tail) };
      }
      // The same run after a prefix, and as a raw (non-JSON) line.
      for (const text of [unit + fill('a'), unit + fill('A0'), unit + fill('aB3-_')]) {
        const t0 = performance.now();
        redactor.redactText(text);
        redactor.redactLine(text);
        const ms = performance.now() - t0;
        total += ms;
        if (ms > worst.ms) worst = { ms, input: `${JSON.stringify(unit)} + run` };
      }
    }
    console.log(`adversarial inputs: worst ${worst.ms.toFixed(0)} ms (${worst.input}), total ${(total / 1000).toFixed(1)} s`);
    expect(worst.ms).toBeLessThan(1500);
  });

  it('handles a 1 MB JSON line full of near-misses within bounded time', () => {
    const redactor = createRedactor({}) as Redactor;
    const text = fill('sk-a ://a:b curl -u x eyJa.eyJ -----BEGIN PRIVATE KEY----- token="x PASSWORD=" ').repeat(4);
    const line = JSON.stringify({ type: 'user', toolUseResult: { stdout: text } });
    const t0 = performance.now();
    redactor.redactLine(line);
    expect(performance.now() - t0).toBeLessThan(3000);
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
