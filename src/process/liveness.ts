/**
 * Is that process still the one we knew? Existence (signal 0, zombies count as dead), the
 * start time that tells a reused PID from the original, and the identity lock files record
 * (pid, start time, host). The one implementation for daemons, lock holders and the store.
 */
import type * as ChildProcess from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a lock: pid, the process's start time (so a reused pid is not mistaken for the
 * holder) and the host (a holder on another host cannot be checked, so it counts as alive).
 */
export interface ProcessIdentity {
  pid: number;
  /** Kernel start time in clock ticks since boot (Linux); '' where /proc is unavailable. */
  startTime: string;
  host: string;
}

/**
 * Field 22 of /proc/<pid>/stat (start time in clock ticks since boot) and whether the process
 * is a zombie (dead, not yet reaped); undefined without /proc or once the process is gone.
 */
export function readProcStat(pid: number): { startTime: string; zombie: boolean } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 is rest[19].
  return { startTime: rest[19] ?? '', zombie: rest[0] === 'Z' || rest[0] === 'X' };
}

/**
 * Does process `pid` exist (on this host)? Signal 0 tests existence without touching it; any
 * answer but ESRCH means it exists (EPERM: another user's process — the Go CLI counted that
 * as dead). A killed process its parent has not reaped yet still answers signal 0 (detached
 * daemons are reparented, and not every PID 1 reaps promptly); on Linux its state says so.
 */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (process.platform !== 'linux') return true;
  const stat = readProcStat(pid);
  return stat !== undefined && !stat.zombie;
}

/**
 * The process that recorded `recorded` as its start time is the one that now has `now`: a
 * different start time means the PID was reused by an unrelated process. When either is
 * unknown (not recorded, or not readable here) only existence counts.
 */
function startedAsRecorded(recorded: string | undefined, now: string | undefined): boolean {
  return !recorded || !now || now === recorded;
}

let self: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  if (!self) self = { pid: process.pid, startTime: readProcStat(process.pid)?.startTime ?? '', host: hostname() };
  return self;
}

export function formatIdentity(id: ProcessIdentity): string {
  return `${id.pid} ${id.startTime || '-'} ${id.host}`;
}

export function parseIdentity(text: string): ProcessIdentity | undefined {
  const m = /^(\d+) (\S+) (\S+)/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), startTime: m[2] === '-' ? '' : (m[2] ?? ''), host: m[3] ?? '' };
}

/**
 * Whether the process that wrote `id` may still run. Only a definite "no" returns false:
 * another host, or a failed check, counts as alive (waiting is safe, stealing is not).
 */
export function isAlive(id: ProcessIdentity): boolean {
  const me = currentProcess();
  if (id.host !== me.host) return true;
  if (id.pid === me.pid) return startedAsRecorded(id.startTime, me.startTime);
  return processExists(id.pid) && startedAsRecorded(id.startTime, readProcStat(id.pid)?.startTime);
}

/**
 * Is a process alive? EPERM (another user's process) counts as alive, a zombie as dead
 * (`processExists`, as for lock holders).
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
  return isProcessAlive(pid) && startedAsRecorded(recordedStartTime, processStartTime(pid));
}
