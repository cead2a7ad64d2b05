import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerProvider, unregisterProvider } from '../../src/provider/registry.js';
import { decodeState, encodeState, isRfc3339 } from '../../src/format/state.js';
import {
  deleteState,
  getInboxPathForProvider,
  getStatePathForProvider,
  getSyncDir,
  isDaemonRunning,
  listAllStates,
  loadStateForProvider,
  newStateForProvider,
  saveState,
} from '../../src/daemon/state-store.js';
import { processStartTime } from '../../src/process/liveness.js';
import { testProvider } from '../helpers/test-provider.js';
import { useTempHome } from '../helpers/sandbox.js';

useTempHome();

beforeAll(() => registerProvider(testProvider));
afterAll(() => unregisterProvider(testProvider.name));

/** A state file exactly as the Go CLI writes it: key order, 2-space indent, nanosecond local-offset time, no trailing newline. */
function goStateJson(fields: { provider?: string; id: string; pid: number; parentPid?: number; inbox: string; sessionId?: string }): string {
  const lines = ['{'];
  const body: string[] = [];
  if (fields.provider) body.push(`  "provider": "${fields.provider}"`);
  body.push(`  "external_id": "${fields.id}"`);
  body.push(`  "transcript_path": "/home/u/.claude/projects/-home-u-app/${fields.id}.jsonl"`);
  body.push(`  "cwd": "/home/u/app"`);
  body.push(`  "pid": ${fields.pid}`);
  if (fields.parentPid) body.push(`  "parent_pid": ${fields.parentPid}`);
  body.push(`  "inbox_path": "${fields.inbox}"`);
  body.push(`  "started_at": "2026-06-16T09:12:44.123456789+02:00"`);
  if (fields.sessionId) body.push(`  "confab_session_id": "${fields.sessionId}"`);
  lines.push(body.join(',\n'), '}');
  return lines.join('\n');
}

function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', '0']);
    c.once('exit', () => resolve(c.pid as number));
  });
}

function livePid(): { pid: number; kill: () => void } {
  const c = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  return { pid: c.pid as number, kill: () => c.kill('SIGKILL') };
}

describe('state files', () => {
  it('uses the Go CLI paths', () => {
    expect(getStatePathForProvider('claude-code', 'abc')).toBe(join(getSyncDir(), 'claude-code', 'abc.json'));
    expect(getInboxPathForProvider('codex', 'abc')).toBe(join(getSyncDir(), 'codex', 'abc.inbox.jsonl'));
    expect(() => getStatePathForProvider('claude-code', '../etc/passwd')).toThrow(/not a safe identifier/);
  });

  it('loads a state file written the Go way', async () => {
    const id = 'a1b2c3d4-0000-4000-8000-000000000001';
    const path = getStatePathForProvider('test-agent', id);
    mkdirSync(join(getSyncDir(), 'test-agent'), { recursive: true });
    writeFileSync(path, goStateJson({ provider: 'test-agent', id, pid: process.pid, parentPid: 4242, inbox: '/x/inbox.jsonl', sessionId: 'sess-uuid' }));
    const s = await loadStateForProvider('test-agent', id);
    expect(s).toMatchObject({
      provider: 'test-agent',
      externalId: id,
      cwd: '/home/u/app',
      pid: process.pid,
      parentPid: 4242,
      inboxPath: '/x/inbox.jsonl',
      startedAt: '2026-06-16T09:12:44.123456789+02:00',
      confabSessionId: 'sess-uuid',
      loadedFrom: path,
    });
  });

  it('writes what the Go CLI writes: same keys, order and indent; readable back', () => {
    const s = newStateForProvider('claude-code', 'sid-1', '/t.jsonl', '/w', 99);
    const text = encodeState(s);
    const keys = Object.keys(JSON.parse(text));
    expect(keys.slice(0, 8)).toEqual(['provider', 'external_id', 'transcript_path', 'cwd', 'pid', 'parent_pid', 'inbox_path', 'started_at']);
    expect(text).toMatch(/^\{\n {2}"provider": "claude-code",\n/);
    expect(text.endsWith('}')).toBe(true);
    expect(isRfc3339(s.startedAt)).toBe(true);
    expect(decodeState(text, 'x')).toMatchObject({ externalId: 'sid-1', parentPid: 99, pid: process.pid });
    // Optional keys are omitted when empty, as Go's omitempty does.
    const bare = JSON.parse(encodeState({ ...s, parentPid: 0, provider: '' }));
    expect(bare).not.toHaveProperty('parent_pid');
    expect(bare).not.toHaveProperty('provider');
  });

  it('saves 0600 in a 0700 dir atomically, even with a permissive umask', () => {
    const old = process.umask(0o000);
    try {
      const s = newStateForProvider('plain', 'perm-1', '/t', '/w');
      saveState(s);
      const path = getStatePathForProvider('plain', 'perm-1');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(getSyncDir(), 'plain')).mode & 0o777).toBe(0o700);
      expect(readFileSync(path, 'utf8')).toBe(encodeState(s));
    } finally {
      process.umask(old);
    }
  });

  it('rejects malformed state files with a clear message', () => {
    expect(() => decodeState('{', 'f.json')).toThrow('invalid state file f.json: not JSON');
    expect(() => decodeState('{"external_id":"a","pid":"1","started_at":"2026-01-01T00:00:00Z"}', 'f')).toThrow(/"pid" must be/);
    expect(() => decodeState('{"external_id":"a","pid":1,"started_at":"yesterday"}', 'f')).toThrow(/RFC 3339/);
    // The same parser as the store's: what Go's time.Time refuses is refused here too.
    for (const time of ['2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01t00:00:00z']) {
      expect(() => decodeState(`{"external_id":"a","pid":1,"started_at":"${time}"}`, 'f'), time).toThrow(/RFC 3339/);
    }
    expect(decodeState('{"external_id":"a","pid":1,"started_at":"2026-01-01T00:00:00.1234567891Z"}', 'f').startedAt).toBe('2026-01-01T00:00:00.1234567891Z');
  });

  it('records the daemon start time so a reused PID is not mistaken for the daemon', () => {
    const s = newStateForProvider('plain', 'pr', '/t', '/w');
    expect(s.pidStartTime).toBe(processStartTime(process.pid));
    expect(isDaemonRunning(s)).toBe(true);
    expect(isDaemonRunning({ ...s, pidStartTime: 'linux:1' })).toBe(false);
    expect(isDaemonRunning({ ...s, pidStartTime: undefined })).toBe(true);
  });
});

