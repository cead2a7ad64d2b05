import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDaemonHooks } from 'confab-cli';
import type { ChunkContext, ChunkRequest, DiscoverContext, ProcessInfo, TrackedFileSpec } from 'confab-cli/provider';
import { cursor, projectDirName, transcriptPathFor } from '../src/index.js';
import { findCursorParentPid, isCursorProcess } from '../src/parent-process.js';
import { scanCursorSessions } from '../src/session-scan.js';
import { clipUtf8, userTextOfLine } from '../src/transcript.js';

const ID = '3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f';
let dir: string;
let previous: string | undefined;
beforeEach(() => {
  previous = process.env.CONFAB_CURSOR_DIR;
  dir = mkdtempSync(join(tmpdir(), 'confab-cursor-'));
  process.env.CONFAB_CURSOR_DIR = dir;
});
afterEach(() => {
  if (previous === undefined) delete process.env.CONFAB_CURSOR_DIR;
  else process.env.CONFAB_CURSOR_DIR = previous;
});

const userLine = (text: string) => JSON.stringify({ role: 'user', message: { content: [{ type: 'text', text }] } });

function writeTranscript(root: string, id: string, lines: string[]): string {
  const path = transcriptPathFor(root, id);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}

describe('hook payloads', () => {
  it('derives the transcript at sessionStart from the first workspace root, as Cursor lays it out', () => {
    expect(projectDirName('/Users/a/dev/x')).toBe('Users-a-dev-x');
    expect(projectDirName('/home/ü/my  app/')).toBe('home-my-app');
    const input = cursor.parseHookInput('session-start', { session_id: ID, workspace_roots: ['/Users/a/dev/x', '/other'], transcript_path: null }, { validateTranscript: true });
    expect(input).toMatchObject({ sessionId: ID, cwd: '/Users/a/dev/x', transcriptPath: join(dir, 'projects', 'Users-a-dev-x', 'agent-transcripts', ID, `${ID}.jsonl`) });
  });

  it('takes sessionEnd’s transcript path, and refuses one outside Cursor’s projects or with ..', () => {
    const path = transcriptPathFor('/w', ID);
    expect(cursor.parseHookInput('session-end', { session_id: ID, transcript_path: path, reason: 'completed' }, { validateTranscript: true }).transcriptPath).toBe(path);
    const bad = (payload: unknown, event: 'session-start' | 'session-end' = 'session-end') => () => cursor.parseHookInput(event, payload, { validateTranscript: true });
    expect(bad({ session_id: ID, transcript_path: '/tmp/x.jsonl' })).toThrow('must be inside the Cursor projects directory');
    expect(bad({ session_id: ID, transcript_path: `${dir}/projects/../../x.jsonl` })).toThrow('must not contain ".."');
    expect(bad({ session_id: ID })).toThrow('"transcript_path" is required');
    expect(bad({ session_id: ID, transcript_path: null }, 'session-start')).toThrow('"workspace_roots" is required');
    expect(bad({ session_id: '../x', workspace_roots: ['/w'] }, 'session-start')).toThrow('"session_id" must match');
    expect(bad({ session_id: ID, workspace_roots: '/w' }, 'session-start')).toThrow('"workspace_roots" must be an array of strings');
    expect(bad([], 'session-start')).toThrow('must be a JSON object');
  });

  it('does not check the transcript of a tool hook, and answers {}', () => {
    const input = cursor.parseHookInput('pre-tool-use', { session_id: ID, tool_name: 'Shell', tool_input: { command: 'ls', cwd: '/w' }, workspace_roots: ['/w'] }, { validateTranscript: false });
    expect(input.cwd).toBe('/w');
    expect(cursor.hookResponse('pre-tool-use', {})).toEqual({});
    expect(cursor.hookResponse('session-start', { systemMessage: 'x' })).toEqual({});
  });
});

describe('which process is Cursor', () => {
  it.each<[string, { comm: string; argv: string[] }, boolean]>([
    ['cursor-agent', { comm: 'cursor-agent', argv: ['cursor-agent'] }, true],
    ['cursor-agent run by node', { comm: 'node', argv: ['/home/u/.local/share/cursor-agent/versions/2025.1/node', '/home/u/.local/share/cursor-agent/versions/2025.1/index.js'] }, true],
    ['the Linux IDE', { comm: 'cursor', argv: ['/usr/share/cursor/cursor', '--type=zygote'] }, true],
    ['a macOS helper', { comm: 'Cursor Helper (Plugin)', argv: ['/Applications/Cursor.app/Contents/Frameworks/Cursor Helper (Plugin).app/Contents/MacOS/Cursor Helper (Plugin)'] }, true],
    ['the shell running the hook', { comm: 'sh', argv: ['sh', '-c', '/opt/confab hook session-start --provider cursor'] }, false],
    ['confab’s own hook process', { comm: 'node', argv: ['node', '/opt/confab/bin/run.js', 'hook', 'session-start', '--provider', 'cursor'] }, false],
    ['a script under ~/.cursor', { comm: 'node', argv: ['node', '/home/u/.cursor/extensions/x/main.js'] }, false],
  ])('%s → %s', (_label, proc, expected) => {
    expect(isCursorProcess(proc)).toBe(expected);
  });

  it('walks up past the shell to Cursor, and gives 0 when none', async () => {
    const table = new Map<number, ProcessInfo>([
      [90, { pid: 90, ppid: 80, comm: 'sh', argv: ['sh', '-c', 'confab hook session-start --provider cursor'] }],
      [80, { pid: 80, ppid: 1, comm: 'cursor-agent', argv: ['cursor-agent'] }],
      [50, { pid: 50, ppid: 1, comm: 'bash', argv: ['-bash'] }],
    ]);
    const lookup = async (pid: number) => table.get(pid);
    expect(await findCursorParentPid(90, lookup)).toBe(80);
    expect(await findCursorParentPid(50, lookup)).toBe(0);
  });
});

