import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFAB_BIN, waitFor } from '../helpers/sandbox.js';
import { seededRandom, sleep } from './helpers/random.js';
import { ChaosSession, endSession, expectBackendHolds, readPendingRecord, startSession } from './helpers/session.js';
import { BACKENDS, pick, useWorld } from './helpers/world.js';

// The fault matrix, part 2: what happens to confab's own processes — daemons killed with
// SIGKILL at random instants, a machine restart, hooks racing, the agent killed.

const openWorld = useWorld();

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Each process's state letter and launch arguments, for a failure message. */
function describeProcesses(pids: number[]): string {
  return pids
    .map((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(-2, -1)[0] ?? '';
        return `${pid} (state ${state[0]}, ppid ${state[1]}) ${args}`;
      } catch {
        return `${pid} (gone)`;
      }
    })
    .join('; ');
}

describe.each(BACKENDS)('processes (%s)', (kind) => {
  it('the daemon killed with SIGKILL at random instants, restarted each time by the next prompt', async () => {
    const w = await openWorld(kind);
    const rnd = seededRandom(`kill -9 (${kind})`);
    const s = await startSession(w);
    const kills = pick(5, 30);
    for (let i = 0; i < kills; i++) {
      const writing = s.work(rnd.int(1, 6), rnd.int(10, 60));
      await sleep(rnd.int(0, 400));
      const pids = w.daemons();
      expect(pids.length, `more than one daemon: ${describeProcesses(pids)}`).toBeLessThanOrEqual(1);
      killAll(pids);
      await writing;
      // Lines written while no daemon runs are picked up by the next one.
      s.append(rnd.int(0, 3));
      const hook = await s.hook('user-prompt-submit');
      expect(hook.stderr).toMatch(/sync daemon (started in background|already running)/);
    }
    await s.work(3);
    const held = await endSession(w, s);
    expect(Object.keys(held.files).sort()).toEqual([s.agentName, s.transcriptName].sort());
  });

  it('the daemon killed during its final sync: the session is finished by the next hook', async () => {
    const w = await openWorld(kind);
    const rnd = seededRandom(`kill during final sync (${kind})`);
    for (let round = 0; round < pick(2, 6); round++) {
      const s = await startSession(w);
      await s.work(4);
      const [pid] = w.daemons();
      // A burst the final sync has to upload, against a backend that is slow to answer
      // (HTTP: a chunk answered late; embedded: its session lock held by another process),
      // then the end and a kill while the daemon is still at it.
      const { sessionId } = (await w.held(s.id))!;
      let slow: Promise<void> = Promise.resolve();
      if (kind === 'http') w.faults.add('/api/v1/sync/chunk', { type: 'delay', ms: 2000 });
      else slow = w.holdSessionLock(sessionId, 2000);
      s.append(40);
      s.append(10, 'agent');
      await s.hook('session-end');
      await sleep(rnd.int(0, 300));
      killAll([pid!]);
      await slow;
      if (kind === 'http') w.faults.clear();
      await waitFor(() => w.daemons().length === 0, { what: 'the daemon to be gone' });
      // The next hook of any session finishes it.
      const other = new ChaosSession(w);
      await other.hook('user-prompt-submit');
      await waitFor(() => readPendingRecord(w, s) === undefined, { what: 'the resume to finish', timeoutMs: 30_000 });
      const held = await expectBackendHolds(w, s);
      expect(held.events.map((e) => e.payload)).toEqual([JSON.parse(s.payload('SessionEnd'))]);
      killAll(w.daemons());
    }
  });

  it('a machine restart: every daemon killed, states left behind; the next session start finishes them', async () => {
    const w = await openWorld(kind);
    const sessions: ChaosSession[] = [];
    for (let i = 0; i < 3; i++) sessions.push(await startSession(w));
    for (const s of sessions) await s.work(3, 20);
    await waitFor(() => w.daemons().length === 3, { what: 'three daemons' });
    killAll(w.daemons());
    // The backend restarts with the machine (HTTP: the server goes down and comes back).
    await w.down();
    for (const s of sessions) s.append(5);
    await w.up();
    // The reaper leaves states younger than 5 s alone (their daemons may still be starting).
    await sleep(5500);
    const fresh = new ChaosSession(w);
    const hook = await fresh.hook('session-start');
    expect(hook.stderr).toContain('resuming 3 pending session');
    for (const s of sessions) {
      await waitFor(() => readPendingRecord(w, s) === undefined, { what: 'every pending session to be finished', timeoutMs: 40_000 });
      const held = await expectBackendHolds(w, s);
      // No SessionEnd hook ever ran for them: no session_end event.
      expect(held.events).toEqual([]);
      expect(existsSync(w.statePath(s.id))).toBe(false);
    }
  });

  it('hooks racing to start the same session start exactly one daemon', async () => {
    const w = await openWorld(kind);
    const s = new ChaosSession(w);
    s.append(3);
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => s.hook(i % 2 ? 'user-prompt-submit' : 'session-start')));
    expect(runs.filter((r) => r.stderr.includes('started in background'))).toHaveLength(1);
    await s.work(6);
    const state = JSON.parse(readFileSync(w.statePath(s.id), 'utf8')) as { pid: number };
    expect(w.daemons()).toEqual([state.pid]);
    // And again while it runs: nobody starts a second one.
    const again = await Promise.all(Array.from({ length: 4 }, () => s.hook('user-prompt-submit')));
    for (const r of again) expect(r.stderr).toContain(`already running (pid ${state.pid})`);
    await s.work(3);
    await endSession(w, s);
  });

  it('the agent killed with SIGKILL: the daemon notices, syncs what was written, and stops', async () => {
    const w = await openWorld(kind);
    const s = new ChaosSession(w);
    s.append(4);
    // A stand-in for the agent, named `claude`: runs the hook, then writes the session on.
    const bin = w.sbx.dir('bin');
    symlinkSync(process.execPath, join(bin, 'claude'));
    const script = `
      const { spawnSync } = require('node:child_process');
      spawnSync(process.execPath, [${JSON.stringify(CONFAB_BIN)}, 'hook', 'session-start'], { input: ${JSON.stringify(s.payload('SessionStart'))} });
      console.log('hooked');
      setInterval(() => {}, 1000);
    `;
    const agent = w.sbx.spawn(join(bin, 'claude'), ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    agent.stdout?.on('data', (b: Buffer) => (out += b));
    await waitFor(() => out.includes('hooked'), { what: 'the agent to run its hook' });
    const state = await waitFor(() => (existsSync(w.statePath(s.id)) ? (JSON.parse(readFileSync(w.statePath(s.id), 'utf8')) as { parent_pid?: number }) : undefined));
    expect(state.parent_pid).toBe(agent.pid);
    await s.work(6);
    agent.kill('SIGKILL');
    // Its last lines, written as it died.
    s.append(5);
    await waitFor(() => w.daemons().length === 0, { what: 'the daemon to notice', timeoutMs: 15_000 });
    const held = await expectBackendHolds(w, s);
    expect(held.events).toEqual([]);
    expect(readPendingRecord(w, s)).toBeUndefined();
    expect(existsSync(w.statePath(s.id))).toBe(false);
    expect(w.daemonLog(s.id)).toContain('reason=parent-exited');
  });
});
