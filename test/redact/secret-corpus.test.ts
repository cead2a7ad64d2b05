import { describe, expect, it } from 'vitest';
import { checksumOk, fakeSecrets, SECRET_KINDS, type FakeSecret } from '../../bench/lib/fake-secrets.mjs';
import { secretLines } from '../../bench/lib/transcript.mjs';
import { createRedactor, type Redactor } from '../../src/redact/index.js';

const FAKES = fakeSecrets(20251001, 5);
const redactor = createRedactor({}) as Redactor;

/** The secret as it appears inside a JSON string (escaped), which is what must not survive. */
const escaped = (secret: string) => JSON.stringify(secret).slice(1, -1);

function leaks(out: string, fake: FakeSecret): boolean {
  return out.includes(escaped(fake.secret)) || out.includes(fake.secret);
}

describe('fake secret corpus', () => {
  it('has at least 5 well-formed fakes of every kind', () => {
    const byKind = new Map<string, FakeSecret[]>();
    for (const f of FAKES) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
    expect([...byKind.keys()].sort()).toEqual(SECRET_KINDS.map((k) => k.kind).sort());
    for (const [kind, list] of byKind) {
      expect(list.length, kind).toBeGreaterThanOrEqual(5);
      expect(new Set(list.map((f) => f.text)).size, `${kind} fakes are distinct`).toBe(list.length);
      for (const f of list) expect(f.text, kind).toContain(f.secret);
    }
    // GitHub and npm tokens carry a CRC32 checksum in their last 6 characters.
    for (const f of FAKES.filter((x) => /^(?:gh[pousr]|npm)_/.test(x.secret))) expect(checksumOk(f.secret), f.secret).toBe(true);
  });

  it('redacts every fake, as text, to its type', () => {
    for (const f of FAKES) {
      const out = redactor.redactText(`value: ${f.text}\n`);
      expect(leaks(out, f), `${f.kind}: ${out}`).toBe(false);
      expect(out, f.kind).toContain(`[REDACTED:${f.type}]`);
    }
  });

  it('redacts every fake in every place it turns up in a Claude Code transcript', () => {
    let lines = 0;
    for (const f of FAKES) {
      for (const { context, line } of secretLines(f)) {
        lines++;
        expect(line, 'the fixture line holds the secret').toContain(escaped(f.secret));
        const out = redactor.redactLine(line);
        expect(leaks(out, f), `${f.kind} in ${context}: ${out.slice(0, 300)}`).toBe(false);
        expect(out).toMatch(/\[REDACTED:[A-Z_]+\]/);
        // Still one valid JSON line, with the same structure.
        const before = JSON.parse(line) as Record<string, unknown>;
        const after = JSON.parse(out) as Record<string, unknown>;
        expect(Object.keys(after)).toEqual(Object.keys(before));
        expect(after.uuid).toBe(before.uuid);
      }
    }
    expect(lines).toBeGreaterThanOrEqual(FAKES.length * 8);
  });

  it('redacts every fake in lines cut short (not JSON), wherever the cut falls after it', () => {
    for (const f of FAKES) {
      for (const { context, line } of secretLines(f)) {
        const at = line.indexOf(escaped(f.secret));
        // After the whole natural form: a URL password is only a password once its "@host" is there.
        const textAt = line.indexOf(escaped(f.text.trimEnd()));
        const after = textAt >= 0 ? textAt + escaped(f.text.trimEnd()).length : at + escaped(f.secret).length;
        // Right after the secret, inside an escape, and a little later.
        for (const cut of [after, after + 1, after + 2, after + 7, after + 40]) {
          const partial = line.slice(0, cut);
          const out = redactor.redactLine(partial);
          expect(leaks(out, f), `${f.kind} in ${context}, cut at +${cut - after}: …${out.slice(Math.max(0, at - 80), at + 200)}`).toBe(false);
          expect(out.includes('\n'), 'a raw line stays one line').toBe(false);
        }
      }
    }
  });

  it('redacts secrets written with escapes that hide them from a plain-text search', () => {
    const aws = FAKES.find((f) => f.kind === 'aws-access-key')!.secret;
    const hidden = `{"a":"key \\u0041${aws.slice(1)} here","b":"x\\/y"}`;
    expect(JSON.parse(hidden).a).toContain(aws);
    expect(redactor.redactLine(hidden)).not.toContain(aws.slice(1));

    const gh = FAKES.find((f) => f.kind === 'github-classic-pat')!.secret;
    const quoted = `{"cmd":"echo \\"${gh}\\" > token.txt"}`;
    expect(redactor.redactLine(quoted)).toBe('{"cmd":"echo \\"[REDACTED:GITHUB_TOKEN]\\" > token.txt"}');
  });

  it('counts redactions by type', () => {
    const r = createRedactor({}) as Redactor;
    const gh = FAKES.filter((f) => f.type === 'GITHUB_TOKEN').slice(0, 3);
    r.redactLine(JSON.stringify({ a: gh.map((f) => f.text).join(' '), password: 'hunter22' }));
    expect(Object.fromEntries(r.stats)).toEqual({ GITHUB_TOKEN: 3, SENSITIVE_FIELD: 1 });
  });
});
