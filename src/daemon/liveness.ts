import type * as ChildProcess from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Is a process alive? Signal 0 tests existence without touching it. EPERM means it exists
 * but belongs to another user — alive (the Go CLI counted that as dead).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed daemon whose parent has not reaped it yet (detached daemons are reparented, and
 * not every PID 1 reaps promptly) still answers signal 0; on Linux its state says so.
 */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/**
 * An opaque token for when `pid` started, or undefined when unknown. Stored next to a PID so
 * a recycled PID (same number, different process) is not mistaken for our daemon. Linux:
 * field 22 of /proc/<pid>/stat (clock ticks since boot), free to read. Elsewhere: `ps`.
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // comm (field 2) may contain spaces and parens; fields after the last ')' are fixed.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = rest[19];
      return ticks ? `linux:${ticks}` : undefined;
    } catch {
      return undefined;
    }
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
