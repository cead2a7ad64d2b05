import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { CONFAB_BIN, freePort, useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();


async function held(storeDir: string, externalId: string) {
  const store = await FileStore.open(storeDir);
  try {
    const s = (await store.listSessions()).find((x) => x.external_id === externalId);
    if (!s) return undefined;
    const files: Record<string, Buffer> = {};
    for (const f of s.files) files[f.file_name] = await store.readFile(s.session_id, f.file_name);
    return { files, events: await store.listEvents(s.session_id) };
  } finally {
    await store.close();
  }
}

describe('sessions are never silently dropped', () => {
  it('backend down for the whole session: recorded as pending, resumed by a later hook once it is back', async () => {
    const sbx = sandbox();
    const served = sbx.dir('served');
    const key = (await sbx.run(['serve', 'keys', 'create', 'me', '--store', served])).stdout.trim();
    const port = await freePort();
    mkdirSync(sbx.confabDir, { recursive: true });
    writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ backend_url: `http://127.0.0.1:${port}`, api_key: key }));

    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(5);
    await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    session.appendRest();
    await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    const pendingFile = join(sbx.confabDir, 'pending', 'claude-code', `${session.sessionId}.json`);
    await waitFor(() => existsSync(pendingFile) && sbx.daemonPids().length === 0, { what: 'the session to be recorded as pending', timeoutMs: 20_000 });
    const record = JSON.parse(readFileSync(pendingFile, 'utf8')) as { session_end?: { hook_input?: unknown } };
    expect(record.session_end?.hook_input).toEqual(JSON.parse(session.payload('SessionEnd')));
    const status = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { pending: { session: string; sessionEndOwed: boolean }[] };
    expect(status.pending).toMatchObject([{ session: session.sessionId, sessionEndOwed: true }]);
    expect((await sbx.run(['status'])).stdout).toContain('Pending:   1 session(s)');

    // The backend comes back; the next hook of any session resumes the pending one.
    const server = sbx.spawn(process.execPath, [CONFAB_BIN, 'serve', '--port', String(port), '--store', served], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false)), { what: 'serve to start', timeoutMs: 15_000 });
      const other = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: '11111111-2222-4333-8444-555555555555' });
      const hook = await sbx.run(['hook', 'user-prompt-submit'], { input: other.payload('UserPromptSubmit') });
      expect(hook.stderr).toContain('resuming 1 pending session');
      // (The other session's own daemon keeps waiting for its transcript; only the resume matters.)
      await waitFor(async () => !existsSync(pendingFile) && (await held(served, session.sessionId))?.events.length === 1, { what: 'the resume to finish', timeoutMs: 30_000 });
      const got = await held(served, session.sessionId);
      expect(got?.files[`${session.sessionId}.jsonl`]).toEqual(readFileSync(session.transcriptPath));
      expect(got?.files[`agent-${session.agentId}.jsonl`]).toEqual(readFileSync(session.agentPath));
      expect(got?.events.map((e) => e.payload)).toEqual([JSON.parse(session.payload('SessionEnd'))]);
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('a daemon killed with SIGKILL mid-session: its SessionEnd records the session and resumes it at once', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(5);
    await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    const [pid] = await waitFor(() => (sbx.daemonPids().length ? sbx.daemonPids() : undefined), { what: 'the daemon' });
    process.kill(pid!, 'SIGKILL');
    session.appendRest();
    const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    expect(end.stderr).toContain('finished in the background');
    await waitFor(() => !existsSync(join(sbx.confabDir, 'pending', 'claude-code', `${session.sessionId}.json`)) && sbx.daemonPids().length === 0, {
      what: 'the resume to finish',
      timeoutMs: 30_000,
    });
    const got = await held(join(sbx.confabDir, 'store'), session.sessionId);
    expect(got?.files[`${session.sessionId}.jsonl`]).toEqual(readFileSync(session.transcriptPath));
    expect(got?.files[`agent-${session.agentId}.jsonl`]).toEqual(readFileSync(session.agentPath));
    expect(got?.events).toHaveLength(1);
    // The background drain owns no state: it leaves no readiness marker of its own behind.
    const ready = join(sbx.confabDir, 'sync', 'claude-code', `${session.sessionId}.json.ready`);
    if (existsSync(ready)) expect(readFileSync(ready, 'utf8').trim()).toBe(String(pid));
  });

  it('a machine restart (every daemon killed, states left): the next session start reaps and finishes them', async () => {
    const sbx = sandbox();
    const sessions = [0, 1, 2].map((i) => new ReplayedClaudeSession(sbx.claudeDir, { sessionId: `aaaaaaaa-0000-4000-8000-00000000000${i}` }));
    for (const s of sessions) {
      s.appendMain(4);
      await sbx.run(['hook', 'session-start'], { input: s.payload('SessionStart') });
    }
    await waitFor(() => sbx.daemonPids().length === 3, { what: 'three daemons' });
    for (const pid of sbx.daemonPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // Gone between the listing and the signal: as dead as a killed one. Whether it left its
        // state (and so a pending session) is what the assertions below check.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    for (const s of sessions) s.appendRest();
    // States are left behind; the reaper only touches states older than 5 s.
    await new Promise((r) => setTimeout(r, 5500));
    const fresh = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: 'bbbbbbbb-0000-4000-8000-000000000000' });
    const hook = await sbx.run(['hook', 'session-start'], { input: fresh.payload('SessionStart') });
    expect(hook.stderr).toContain('resuming 3 pending session');
    await waitFor(() => pendingCount(sbx) === 0, { what: 'every pending session to be finished', timeoutMs: 40_000 });
    for (const s of sessions) {
      const got = await held(join(sbx.confabDir, 'store'), s.sessionId);
      expect(got?.files[`${s.sessionId}.jsonl`]).toEqual(readFileSync(s.transcriptPath));
    }
  });
});

function pendingCount(sbx: Sandbox): number {
  const dir = join(sbx.confabDir, 'pending', 'claude-code');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).length : 0;
}
