import { appendFileSync, closeSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBackendError } from '../../src/backend/errors.js';
import { harness, jsonLines } from '../helpers/engine-harness.js';
import { syncUntilComplete } from '../helpers/sync-fixtures.js';

/** A transcript whose first two lines (16 bytes) the backend holds, and a third not yet synced. */
async function twoSyncedOneNew(): Promise<ReturnType<typeof harness>> {
  const h = harness();
  h.write('{"a":1}\n{"b":2}\n');
  await h.engine.syncAll('startup');
  h.append('{"c":3}\n');
  return h;
}

/** Overwrites a file from byte 0 with `content`, keeping its inode (and any longer tail). */
function rewriteInPlace(path: string, content: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, content, 0, content.length, 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `sync` while every read of `path` is watched: just before the first read for which
 * `when(positions of the reads so far, this one last)` holds, the file is rewritten in place with
 * `content` (same inode, as an agent rewriting its transcript), so the rewrite falls exactly
 * between two reads of one sync. True once the rewrite happened.
 */
async function rewriteBeforeRead(path: string, content: Buffer, when: (reads: number[]) => boolean, sync: () => Promise<unknown>): Promise<boolean> {
  const sample = await open(path, 'r');
  const proto = Object.getPrototypeOf(sample) as { read: FileHandle['read'] };
  await sample.close();
  const original = proto.read;
  const reads: number[] = [];
  let done = false;
  proto.read = function (this: FileHandle, ...args: unknown[]) {
    if (typeof args[3] === 'number') reads.push(args[3]);
    if (!done && when(reads)) {
      done = true;
      rewriteInPlace(path, content);
    }
    return (original as (...a: unknown[]) => ReturnType<FileHandle['read']>).apply(this, args);
  } as FileHandle['read'];
  try {
    await sync();
  } finally {
    proto.read = original;
  }
  return done;
}

describe('SyncEngine: lines', () => {
  it('uploads complete lines only; a partial last line waits for its newline', async () => {
    const h = harness();
    h.write('{"a":1}\n{"b":2}\n{"c":');
    let report = await h.engine.syncAll('startup');
    expect(report.complete).toBe(true);
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}']);
    expect(await h.engine.hasPendingLines()).toBe(false);

    h.append('3}');
    expect(await h.engine.hasPendingLines()).toBe(false);
    report = await h.engine.syncAll('watch');
    expect(report.files[0]?.chunks).toBe(0);

    h.append('\n');
    expect(await h.engine.hasPendingLines()).toBe(true);
    report = await h.engine.syncAll('watch');
    expect(report.files[0]).toMatchObject({ name: h.name, chunks: 1, lines: 1, lastSyncedLine: 3 });
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    h.expectSynced();
  });

  it('keeps empty lines, CRLF and multi-byte UTF-8 byte-identical across many chunks', async () => {
    const h = harness({ policy: { maxRequestBytes: 700 } });
    let content = '';
    for (let i = 0; i < 120; i++) {
      content += i % 7 === 0 ? '\n' : i % 5 === 0 ? `{"crlf":${i}}\r\n` : `{"t":"${'日本語🙂é'.repeat((i % 9) + 1)}","i":${i}}\n`;
    }
    h.write(content);
    await syncUntilComplete(h.engine, { clock: h.clock });
    h.expectSynced();
    const lines = h.backend.fileLines(undefined, h.name);
    expect(lines).toContain('');
    expect(lines).toContain('{"crlf":5}\r');
    expect(h.backend.chunkRequests().length).toBeGreaterThan(10);
    expect(h.backend.stats.maxBodyBytes).toBeLessThanOrEqual(700);
  });

  it('sends nothing when nothing changed', async () => {
    const h = harness();
    h.write(jsonLines(5));
    await h.engine.syncAll('startup');
    const before = h.backend.stats.chunk;
    const report = await h.engine.syncAll('interval');
    expect(report.complete).toBe(true);
    expect(h.backend.stats.chunk).toBe(before);
  });

  it('sends lines that are not valid UTF-8 with U+FFFD, logs it without content, and keeps numbering', async () => {
    const h = harness();
    h.write(Buffer.concat([Buffer.from('{"ok":1}\n{"bad":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}\n{"ok":2}\n')]));
    await h.engine.syncAll('startup');
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"ok":1}', '{"bad":"\uFFFD(\uFFFD"}', '{"ok":2}']);
    const warning = h.log.lines.find((l) => l.includes('not valid UTF-8'));
    expect(warning).toContain('line=2');
    expect(warning).not.toContain('bad');
  });

  it('backfills 10,000 lines in order, every request within the size cap', async () => {
    const h = harness({ policy: { maxRequestBytes: 64 * 1024 } });
    h.write(jsonLines(10_000));
    const { cycles } = await syncUntilComplete(h.engine, { clock: h.clock });
    expect(cycles).toBe(1);
    h.expectSynced();
    expect(h.backend.fileLines(undefined, h.name)).toHaveLength(10_000);
    const chunks = h.backend.chunkRequests();
    expect(chunks.length).toBeGreaterThan(20);
    let next = 1;
    for (const c of chunks) {
      expect(c.first_line).toBe(next);
      next += c.lines.length;
    }
    expect(h.backend.stats.maxBodyBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('trusts the backend on resume: a fresh engine continues after the lines already held', async () => {
    const h = harness();
    h.write(jsonLines(30));
    await h.engine.syncAll('startup');
    h.append(jsonLines(5, 31));
    const fresh = h.twin();
    const report = await fresh.syncAll('startup');
    expect(report.files[0]).toMatchObject({ chunks: 1, lines: 5, lastSyncedLine: 35 });
    h.expectSynced();
  });
});

describe('SyncEngine: transcript rewritten under it', () => {
  it('a shrunk file is rescanned from the backend numbers, never read past EOF', async () => {
    const h = harness();
    h.write(jsonLines(10));
    await h.engine.syncAll('startup');
    const original = readFileSync(h.path);

    // Truncate to 3 lines: the backend still has 10, so nothing is sent until line 11 exists.
    const third = original.indexOf(0x0a, original.indexOf(0x0a, original.indexOf(0x0a) + 1) + 1);
    truncateSync(h.path, third + 1);
    const report = await h.engine.syncAll('watch');
    expect(report.complete).toBe(true);
    expect(report.files[0]?.chunks).toBe(0);
    expect(h.log.lines.some((l) => l.includes('reason=truncated'))).toBe(true);

    h.append(jsonLines(9, 100));
    expect((await h.engine.syncAll('watch')).files[0]?.lines).toBe(2);
    const now = readFileSync(h.path).toString('utf8').split('\n');
    const held = h.backend.fileLines(undefined, h.name);
    expect(held).toHaveLength(12);
    expect(held.slice(10)).toEqual(now.slice(10, 12));
    expect(held.slice(0, 10)).toEqual(original.toString('utf8').split('\n').slice(0, 10));
    expect(h.backend.violations).toEqual([]);
  });

  it('a replaced file (new inode) is rescanned from byte 0', async () => {
    const h = harness();
    h.write(jsonLines(5));
    await h.engine.syncAll('startup');
    const next = join(h.dir, 'replacement.tmp');
    writeFileSync(next, `${jsonLines(8, 500)}{"partial":`);
    renameSync(next, h.path);
    await h.engine.syncAll('watch');
    expect(h.log.lines.some((l) => l.includes('reason=replaced'))).toBe(true);
    const replaced = readFileSync(h.path).toString('utf8').split('\n');
    const held = h.backend.fileLines(undefined, h.name);
    expect(held).toHaveLength(8);
    expect(held.slice(5)).toEqual(replaced.slice(5, 8));
  });

  it('a file rewritten in place with the same length at the cached offset is detected', async () => {
    const h = harness();
    h.write('{"a":1}\n{"b":2}\n');
    await h.engine.syncAll('startup');
    // Same inode, longer, but the byte before the cached offset is no longer a newline.
    writeFileSync(h.path, '{"a":1}\n{"b":22}\n{"c":3}\n');
    await h.engine.syncAll('watch');
    expect(h.log.lines.some((l) => l.includes('reason=rewritten'))).toBe(true);
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('a file rewritten in place with a newline exactly at the cached offset is told from an append', async () => {
    const h = harness();
    h.write('{"a":1}\n{"b":2}\n');
    await h.engine.syncAll('startup');
    // Same inode, longer, and a line still ends at the old offset (16): only the bytes before
    // it show that this is new content (one line where there were two).
    writeFileSync(h.path, '{"rewritten":1}\n{"x":1}\n{"y":2}\n');
    await h.engine.syncAll('watch');
    expect(h.log.lines.some((l) => l.includes('reason=rewritten'))).toBe(true);
    // The backend keeps its two lines; the new content continues from its line 3.
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}', '{"y":2}']);
  });

  it('a file rewritten in place between the fingerprint check and the read never uploads the torn view', async () => {
    const h = await twoSyncedOneNew();
    // The rewrite lands between two looks of one open: after the bytes before the cached offset
    // (16) were found unchanged, before the lines after it are read (from byte 15).
    const fresh = Buffer.from('{"rewritten":1}\n{"x":1}\n{"y":2}\n');
    expect(await rewriteBeforeRead(h.path, fresh, (reads) => reads.at(-1) === 15, () => h.engine.syncAll('watch'))).toBe(true);
    // As for any rewrite: the backend keeps its two lines, the new content continues from its line 3.
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}', '{"y":2}']);
    expect(h.log.lines.some((l) => l.includes('file changed while it was being read'))).toBe(true);
    h.append('{"z":3}\n');
    await h.engine.syncAll('watch');
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}', '{"y":2}', '{"z":3}']);
  });

  it('a file rewritten in place as soon as the backend holds its last line is not fingerprinted as if appended to', async () => {
    const h = await twoSyncedOneNew();
    // New content with a line ending where the synced content ends (24), written as soon as the
    // backend holds line 3, before the cycle is over.
    const fresh = Buffer.from('{"r":"zzzzzzzzzzzzzzz"}\n{"x":1}\n{"y":2}\n');
    expect(fresh.indexOf(0x0a)).toBe(23);
    const chunk = h.backend.chunk.bind(h.backend);
    let rewritten = false;
    h.backend.chunk = async (...args) => {
      const resp = await chunk(...args);
      rewriteInPlace(h.path, fresh);
      rewritten = true;
      return resp;
    };
    await h.engine.syncAll('watch');
    h.backend.chunk = chunk;
    expect(rewritten).toBe(true);
    await h.engine.syncAll('watch');
    // The new content has 3 lines, as many as the backend holds: nothing to send until its line 4.
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    h.append('{"z":3}\n');
    await h.engine.syncAll('watch');
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"z":3}']);
  });
});

