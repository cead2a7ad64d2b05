import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The id of the calling thread, where the system gives each thread a priority of its own
 * (Linux: `/proc/thread-self` names it), else undefined.
 */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const self = readlinkSync('/proc/thread-self');
    const tid = Number(self.slice(self.lastIndexOf('/') + 1));
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lowers the calling thread's priority to `nice`, leaving the rest of the process as it is:
 * for a worker thread whose work can wait while the process's other threads are busy.
 * On the main thread, or where threads share their process's priority, it does nothing, since
 * setting it there would lower the whole process. Returns whether it took effect.
 */
export function lowerThreadPriority(nice: number): boolean {
  const tid = currentThreadId();
  if (tid === undefined || tid === process.pid) return false;
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
