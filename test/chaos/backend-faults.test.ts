import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/sandbox.js';
import { ChaosSession, endSession, expectBackendHolds, readPendingRecord, startSession, waitPendingByDaemon } from './helpers/session.js';
import { BACKENDS, pick, useWorld, type WorldFault } from './helpers/world.js';

// The fault matrix, part 1: what the backend does wrong. Each scenario runs a session through
// the real CLI hooks and daemons, against the embedded store and against an HTTP server, and
// ends with the same check: the backend holds every line of every file exactly once, in
// order, byte-identical to the redacted source lines.

const openWorld = useWorld();

describe.each(BACKENDS)('backend faults (%s)', (kind) => {
  it('down for the whole session, then back: recorded as pending, resumed by the next hook of another session', async () => {
    const w = await openWorld(kind);
    await w.down();
    const s = new ChaosSession(w);
    s.append(2);
    await s.hook('session-start');
    await s.work(pick(8, 20));
    await s.hook('session-end');
    // The pending record, checked on disk (independent of any status command).
    const record = await waitPendingByDaemon(w, s);
    expect(record).toMatchObject({
      provider: 'claude-code',
      external_id: s.id,
      transcript_path: s.transcriptPath,
      cwd: s.cwd,
      reason: 'signal',
      attempts: 0,
      session_end: { type: 'session_end', hook_input: JSON.parse(s.payload('SessionEnd')) },
    });
    expect(Number.isNaN(Date.parse(String(record?.recorded_at)))).toBe(false);
    expect(statSync(w.pendingPath(s.id)).mode & 0o777).toBe(0o600);
    expect(await w.held(s.id)).toBeUndefined();
    // The record is on disk before the line that reports it is in the log.
    await waitFor(() => w.daemonLog(s.id).includes('session recorded as pending'), { what: 'the daemon to log the pending record' });

    await w.up();
    const other = new ChaosSession(w);
    const hook = await other.hook('user-prompt-submit');
    expect(hook.stderr).toContain('resuming 1 pending session');
    await waitFor(() => readPendingRecord(w, s) === undefined, { what: 'the resume to finish', timeoutMs: 30_000 });
    const held = await expectBackendHolds(w, s);
    expect(held.events.map((e) => e.payload)).toEqual([JSON.parse(s.payload('SessionEnd'))]);
  });

  it('down for several cycles mid-session: nothing lost, nothing doubled', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    await s.work(5);
    for (let outage = 0; outage < pick(1, 3); outage++) {
      await w.down();
      // Several sync cycles (200 ms each) pass while the session keeps writing.
      await s.work(pick(10, 20), 80);
      await w.up();
      await s.work(5);
    }
    await endSession(w, s);
  });

  const faults: [WorldFault, string][] = [
    ['error-before-store', '500 before storing'],
    ['error-after-store', '500 after storing (the answer is lost)'],
    ['drop-after-store', 'connection reset after storing'],
  ];
  it.each(faults)('%s: %s, repeatedly, on chunks', async (fault) => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    w.fail(fault, pick(3, 8));
    await s.work(pick(12, 30));
    await waitFor(() => w.pendingFaults() === 0, { what: 'every fault to be applied', timeoutMs: 20_000 });
    await s.work(3);
    await endSession(w, s);
    expect(w.violations).toEqual([]);
    expect(w.daemonLog(s.id)).toContain('chunk upload failed; re-syncing line numbers with the backend');
  });

  it('a 429 storm (embedded store: its session lock held by another process, again and again)', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    const storm = pick(6, 20);
    const writing = s.work(pick(20, 50), 80);
    if (kind === 'http') {
      // Half with Retry-After, half without; the client's own retries meet several in a row.
      // Retry-After 0, 1 s, or none (the client's own back-off): several in a row on one request.
      for (let i = 0; i < storm; i++) w.faults.add(/^\/api\/v1\/sync\/(chunk|init)$/, { type: 'rate-limit', ...(i % 3 === 2 ? {} : { retryAfterSeconds: i % 3 }) });
      await writing;
      await waitFor(() => w.pendingFaults() === 0, { what: 'the storm to pass', timeoutMs: 60_000 });
      // The client's own retries ran out at least once: the engine paused all uploads (logged
      // once the last 429 has reached the client, after the server handed it out).
      await waitFor(() => w.daemonLog(s.id).includes('backend rate limit hit; pausing uploads'), { what: 'the engine to pause uploads' });
    } else {
      const { sessionId } = (await w.held(s.id))!;
      for (let i = 0; i < storm; i++) await w.holdSessionLock(sessionId, 300 + (i % 3) * 200);
      await writing;
    }
    await s.work(3);
    await endSession(w, s);
    expect(w.violations).toEqual([]);
  });

  it('the session is deleted on the backend: three 404s stop the daemon cleanly, nothing pending', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    await s.work(4);
    await expectBackendHolds(w, s);
    await w.deleteSession(s.id);
    await s.work(10, 100);
    await waitFor(() => w.daemons().length === 0, { what: 'the daemon to stop', timeoutMs: 20_000 });
    expect(w.daemonLog(s.id)).toMatch(/session deleted from backend; stopping/);
    expect(w.daemonLog(s.id)).toMatch(/daemon stopped reason=session-deleted pending=false/);
    expect(readPendingRecord(w, s)).toBeUndefined();
    expect(statOrUndefined(w.statePath(s.id))).toBeUndefined();
    expect(await w.held(s.id)).toBeUndefined();
    // The agent session goes on: its next hooks do not upload it again from line 1.
    const next = await s.hook('user-prompt-submit');
    expect(next.stderr).toContain('this session was deleted from the backend; it is no longer synced');
    await s.work(3);
    const end = await s.hook('session-end');
    expect(end.stderr).toContain('no daemon found');
    await new Promise((r) => setTimeout(r, 500));
    expect(w.daemons()).toEqual([]);
    expect(await w.held(s.id)).toBeUndefined();
    expect(readPendingRecord(w, s)).toBeUndefined();
  });
});

describe('unauthorized (http)', () => {
  it('401 after the key is revoked; a new key written to config is picked up and nothing is lost', async () => {
    const w = await openWorld('http');
    const s = await startSession(w);
    await s.work(4);
    await w.keyRing.revoke('chaos');
    await s.work(10, 100);
    await waitFor(() => /sync (chunk|init) failed: .*401/.test(w.daemonLog(s.id)), { what: 'a 401', timeoutMs: 10_000 });
    const fresh = await w.keyRing.create('chaos-2', { user: 'alice' });
    w.writeUserConfig({ backend_url: w.url, api_key: fresh.key });
    await s.work(5);
    await endSession(w, s);
    // The key never reaches a log.
    expect(w.daemonLog(s.id)).not.toContain(fresh.key);
    expect(w.daemonLog(s.id)).not.toContain(w.key);
  });
});

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