describe('transcripts', () => {
  it('reads the prompt of a user line, unwrapped', () => {
    expect(userTextOfLine(userLine('<user_query>\nfix it\n</user_query>'))).toBe('fix it');
    expect(userTextOfLine(JSON.stringify({ role: 'assistant', message: { content: [{ type: 'text', text: 'x' }] } }))).toBeUndefined();
    expect(userTextOfLine('{"type":"turn_ended"}')).toBeUndefined();
    expect(userTextOfLine('not json')).toBeUndefined();
  });

  it('cuts UTF-8 text without splitting a character', () => {
    expect(clipUtf8('ab€€', 8)).toBe('ab€€');
    expect(clipUtf8('ab€€€', 8)).toBe('ab€...');
    expect(clipUtf8('ab€€€', 7)).toBe('ab...');
    expect(Buffer.byteLength(clipUtf8('é'.repeat(100), 51))).toBeLessThanOrEqual(51);
  });

  it('lists root sessions newest first with their titles, sub-agents excluded', async () => {
    const older = writeTranscript('/w/a', 'aaaa-1', [userLine('<user_query>first task</user_query>')]);
    utimesSync(older, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    const newer = writeTranscript('/w/b', 'bbbb-2', [userLine('second')]);
    mkdirSync(join(dirname(newer), 'subagents'));
    writeFileSync(join(dirname(newer), 'subagents', 'sub-1.jsonl'), `${userLine('sub')}\n`);
    mkdirSync(join(dir, 'chats', 'h1', 'bbbb-2'), { recursive: true });
    writeFileSync(join(dir, 'chats', 'h1', 'bbbb-2', 'meta.json'), JSON.stringify({ title: 'Named chat' }));
    const found = await scanCursorSessions();
    expect(found.map((s) => [s.externalId, s.title, s.project])).toEqual([
      ['bbbb-2', 'Named chat', 'w-b'],
      ['aaaa-1', 'first task', 'w-a'],
    ]);
  });
});

describe('daemon taps', () => {
  it('follows sub-agent transcripts and annotates transcript chunks', async () => {
    const path = writeTranscript('/w', ID, [userLine('<user_query>token sk-secret here</user_query>')]);
    const sub = join(dirname(path), 'subagents');
    mkdirSync(sub);
    writeFileSync(join(sub, 's1.jsonl'), '{}\n');
    writeFileSync(join(sub, 's1.meta.json'), '{}');
    mkdirSync(join(sub, 'nested.jsonl'));
    const hooks = createDaemonHooks();
    const session = { provider: 'cursor', externalId: ID, transcriptPath: path, cwd: '/w' };
    cursor.apply?.({ hooks, ...session });
    const root: TrackedFileSpec = { path, name: `${ID}.jsonl`, type: 'transcript' };
    const discoverCtx: DiscoverContext = { ...session, tracked: new Map([[root.name, root]]), round: 0, capabilities: async () => ({ workflow_files: false, workflow_journal: false, opencode_subagents: false }) };
    expect(await hooks.discoverFiles.promise([root], discoverCtx)).toEqual([root, { path: join(sub, 's1.jsonl'), name: 'subagents/s1.jsonl', type: 'agent' }]);

    const chunkCtx = (file: TrackedFileSpec, rawLines: string[]): ChunkContext => ({ ...session, file, rawLines, redactMetadata: (v) => v.replace('sk-secret', '[REDACTED]'), linkSummary: async () => {} });
    const req = (file: TrackedFileSpec, first: number, lines: string[]): ChunkRequest => ({ session_id: 's', file_name: file.name, file_type: file.type, first_line: first, lines });
    const lines = [userLine('<user_query>token sk-secret here</user_query>')];
    const first = await hooks.chunk.promise(req(root, 1, lines), chunkCtx(root, lines));
    expect(first.metadata).toMatchObject({ first_user_message: 'token [REDACTED] here' });
    expect(first.metadata?.latest_message_at).toMatch(/Z$/);
    const later = await hooks.chunk.promise(req(root, 2, [userLine('again')]), chunkCtx(root, [userLine('again')]));
    expect(later.metadata?.first_user_message).toBeUndefined();
    const agent: TrackedFileSpec = { path: join(sub, 's1.jsonl'), name: 'subagents/s1.jsonl', type: 'agent' };
    expect((await hooks.chunk.promise(req(agent, 1, lines), chunkCtx(agent, lines))).metadata).toBeUndefined();
  });
});
