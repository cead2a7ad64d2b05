import { describe, expect, it } from 'vitest';
import { PREFETCH_BATCH_BYTES, PREFETCH_DEPTH, type LinePrefetcher, type PrefetchedLine } from '../../src/sync/chunker.js';
import { PREFETCH_MIN_BYTES, SyncEngine } from '../../src/sync/engine.js';
import { harness, jsonLines } from '../helpers/engine-harness.js';
import { MemoryBackend } from '../helpers/memory-backend.js';

const MiB = 1024 * 1024;
const mask = (line: string) => line.replaceAll('hunter2', '[MASKED]');

/** A prefetcher that does in advance what the `mask` tap does, and records how it was used. */
class MaskAhead implements LinePrefetcher {
  batches: number[] = [];
  batchBytes: number[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  expected = 0;
  known = 0;
  jsonAsked = 0;
  constructor(private readonly answer: (line: string, json: boolean) => PrefetchedLine | undefined = predict) {}

  async prefetch(lines: readonly Buffer[], opts: { json: boolean }) {
    if (opts.json) this.jsonAsked++;
    this.batches.push(lines.length);
    this.batchBytes.push(lines.reduce((n, l) => n + l.length + 1, 0));
    this.maxOutstanding = Math.max(this.maxOutstanding, ++this.outstanding);
    await new Promise((r) => setImmediate(r));
    this.outstanding--;
    return lines.map((b) => this.answer(b.toString('utf8'), opts.json));
  }

  expect(_text: string, result: PrefetchedLine | undefined) {
    this.expected++;
    if (result) this.known++;
  }
}

function predict(line: string, json: boolean): PrefetchedLine {
  const out = mask(line);
  const encoded = Buffer.from(JSON.stringify(out));
  return { ...(out === line ? {} : { output: out }), wireBytes: encoded.length, ...(json ? { json: encoded } : {}) };
}

/** ~`bytes` of JSON lines, one in 50 with the word to mask. */
function bigFile(bytes: number): { text: string; lines: string[] } {
  const lines: string[] = [];
  let size = 0;
  for (let i = 1; size < bytes; i++) {
    const line = JSON.stringify({ n: i, text: `line ${i} "quoted" é😀 ${i % 50 === 0 ? 'password hunter2' : ''} ${'x'.repeat(400 + (i % 300))}` });
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return { text: `${lines.join('\n')}\n`, lines };
}

function engineWith(prefetcher: LinePrefetcher, kind: 'local' | 'http' = 'local') {
  const h = harness({ backend: new MemoryBackend({ kind }) });
  h.hooks.line.tap('mask', mask);
  const engine = new SyncEngine({ backend: h.backend, hooks: h.hooks, session: h.session, clock: h.clock, log: h.log, prefetcher });
  return { h, engine };
}

/** Syncs a file past PREFETCH_MIN_BYTES through `prefetcher`: every line must be stored as the hook makes it. */
async function syncsExactly(prefetcher: LinePrefetcher, extra = MiB, kind: 'local' | 'http' = 'local'): Promise<string[]> {
  const { h, engine } = engineWith(prefetcher, kind);
  const { text, lines } = bigFile(PREFETCH_MIN_BYTES + extra);
  h.write(text);
  expect((await engine.syncAll('once')).complete).toBe(true);
  expect(h.backend.fileLines(undefined, h.name)).toEqual(lines.map(mask));
  // The sizes taken from the prefetcher are what each body measured (checked by the backend).
  expect(h.backend.violations).toEqual([]);
  return lines;
}

describe('lines read ahead through a prefetcher', () => {
  it('come out as the line hook makes them, in order, each once, in bounded batches', async () => {
    const ahead = new MaskAhead();
    const lines = await syncsExactly(ahead, 2 * MiB);
    expect(ahead.batches.reduce((a, b) => a + b, 0)).toBe(lines.length);
    expect(ahead.expected).toBe(lines.length);
    expect(ahead.known).toBe(lines.length);
    expect(ahead.maxOutstanding).toBeLessThanOrEqual(PREFETCH_DEPTH);
    for (const size of ahead.batchBytes) expect(size).toBeLessThan(PREFETCH_BATCH_BYTES + 2048);
  });

  it('a prefetcher that fails or knows nothing costs no line', async () => {
    for (const broken of [
      { prefetch: () => Promise.reject(new Error('worker died')), expect: () => undefined },
      { prefetch: async () => [], expect: () => undefined },
    ] satisfies LinePrefetcher[]) {
      for (const kind of ['local', 'http'] as const) await syncsExactly(broken, MiB, kind);
    }
  });

  it('a prediction the hook does not bear out is not used', async () => {
    // Claims every line is masked into something else: the hook's output is what counts.
    for (const kind of ['local', 'http'] as const) {
      await syncsExactly(new MaskAhead(() => ({ output: 'not what the hook makes', wireBytes: 3, json: Buffer.from('"x"') })), MiB, kind);
    }
    // Sizes without the JSON a backend that sends bodies needs: prepared here.
    await syncsExactly(new MaskAhead((line) => ({ ...predict(line, false), wireBytes: 3 })), MiB, 'http');
  });

  it("a backend that sends bodies gets the prefetcher's JSON spliced in as it is", async () => {
    // JSON is asked for, and the bodies the backend checks are built from it.
    const ahead = new MaskAhead();
    await syncsExactly(ahead, MiB, 'http');
    expect(ahead.jsonAsked).toBe(ahead.batches.length);
    expect(ahead.jsonAsked).toBeGreaterThan(0);
    // The embedded store takes no bodies: none asked for.
    const local = new MaskAhead();
    await syncsExactly(local);
    expect(local.jsonAsked).toBe(0);
    // JSON of the same length but other content: spliced in unread, the bodies show it.
    const wrong = new MaskAhead((line, json) => {
      const right = predict(line, json);
      return { ...right, ...(right.json ? { json: Buffer.from(right.json.toString().replace(/line/, 'LINE')) } : {}) };
    });
    const { h, engine } = engineWith(wrong, 'http');
    h.write(bigFile(PREFETCH_MIN_BYTES + MiB).text);
    await engine.syncAll('once');
    expect(h.backend.violations.some((v) => v.includes('is not its request'))).toBe(true);
  });

  it('a file with less than PREFETCH_MIN_BYTES to read is prepared line by line', async () => {
    const ahead = new MaskAhead();
    const { h, engine } = engineWith(ahead);
    h.write(jsonLines(500));
    expect((await engine.syncAll('once')).complete).toBe(true);
    h.expectSynced();
    expect(ahead.batches).toEqual([]);
  });
});