describe('SyncEngine: failures', () => {
  const scenarios = [
    { kind: '429' as const, retryAfterMs: 2500 },
    { kind: '429' as const },
    { kind: '500-before' as const },
    { kind: '500-after' as const },
    { kind: 'lost-after' as const },
    { kind: 'timeout-after' as const },
    { kind: '400-continuity' as const },
    { kind: 'slow' as const, delayMs: 30 },
  ];
  for (const s of scenarios) {
    it(`recovers from ${s.kind}${s.retryAfterMs ? ' (Retry-After)' : ''} with every line of every file exactly once, in order`, async () => {
      const h = harness({ policy: { maxRequestBytes: 2048 } });
      const agent = join(h.dir, 'agent-a.jsonl');
      h.hooks.discoverFiles.tap('t', (files) => [...files, { path: agent, name: 'agent-a.jsonl', type: 'agent' }]);
      h.write(jsonLines(60));
      writeFileSync(agent, jsonLines(40, 1000));
      const firstLine = (r: unknown) => (r as { first_line: number }).first_line;
      const file = (r: unknown) => (r as { file_name: string }).file_name;
      // Hit the second and a later chunk of the transcript, the agent file, and an init.
      h.backend.inject({ op: 'chunk', ...s, match: (r) => firstLine(r) > 1 && file(r) === h.name });
      h.backend.inject({ op: 'chunk', ...s, match: (r) => firstLine(r) > 20 && file(r) === h.name });
      h.backend.inject({ op: 'chunk', ...s, match: (r) => firstLine(r) > 1 && file(r) === 'agent-a.jsonl' });
      h.backend.inject({ op: 'init', kind: s.kind === 'slow' ? 'slow' : '500-before' });
      const { errors } = await syncUntilComplete(h.engine, { clock: h.clock });
      h.expectSynced();
      h.expectSynced(agent);
      h.append(jsonLines(7, 61));
      appendFileSync(agent, jsonLines(3, 1040));
      h.backend.inject({ op: 'chunk', ...s });
      h.backend.inject({ op: 'chunk', ...s, match: (r) => file(r) === 'agent-a.jsonl' });
      await syncUntilComplete(h.engine, { clock: h.clock });
      h.expectSynced();
      h.expectSynced(agent);
      expect(h.backend.faults).toEqual([]);
      if (s.kind === '429') {
        // Rate limits are pacing, not failures.
        expect(errors.filter((e) => isBackendError(e, 'rate-limited'))).toEqual([]);
        expect(h.engine.rateLimitedCount).toBeGreaterThanOrEqual(5);
      }
      if (s.kind === '400-continuity') expect(h.backend.log.filter((e) => e.outcome.includes('chunks must be contiguous')).length).toBe(5);
    });
  }

  it('a rate-limited init throws from init() but is only a pause inside a cycle', async () => {
    const h = harness();
    h.write(jsonLines(2));
    h.backend.inject({ op: 'init', kind: '429', retryAfterMs: 4000 });
    await expect(h.engine.init()).rejects.toMatchObject({ kind: 'rate-limited' });
    const held = await h.engine.syncAll('watch');
    expect(held.complete).toBe(false);
    expect(held.nextCycleInMs).toBeGreaterThanOrEqual(4000);
    expect(h.backend.stats.init).toBe(1);
    h.backend.inject({ op: 'init', kind: '429' });
    h.clock.advance(held.nextCycleInMs ?? 0);
    const again = await h.engine.syncAll('watch');
    expect(again).toMatchObject({ complete: false });
    h.clock.advance(again.nextCycleInMs ?? 0);
    expect((await h.engine.syncAll('watch')).complete).toBe(true);
    h.expectSynced();
  });

  it('honours Retry-After: the report asks to come back no sooner', async () => {
    const h = harness();
    h.write(jsonLines(3));
    await h.engine.init();
    h.backend.inject({ op: 'chunk', kind: '429', retryAfterMs: 7000 });
    const report = await h.engine.syncAll('watch');
    expect(report.complete).toBe(false);
    expect(report.nextCycleInMs).toBeGreaterThanOrEqual(7000);
    const again = await h.engine.syncAll('watch');
    expect(again.complete).toBe(false);
    expect(h.backend.stats.chunk).toBe(1);
    h.clock.advance(report.nextCycleInMs ?? 0);
    expect((await h.engine.syncAll('watch')).complete).toBe(true);
    h.expectSynced();
  });

  it('recovers from a continuity 400 when the backend holds fewer lines than we thought', async () => {
    const h = harness();
    h.write(jsonLines(5));
    await h.engine.syncAll('startup');
    // The backend lost its last two lines (e.g. restored from a backup).
    h.backend.session().files.get(h.name)?.lines.splice(3);
    h.append(jsonLines(2, 6));
    const { errors } = await syncUntilComplete(h.engine, { clock: h.clock });
    expect(errors).toEqual([]);
    expect(h.backend.stats.continuityErrors).toBe(1);
    h.expectSynced();
  });

  it('a chunk the backend rejects as invalid (not continuity) backs that file off instead of hammering', async () => {
    const h = harness();
    h.write(jsonLines(3));
    await h.engine.init();
    h.backend.inject({ op: 'chunk', kind: '400' });
    await expect(h.engine.syncAll('watch')).rejects.toMatchObject({ kind: 'invalid' });
    const sent = h.backend.stats.chunk;
    h.clock.advance(10_000);
    const held = await h.engine.syncAll('watch');
    expect(held.complete).toBe(false);
    expect(h.backend.stats.chunk).toBe(sent);
    h.clock.advance(30_000);
    expect((await h.engine.syncAll('watch')).complete).toBe(true);
    h.expectSynced();
  });

  it('401 throws, drops the session, and a later cycle re-inits', async () => {
    const h = harness();
    h.write(jsonLines(3));
    await h.engine.init();
    h.backend.inject({ op: 'chunk', kind: '401' });
    await expect(h.engine.syncAll('watch')).rejects.toSatisfy((e) => isBackendError(e, 'unauthorized'));
    expect(h.engine.initialized).toBe(false);
    expect(h.engine.sessionId).toBeUndefined();
    const inits = h.backend.stats.init;
    expect((await h.engine.syncAll('watch')).complete).toBe(true);
    expect(h.backend.stats.init).toBe(inits + 1);
    h.expectSynced();
  });

  it('404 throws without a re-init (the daemon counts strikes)', async () => {
    const h = harness();
    h.write(jsonLines(3));
    await h.engine.init();
    const inits = h.backend.stats.init;
    h.backend.inject({ op: 'chunk', kind: '404' });
    await expect(h.engine.syncAll('watch')).rejects.toSatisfy((e) => isBackendError(e, 'not-found'));
    expect(h.backend.stats.init).toBe(inits);
    expect(h.engine.initialized).toBe(true);
  });

  it('a file the backend refuses for good (chunk cap) stops syncing; the others go on', async () => {
    const h = harness({ policy: { maxChunksPerFile: 2, maxRequestBytes: 1024 } });
    const errors: Error[] = [];
    h.hooks.syncError.tap('t', (e) => void errors.push(e));
    const side = join(h.dir, 'agent-1.jsonl');
    writeFileSync(side, jsonLines(4));
    h.hooks.discoverFiles.tap('t', (files) => [...files, { path: side, name: 'agent-1.jsonl', type: 'agent' }]);
    h.write(jsonLines(40));
    const report = await h.engine.syncAll('startup');
    expect(report.complete).toBe(true);
    expect(h.backend.fileLines(undefined, h.name).length).toBeGreaterThan(0);
    h.expectSynced(side);
    expect(errors.map((e) => e.message).join()).toContain('too many chunks');
    expect(await h.engine.hasPendingLines()).toBe(false);
    const chunks = h.backend.stats.chunk;
    h.append(jsonLines(1, 41));
    await h.engine.syncAll('watch');
    expect(h.backend.stats.chunk).toBe(chunks);
  });

  it('an aborted cycle stops with the abort reason', async () => {
    const h = harness();
    h.write(jsonLines(3));
    const ac = new AbortController();
    ac.abort(new Error('stop now'));
    await expect(h.engine.syncAll('final', { signal: ac.signal })).rejects.toThrow('stop now');
  });
});

