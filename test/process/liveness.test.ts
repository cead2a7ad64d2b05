import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  currentProcess,
  formatIdentity,
  isAlive,
  isProcessAlive,
  isSameProcessAlive,
  parseIdentity,
  processExists,
  processStartTime,
  readProcStat,
} from '../../src/process/liveness.js';
import { waitFor } from '../helpers/sandbox.js';

const children: { kill: (s: NodeJS.Signals) => boolean }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(c, 'exit');
  return c.pid as number;
}

function livePid(): number {
  const c = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  children.push(c);
  return c.pid as number;
}

describe('process liveness', () => {
  it('tells a live process from an exited one, and refuses nonsense PIDs', async () => {
    expect(processExists(process.pid)).toBe(true);
    expect(isProcessAlive(livePid())).toBe(true);
    expect(isProcessAlive(await deadPid())).toBe(false);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(processExists(pid)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('counts a killed, unreaped child (a zombie) as dead', async () => {
    // Detached daemons are reparented and not every PID 1 reaps at once: a zombie answers
    // signal 0 but is gone.
    const c = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(c);
    // The child's own child stays unreaped while `sh` (replaced by `sleep`) never waits.
    const [chunk] = (await once(c.stdout!, 'data')) as [Buffer];
    const grandchild = Number(chunk.toString().trim());
    // Killed while `sh` is still a shell, the grandchild could be reaped by it: kill it only
    // once `sh` has become `sleep`.
    await waitFor(() => readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim() === 'sleep', { what: 'sh to exec sleep' });
    process.kill(grandchild, 'SIGKILL');
    await waitFor(() => readProcStat(grandchild)?.zombie, { what: 'the killed grandchild to be a zombie' });
    expect(processExists(grandchild)).toBe(false);
  });

  it('a recorded start time tells a reused PID from the original', () => {
    const pid = livePid();
    const start = processStartTime(pid);
    expect(start).toBeTruthy();
    expect(isSameProcessAlive(pid, start)).toBe(true);
    expect(isSameProcessAlive(pid, 'linux:1')).toBe(false);
    // Nothing recorded (a Go CLI state): existence alone.
    expect(isSameProcessAlive(pid, undefined)).toBe(true);
  });

  it('a lock holder identity round-trips and is judged alive only by a definite answer', async () => {
    const me = currentProcess();
    expect(parseIdentity(formatIdentity(me))).toEqual(me);
    expect(parseIdentity('1234 - host-a')).toEqual({ pid: 1234, startTime: '', host: 'host-a' });
    expect(parseIdentity('garbage')).toBeUndefined();
    expect(isAlive(me)).toBe(true);
    expect(isAlive({ ...me, startTime: '1' })).toBe(false);
    const dead = await deadPid();
    expect(isAlive({ pid: dead, startTime: '', host: hostname() })).toBe(false);
    // Another host's holder cannot be checked from here: waiting is safe, stealing is not.
    expect(isAlive({ pid: dead, startTime: '', host: `${hostname()}-elsewhere` })).toBe(true);
  });
});
