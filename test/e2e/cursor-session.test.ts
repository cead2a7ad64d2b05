import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredEvent, StoredSession } from '../../src/store/session-store.js';
import { useE2eBackends, waitForBackendSessionId } from '../helpers/e2e-backends.js';
import { useSandbox, waitFor } from '../helpers/sandbox.js';

const sandbox = useSandbox();

const SESSION_ID = '3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f';
const SUB_ID = 'b7e1d2c3-0000-4000-8000-00000000cafe';
const WORKSPACE = '/Users/a/dev/widget app';

const line = (role: 'user' | 'assistant', text: string): string => JSON.stringify({ role, message: { content: [{ type: 'text', text }] } });
const toolLine = (command: string): string =>
  JSON.stringify({ role: 'assistant', message: { content: [{ type: 'text', text: 'Running it.' }, { type: 'tool_use', name: 'Shell', input: { command } }] } });
const TURN_ENDED = JSON.stringify({ type: 'turn_ended', status: 'completed' });

/** Where Cursor writes the session (the provider must derive the same path from the workspace root). */
function transcriptPath(cursorDir: string): string {
  return join(cursorDir, 'projects', 'Users-a-dev-widget-app', 'agent-transcripts', SESSION_ID, `${SESSION_ID}.jsonl`);
}

function append(path: string, lines: string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, lines.map((l) => `${l}\n`).join(''));
}

const startPayload = {
  session_id: SESSION_ID,
  conversation_id: SESSION_ID,
  generation_id: 'gen-1',
  model: 'claude-4.5-sonnet',
  composer_mode: 'agent',
  is_background_agent: false,
  hook_event_name: 'sessionStart',
  cursor_version: '2.1.0',
  workspace_roots: [WORKSPACE],
  user_email: 'a@example.com',
  transcript_path: null,
};

const BACKENDS = useE2eBackends();

describe.each(BACKENDS)('a Cursor session end to end through the real hook commands ($name)', (backend) => {
  it('arrives exactly once with its sub-agent, metadata and session end', async () => {
    const sbx = sandbox();
    const cursorDir = sbx.dir('cursor');
    sbx.env.CONFAB_CURSOR_DIR = cursorDir;
    const read = await backend.setup(sbx);
    const path = transcriptPath(cursorDir);
    const session = async (): Promise<StoredSession | undefined> => read(async (s) => (await s.listSessions()).find((x) => x.external_id === SESSION_ID && x.provider === 'cursor'));
    const stored = async (file: string): Promise<Buffer | undefined> =>
      read(async (s) => {
        const found = (await s.listSessions()).find((x) => x.external_id === SESSION_ID);
        return found?.files.some((f) => f.file_name === file) ? s.readFile(found.session_id, file) : undefined;
      });
    const events = async (): Promise<StoredEvent[]> =>
      read(async (s) => {
        const found = (await s.listSessions()).find((x) => x.external_id === SESSION_ID);
        return found ? s.listEvents(found.session_id) : [];
      });

    // Cursor fires sessionStart before it writes the transcript, and names none.
    const start = await sbx.run(['hook', 'session-start', '--provider', 'cursor'], { input: JSON.stringify(startPayload) });
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout)).toEqual({});
    expect(start.stderr).toContain('Cursor sync daemon started in background');

    append(path, [line('user', '<user_query>\nAdd a   widget\n</user_query>'), line('assistant', 'On it.'), toolLine('ls')]);
    await waitFor(async () => (await stored(`${SESSION_ID}.jsonl`))?.length, { what: 'the first lines to reach the backend', timeoutMs: 20_000 });

    // A sub-agent's transcript, with a sidecar file that is not one.
    const subPath = join(dirname(path), 'subagents', `${SUB_ID}.jsonl`);
    append(subPath, [line('user', 'look around'), line('assistant', 'Found it.')]);
    writeFileSync(join(dirname(path), 'subagents', `${SUB_ID}.meta.json`), '{}');
    mkdirSync(join(cursorDir, 'chats', '0a1b', SESSION_ID), { recursive: true });
    writeFileSync(join(cursorDir, 'chats', '0a1b', SESSION_ID, 'meta.json'), JSON.stringify({ schemaVersion: 1, createdAtMs: 1, hasConversation: true, title: 'Widget work', updatedAtMs: 2 }));
    append(path, [TURN_ENDED, line('user', 'thanks'), line('assistant', 'Done.')]);
    await waitFor(async () => (await stored(`subagents/${SUB_ID}.jsonl`))?.length, { what: 'the sub-agent transcript to sync', timeoutMs: 20_000 });

    // Written in the session's last moment: only the final sync can carry it.
    append(path, [TURN_ENDED]);
    append(subPath, [TURN_ENDED]);
    const endPayload = { session_id: SESSION_ID, transcript_path: path, reason: 'user_close', final_status: 'completed', duration_ms: 4200, hook_event_name: 'sessionEnd' };
    const end = await sbx.run(['hook', 'session-end', '--provider', 'cursor'], { input: JSON.stringify(endPayload) });
    expect(end.code).toBe(0);
    expect(JSON.parse(end.stdout)).toEqual({});
    expect(end.stderr).not.toContain('no daemon found');
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });

    expect(await stored(`${SESSION_ID}.jsonl`)).toEqual(readFileSync(path));
    expect(await stored(`subagents/${SUB_ID}.jsonl`)).toEqual(readFileSync(subPath));
    const s = await session();
    expect(s?.files.map((f) => [f.file_name, f.file_type]).sort()).toEqual([
      [`${SESSION_ID}.jsonl`, 'transcript'],
      [`subagents/${SUB_ID}.jsonl`, 'agent'],
    ]);
    expect(s).toMatchObject({ cwd: WORKSPACE, first_user_message: 'Add a widget', summary: 'Widget work' });
    expect(Date.parse(s?.last_message_at ?? '')).toBe(statSync(path).mtime.getTime());
    const ev = await events();
    expect(ev.map((e) => e.event_type)).toEqual(['session_end']);
    expect(ev[0]?.payload).toEqual(endPayload);
  });
});

