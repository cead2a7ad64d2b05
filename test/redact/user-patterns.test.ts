import { describe, expect, it } from 'vitest';
import {
  createRedactor,
  DEFAULT_PATTERNS,
  mergeRedactionOptions,
  RedactionConfigError,
  redactionOptionsFromUserConfig,
  type RedactionPatternSpec,
  type Redactor,
} from '../../src/redact/index.js';
import { compileRule } from '../../src/redact/rules.js';

const only = (...patterns: RedactionPatternSpec[]) => createRedactor({ useDefaultPatterns: false, patterns }) as Redactor;

describe('activation', () => {
  it('is on by default with the built-in patterns', () => {
    const r = createRedactor({});
    expect(r?.redactText('AKIAIOSFODNN7EXAMPLE')).toBe('[REDACTED:AWS_KEY]');
    expect(createRedactor()).toBeDefined();
  });

  it('is off only when disabled explicitly, or when there are no patterns at all', () => {
    expect(createRedactor({ enabled: false })).toBeUndefined();
    expect(createRedactor({ useDefaultPatterns: false })).toBeUndefined();
    expect(createRedactor({ useDefaultPatterns: false, patterns: [] })).toBeUndefined();
  });

  it('runs custom patterns after the defaults, or alone', () => {
    const custom = { name: 'host', type: 'host', pattern: /\bcorp\.internal\b/ };
    expect(createRedactor({ patterns: [custom] })?.redactText('AKIAIOSFODNN7EXAMPLE db.corp.internal')).toBe('[REDACTED:AWS_KEY] db.[REDACTED:HOST]');
    expect(only(custom).redactText('AKIAIOSFODNN7EXAMPLE db.corp.internal')).toBe('AKIAIOSFODNN7EXAMPLE db.[REDACTED:HOST]');
  });

  it('lets a project config pick built-ins from DEFAULT_PATTERNS', () => {
    const jwtOnly = DEFAULT_PATTERNS.filter((p) => p.type === 'jwt');
    const r = createRedactor({ useDefaultPatterns: false, patterns: [...jwtOnly] }) as Redactor;
    expect(r.redactText('eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. AKIAIOSFODNN7EXAMPLE')).toBe('[REDACTED:JWT] AKIAIOSFODNN7EXAMPLE');
  });

  it('merges layers: later settings win, patterns add up', () => {
    const a = { name: 'a', type: 'a', pattern: 'aaa' };
    const b = { name: 'b', type: 'b', pattern: 'bbb' };
    expect(mergeRedactionOptions({ enabled: false, patterns: [a] }, undefined, { enabled: true, useDefaultPatterns: false, patterns: [b] })).toEqual({
      enabled: true,
      useDefaultPatterns: false,
      patterns: [a, b],
    });
    expect(mergeRedactionOptions({ useDefaultPatterns: false }, {})).toEqual({ useDefaultPatterns: false });
  });
});

