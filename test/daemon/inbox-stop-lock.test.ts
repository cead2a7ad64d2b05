import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appendInboxEvent, lastSessionEnd, readInboxEvents } from '../../src/daemon/inbox.js';
import { parseLaunchInput } from '../../src/daemon/launch.js';
import { syncTimingFromEnv } from '../../src/sync/timing.js';
import { tryLock } from '../../src/fs/lock.js';
import { pruneDaemonLogs, reapStaleStates } from '../../src/daemon/reaper.js';
import { encodeState, newState } from '../../src/format/state.js';
import { getInboxPathForProvider, getStatePathForProvider, getSyncDir, newStateForProvider, saveState } from '../../src/daemon/state-store.js';
import { NoDaemonError, StaleDaemonError, stopDaemonForProvider } from '../../src/daemon/stop.js';
import { registerProvider, unregisterProvider } from '../../src/provider/registry.js';
import { useTempHome, waitFor } from '../helpers/sandbox.js';
import { testProvider } from '../helpers/test-provider.js';

useTempHome();
beforeAll(() => registerProvider(testProvider));
afterAll(() => unregisterProvider(testProvider.name));

function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', '0']);
    c.once('exit', () => resolve(c.pid as number));
  });
}

describe('inbox', () => {
  it('appends events as JSONL and reads them back; the last session_end with a hook input wins', () => {
    const path = getInboxPathForProvider('test-agent', 'in-1');
    expect(readInboxEvents(path)).toEqual({ events: [], skipped: 0 });
    appendInboxEvent(path, { type: 'session_end', timestamp: '2026-01-01T00:00:00Z', hook_input: { reason: 'first' } });
    appendFileSync(path, 'not json\n{"type":42}\n');
    appendInboxEvent(path, { type: 'session_end', timestamp: '2026-01-01T00:00:01Z', hook_input: { reason: 'second' } });
    appendInboxEvent(path, { type: 'session_end', timestamp: '2026-01-01T00:00:02Z' });
    const { events, skipped } = readInboxEvents(path);
    expect(skipped).toBe(2);
    expect(events).toHaveLength(3);
    expect(lastSessionEnd(events)?.hook_input).toEqual({ reason: 'second' });
  });
});

