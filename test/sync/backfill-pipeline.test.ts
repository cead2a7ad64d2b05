import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import { openLocalBackend, type LocalBackend } from '../../src/backend/local.js';
import { createSyncHooks } from '../../src/extension/daemon-hooks.js';
import { indexPathFor, SearchIndex } from '../../src/search/index-db.js';
import { IndexingStore } from '../../src/search/indexing-store.js';
import { search } from '../../src/search/query.js';
import type { ChunkRequest } from '../../src/format/wire.js';
import { parseRfc3339 } from '../../src/format/rfc3339.js';
import { newestLineTime } from '../../src/store/transcript-metadata.js';
import { encodeChunkBody, type PreparedLine } from '../../src/sync/chunker.js';
import { LOCAL_BATCH_TARGET_BYTES, SyncEngine } from '../../src/sync/engine.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-backfill-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function prepared(wire: string, n: number): PreparedLine {
  const json = JSON.stringify(wire);
  return { lineNumber: n, wire, raw: wire, json, wireBytes: Buffer.byteLength(json), fileBytes: 0, end: 0, placeholder: false, inexact: false };
}

describe('one-pass chunk body', () => {
  it('is the JSON of the request, and its size is the serialized size', () => {
    const wires = ['{"a":"é\\"x"}', 'plain', '\u2028 and \u0001', '😀 {"nested":{"b":[1,2]}}'];
    const lines = wires.map((w, i) => prepared(w, i + 3));
    const request: ChunkRequest = { session_id: 's', file_name: 'f.jsonl', file_type: 'transcript', first_line: 3, lines: wires, metadata: { summary: 'ünïcode' } };
    const body = encodeChunkBody(request, lines);
    expect(JSON.parse(body.body().toString('utf8'))).toEqual(request);
    expect(body.bytes).toBe(Buffer.byteLength(JSON.stringify(request)));
    expect(body.body().length).toBe(body.bytes);
  });
});

describe('newest message time without parsing every line', () => {
  const naive = (lines: string[], now: number) => {
    let newest: number | undefined;
    for (const l of lines) {
      let t: number | undefined;
      try {
        const v = JSON.parse(l) as { timestamp?: unknown };
        t = typeof v.timestamp === 'string' ? Date.parse(v.timestamp) : undefined;
      } catch {
        t = undefined;
      }
      if (t !== undefined && !Number.isNaN(t) && t <= now + 48 * 3600e3 && (newest === undefined || t > newest)) newest = t;
    }
    return newest;
  };
  const now = Date.parse('2026-01-01T00:00:00Z');
  const cases: Record<string, string[]> = {
    'in order': ['{"timestamp":"2025-01-01T00:00:01Z"}', '{"timestamp":"2025-01-01T00:00:02Z"}', '{"timestamp":"2025-01-01T00:00:03Z"}'],
    'out of order': ['{"timestamp":"2025-01-01T00:00:09Z"}', '{"timestamp":"2025-01-01T00:00:02Z"}', '{"timestamp":"2025-01-01T00:00:03Z"}'],
    // A nested time newer than the top-level one must not count, nor hide an older top-level one.
    nested: ['{"timestamp":"2025-01-01T00:00:05Z"}', '{"x":{"timestamp":"2025-06-01T00:00:00Z"},"timestamp":"2025-01-01T00:00:01Z"}'],
    'not JSON': ['{"timestamp":"2025-01-01T00:00:05Z"}', 'junk "timestamp":"2025-09-01T00:00:00Z"'],
    escaped: ['{"timestamp":"2025-01-01T00:00:05Z"}', '{"timestamp":"\\u0032025-03-01T00:00:00Z"}'],
    'in the future': ['{"timestamp":"2025-01-01T00:00:05Z"}', '{"timestamp":"2030-01-01T00:00:00Z"}'],
    spaced: ['{"timestamp":"2025-01-01T00:00:05Z"}', '{ "timestamp" : "2025-02-01T00:00:00Z" }'],
  };
  for (const [name, lines] of Object.entries(cases)) {
    it(name, () => {
      expect(newestLineTime('claude-code', lines, now)).toBe(naive(lines, now));
    });
  }

  it('equals parsing every line, whatever the shapes, precisions, offsets and nesting of its times', () => {
    const everyLine = (lines: string[]) => {
      let newest: number | undefined;
      for (const l of lines) {
        let t: number | undefined;
        try {
          t = parseRfc3339((JSON.parse(l) as { timestamp?: unknown }).timestamp);
        } catch {
          t = undefined;
        }
        if (t !== undefined && t <= now + 48 * 3600e3 && (newest === undefined || t > newest)) newest = t;
      }
      return newest;
    };
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const time = fc
      .tuple(
        fc.constantFrom('2024', '2025', '2026', '2031'),
        two(13),
        two(31),
        two(24),
        two(59),
        two(59),
        fc.constantFrom('', '.5', '.123', '.123456', '.1234567890'),
        fc.constantFrom('Z', 'Z', 'Z', '+01:00', '-05:30', 'z'),
      )
      .map(([y, mo, d, h, mi, se, frac, zone]) => `${y}-${mo}-${d}T${h}:${mi}:${se}${frac}${zone}`);
    const line = fc.oneof(
      time.map((t) => JSON.stringify({ type: 'user', timestamp: t })),
      fc.tuple(time, time).map(([a, b]) => JSON.stringify({ toolUseResult: { timestamp: a }, timestamp: b })),
      time.map((t) => `{ "timestamp" :\t"${t}" , "n": 1 }`),
      time.map((t) => JSON.stringify({ timestamp: t }).replace('"20', '"\\u00320')),
      time.map((t) => `not json "timestamp":"${t}"`),
      fc.constant('{"message":"no time"}'),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), (lines) => {
        expect(newestLineTime('claude-code', lines, now)).toBe(everyLine(lines));
      }),
      { numRuns: 400 },
    );
  });
});

