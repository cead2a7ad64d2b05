import { describe, expect, it } from 'vitest';
import { fakeSecrets } from '../../bench/lib/fake-secrets.mjs';
import { ordinaryLines, secretLines } from '../../bench/lib/transcript.mjs';
import { createRedactor, RedactionAhead, type AheadLine, type RedactionOptions, type Redactor } from '../../src/redact/index.js';

// The worker runs as built (dist/ is built before the tests run).
const workerUrl = new URL('../../dist/redact/ahead-worker.js', import.meta.url);

const options: RedactionOptions = { patterns: [{ name: 'ticket', pattern: /\bTICKET-[0-9]{6}\b/, type: 'TICKET' }] };

function corpus(): string[] {
  const lines: string[] = [...ordinaryLines(21, 200)];
  for (const fake of fakeSecrets(4, 1)) lines.push(...secretLines(fake).map((s) => s.line));
  lines.push(JSON.stringify({ type: 'user', message: { content: 'see TICKET-123456 and é😀' } }), 'not json: password=hunter2hunter2', '\uFEFF{"k":"v"}\r');
  return lines;
}

/** Each line through `expect` then the tap's redactor, as the engine does. */
async function throughAhead(ahead: RedactionAhead, lines: string[], batch = 64): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += batch) {
    const slice = lines.slice(i, i + batch);
    const results = await ahead.prefetch(slice.map((l) => Buffer.from(l, 'utf8')));
    slice.forEach((line, j) => {
      ahead.expect(line, results[j]);
      out.push(ahead.redactor.redactLine(line));
    });
  }
  return out;
}

const statsOf = (r: Redactor) => Object.fromEntries([...r.stats].sort());

describe('redaction on a second thread (confab save)', () => {
  it('answers every line exactly as the redactor on this thread would, with the same counts and JSON sizes', async () => {
    const lines = corpus();
    const plain = createRedactor(options)!;
    const expected = lines.map((l) => plain.redactLine(l));
    expect(expected.filter((l, i) => l !== lines[i]).length).toBeGreaterThan(20);

    const ahead = new RedactionAhead({ options, inner: createRedactor(options)!, workerUrl });
    try {
      // The sizes the engine packs chunks by.
      const results = await ahead.prefetch(lines.map((l) => Buffer.from(l, 'utf8')));
      results.forEach((r: AheadLine | undefined, i) => {
        expect(r?.output ?? lines[i]).toBe(expected[i]);
        expect(r?.wireBytes).toBe(Buffer.byteLength(JSON.stringify(expected[i])));
        expect(r?.json).toBeUndefined();
      });
      // For a backend that sends bodies: each result's JSON string too, byte for byte.
      const withJson = await ahead.prefetch(
        lines.map((l) => Buffer.from(l, 'utf8')),
        { json: true },
      );
      withJson.forEach((r, i) => {
        expect(r?.json?.equals(Buffer.from(JSON.stringify(expected[i]), 'utf8'))).toBe(true);
        expect(r?.json?.length).toBe(r?.wireBytes);
      });
      const ahead2 = new RedactionAhead({ options, inner: createRedactor(options)!, workerUrl });
      try {
        expect(await throughAhead(ahead2, lines)).toEqual(expected);
        expect(ahead2.answered).toBe(lines.length);
        expect(statsOf(ahead2.redactor)).toEqual(statsOf(plain));
      } finally {
        await ahead2.close();
      }
    } finally {
      await ahead.close();
    }
  });

  it('a line changed before it reaches redaction is redacted here', async () => {
    const inner = createRedactor(options)!;
    const ahead = new RedactionAhead({ options, inner, workerUrl });
    try {
      const line = JSON.stringify({ note: 'clean line' });
      const [result] = await ahead.prefetch([Buffer.from(line)]);
      ahead.expect(line, result);
      // An earlier tap added a ticket number: the worker's "nothing to redact" does not apply.
      const changed = JSON.stringify({ note: 'clean line TICKET-654321' });
      expect(ahead.redactor.redactLine(changed)).toBe(createRedactor(options)!.redactLine(changed));
      expect(ahead.redactor.redactLine(changed)).toContain('[REDACTED:TICKET]');
      expect(ahead.answered).toBe(0);
      expect(ahead.redactor.stats.get('TICKET')).toBe(2);
    } finally {
      await ahead.close();
    }
  });

  it('without a worker (it cannot start, or it was closed) every line is redacted here', async () => {
    const reasons: string[] = [];
    const missing = new RedactionAhead({ options, inner: createRedactor(options)!, workerUrl: new URL('./no-such-worker.js', workerUrl), onUnavailable: (r) => reasons.push(r) });
    const lines = corpus();
    const expected = lines.map((l) => createRedactor(options)!.redactLine(l));
    expect(await throughAhead(missing, lines)).toEqual(expected);
    expect(missing.answered).toBe(0);
    expect(reasons).toHaveLength(1);
    await missing.close();

    const closed = new RedactionAhead({ options, inner: createRedactor(options)!, workerUrl });
    await closed.close();
    expect(await closed.prefetch([Buffer.from('{}')])).toEqual([]);
    expect(await throughAhead(closed, lines)).toEqual(expected);
  });
});