describe('stopDaemonForProvider', () => {
  it('writes the session_end event, then SIGTERMs the daemon', async () => {
    const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM",()=>{console.log("term");process.exit(0)});console.log("ready");setInterval(()=>{},1000)'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout?.on('data', (b) => (out += b));
    await waitFor(() => out.includes('ready'), { what: 'the daemon stand-in to start' });
    saveState(newStateForProvider('test-agent', 'stop-1', '/t', '/w', 0, child.pid));
    const res = await stopDaemonForProvider('test-agent', 'stop-1', { session_id: 'stop-1', reason: 'exit' });
    expect(res.pid).toBe(child.pid);
    await waitFor(() => out.includes('term'), { what: 'the daemon to get SIGTERM' });
    const events = readInboxEvents(getInboxPathForProvider('test-agent', 'stop-1')).events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'session_end', hook_input: { reason: 'exit' } });
    // The session is handed over at once: a resumed session may start a new daemon meanwhile.
    expect(existsSync(getStatePathForProvider('test-agent', 'stop-1'))).toBe(false);
  });

  it('signals a Go CLI daemon at once (it never writes a ready marker) and waits only for ours', async () => {
    const standIn = () => {
      const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM",()=>{console.log("term");process.exit(0)});console.log("ready");setInterval(()=>{},1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout?.on('data', (b) => (out += b));
      return { child, out: () => out };
    };
    const go = standIn();
    const ours = standIn();
    await waitFor(() => go.out().includes('ready') && ours.out().includes('ready'), { what: 'the daemon stand-ins to start' });
    // A Go CLI daemon's state: no pid_start_time.
    const goState = newStateForProvider('test-agent', 'go-1', '/t', '/w', 0, go.child.pid);
    delete goState.pidStartTime;
    saveState(goState);
    saveState(newStateForProvider('test-agent', 'ours-1', '/t', '/w', 0, ours.child.pid));
    // With the clock stopped, any wait for a ready marker would never end.
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    try {
      const settledAfterTicks = async (p: Promise<unknown>) => {
        let settled = false;
        void p.then(() => (settled = true));
        for (let i = 0; i < 100 && !settled; i++) await new Promise((r) => setImmediate(r));
        return settled;
      };
      expect(await settledAfterTicks(stopDaemonForProvider('test-agent', 'go-1', { reason: 'exit' }))).toBe(true);
      const stoppingOurs = stopDaemonForProvider('test-agent', 'ours-1', { reason: 'exit' });
      expect(await settledAfterTicks(stoppingOurs)).toBe(false);
      await vi.advanceTimersByTimeAsync(1100);
      await stoppingOurs;
    } finally {
      vi.useRealTimers();
    }
    await waitFor(() => go.out().includes('term') && ours.out().includes('term'), { what: 'both daemons to get SIGTERM' });
  });

  it('cleans up a stale state and says so', async () => {
    const s = newStateForProvider('test-agent', 'stale-1', '/t', '/w', 0, await deadPid());
    delete s.pidStartTime;
    saveState(s);
    await expect(stopDaemonForProvider('test-agent', 'stale-1', { x: 1 })).rejects.toThrow(StaleDaemonError);
    expect(existsSync(getStatePathForProvider('test-agent', 'stale-1'))).toBe(false);
    await expect(stopDaemonForProvider('test-agent', 'nobody')).rejects.toThrow(NoDaemonError);
    await expect(stopDaemonForProvider('test-agent', 'nobody')).rejects.toThrow('no daemon found for session nobody');
  });

  it('finds and stops a daemon through the legacy flat path', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
    await waitFor(() => child.pid);
    const exited = new Promise((r) => child.once('exit', r));
    mkdirSync(getSyncDir(), { recursive: true });
    const legacy = newState({ provider: '', externalId: 'old-1', transcriptPath: '/t', cwd: '/w', inboxPath: join(getSyncDir(), 'old-1.inbox.jsonl'), pid: child.pid as number });
    writeFileSync(join(getSyncDir(), 'old-1.json'), encodeState(legacy));
    await stopDaemonForProvider('test-agent', 'old-1', { reason: 'exit' });
    await exited;
    expect(readInboxEvents(join(getSyncDir(), 'old-1.inbox.jsonl')).events).toHaveLength(1);
  });
});

describe('lock', () => {
  it('is exclusive, released on release, and broken when its holder died', async () => {
    const path = join(getSyncDir(), 'x', 'a.lock');
    const a = await tryLock(path);
    expect(a).toBeDefined();
    expect(await tryLock(path)).toBeUndefined();
    await a?.release();
    const b = await tryLock(path);
    expect(b).toBeDefined();
    await b?.release();
    writeFileSync(path, `${await deadPid()} - ${hostname()} 0123456789ab\n`);
    const c = await tryLock(path);
    expect(c).toBeDefined();
    await c?.release();
  });

  it('lets exactly one of many racing processes in', async () => {
    const path = join(getSyncDir(), 'race', 'a.lock');
    mkdirSync(join(getSyncDir(), 'race'), { recursive: true });
    // Exercise our tryLock in child processes through the built module.
    // All children try at one shared instant; the winner holds the lock until every child
    // has tried (so a slow starter still meets a held lock), then the parent releases it.
    const at = Date.now() + 1500;
    const libScript = `
      import('${new URL('../../dist/fs/lock.js', import.meta.url).pathname}').then(async ({tryLock})=>{
        while(Date.now()<${at}){}
        const l=await tryLock(${JSON.stringify(path)}); console.log(l?'won':'lost');
        if(l){ process.on('SIGTERM',()=>{l.release();process.exit(0)}); setInterval(()=>{},1000); }
      })`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', libScript], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const outputs = children.map(() => '');
    children.forEach((c, i) => c.stdout?.on('data', (d) => (outputs[i] += d)));
    await waitFor(() => outputs.every((o) => o.trim() !== ''), { what: 'every child to try the lock', timeoutMs: 20_000 });
    const runs = outputs.map((o) => o.trim());
    for (const c of children) c.kill('SIGTERM');
    expect(runs.filter((r) => r === 'won')).toHaveLength(1);
    expect(runs.filter((r) => r === 'lost')).toHaveLength(5);
  });
});

