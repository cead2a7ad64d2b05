import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UploadPolicy } from '../../src/backend/backend.js';
import { CONFAB_WEB_POLICY } from '../../src/backend/http.js';
import { createSyncHooks } from '../../src/extension/daemon-hooks.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { UploadPacer } from '../../src/sync/policy.js';
import { harness, jsonLines } from '../helpers/engine-harness.js';
import { rng } from '../../bench/lib/fake-secrets.mjs';
import { MemoryBackend, type TokenBucket } from '../helpers/memory-backend.js';
import { FakeClock, tempDir } from '../helpers/sync-fixtures.js';

describe('UploadPacer', () => {
  const make = (policy: UploadPolicy = CONFAB_WEB_POLICY) => {
    const clock = new FakeClock();
    return { clock, pacer: new UploadPacer(policy, { clock, random: () => 0.5 }) };
  };

  it('uploads the first change after a quiet spell at once, then spaces what follows', () => {
    const { clock, pacer } = make();
    const file = { chunks: 0, lastUploadAt: undefined };
    expect(pacer.waitMs(file, { backlog: false })).toBe(0);
    pacer.onUploaded(file);
    // One chunk held already: 1 s × (1 + 1/250).
    expect(pacer.waitMs(file, { backlog: false })).toBe(1004);
    expect(pacer.waitMs(file, { backlog: true })).toBe(0);
    clock.advance(400);
    expect(pacer.waitMs(file, { backlog: false })).toBe(604);
    clock.advance(10_000);
    expect(pacer.waitMs(file, { backlog: false })).toBe(0);
  });

  it('spaces a file more as its chunk count grows, hardest near the cap', () => {
    const { pacer } = make();
    expect(pacer.spacingMs(0)).toBe(1000);
    expect(pacer.spacingMs(250)).toBe(2000);
    expect(pacer.spacingMs(5000)).toBe(21_000);
    expect(pacer.spacingMs(28_500)).toBeGreaterThanOrEqual(600_000);
  });

  it('backs off on 429 (honouring Retry-After) and recovers when they stop', () => {
    const { clock, pacer } = make();
    const file = { chunks: 0, lastUploadAt: undefined };
    expect(pacer.onRateLimited(5000)).toBeGreaterThanOrEqual(5000);
    expect(pacer.waitMs(file, { backlog: true })).toBeGreaterThanOrEqual(5000);
    expect(pacer.backoffLevel()).toBe(1);
    clock.advance(6000);
    expect(pacer.waitMs(file, { backlog: false })).toBe(0);
    expect(pacer.spacingMs(0)).toBe(2000);
    // Repeated 429s: the pause grows exponentially.
    const pauses = [pacer.onRateLimited(), pacer.onRateLimited(), pacer.onRateLimited()];
    expect(pauses[1]).toBeGreaterThan(pauses[0] as number);
    expect(pacer.backoffLevel()).toBe(4);
    clock.advance(4 * 30_000);
    expect(pacer.backoffLevel()).toBe(0);
    expect(pacer.spacingMs(0)).toBe(1000);
  });

  it('does not pace a backend without budgets', () => {
    const { pacer } = make({ minChunkSpacingMs: 0, maxChunksPerFile: Infinity, maxRequestBytes: 1 << 24 });
    const file = { chunks: 10_000, lastUploadAt: undefined };
    pacer.onUploaded(file);
    expect(pacer.waitMs(file, { backlog: false })).toBe(0);
  });
});

interface SimSession {
  engine: SyncEngine;
  path: string;
  next: number;
  written: number;
  wakeAt: number;
  quietUntil: number;
  complete: boolean;
  /** Appended text not yet written: the engine only reads on a wake, so writes are batched until then. */
  buffered: string;
}

/**
 * A daemon per session, in virtual time: an append wakes its daemon at once (the file
 * watcher) unless the engine asked to be left alone until `nextCycleInMs`; an interval of
 * 30 s is the backstop.
 */
