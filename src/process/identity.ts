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
  if (id.pid === me.pid) return id.startTime === me.startTime || !id.startTime || !me.startTime;
  if (!processExists(id.pid)) return false;
  const now = readProcStat(id.pid)?.startTime;
  // A different start time means the pid was reused by an unrelated process.
  return !id.startTime || !now || now === id.startTime;
}