describe('lock: a stale lock found by several processes at once', () => {
  it('is broken for exactly one of them: never two holders (many rounds)', async () => {
    const path = join(getSyncDir(), 'race', 'stale.lock');
    mkdirSync(join(getSyncDir(), 'race'), { recursive: true });
    // Long-lived contenders: each round, all try at one shared instant, a winner holds the
    // lock until told to release it, and each reports what it got.
    const script = `
      import('${new URL('../../dist/fs/lock.js', import.meta.url).pathname}').then(({ tryLock }) => {
        let held; let buf = '';
        process.stdin.on('data', async (d) => {
          buf += d;
          for (let i; (i = buf.indexOf('\\n')) >= 0; ) {
            const [cmd, at] = buf.slice(0, i).split(' '); buf = buf.slice(i + 1);
            if (cmd === 'go') { while (Date.now() < Number(at)) {} held = await tryLock(${JSON.stringify(path)}); console.log(held ? 'won' : 'lost'); }
            if (cmd === 'release') { await held?.release(); held = undefined; console.log('released'); }
          }
        });
        console.log('ready');
      })`;
    const contenders = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const outs = contenders.map(() => [] as string[]);
    contenders.forEach((c, i) => c.stdout?.on('data', (d: Buffer) => outs[i]!.push(...d.toString().split('\n').filter(Boolean))));
    const next = async (i: number, n: number) => waitFor(() => outs[i]!.length >= n, { what: 'a contender to answer', timeoutMs: 20_000 });
    try {
      for (let i = 0; i < contenders.length; i++) await next(i, 1);
      const dead = await deadPid();
      let doubleHolds = 0;
      const rounds = 60;
      for (let round = 0; round < rounds; round++) {
        writeFileSync(path, `${dead} - ${hostname()} 0123456789ab\n`);
        const at = Date.now() + 60;
        for (const c of contenders) c.stdin?.write(`go ${at}\n`);
        for (let i = 0; i < contenders.length; i++) await next(i, 2 + round * 2);
        const winners = outs.filter((o) => o[1 + round * 2] === 'won').length;
        expect(winners).toBeGreaterThanOrEqual(1);
        if (winners > 1) doubleHolds++;
        for (const c of contenders) c.stdin?.write('release\n');
        for (let i = 0; i < contenders.length; i++) await next(i, 3 + round * 2);
      }
      expect(doubleHolds).toBe(0);
    } finally {
      for (const c of contenders) c.kill('SIGKILL');
    }
  }, 120_000);
});