async function simulate(opts: {
  sessions: number;
  appendEveryMs: number;
  appendForMs: number;
  bucket?: TokenBucket;
  settleForMs?: number;
}): Promise<{ backend: MemoryBackend; sessions: SimSession[]; settledAfterMs: number; cycles: number }> {
  const clock = new FakeClock(0);
  const backend = new MemoryBackend({ clock, policy: CONFAB_WEB_POLICY, bucket: opts.bucket });
  const dir = tempDir();
  const sessions: SimSession[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    const path = join(dir, `s${i}.jsonl`);
    writeFileSync(path, '');
    const engine = new SyncEngine({
      backend,
      hooks: createSyncHooks(),
      session: { provider: 'claude-code', externalId: `s${i}`, transcriptPath: path, cwd: dir },
      clock,
      random: rng(i + 1),
    });
    // Sessions start a little apart, as they do in life.
    sessions.push({ engine, path, next: i * 137, written: 0, wakeAt: Infinity, quietUntil: 0, complete: true, buffered: '' });
  }
  const interval = 30_000;
  const end = opts.appendForMs;
  const settleBy = end + (opts.settleForMs ?? 3_600_000);
  let cycles = 0;
  let settledAfterMs = -1;
  for (;;) {
    let t = Infinity;
    for (const s of sessions) t = Math.min(t, s.next < end ? s.next : Infinity, s.wakeAt);
    if (t === Infinity || t > settleBy) break;
    clock.t = t;
    for (const s of sessions) {
      if (s.next === t && t < end) {
        s.written++;
        s.buffered += `{"n":${s.written},"t":${t},"pad":"${'x'.repeat(200)}"}\n`;
        s.next += opts.appendEveryMs;
        s.complete = false;
        if (t >= s.quietUntil) s.wakeAt = Math.min(s.wakeAt, t);
      }
    }
    for (const s of sessions) {
      if (s.wakeAt > t) continue;
      if (s.buffered) {
        appendFileSync(s.path, s.buffered);
        s.buffered = '';
      }
      cycles++;
      try {
        const report = await s.engine.syncAll('watch');
        s.complete = report.complete;
        if (report.nextCycleInMs !== undefined) {
          s.wakeAt = t + report.nextCycleInMs;
          s.quietUntil = s.wakeAt;
        } else {
          s.wakeAt = report.complete ? t + interval : t + 1000;
          s.quietUntil = 0;
        }
      } catch {
        s.wakeAt = t + 5000;
      }
    }
    if (t >= end && sessions.every((s) => s.complete)) {
      settledAfterMs = t - end;
      break;
    }
  }
  return { backend, sessions, settledAfterMs, cycles };
}

describe('upload policy simulation', () => {
  it('a day of continuous appends (a line every 2 s) stays far below the per-file chunk cap', async () => {
    const { backend, sessions, settledAfterMs } = await simulate({ sessions: 1, appendEveryMs: 2000, appendForMs: 24 * 3600_000 });
    const s = sessions[0] as SimSession;
    const file = backend.session('s0').files.get('s0.jsonl');
    expect(file?.lines).toHaveLength(s.written);
    expect(s.written).toBe(43_200);
    console.log(`24 h, a line every 2 s: ${file?.chunks} chunks for ${s.written} lines; settled ${settledAfterMs} ms after the last append`);
    expect(file?.chunks).toBeLessThan(10_000);
    expect(settledAfterMs).toBeGreaterThanOrEqual(0);
    expect(settledAfterMs).toBeLessThan(120_000);
    expect(backend.violations).toEqual([]);
  }, 120_000);

  it('five sessions sharing an exhausted per-user bucket converge without a 429 storm', async () => {
    const { backend, sessions, settledAfterMs } = await simulate({
      sessions: 5,
      appendEveryMs: 250,
      appendForMs: 20 * 60_000,
      bucket: { ratePerSec: 2.78, burst: 2000, tokens: 0 },
    });
    let chunks = 0;
    for (const [i, s] of sessions.entries()) {
      const file = backend.session(`s${i}`).files.get(`s${i}.jsonl`);
      expect(file?.lines).toHaveLength(s.written);
      chunks += file?.chunks ?? 0;
    }
    const requests = backend.stats.init + backend.stats.chunk;
    const rate429 = backend.stats.rateLimited / requests;
    console.log(
      `5 sessions × 20 min at 4 lines/s on a drained 2.78/s bucket: ${chunks} chunks, ${backend.stats.rateLimited} × 429 ` +
        `of ${requests} requests (${(rate429 * 100).toFixed(1)}%), settled ${settledAfterMs} ms after the last append`,
    );
    expect(settledAfterMs).toBeGreaterThanOrEqual(0);
    expect(rate429).toBeLessThan(0.05);
    expect(settledAfterMs).toBeLessThan(60_000);
    expect(backend.violations).toEqual([]);
  }, 120_000);
});