describe('backfill into the embedded store', () => {
  let backend: LocalBackend | undefined;
  afterEach(async () => {
    await backend?.close();
    backend = undefined;
  });

  it('stores a large transcript byte-for-byte per line, in 4 MiB commits, with reads overlapping the commits', async () => {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 3 * LOCAL_BATCH_TARGET_BYTES; i++) {
      const line = JSON.stringify({ type: 'user', n: i, timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), text: `line ${i} ${'x'.repeat(i % 7000)} é` });
      lines.push(line);
      size += line.length + 1;
    }
    const transcript = join(dir, 'session.jsonl');
    writeFileSync(transcript, `${lines.join('\n')}\n`);
    backend = await openLocalBackend(join(dir, 'store'));
    // Watch the store: one chunk at a time reaches it, in order, and reading runs ahead.
    const inner = backend as unknown as Backend;
    const chunk = inner.chunk.bind(inner);
    const firsts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    inner.chunk = async (req, opts) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      firsts.push(req.first_line);
      try {
        return await chunk(req, opts);
      } finally {
        inFlight--;
      }
    };
    const hooks = createSyncHooks();
    let linesReadDuringCommit = 0;
    hooks.line.tap('test', (line) => {
      if (inFlight > 0) linesReadDuringCommit++;
      return line;
    });
    const engine = new SyncEngine({ backend, hooks, session: { provider: 'claude-code', externalId: 'big', transcriptPath: transcript, cwd: dir } });
    await engine.init();
    const report = await engine.syncAll('once');
    expect(report.complete).toBe(true);
    expect(maxInFlight).toBe(1);
    expect(firsts.length).toBeLessThanOrEqual(4);
    expect(firsts.length).toBeGreaterThanOrEqual(3);
    expect(linesReadDuringCommit).toBeGreaterThan(0);
    const store = (backend as unknown as { store: IndexingStore }).store;
    const session = (await store.listSessions())[0]!;
    const stored = await store.readFile(session.session_id, 'session.jsonl');
    expect(stored.equals(readFileSync(transcript))).toBe(true);
    expect(session.files[0]!.last_synced_line).toBe(lines.length);
  });
});

describe('search index during a burst', () => {
  it('coalesces a burst of chunks into few index updates, and everything ends up indexed', async () => {
    const backend = await openLocalBackend(join(dir, 'store'));
    try {
      const store = (backend as unknown as { store: IndexingStore }).store;
      expect(store).toBeInstanceOf(IndexingStore);
      const { session_id } = await backend.init({ provider: 'claude-code', external_id: 'burst', transcript_path: '/t/burst.jsonl' });
      for (let i = 0; i < 20; i++) {
        const line = JSON.stringify({ type: 'user', message: { role: 'user', content: `needle${i} words` }, timestamp: '2025-01-01T00:00:00Z' });
        await backend.chunk({ session_id, file_name: 'burst.jsonl', file_type: 'transcript', first_line: i + 1, lines: [line] });
      }
      await store.flush();
      expect(store.updates).toBeGreaterThan(0);
      expect(store.updates).toBeLessThan(20);
      const index = SearchIndex.open(indexPathFor(join(dir, 'store')));
      try {
        expect(search(index.db, 'needle19')).toHaveLength(1);
        expect(search(index.db, 'needle0')).toHaveLength(1);
      } finally {
        index.close();
      }
    } finally {
      await backend.close();
    }
  });
});