describe('user patterns (RE2 syntax on a linear-time engine)', () => {
  it('accepts Go syntax: (?i), (?P<name>…), \\z, inline flag groups', () => {
    expect(only({ name: 'i', type: 'word', pattern: '(?i)hunter2' }).redactText('HUNTER2 hunter2')).toBe('[REDACTED:WORD] [REDACTED:WORD]');
    expect(only({ name: 'named', type: 'pin', pattern: 'pin=(?P<pin>[0-9]{4})', captureGroup: 1 }).redactText('pin=1234')).toBe('pin=[REDACTED:PIN]');
    expect(only({ name: 'end', type: 'tail', pattern: 'secret\\z' }).redactText('secret secret')).toBe('secret [REDACTED:TAIL]');
    expect(only({ name: 'inline', type: 'x', pattern: 'a(?i:BC)d' }).redactText('abcd aBCd ABCD')).toBe('[REDACTED:X] [REDACTED:X] ABCD');
    expect(only({ name: 'dotall', type: 'x', pattern: '(?s)BEGIN.*?END' }).redactText('a BEGIN\nx\nEND b')).toBe('a [REDACTED:X] b');
  });

  it('translates RegExp objects from a project config, flags included', () => {
    expect(only({ name: 're', type: 'host', pattern: /(?<h>[a-z]+)\.corp\.internal/i, captureGroup: 1 }).redactText('API.corp.internal')).toBe(
      '[REDACTED:HOST].corp.internal',
    );
    expect(only({ name: 'm', type: 'x', pattern: /^x=\d+$/m }).redactText('a\nx=1\nb')).toBe('a\n[REDACTED:X]\nb');
  });

  it('replaces only the capture group, and leaves matches whose group did not take part', () => {
    const r = only({ name: 'kv', type: 'val', pattern: 'key=(\\w+)|nokey', captureGroup: 1 });
    expect(r.redactText('key=abc nokey key=def')).toBe('key=[REDACTED:VAL] nokey key=[REDACTED:VAL]');
  });

  it('finds anchored and unanchored patterns in any string of a line', () => {
    const r = only(
      { name: 'whole', type: 'whole', pattern: '^exact-[0-9]+$' },
      { name: 'tail', type: 'tail', pattern: 'end-[a-z]+\\z' },
      { name: 'after', type: 'after', pattern: '(?<=id=)[0-9]{3}' },
      { name: 'word', type: 'word', pattern: '\\bEMP-[0-9]{4}\\b' },
    );
    const line = JSON.stringify({ a: 'x', b: ['exact-12', 'not exact-12'], c: { d: 'the end-abc', e: 'end-abc and more' }, f: 'id=123 EMP-1234', g: 'EMP-12345' });
    expect(JSON.parse(r.redactLine(line))).toEqual({
      a: 'x',
      b: ['[REDACTED:WHOLE]', 'not exact-12'],
      c: { d: 'the [REDACTED:TAIL]', e: 'end-abc and more' },
      f: 'id=[REDACTED:AFTER] [REDACTED:WORD]',
      g: 'EMP-12345',
    });
    const clean = JSON.stringify({ a: 'nothing', b: ['to', 'see'] });
    expect(r.redactLine(clean)).toBe(clean);
  });

  it('never inserts markers for empty matches', () => {
    expect(only({ name: 'empty', type: 'x', pattern: 'z*' }).redactText('abc')).toBe('abc');
  });

  it('applies field patterns to string values of matching fields, and array elements under them', () => {
    const r = only({ name: 'f', type: 'internal', fieldPattern: '(?i)^x-internal-.*$' });
    const line = '{"X-Internal-Id":"abc","x-internal-list":["a",1,"b",{"y":"keep"}],"other":"keep","x-internal-n":5}';
    expect(r.redactLine(line)).toBe(
      '{"X-Internal-Id":"[REDACTED:INTERNAL]","x-internal-list":["[REDACTED:INTERNAL]",1,"[REDACTED:INTERNAL]",{"y":"keep"}],"other":"keep","x-internal-n":5}',
    );
  });

  it('applies a field pattern together with a value pattern only inside matching fields', () => {
    const r = only({ name: 'fv', type: 'pin', fieldPattern: '^notes$', pattern: 'pin (\\d+)', captureGroup: 1 });
    expect(r.redactLine('{"notes":"pin 1234 ok","other":"pin 5678"}')).toBe('{"notes":"pin [REDACTED:PIN] ok","other":"pin 5678"}');
  });

  it('leaves numbers, booleans and null under a sensitive field alone', () => {
    const r = createRedactor({}) as Redactor;
    expect(r.redactLine('{"password":12345,"token":true,"secret":null,"api_key":"k3y-value"}')).toBe(
      '{"password":12345,"token":true,"secret":null,"api_key":"[REDACTED:SENSITIVE_FIELD]"}',
    );
  });

  it('runs user patterns on the linear-time engine, so a catastrophically backtracking one stays linear on a 1 MB line', () => {
    // Linear time is RE2's guarantee: every user pattern, string or RegExp, is compiled for
    // re2js (bench/redaction.mjs times the built-ins, which run on V8).
    expect(compileRule({ name: 'evil', type: 'x', pattern: '(a+)+$' }, 0).value?.engine).toBe('re2');
    expect(compileRule({ name: 'evil-re', type: 'x', pattern: /(x+x+)+y/ }, 0).value?.engine).toBe('re2');
    expect(compileRule({ name: 'f', type: 'x', fieldPattern: /^(a|a)*$/ }, 0).field?.engine).toBe('re2');
    const r = only({ name: 'evil', type: 'x', pattern: '(a+)+$' });
    const text = `${'a'.repeat(1 << 20)}!`;
    const line = JSON.stringify({ type: 'user', message: { content: text } });
    expect(r.redactLine(line)).toBe(line);
    expect(r.redactText('a'.repeat(1 << 20))).toBe('[REDACTED:X]');
    // The same pattern on V8's backtracking engine would not finish; translated to RE2 it does.
    expect(only({ name: 'evil-re', type: 'x', pattern: /(x+x+)+y/ }).redactText('x'.repeat(200_000))).toBe('x'.repeat(200_000));
  });

  it('rejects what RE2 cannot run in linear time, naming the pattern', () => {
    expect(() => createRedactor({ patterns: [{ name: 'look', type: 'x', pattern: /a(?=b)/ }] })).toThrow(
      /redaction pattern "look": pattern: invalid regular expression .*\(\?=/,
    );
    expect(() => createRedactor({ patterns: [{ name: 'backref', type: 'x', pattern: '(a)\\1' }] })).toThrow(/"backref": pattern: invalid/);
    expect(() => createRedactor({ patterns: [{ name: 'none', type: 'x' }] })).toThrow(/"none": needs a pattern or a field pattern/);
    expect(() => createRedactor({ patterns: [{ name: 'bad type', type: 'a b', pattern: 'x' }] })).toThrow(/"bad type": type:/);
    expect(() => createRedactor({ patterns: [{ name: 'grp', type: 'x', pattern: 'a(b)', captureGroup: 2 }] })).toThrow(
      /"grp": captureGroup: is 2 but the pattern has 1 group/,
    );
    expect(() => createRedactor({ patterns: [{ name: 'empty', type: 'x', pattern: '' }] })).toThrow(RedactionConfigError);
  });
});

describe('redactionOptionsFromUserConfig (the Go config.json section)', () => {
  it('reads the Go keys', () => {
    const opts = redactionOptionsFromUserConfig({
      enabled: true,
      use_default_patterns: false,
      patterns: [
        { name: 'Internal host', type: 'host', pattern: '\\bcorp\\.internal\\b' },
        { name: 'Ticket', type: 'ticket', pattern: 'T-(\\d+)', capture_group: 1 },
        { name: 'SSN field', type: 'ssn', field_pattern: '(?i)^ssn$' },
      ],
      some_future_key: 1,
    });
    expect(opts).toEqual({
      enabled: true,
      useDefaultPatterns: false,
      patterns: [
        { name: 'Internal host', type: 'host', pattern: '\\bcorp\\.internal\\b' },
        { name: 'Ticket', type: 'ticket', pattern: 'T-(\\d+)', captureGroup: 1 },
        { name: 'SSN field', type: 'ssn', fieldPattern: '(?i)^ssn$' },
      ],
    });
    const r = createRedactor(opts) as Redactor;
    expect(r.redactLine('{"ssn":"123","t":"T-42 at db.corp.internal"}')).toBe('{"ssn":"[REDACTED:SSN]","t":"T-[REDACTED:TICKET] at db.[REDACTED:HOST]"}');
  });

  it('treats an absent section as the defaults and keeps an explicit enabled:false', () => {
    expect(redactionOptionsFromUserConfig(undefined)).toEqual({});
    expect(redactionOptionsFromUserConfig(null)).toEqual({});
    expect(createRedactor(redactionOptionsFromUserConfig({ enabled: false }))).toBeUndefined();
  });

  it.each([
    ['not an object', 'yes', /^redaction: expected an object$/],
    ['enabled not boolean', { enabled: 'no' }, /^redaction\.enabled: expected true or false, got "no"$/],
    ['patterns not array', { patterns: {} }, /^redaction\.patterns: expected an array$/],
    ['pattern not object', { patterns: [1] }, /^redaction\.patterns\[0\]: expected an object$/],
    ['missing type', { patterns: [{ name: 'n', pattern: 'x' }] }, /^redaction\.patterns\[0\] \("n"\)\.type: required/],
    ['no pattern', { patterns: [{ name: 'n', type: 't' }] }, /^redaction\.patterns\[0\] \("n"\): needs "pattern" or "field_pattern"$/],
    ['bad regex', { patterns: [{ type: 't', pattern: 'ok' }, { name: 'Bad', type: 't', pattern: '(unclosed' }] }, /^redaction\.patterns\[1\] \("Bad"\)\.pattern: invalid regular expression .*missing closing \)/],
    ['bad field regex', { patterns: [{ name: 'F', type: 't', field_pattern: '[z-a]' }] }, /^redaction\.patterns\[0\] \("F"\)\.field_pattern: invalid regular expression/],
    ['bad group', { patterns: [{ name: 'G', type: 't', pattern: 'x', capture_group: 1 }] }, /^redaction\.patterns\[0\] \("G"\)\.capture_group: is 1 but the pattern has 0 group/],
    ['negative group', { patterns: [{ name: 'G', type: 't', pattern: '(x)', capture_group: -1 }] }, /\.capture_group: expected a non-negative integer, got -1$/],
    ['pattern not string', { patterns: [{ name: 'S', type: 't', pattern: 5 }] }, /\("S"\)\.pattern: expected a string, got 5$/],
  ])('rejects %s with a clear one-line error', (_what, section, message) => {
    let err: unknown;
    try {
      redactionOptionsFromUserConfig(section);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RedactionConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});
