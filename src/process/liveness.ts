import type * as ChildProcess from 'node:child_process';
import { processExists, readProcStat } from './identity.js';

/**
 * Is a process alive? EPERM (another user's process) counts as alive, a zombie as dead.
 * One implementation with the store's lock holders (`processExists`).
 */
export function isProcessAlive(pid: number): boolean {
  return processExists(pid);
}

/**
 * An opaque token for when `pid` started, or undefined when unknown. Stored next to a PID so
 * a recycled PID (same number, different process) is not mistaken for our daemon. Linux:
 * field 22 of /proc/<pid>/stat (clock ticks since boot), free to read. Elsewhere: `ps`.
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    const ticks = readProcStat(pid)?.startTime;
    return ticks ? `linux:${ticks}` : undefined;
  }
  try {
    const { execFileSync } = process.getBuiltinModule('node:child_process') as typeof ChildProcess;
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
    const text = out.trim();
    return text ? `ps:${text}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Alive, and — when a start time was recorded — still the same process. A state written by
 * the Go CLI has no start time and falls back to plain liveness.
 */
export function isSameProcessAlive(pid: number, recordedStartTime: string | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  if (!recordedStartTime) return true;
  const now = processStartTime(pid);
  return now === undefined || now === recordedStartTime;
}
