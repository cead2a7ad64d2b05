import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/sandbox.js';
import { ChaosSession, expectBackendHolds, expectedFiles, readPendingRecord, startSession, waitPendingByDaemon } from './helpers/session.js';
import { BACKENDS, useWorld, type World } from './helpers/world.js';

// The fault matrix, part 4: the store's disk fills up. A real full disk: a small tmpfs, which
// needs root (as in CI); elsewhere these tests are skipped with a message, and the injected
// failures of the other scenarios cover the same code paths.

const root = process.getuid?.() === 0;
if (!root) console.warn('disk-full chaos tests skipped: mounting a tmpfs needs root');

const openWorld = useWorld();

function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const res = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`mount failed: ${res.stderr.trim()}`);
}

function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

/**
 * Space was freed: wait until the pending session is finished. The resume a hook started keeps
 * trying; if it gave up meanwhile, another hook of `other` starts a new one.
 */
async function waitFinishedOnceFreed(w: World, s: ChaosSession, other: ChaosSession): Promise<void> {
  await waitFor(
    async () => {
      if (readPendingRecord(w, s) === undefined) return true;
      if (w.daemons().length === 0) await other.hook('user-prompt-submit');
      return false;
    },
    { what: 'the session to be finished once space is freed', timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** Every session file's data and index on disk are their committed lengths; no temp file or creation dir is left. */
function expectOnlyCommittedBytes(storeDir: string): void {
  const sessions = join(storeDir, 'sessions');
  for (const id of readdirSync(sessions)) {
    expect(id, 'a creation dir left behind').not.toMatch(/^\.new-/);
    const dir = join(sessions, id);
    for (const name of readdirSync(dir)) expect(name, 'a temp file left behind').not.toMatch(/\.tmp$/);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { files: { seq: number; bytes: number; index_entries: number }[] };
    for (const f of meta.files) {
      const base = join(dir, 'files', String(f.seq));
      expect(statSync(`${base}.jsonl`).size, `${base}.jsonl`).toBe(f.bytes);
      if (existsSync(`${base}.idx`)) expect(statSync(`${base}.idx`).size, `${base}.idx`).toBe(f.index_entries * 16);
    }
  }
}

/** Fill the file system of `dir` until about `leaveBytes` are free; returns the filler's path. */
function fill(dir: string, leaveBytes: number): string {
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  const path = join(dir, 'filler');
  writeFileSync(path, Buffer.alloc(Math.max(0, free - leaveBytes)));
  return path;
}

function isPrefix(held: Buffer | undefined, full: Buffer | undefined): boolean {
  return (held ?? Buffer.alloc(0)).equals((full ?? Buffer.alloc(0)).subarray(0, held?.length ?? 0));
}

describe.runIf(root).each(BACKENDS)('disk full (%s)', (kind) => {
  it('the store runs out of space: nothing acknowledged is lost or torn, the session waits as pending, and it finishes once space is freed', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'confab-chaos-disk-'));
    mountTmpfs(mnt, '2m');
    const cleanup = () => {
      unmount(mnt);
      rmSync(mnt, { recursive: true, force: true });
    };
    let w: World;
    try {
      w = await openWorld(kind, { storeDir: join(mnt, 'store') });
    } catch (err) {
      cleanup();
      throw err;
    }
    w.onClose(cleanup);
    const s = await startSession(w);
    await s.work(3);
    await expectBackendHolds(w, s);
    const filler = fill(mnt, 96 * 1024);
    // About 600 KiB more than the disk has room for.
    for (let i = 0; i < 12; i++) {
      s.append(20);
      s.append(2, 'agent');
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => /no space left on device/.test(w.daemonLog(s.id)), { what: 'the store to run out of space', timeoutMs: 20_000 });
    // What the store holds is always a prefix of the session: never a torn or doubled line.
    const during = await w.held(s.id);
    const want = expectedFiles(s);
    expect(isPrefix(during?.files[s.transcriptName], want[s.transcriptName])).toBe(true);
    expect(isPrefix(during?.files[s.agentName], want[s.agentName])).toBe(true);

    await s.hook('session-end');
    const record = await waitPendingByDaemon(w, s);
    expect(record).toMatchObject({ external_id: s.id, reason: 'signal', session_end: { hook_input: JSON.parse(s.payload('SessionEnd')) } });
    expect(String(record?.last_error)).toMatch(/no space left on device/);

    // A hook while the disk is still full says why the session is still waiting.
    const other = new ChaosSession(w);
    const stillFull = await other.hook('user-prompt-submit');
    expect(stillFull.stderr).toMatch(/pending session.*no space left on device/);

    rmSync(filler);
    await waitFinishedOnceFreed(w, s, other);
    const held = await expectBackendHolds(w, s);
    expect(held.events.map((e) => e.payload)).toEqual([JSON.parse(s.payload('SessionEnd'))]);
  });
});

describe.runIf(root)('disk full (the whole ~/.confab, the default layout)', () => {
  it('failed writes give their space back, the pending record gets written, and the session finishes once space is freed', async () => {
    const w = await openWorld('local');
    mountTmpfs(w.sbx.confabDir, '2m');
    w.onClose(() => unmount(w.sbx.confabDir));
    const s = await startSession(w);
    await s.work(3);
    // What was written before the disk fills up is stored first, so the disk is filled at a
    // known point: the lines appended after it are the ones that meet the full disk.
    await expectBackendHolds(w, s);
    const filler = fill(w.sbx.confabDir, 96 * 1024);
    for (let i = 0; i < 12; i++) {
      s.append(20);
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => /no space left on device/.test(w.daemonLog(s.id)), { what: 'the store to run out of space', timeoutMs: 20_000 });
    await s.hook('session-end');
    await waitPendingByDaemon(w, s);
    // A failed write gives back the space it took. How much of the disk is left depends on how
    // many chunks fitted before it filled (the machine's speed), so check the cause directly:
    // every stored file is exactly its committed length, and no temporary file is left behind.
    expectOnlyCommittedBytes(w.storeDir);
    expect(readPendingRecord(w, s)).toMatchObject({ external_id: s.id, session_end: { hook_input: JSON.parse(s.payload('SessionEnd')) } });
    rmSync(filler);
    const other = new ChaosSession(w);
    await waitFinishedOnceFreed(w, s, other);
    await expectBackendHolds(w, s);
  });
});