describe.each(BACKENDS)('Cursor commit and PR links ($name)', (backend) => {
  it('rewrites a commit chain in preToolUse once the session has a page on the backend, and only then', async () => {
    const sbx = sandbox();
    const cursorDir = sbx.dir('cursor');
    sbx.env.CONFAB_CURSOR_DIR = cursorDir;
    await backend.setup(sbx);
    const command = `git add -A && git commit -m "it's done" && git push | tail -1`;
    const toolPayload = { ...startPayload, hook_event_name: 'preToolUse', tool_name: 'Shell', tool_use_id: 't1', cwd: WORKSPACE, tool_input: { command, cwd: WORKSPACE, timeout: 30000 } };
    const preToolUse = async () => {
      const res = await sbx.run(['hook', 'pre-tool-use', '--provider', 'cursor'], { input: JSON.stringify(toolPayload) });
      expect(res.code).toBe(0);
      return JSON.parse(res.stdout) as Record<string, unknown>;
    };
    // No daemon, no backend session: nothing to link to, and no permission given either way.
    expect(await preToolUse()).toEqual({});

    await sbx.run(['hook', 'session-start', '--provider', 'cursor'], { input: JSON.stringify(startPayload) });
    append(transcriptPath(cursorDir), [line('user', 'commit it')]);
    const backendId = await waitForBackendSessionId(sbx, 'cursor', SESSION_ID);

    const answer = await preToolUse();
    if (backend.name === 'the embedded store') {
      expect(answer).toEqual({});
    } else {
      const url = `${backend.web() ?? ''}/sessions/${backendId}`;
      expect(answer).toEqual({
        permission: 'allow',
        updated_input: { command: `git add -A && git commit -m "it's done" --trailer 'Confab-Link: ${url}' && git push | tail -1`, cwd: WORKSPACE, timeout: 30000 },
      });
      // Switched off by the Go CLI's variable.
      sbx.env.CONFAB_DISABLE_LINK_FROM_GITHUB = '1';
      expect(await preToolUse()).toEqual({});
    }
    await sbx.run(['hook', 'session-end', '--provider', 'cursor'], { input: JSON.stringify({ session_id: SESSION_ID, transcript_path: transcriptPath(cursorDir), reason: 'completed' }) });
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });
  });
});

describe('Cursor hooks through the real CLI', () => {
  it('refuses a sessionEnd transcript outside Cursor, in one line, answering {}', async () => {
    const sbx = sandbox();
    sbx.env.CONFAB_CURSOR_DIR = sbx.dir('cursor');
    const res = await sbx.run(['hook', 'session-end', '--provider', 'cursor'], { input: JSON.stringify({ session_id: SESSION_ID, transcript_path: '/etc/passwd.jsonl' }) });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({});
    expect(res.stderr.trim().split('\n')).toEqual([`confab: hook payload "transcript_path" must be inside the Cursor projects directory (${join(sbx.root, 'cursor', 'projects')})`]);
  });

  it('hooks add and remove give back the user’s hooks.json byte for byte; status detects Cursor', async () => {
    const sbx = sandbox();
    const cursorDir = sbx.dir('cursor');
    sbx.env.CONFAB_CURSOR_DIR = cursorDir;
    const original = '{\n  "version": 1,\n  "hooks": {\n    "sessionStart": [\n      { "command": "./audit.sh" }\n    ],\n    "stop": [{"command": "say done"}]\n  }\n}\n';
    writeFileSync(join(cursorDir, 'hooks.json'), original);

    const add = await sbx.run(['hooks', 'add', '--provider', 'cursor']);
    expect(add.code, add.stderr).toBe(0);
    const installed = JSON.parse(readFileSync(join(cursorDir, 'hooks.json'), 'utf8')) as { hooks: Record<string, { command: string }[]> };
    expect(installed.hooks.sessionStart?.[0]).toEqual({ command: './audit.sh' });
    expect(installed.hooks.sessionStart?.[1]?.command).toMatch(/ hook session-start --provider cursor$/);
    expect(Object.keys(installed.hooks).sort()).toEqual(['postToolUse', 'preToolUse', 'sessionEnd', 'sessionStart', 'stop']);

    const status = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { providers: { provider: string; detected: boolean; hooksInstalled: boolean | null }[] };
    expect(status.providers.find((p) => p.provider === 'cursor')).toMatchObject({ detected: true, hooksInstalled: true });

    const remove = await sbx.run(['hooks', 'remove', '--provider', 'cursor']);
    expect(remove.code, remove.stderr).toBe(0);
    expect(readFileSync(join(cursorDir, 'hooks.json'), 'utf8')).toBe(original);
  });
});
