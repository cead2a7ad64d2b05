import { dirname } from 'node:path';
import { ensurePrivateDirSync } from '../fs/private-files.js';
import { FileLock } from '../store/lock.js';

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

/**
 * Take the lock file at `path` without waiting: undefined when another live process holds
 * it. The store's lock (`FileLock`): created atomically with its holder's pid and start time,
 * and a lock left by a crashed holder is broken by exactly one taker — two processes that
 * find the same stale lock never both end up holding it.
 */
export async function tryLock(path: string): Promise<HeldLock | undefined> {
  ensurePrivateDirSync(dirname(path));
  return FileLock.tryAcquire(path);
}

/** Is the lock at `path` held by a live process (without trying to take it)? */
export function isLockHeld(path: string): Promise<boolean> {
  return FileLock.isHeld(path);
}