describe('SyncEngine: concurrency and lifecycle', () => {
  it('two engines racing on one session converge with no duplicates and continuity held', async () => {
    const h = harness({ policy: { maxRequestBytes: 1500 } });
    const a = h.engine;
    const b = h.twin();
    h.write(jsonLines(50));
    let appended = 50;
    const errors: unknown[] = [];
    const loop = async (engine: typeof a) => {
      for (let i = 0; i < 40; i++) {
        try {
          await engine.syncAll('watch');
        } catch (err) {
          errors.push(err);
        }
        if (appended < 150) {
          h.append(jsonLines(5, appended + 1));
          appended += 5;
        }
        await new Promise((r) => setImmediate(r));
      }
    };
    h.backend.inject({ op: 'chunk', kind: 'slow', delayMs: 5, times: 40 });
    await Promise.all([loop(a), loop(b)]);
    await syncUntilComplete(a, { clock: h.clock });
    await syncUntilComplete(b, { clock: h.clock });
    h.expectSynced(undefined, undefined, { racingClients: true });
    expect(h.backend.fileLines(undefined, h.name)).toHaveLength(150);
    expect(h.backend.stats.continuityErrors).toBeGreaterThan(0);
  });

  it('serializes overlapping cycles of one engine (one request in flight per file)', async () => {
    const h = harness({ policy: { maxRequestBytes: 1024 } });
    h.write(jsonLines(40));
    h.backend.inject({ op: 'chunk', kind: 'slow', delayMs: 5, times: 100 });
    await Promise.all([h.engine.syncAll('startup'), h.engine.syncAll('watch'), h.engine.syncAll('final')]);
    h.expectSynced();
    expect(h.backend.stats.continuityErrors).toBe(0);
  });

  it('sendSessionEnd posts one event after init, and nothing before', async () => {
    const h = harness();
    h.write(jsonLines(1));
    await h.engine.sendSessionEnd({ reason: 'exit' }, '2025-01-01T00:00:00Z');
    expect(h.backend.stats.event).toBe(0);
    await h.engine.syncAll('final');
    await h.engine.sendSessionEnd({ reason: 'exit' }, '2025-01-01T00:00:00Z');
    expect(h.backend.session().events).toEqual([
      { session_id: h.engine.sessionId, event_type: 'session_end', timestamp: '2025-01-01T00:00:00Z', payload: { reason: 'exit' } },
    ]);
  });

  it('trackedFiles lists the transcript first, then discovered files', async () => {
    const h = harness();
    const side = join(h.dir, 'agent-x.jsonl');
    h.hooks.discoverFiles.tap('t', (files) => [...files, { path: side, name: 'agent-x.jsonl', type: 'agent' }]);
    expect(h.engine.trackedFiles()).toEqual([{ path: h.path, name: h.name, type: 'transcript' }]);
    await h.engine.syncAll('startup');
    expect(h.engine.trackedFiles().map((f) => f.name)).toEqual([h.name, 'agent-x.jsonl']);
  });
});
