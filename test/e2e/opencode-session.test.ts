/**
 * An OpenCode session end to end through the real hook commands, as confab's OpenCode plugin
 * runs them: a database built at test time stands for OpenCode's, a process named `opencode`
 * for OpenCode itself. Against the embedded store and against `confab serve` over HTTP.
 */
import { existsSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { assistantInfo, buildSessionTree, CHILD_ID, OpencodeDb, ROOT_ID } from '../../plugins/opencode/test/fixtures.js';
import { startServe } from '../serve/serve-process.js';
import { useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

async function held(storeDir: string, externalId: string) {
  if (!existsSync(storeDir)) return undefined;
  const store = await FileStore.open(storeDir);
  try {
    const matches = (await store.listSessions()).filter((x) => x.external_id === externalId);
    const s = matches[0];
    if (!s) return undefined;
    const files: Record<string, { type: string; text: string }> = {};
    for (const f of s.files) files[f.file_name] = { type: f.file_type, text: (await store.readFile(s.session_id, f.file_name)).toString('utf8') };
    return { sessions: matches.length, session: s, files, events: await store.listEvents(s.session_id) };
  } finally {
    await store.close();
  }
}

const ids = (text: string | undefined) => (text ?? '').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { info: { id: string } }).info.id);

/** A long-lived process named `opencode` (the daemon watches it). */
function fakeOpencode(sbx: Sandbox): number {
  const bin = sbx.dir('bin');
  symlinkSync(process.execPath, join(bin, 'opencode'));
  const child = sbx.spawn(join(bin, 'opencode'), ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  if (!child.pid) throw new Error('could not start the stand-in OpenCode');
  return child.pid;
}

async function runSession(sbx: Sandbox, storeDir: string): Promise<void> {
  const oc = new OpencodeDb(join(sbx.home, '.local', 'share', 'opencode', 'opencode.db'));
  try {
    buildSessionTree(oc, '/work/project');
    const pid = fakeOpencode(sbx);

    // A resumed session: OpenCode fires no session.created, so the plugin's first call comes from
    // a reconcile event, without the directory (read from the database).
    const start = await sbx.run(['hook', 'session-start', '--provider', 'opencode'], { input: JSON.stringify({ session_id: ROOT_ID, cwd: '', parent_pid: pid }) });
    expect(start.code).toBe(0);
    expect(start.stderr).toContain('OpenCode sync daemon started in background');
    // Another event for the same session: nothing more is started.
    const again = await sbx.run(['hook', 'session-start', '--provider', 'opencode'], { input: JSON.stringify({ session_id: ROOT_ID, cwd: '/work/project', parent_pid: pid }) });
    expect(again.stderr).toContain('already running');
    // The child's own events, with and without parent_id in the payload: no daemon of its own.
    for (const payload of [{ session_id: CHILD_ID, cwd: '/work/project', parent_pid: pid, parent_id: ROOT_ID }, { session_id: CHILD_ID, cwd: '', parent_pid: pid }]) {
      const child = await sbx.run(['hook', 'session-start', '--provider', 'opencode'], { input: JSON.stringify(payload) });
      expect(child.stderr).toContain('provider declined this session');
    }

    await waitFor(async () => {
      const got = await held(storeDir, ROOT_ID);
      return ids(got?.files['messages.jsonl']?.text).length === 3 && ids(got?.files[`opencode/${CHILD_ID}/messages.jsonl`]?.text).length === 2;
    }, { what: 'the finished messages and the child session to sync', timeoutMs: 30_000 });

    // The streaming answer finishes just before OpenCode unloads the session: only the final sync carries it.
    oc.update('msg_06', assistantInfo('msg_05', 'stop', 1_750_000_005_000));
    const end = await sbx.run(['hook', 'session-end', '--provider', 'opencode'], { input: JSON.stringify({ session_id: ROOT_ID }) });
    expect(end.code).toBe(0);
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to stop', timeoutMs: 30_000 });

    const got = await held(storeDir, ROOT_ID);
    expect(got?.sessions).toBe(1);
    expect(got?.session.provider).toBe('opencode');
    expect(got?.session.cwd).toBe('/work/project');
    expect(got?.session.first_user_message).toBe('fix the bug in <main> & tests');
    expect(ids(got?.files['messages.jsonl']?.text)).toEqual(['msg_01', 'msg_02', 'msg_05', 'msg_06']);
    expect(got?.files['messages.jsonl']?.type).toBe('transcript');
    expect(got?.files['messages.jsonl']?.text).toBe(readFileSync(join(sbx.confabDir, 'opencode', ROOT_ID, 'messages.jsonl'), 'utf8'));
    expect(ids(got?.files[`opencode/${CHILD_ID}/messages.jsonl`]?.text)).toEqual(['msg_03', 'msg_04']);
    expect(got?.files[`opencode/${CHILD_ID}/messages.jsonl`]?.type).toBe('agent');
    expect(Object.keys(got?.files ?? {}).sort()).toEqual(['messages.jsonl', `opencode/${CHILD_ID}/messages.jsonl`]);
    expect(got?.events.map((e) => [e.event_type, e.payload])).toEqual([['session_end', { session_id: ROOT_ID }]]);
    expect(await held(storeDir, CHILD_ID)).toBeUndefined();
  } finally {
    oc.close();
  }
}

describe('an OpenCode session end to end', () => {
  it('embedded store: every finished message once, the child session as an agent file, and the session end', async () => {
    const sbx = sandbox();
    await runSession(sbx, join(sbx.confabDir, 'store'));
  });

  it('confab serve over HTTP: the same', async () => {
    const sbx = sandbox();
    const served = sbx.dir('served');
    const key = (await sbx.run(['serve', 'keys', 'create', 'me', '--store', served])).stdout.trim();
    const server = await startServe(sbx, ['--store', served]);
    try {
      mkdirSync(sbx.confabDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ backend_url: server.url, api_key: key }), { mode: 0o600 });
      await runSession(sbx, served);
    } finally {
      server.stop();
    }
  });
});
