import { describe, expect, it } from 'vitest';
import { PREFETCH_BATCH_BYTES, PREFETCH_DEPTH, type LinePrefetcher, type PrefetchedLine } from '../../src/sync/chunker.js';
import { PREFETCH_MIN_BYTES, SyncEngine } from '../../src/sync/engine.js';
import { harness, jsonLines } from '../helpers/engine-harness.js';

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
  constructor(private readonly answer: (line: string) => PrefetchedLine | undefined = predict) {}

  async prefetch(lines: readonly Buffer[]) {
    this.batches.push(lines.length);
    this.batchBytes.push(lines.reduce((n, l) => n + l.length + 1, 0));
    this.maxOutstanding = Math.max(this.maxOutstanding, ++this.outstanding);
    await new Promise((r) => setImmediate(r));
    this.outstanding--;
    return lines.map((b) => this.answer(b.toString('utf8')));
  }

  expect(_text: string, result: PrefetchedLine | undefined) {
    this.expected++;
    if (result) this.known++;
  }
}

function predict(line: string): PrefetchedLine {
  const out = mask(line);
  return { ...(out === line ? {} : { output: out }), wireBytes: Buffer.byteLength(JSON.stringify(out)) };
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

function engineWith(prefetcher: LinePrefetcher) {
  const h = harness();
  h.hooks.line.tap('mask', mask);
  const engine = new SyncEngine({ backend: h.backend, hooks: h.hooks, session: h.session, clock: h.clock, log: h.log, prefetcher });
  return { h, engine };
}

/** Syncs a file past PREFETCH_MIN_BYTES through `prefetcher`: every line must be stored as the hook makes it. */
async function syncsExactly(prefetcher: LinePrefetcher, extra = MiB): Promise<string[]> {
  const { h, engine } = engineWith(prefetcher);
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
      await syncsExactly(broken);
    }
  });

  it('a prediction the hook does not bear out is not used', async () => {
    // Claims every line is masked into something else: the hook's output is what counts.
    await syncsExactly(new MaskAhead(() => ({ output: 'not what the hook makes', wireBytes: 3 })));
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
