import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import { BackendError } from '../../src/backend/errors.js';
import { Daemon, type DaemonOptions, type PathWatcher, type SyncSession } from '../../src/daemon/daemon.js';
import type { SyncReport, SyncTrigger } from '../../src/extension/hook-types.js';
import { appendInboxEvent } from '../../src/daemon/inbox.js';
import { isProcessAlive } from '../../src/process/liveness.js';
import { readPending, recordPending } from '../../src/daemon/pending.js';
import { silentLogger } from '../../src/log.js';
import { getInboxPathForProvider, getStatePathForProvider, newStateForProvider, saveState } from '../../src/daemon/state-store.js';
import { useTempHome, waitFor } from '../helpers/sandbox.js';

const home = useTempHome();

/** A scriptable stand-in for the sync engine: records calls, fails on demand. */
class FakeEngine implements SyncSession {
  initialized = false;
  sessionId: string | undefined;
  calls: SyncTrigger[] = [];
  callTimes: number[] = [];
  sessionEnds: { payload: unknown; timestamp: string }[] = [];
  failures: (BackendError | undefined)[] = [];
  initFailures: (BackendError | undefined)[] = [];
  cycleDelayMs = 0;
  inCycle = false;
  constructor(private readonly transcript: string) {}
  async init() {
    const f = this.initFailures.shift();
    if (f) throw f;
    this.initialized = true;
    this.sessionId = '11111111-2222-4333-8444-555555555555';
  }
  async syncAll(trigger: SyncTrigger): Promise<SyncReport> {
    this.inCycle = true;
    this.calls.push(trigger);
    this.callTimes.push(performance.now());
    try {
      if (this.cycleDelayMs) await new Promise((r) => setTimeout(r, this.cycleDelayMs));
      const f = this.failures.shift();
      if (f) throw f;
      return { trigger, files: [], durationMs: 0, complete: true };
    } finally {
      this.inCycle = false;
    }
  }
  async sendSessionEnd(payload: unknown, timestamp: string) {
    this.sessionEnds.push({ payload, timestamp });
  }
  async hasPendingLines() {
    return false;
  }
  trackedFiles() {
    return [{ path: this.transcript, name: 't.jsonl', type: 'transcript' as const }];
  }
  reset() {
    this.initialized = false;
    this.sessionId = undefined;
  }
}

function setup(
  opts: { transcript?: boolean; parentPid?: number; interval?: number; jitter?: number; onEngine?: (e: FakeEngine) => void } & Partial<DaemonOptions> = {},
) {
  const dir = join(home(), 'proj');
  mkdirSync(dir, { recursive: true });
  const transcript = join(dir, 'sess-1.jsonl');
  if (opts.transcript !== false) writeFileSync(transcript, '{"a":1}\n');
  const engines: FakeEngine[] = [];
  let backends = 0;
  const daemon = new Daemon(
    { provider: 'test-agent', externalId: 'sess-1', transcriptPath: transcript, cwd: dir, parentPid: opts.parentPid ?? 0, syncIntervalMs: opts.interval ?? 60_000, syncIntervalJitterMs: opts.jitter ?? 0 },
    {
      backend: async () => {
        backends++;
        return {} as Backend;
      },
      createEngine: () => {
        const e = new FakeEngine(transcript);
        opts.onEngine?.(e);
        engines.push(e);
        return e;
      },
      manageState: true,
      timing: { transcriptPollMs: 20, transcriptWaitMs: 300, parentCheckMs: 50, shutdownTimeoutMs: 2000, watchDebounceMs: 5 },
      ...opts,
    },
  );
  return { daemon, engines, transcript, backends: () => backends };
}