describe('pacing in the engine', () => {
  it('uploads the first change at once, holds what follows and coalesces it into one chunk', async () => {
    const h = harness({ policy: CONFAB_WEB_POLICY });
    h.write(jsonLines(2));
    expect((await h.engine.syncAll('startup')).complete).toBe(true);
    h.append(jsonLines(1, 3));
    const held = await h.engine.syncAll('watch');
    expect(held.complete).toBe(false);
    expect(held.nextCycleInMs).toBe(1004);
    h.clock.advance(300);
    h.append(jsonLines(2, 4));
    expect((await h.engine.syncAll('watch')).nextCycleInMs).toBe(704);
    // A partial line alone is nothing to hold back for.
    h.clock.advance(704);
    expect((await h.engine.syncAll('watch')).complete).toBe(true);
    expect(h.backend.chunkRequests().map((c) => c.lines.length)).toEqual([2, 3]);
    h.append('{"partial":');
    expect(await h.engine.syncAll('watch')).toMatchObject({ complete: true });
    expect(h.backend.stats.chunk).toBe(2);
    h.expectSynced();
  });

  it('a final sync ignores pacing and waits out 429s within the call', async () => {
    const h = harness({ policy: CONFAB_WEB_POLICY });
    h.write(jsonLines(2));
    await h.engine.syncAll('startup');
    h.append(jsonLines(3, 3));
    h.backend.inject({ op: 'chunk', kind: '429', times: 3 });
    const start = h.clock.now();
    const report = await h.engine.syncAll('final');
    expect(report.complete).toBe(true);
    expect(h.clock.now() - start).toBeGreaterThanOrEqual(500 + 1000 + 2000);
    h.expectSynced();
  });

  it('a backlog is not paced: full chunks follow each other at once', async () => {
    const h = harness({ policy: { ...CONFAB_WEB_POLICY, maxRequestBytes: 4096 } });
    h.write(jsonLines(300));
    const report = await h.engine.syncAll('startup');
    expect(report.complete).toBe(true);
    expect(report.files[0]?.chunks).toBeGreaterThan(10);
    h.expectSynced();
  });

  it('resuming a large file estimates its chunks from its lines and paces accordingly', async () => {
    const h = harness({ policy: CONFAB_WEB_POLICY });
    h.write(jsonLines(8000));
    await h.engine.syncAll('startup');
    const fresh = h.twin();
    h.append(jsonLines(1, 8001));
    await fresh.syncAll('startup');
    h.append(jsonLines(1, 8002));
    // 8000 lines ≈ 1000 chunks: 1 s × (1 + 1001/250) ≈ 5 s between chunks.
    const held = await fresh.syncAll('watch');
    expect(held.nextCycleInMs).toBeGreaterThan(4900);
    expect(held.nextCycleInMs).toBeLessThan(5100);
  });
});