describe('legacy fallback (a provider with a legacy flat layout)', () => {
  const id = 'legacy-sess-0001';
  const namespaced = () => getStatePathForProvider('test-agent', id);
  const legacy = () => join(getSyncDir(), `${id}.json`);
  const write = (path: string, pid: number, provider?: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, goStateJson({ ...(provider ? { provider } : {}), id, pid, inbox: `${path}.inbox` }));
  };

  it('namespaced only → namespaced', async () => {
    write(namespaced(), process.pid, 'test-agent');
    expect((await loadStateForProvider('test-agent', id))?.loadedFrom).toBe(namespaced());
  });

  it('legacy only → legacy, with the provider filled in', async () => {
    write(legacy(), process.pid);
    const s = await loadStateForProvider('test-agent', id);
    expect(s?.loadedFrom).toBe(legacy());
    expect(s?.provider).toBe('test-agent');
  });

  it('namespaced dead + legacy alive → legacy', async () => {
    write(namespaced(), await deadPid(), 'test-agent');
    const live = livePid();
    try {
      write(legacy(), live.pid);
      expect((await loadStateForProvider('test-agent', id))?.loadedFrom).toBe(legacy());
    } finally {
      live.kill();
    }
  });

  it('both dead → the namespaced (stale) one', async () => {
    write(namespaced(), await deadPid(), 'test-agent');
    write(legacy(), await deadPid());
    expect((await loadStateForProvider('test-agent', id))?.loadedFrom).toBe(namespaced());
  });

  it('a provider without a legacy rule never reads the flat file', async () => {
    write(legacy(), process.pid);
    expect(await loadStateForProvider('plain-unknown', id)).toBeUndefined();
  });

  it('lists namespaced and legacy states, and deleting removes the file each came from', async () => {
    write(namespaced(), process.pid, 'test-agent');
    write(legacy(), process.pid);
    write(getStatePathForProvider('other', 'o-1'), process.pid, 'other');
    writeFileSync(join(getSyncDir(), 'stray-notes.txt'), 'x');
    const states = await listAllStates();
    const from = states.map((s) => s.loadedFrom).sort();
    expect(from).toEqual([legacy(), namespaced(), getStatePathForProvider('other', 'o-1')].sort());
    const legacyState = states.find((s) => s.loadedFrom === legacy());
    // Claude Code (built in) declares the same flat layout and, first by name, owns such files.
    expect(legacyState?.provider).toBe('claude-code');
    deleteState(legacyState!, { withInbox: true });
    expect(existsSync(legacy())).toBe(false);
    expect(existsSync(namespaced())).toBe(true);
  });
});