describe('reaper', () => {
  it('removes dead, old states (namespaced and legacy, with inboxes) and keeps live or young ones', async () => {
    const dead = await deadPid();
    const old = new Date(Date.now() - 60_000).toISOString();
    const mk = (provider: string, id: string, pid: number, startedAt: string) => {
      const s = newStateForProvider(provider, id, '/t', '/w', 0, pid);
      s.startedAt = startedAt;
      delete s.pidStartTime;
      saveState(s);
      appendInboxEvent(s.inboxPath, { type: 'session_end', timestamp: old });
      return s;
    };
    const deadOld = mk('test-agent', 'dead-old', dead, old);
    mk('test-agent', 'dead-young', dead, new Date().toISOString());
    mk('other', 'live-old', process.pid, old);
    const legacy = newState({ provider: '', externalId: 'legacy-dead', transcriptPath: '/t', cwd: '/w', inboxPath: join(getSyncDir(), 'legacy-dead.inbox.jsonl'), pid: dead });
    legacy.startedAt = old;
    writeFileSync(join(getSyncDir(), 'legacy-dead.json'), encodeState(legacy));

    const res = await reapStaleStates();
    expect(res.reaped.sort()).toEqual([join(getSyncDir(), 'legacy-dead.json'), getStatePathForProvider('test-agent', 'dead-old')].sort());
    expect(existsSync(deadOld.inboxPath)).toBe(false);
    expect(existsSync(join(getSyncDir(), 'legacy-dead.json'))).toBe(false);
    expect(existsSync(getStatePathForProvider('test-agent', 'dead-young'))).toBe(true);
    expect(existsSync(getStatePathForProvider('other', 'live-old'))).toBe(true);
  });

  it('sets aside state files that cannot be decoded once they are older than a moment, and reads them no more', async () => {
    const dir = join(getSyncDir(), 'test-agent');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bad-old.json'), 'not json');
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'bad-old.json'), past, past);
    writeFileSync(join(dir, 'bad-young.json'), '{"pid": "x"}');
    const res = await reapStaleStates();
    expect(res.setAside).toHaveLength(1);
    expect(res.setAside[0]).toMatch(new RegExp(`^${join(dir, 'bad-old.json')}\\.invalid-`));
    expect(existsSync(res.setAside[0]!)).toBe(true);
    expect(existsSync(join(dir, 'bad-old.json'))).toBe(false);
    expect(existsSync(join(dir, 'bad-young.json'))).toBe(true);
    expect((await reapStaleStates()).setAside).toEqual([]);
  });

  it('prunes daemon logs untouched for two weeks', () => {
    const dir = join(process.env.HOME as string, '.confab', 'logs', 'test-agent');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'old.log'), 'x');
    writeFileSync(join(dir, 'new.log'), 'x');
    const past = new Date(Date.now() - 15 * 24 * 3600 * 1000);
    utimesSync(join(dir, 'old.log'), past, past);
    expect(pruneDaemonLogs()).toBe(1);
    expect(existsSync(join(dir, 'new.log'))).toBe(true);
  });
});

describe('launch input and timing env', () => {
  it('parses the Go launch JSON and rejects unsafe input', () => {
    expect(parseLaunchInput('{"provider":"Claude-Code","external_id":"abc","transcript_path":"/t","cwd":"/w","parent_pid":12}')).toEqual({
      provider: 'claude-code',
      external_id: 'abc',
      transcript_path: '/t',
      cwd: '/w',
      parent_pid: 12,
    });
    expect(() => parseLaunchInput('{"external_id":"../x"}')).toThrow(/unsafe/);
    expect(() => parseLaunchInput('[]')).toThrow(/not an object/);
    expect(() => parseLaunchInput('{"external_id":"a","parent_pid":-1}')).toThrow(/parent_pid/);
  });

  it('reads interval and jitter from the environment within bounds', () => {
    expect(syncTimingFromEnv({})).toEqual({ intervalMs: 30_000, jitterMs: 5_000, invalid: [] });
    expect(syncTimingFromEnv({ CONFAB_SYNC_INTERVAL_MS: '250', CONFAB_SYNC_JITTER_MS: '0' })).toMatchObject({ intervalMs: 250, jitterMs: 0 });
    expect(syncTimingFromEnv({ CONFAB_SYNC_INTERVAL_MS: '0', CONFAB_SYNC_JITTER_MS: 'x' })).toEqual({
      intervalMs: 30_000,
      jitterMs: 5_000,
      invalid: ['CONFAB_SYNC_INTERVAL_MS', 'CONFAB_SYNC_JITTER_MS'],
    });
    expect(syncTimingFromEnv({ CONFAB_SYNC_INTERVAL_MS: '3600001' }).intervalMs).toBe(30_000);
  });

  it('defaults the jitter only when neither interval nor jitter is set, as the Go CLI does', () => {
    expect(syncTimingFromEnv({ CONFAB_SYNC_INTERVAL_MS: '250' })).toEqual({ intervalMs: 250, jitterMs: 0, invalid: [] });
    expect(syncTimingFromEnv({ CONFAB_SYNC_JITTER_MS: '700' })).toEqual({ intervalMs: 30_000, jitterMs: 700, invalid: [] });
    expect(syncTimingFromEnv({ CONFAB_SYNC_INTERVAL_MS: '250', CONFAB_SYNC_JITTER_MS: '700' })).toMatchObject({ jitterMs: 700 });
  });
});
