import { spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileLock, KeyedMutex, LockTimeoutError } from '../../src/fs/lock.js';
import { currentProcess, formatIdentity } from '../../src/process/liveness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function plantLock(path: string, pid: number): void {
  const tmp = `${path}.plant`;
  writeFileSync(tmp, `${pid} - ${hostname()} feedface\n`);
  linkSync(tmp, path);
  rmSync(tmp);
}

it('breaks a lock whose holder is dead, and only then', async () => {
  const path = join(dir, 'lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  plantLock(path, Number(dead));
  let broke = 0;
  const lock = await FileLock.acquire(path, { timeoutMs: 2000, onBrokeStale: () => void broke++ });
  expect(broke).toBe(1);
  expect(readFileSync(path, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
  await lock.release();
  expect(existsSync(path)).toBe(false);

  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    plantLock(path, live.pid!);
    await expect(FileLock.acquire(path, { timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(readFileSync(path, 'utf8')).toMatch(new RegExp(`^${live.pid} `));
  } finally {
    live.kill('SIGKILL');
  }
  await new Promise((r) => live.once('close', r));
  // Once the holder is gone (and reaped), the lock is recovered.
  const again = await FileLock.acquire(path, { timeoutMs: 2000 });
  await again.release();
});

it('waits for a live holder and gets the lock when it is released', async () => {
  const path = join(dir, 'lock');
  const first = await FileLock.acquire(path);
  let got = false;
  const second = FileLock.acquire(path, { timeoutMs: 5000 }).then((l) => ((got = true), l));
  await new Promise((r) => setTimeout(r, 50));
  expect(got).toBe(false);
  await first.release();
  await (await second).release();
  expect(got).toBe(true);
});

it('breaks a lock this process leaked (its release failed), never one it still holds', async () => {
  const path = join(dir, 'lock');
  // What a release whose unlink failed leaves behind: a lock naming this very process.
  const tmp = `${path}.plant`;
  writeFileSync(tmp, `${formatIdentity(currentProcess())} 0123456789ab\n`);
  linkSync(tmp, path);
  rmSync(tmp);
  const t0 = Date.now();
  const lock = await FileLock.acquire(path, { timeoutMs: 5000 });
  expect(Date.now() - t0).toBeLessThan(1000);
  // A lock this process holds is not "leaked": a second taker in the process waits for it.
  await expect(FileLock.acquire(path, { timeoutMs: 200 })).rejects.toBeInstanceOf(LockTimeoutError);
  await lock.release();
  expect(existsSync(path)).toBe(false);
});

it('KeyedMutex runs tasks of one key one at a time, in order', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const task = (name: string, ms: number) =>
    m.run('k', async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
    });
  await Promise.all([task('a', 30), task('b', 1), task('c', 1), m.run('other', async () => void log.push('other'))]);
  expect(log.filter((l) => l !== 'other')).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  expect(log.indexOf('other')).toBeLessThan(log.indexOf('end a'));
});