describe('Daemon lifecycle', () => {
  it('syncs at startup, saves its state, and on stop reads the inbox, does a final sync, sends session_end and removes its files', async () => {
    const { daemon, engines } = setup();
    const run = daemon.run();
    await waitFor(() => engines[0]?.calls.includes('startup'));
    const statePath = getStatePathForProvider('test-agent', 'sess-1');
    expect(existsSync(statePath)).toBe(true);
    appendInboxEvent(getInboxPathForProvider('test-agent', 'sess-1'), { type: 'session_end', timestamp: '2026-11-25T10:00:00.000Z', hook_input: { reason: 'exit' } });
    daemon.stop('signal');
    const exit = await run;
    expect(exit).toEqual({ reason: 'signal', pending: false, sessionEndSent: true });
    expect(engines[0]?.calls).toEqual(['startup', 'final']);
    expect(engines[0]?.sessionEnds).toEqual([{ payload: { reason: 'exit' }, timestamp: '2026-11-25T10:00:00.000Z' }]);
    expect(existsSync(statePath)).toBe(false);
    expect(existsSync(getInboxPathForProvider('test-agent', 'sess-1'))).toBe(false);
  });

  it('waits for a transcript that appears late', async () => {
    const { daemon, engines, transcript } = setup({ transcript: false });
    const run = daemon.run();
    await new Promise((r) => setTimeout(r, 60));
    expect(engines).toHaveLength(0);
    writeFileSync(transcript, '{}\n');
    await waitFor(() => engines[0]?.calls.includes('startup'));
    daemon.stop();
    await run;
  });

  it('still does a final sync when stopped while waiting, if the transcript exists by then', async () => {
    const { daemon, engines, transcript } = setup({ transcript: false, timing: { transcriptPollMs: 10_000, transcriptWaitMs: 60_000 } });
    const run = daemon.run();
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(transcript, '{}\n');
    daemon.stop('signal');
    const exit = await run;
    expect(exit.reason).toBe('signal');
    expect(engines[0]?.calls).toEqual(['final']);
  });

  it('refresh: a provider writes the transcript from its database while the daemon waits, and again before every cycle (the final one too)', async () => {
    const refreshed: string[] = [];
    let writeAt = 3;
    const { daemon, engines, transcript } = setup({ transcript: false, timing: { transcriptPollMs: 5, transcriptWaitMs: 10_000, parentCheckMs: 50, shutdownTimeoutMs: 2000, watchDebounceMs: 5 } });
    daemon.hooks.refresh.tap('db', (session) => {
      refreshed.push(engines[0]?.calls.at(-1) ?? 'waiting');
      expect(session).toEqual({ provider: 'test-agent', externalId: 'sess-1', transcriptPath: transcript, cwd: join(home(), 'proj') });
      if (--writeAt === 0) writeFileSync(transcript, '{}\n');
    });
    const run = daemon.run();
    await waitFor(() => engines[0]?.calls.includes('startup'));
    daemon.stop('signal');
    await run;
    expect(engines[0]?.calls).toEqual(['startup', 'final']);
    // Three looks while waiting (the third writes the file), then one before each cycle.
    expect(refreshed).toEqual(['waiting', 'waiting', 'waiting', 'waiting', 'startup']);
  });

  it('a refresh that fails is logged and retried, and the daemon goes on', async () => {
    let fail = true;
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => log };
    const { daemon, engines } = setup({ log });
    daemon.hooks.refresh.tap('db', () => {
      if (fail) throw new Error('opencode db not found at /x/opencode.db');
    });
    const run = daemon.run();
    await waitFor(() => engines[0]?.calls.includes('startup'));
    fail = false;
    daemon.stop('signal');
    await run;
    expect(engines[0]?.calls).toEqual(['startup', 'final']);
    // Once per distinct failure, not once per look.
    expect(warnings.filter((w) => w.includes('refresh failed'))).toEqual(['refresh failed: opencode db not found at /x/opencode.db']);
  });

  it('an unbounded wait for the transcript ends when the agent process exits', async () => {
    const agent = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const { daemon, engines } = setup({ transcript: false, parentPid: agent.pid!, timing: { transcriptPollMs: 10, transcriptWaitMs: Infinity, parentCheckMs: 20, shutdownTimeoutMs: 2000, watchDebounceMs: 5 } });
      const run = daemon.run();
      await new Promise((r) => setTimeout(r, 100));
      agent.kill('SIGKILL');
      const exit = await run;
      expect(exit.reason).toBe('parent-exited');
      expect(engines).toHaveLength(0);
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it('the agent exits while the daemon waits for a transcript its provider writes: what was finished last is written and synced', async () => {
    const agent = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const { daemon, engines, transcript } = setup({ transcript: false, parentPid: agent.pid!, timing: { transcriptPollMs: 10, transcriptWaitMs: Infinity, parentCheckMs: 20, shutdownTimeoutMs: 2000, watchDebounceMs: 5 } });
      let looks = 0;
      daemon.hooks.refresh.tap('db', () => {
        looks++;
        // The session's one message is finished as the agent exits (gone as the daemon sees it).
        if (!isProcessAlive(agent.pid!)) writeFileSync(transcript, '{}\n');
      });
      const run = daemon.run();
      await waitFor(() => looks >= 2);
      agent.kill('SIGKILL');
      const exit = await run;
      expect(exit.reason).toBe('parent-exited');
      // Seen at the stop, or at a look just before it: either way the final cycle syncs it.
      expect(engines[0]?.calls.at(-1)).toBe('final');
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it('a stop that arrives while the provider writes the transcript: the provider writes once more before the daemon decides', async () => {
    const { daemon, engines, transcript } = setup({ transcript: false, timing: { transcriptPollMs: 10, transcriptWaitMs: Infinity, parentCheckMs: 20, shutdownTimeoutMs: 2000, watchDebounceMs: 5 } });
    let looks = 0;
    daemon.hooks.refresh.tap('db', () => {
      looks++;
      // A session-end lands during the second look; the message it finished is there for the next.
      if (looks === 2) daemon.stop('signal');
      if (looks === 3) writeFileSync(transcript, '{}\n');
    });
    const exit = await daemon.run();
    expect(exit.reason).toBe('signal');
    expect(engines[0]?.calls).toEqual(['final']);
  });

  it('leaves nothing behind when the transcript never appears', async () => {
    const { daemon, engines } = setup({ transcript: false });
    // As the spawning hook leaves it: a state naming this process.
    saveState(newStateForProvider('test-agent', 'sess-1', '/t', '/w', 0));
    const exit = await daemon.run();
    expect(exit.reason).toBe('transcript-missing');
    expect(engines).toHaveLength(0);
    await waitFor(() => !existsSync(getStatePathForProvider('test-agent', 'sess-1')), { what: 'the state file to go' });
  });

  it('lets a cycle in flight finish before shutting down (no torn cycle)', async () => {
    const { daemon, engines } = setup();
    const run = daemon.run();
    await waitFor(() => engines[0]);
    const engine = engines[0] as FakeEngine;
    engine.cycleDelayMs = 200;
    daemon.poke();
    await waitFor(() => engine.inCycle && engine.calls.length === 2);
    daemon.stop('signal');
    await run;
    expect(engine.calls).toEqual(['startup', 'watch', 'final']);
  });

  it('shuts down when the parent process exits', async () => {
    const parent = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
    await waitFor(() => parent.pid);
    const { daemon, engines } = setup({ parentPid: parent.pid as number });
    const run = daemon.run();
    await waitFor(() => engines[0]?.calls.includes('startup'));
    parent.kill('SIGKILL');
    // The sync interval is a minute: only the parent check can end the run this early.
    expect((await run).reason).toBe('parent-exited');
  });

  it('stops after 3 consecutive not-found cycles, but a success resets the count', async () => {
    const nf = () => new BackendError('not-found', 'Session not found', { status: 404 });
    const { daemon, engines } = setup({ interval: 10, onEngine: (e) => e.failures.push(undefined, nf(), nf(), undefined, nf(), nf(), nf()) });
    const exit = await daemon.run();
    const engine = engines[0] as FakeEngine;
    expect(exit.reason).toBe('session-deleted');
    // startup ok, then nf, nf, ok, nf, nf, nf → stop; no final sync for a deleted session.
    expect(engine.calls.length).toBe(7);
  });

  it('drops the engine on 401 and builds a new one (re-reading config) next cycle', async () => {
    const { daemon, engines, backends } = setup({ interval: 10 });
    const run = daemon.run();
    await waitFor(() => engines[0]);
    engines[0]?.failures.push(new BackendError('unauthorized', 'Invalid API key', { status: 401 }));
    await waitFor(() => engines.length >= 2 && (engines[1]?.calls.length ?? 0) > 0, { what: 'a second engine' });
    expect(backends()).toBeGreaterThanOrEqual(2);
    daemon.stop();
    await run;
  });

  it('never exits on network errors', async () => {
    const { daemon, engines } = setup({ interval: 5 });
    const run = daemon.run();
    await waitFor(() => engines[0]);
    for (let i = 0; i < 10; i++) engines[0]?.failures.push(new BackendError('network', 'connect ECONNREFUSED'));
    await waitFor(() => (engines[0]?.calls.length ?? 0) >= 12);
    daemon.stop();
    expect((await run).reason).toBe('stop-called');
  });

  it('uses a file watcher to sync soon after a change', async () => {
    let onChange: (() => void) | undefined;
    const watched: string[] = [];
    const watcher = (cb: () => void): PathWatcher => {
      onChange = cb;
      return { add: (p) => watched.push(...p), close: async () => {} };
    };
    const { daemon, engines, transcript } = setup({ watch: watcher });
    const run = daemon.run();
    await waitFor(() => engines[0]?.calls.length === 1);
    expect(watched).toContain(transcript);
    // Not its directory: every session of the project writes there.
    expect(watched).not.toContain(dirname(transcript));
    onChange?.();
    await waitFor(() => engines[0]?.calls.includes('watch'));
    daemon.stop();
    await run;
  });

  it('applies jitter uniform in [0, jitter) on top of the interval', async () => {
    const { daemon, engines } = setup({ interval: 30, jitter: 40, random: () => 0.5 });
    const run = daemon.run();
    await waitFor(() => (engines[0]?.calls.length ?? 0) >= 3);
    const [t0 = 0, , t2 = 0] = engines[0]?.callTimes ?? [];
    const elapsed = t2 - t0;
    daemon.stop();
    await run;
    expect(engines[0]?.calls.slice(0, 3)).toEqual(['startup', 'interval', 'interval']);
    // Two waits of 30 + 0.5 × 40 = 50 ms each.
    expect(elapsed).toBeGreaterThanOrEqual(98);
  });
});

describe('Daemon taking over a session from an earlier daemon', () => {
  it('waits for its predecessor to exit before its first cycle', async () => {
    const predecessor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((r) => predecessor.once('exit', r));
    let waiting = false;
    const log = { ...silentLogger, info: (msg: string) => void (msg.startsWith('waiting for the previous daemon') && (waiting = true)) };
    const dir = join(home(), 'proj');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 't.jsonl'), '{"a":1}\n');
    const engines: FakeEngine[] = [];
    const daemon = new Daemon(
      { provider: 'test-agent', externalId: 'succ-1', transcriptPath: join(dir, 't.jsonl'), cwd: dir, syncIntervalMs: 60_000, predecessor: { pid: predecessor.pid as number } },
      { backend: async () => ({}) as Backend, createEngine: () => (engines.push(new FakeEngine(join(dir, 't.jsonl'))), engines[engines.length - 1]!), manageState: true, log, timing: { shutdownTimeoutMs: 60_000 } },
    );
    const run = daemon.run();
    await waitFor(() => waiting, { what: 'the daemon to wait for its predecessor' });
    expect(engines).toHaveLength(0);
    predecessor.kill('SIGKILL');
    await exited;
    await waitFor(() => engines[0]?.calls.includes('startup'), { what: 'the first cycle once the predecessor is gone' });
    daemon.stop();
    await run;
  });

  it('sends a session_end a gone predecessor still owed before its own, and clears the record', async () => {
    const { daemon, engines } = setup();
    const earlier = { type: 'session_end', timestamp: '2026-11-25T09:00:00.000Z', hook_input: { reason: 'first run' } };
    recordPending({ provider: 'test-agent', external_id: 'sess-1', transcript_path: '/t', cwd: '/w', reason: 'signal', session_end: earlier });
    const run = daemon.run();
    await waitFor(() => engines[0]?.calls.includes('startup'));
    appendInboxEvent(getInboxPathForProvider('test-agent', 'sess-1'), { type: 'session_end', timestamp: '2026-11-25T10:00:00.000Z', hook_input: { reason: 'resumed run' } });
    daemon.stop('signal');
    await run;
    expect(engines[0]?.sessionEnds.map((e) => e.payload)).toEqual([{ reason: 'first run' }, { reason: 'resumed run' }]);
    expect(readPending('test-agent', 'sess-1')).toBeUndefined();
  });
});

describe('Daemon timing defaults', () => {
  it('has the default jitter with the default interval, and none with a chosen interval and no jitter', () => {
    const opts = { backend: () => Promise.reject(new Error('unused')), createEngine: () => { throw new Error('unused'); } };
    const session = { provider: 'test-agent', externalId: 'j-1', transcriptPath: '/t', cwd: '/w' };
    expect(new Daemon(session, opts).config).toMatchObject({ syncIntervalMs: 30_000, syncIntervalJitterMs: 5_000 });
    expect(new Daemon({ ...session, syncIntervalMs: 1000 }, opts).config).toMatchObject({ syncIntervalMs: 1000, syncIntervalJitterMs: 0 });
    expect(new Daemon({ ...session, syncIntervalMs: 1000, syncIntervalJitterMs: 300 }, opts).config.syncIntervalJitterMs).toBe(300);
  });
});

describe('Daemon hooks (daemon-owned)', () => {
  it('start, afterSync, syncError, inboxEvent and shutdown taps see and steer the daemon', async () => {
    const { daemon } = setup({ interval: 5, onEngine: (e) => e.failures.push(new BackendError('server', 'boom', { status: 500 })) });
    const seen: string[] = [];
    daemon.hooks.start.tapPromise('t', async (state) => {
      seen.push(`start:${state.externalId}`);
    });
    // A tap can stop the daemon after the first successful cycle.
    daemon.hooks.afterSync.tapPromise('t', async (report) => {
      seen.push(`after:${report.trigger}`);
      if (report.trigger === 'interval') daemon.stop('stop-called');
    });
    daemon.hooks.syncError.tap('t', (err, ctx) => seen.push(`error:${ctx.phase}:${err.message}`));
    daemon.hooks.inboxEvent.tap('t', (e) => seen.push(`inbox:${e.type}`));
    daemon.hooks.shutdown.tapPromise('t', async (info) => {
      seen.push(`shutdown:${info.reason}:${info.pending}`);
    });
    const run = daemon.run();
    appendInboxEvent(getInboxPathForProvider('test-agent', 'sess-1'), { type: 'session_end', timestamp: '2026-11-25T10:00:00Z', hook_input: { a: 1 } });
    await run;
    expect(seen[0]).toBe('start:sess-1');
    expect(seen).toContain('error:chunk:boom');
    expect(seen).toContain('after:interval');
    expect(seen).toContain('inbox:session_end');
    expect(seen.at(-1)).toBe('shutdown:stop-called:false');
  });
});
