import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { isSameProcessAlive, processStartTime } from './liveness.js';

export interface HeldLock {
  path: string;
  release(): void;
}

/**
 * A lock file created with O_EXCL: whoever creates it owns the critical section. The holder
 * writes its PID and start time, so a lock left by a crashed process is broken (once) by
 * the next taker instead of blocking the session forever. Returns undefined when another
 * live process holds it.
 */
export function tryLock(path: string): HeldLock | undefined {
  ensurePrivateDirSync(dirname(path));
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (holderAlive(path)) return undefined;
      // Stale: the holder died inside its critical section.
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) ?? null }));
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      },
    };
  }
  return undefined;
}

/** Is the lock at `path` held by a live process (without trying to take it)? */
export function isLockHeld(path: string): boolean {
  return holderAlive(path);
}

function holderAlive(path: string): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false; // released between our open and read; the retry will tell
  }
  try {
    const { pid, start } = JSON.parse(text) as { pid?: unknown; start?: unknown };
    if (typeof pid !== 'number') return false;
    return isSameProcessAlive(pid, typeof start === 'string' ? start : undefined);
  } catch {
    // A holder that has created the file but not yet written its PID is alive — unless the
    // empty file is old enough that it must have crashed in that instant.
    if (text !== '') return false;
    try {
      return Date.now() - statSync(path).mtimeMs < 5000;
    } catch {
      return false;
    }
  }
}
