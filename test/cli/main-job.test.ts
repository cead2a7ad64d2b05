import { cpSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { REPO_ROOT, useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

const FIXTURE = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
const FIXTURE_SESSION = '958a0291-14d6-41d4-abad-e3757ff1ad70';

/** Settings a user already had before confab: confab must leave them as they were. */
const USER_SETTINGS = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test)'] },
  hooks: { Stop: [{ hooks: [{ type: 'command', command: '~/bin/notify-done' }] }] },
};

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Run the hook command Claude Code would run, exactly as written in settings.json. */
async function runInstalledHook(sbx: Sandbox, event: 'SessionStart' | 'SessionEnd', payload: string) {
  const settings = json<{ hooks: Record<string, { hooks: { command: string }[] }[]> }>(readFileSync(join(sbx.claudeDir, 'settings.json'), 'utf8'));
  const command = settings.hooks[event]?.flatMap((g) => g.hooks.map((h) => h.command)).find((c) => c.includes(' hook '));
  expect(command).toBeDefined();
  return sbx.exec('sh', ['-c', command as string], { input: payload });
}

async function storeSummary(sbx: Sandbox) {
  const store = await FileStore.open(join(sbx.confabDir, 'store'));
  try {
    const sessions = await store.listSessions();
    const out = new Map<string, { id: string; chunks: Record<string, number>; lines: Record<string, number>; events: number }>();
    for (const s of sessions) {
      out.set(s.external_id, {
        id: s.session_id,
        chunks: Object.fromEntries(s.files.map((f) => [f.file_name, f.chunk_count])),
        lines: Object.fromEntries(s.files.map((f) => [f.file_name, f.last_synced_line])),
        events: (await store.listEvents(s.session_id)).length,
      });
    }
    return out;
  } finally {
    await store.close();
  }
}

/** 20 sessions from before confab was set up: real transcripts with a sub-agent, days old. */
function writePriorSessions(sbx: Sandbox): string[] {
  const project = join(sbx.claudeDir, 'projects', '-work-older');
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    ids.push(id);
    mkdirSync(join(project, id, 'subagents'), { recursive: true });
    const main = readFileSync(join(FIXTURE, `${FIXTURE_SESSION}.jsonl`), 'utf8').replaceAll(FIXTURE_SESSION, id);
    writeFileSync(join(project, `${id}.jsonl`), main);
    cpSync(join(FIXTURE, FIXTURE_SESSION, 'subagents', 'agent-aa8934ac9a2623aee.jsonl'), join(project, id, 'subagents', 'agent-aa8934ac9a2623aee.jsonl'));
    const when = new Date(Date.now() - (i + 2) * 86_400_000);
    utimesSync(join(project, `${id}.jsonl`), when, when);
  }
  return ids;
}

interface ListOut {
  sessions: { id: string; title: string | null; sync: { state: string; localLines: number; syncedLines: number } }[];
}
interface SaveOut {
  sessions: number;
  uploaded: number;
  upToDate: number;
  failed: number;
  chunks: number;
  lines: number;
  errors: number;
  results: { id: string; outcome: string }[];
}

describe('the main job, as a user does it', () => {
  it('setup → a session through the hooks → list → save --all (twice) → download → hooks remove', async () => {
    const sbx = sandbox();
    mkdirSync(sbx.claudeDir, { recursive: true });
    const settingsPath = join(sbx.claudeDir, 'settings.json');
    writeFileSync(settingsPath, JSON.stringify(USER_SETTINGS, null, 2));

    // 1. setup: no server given → the embedded store; Claude Code is detected by ~/.claude.
    const setup = await sbx.run(['setup']);
    // No warning: stderr holds only the hints on how to go on.
    expect(setup.stderr.trim().split('\n')).toEqual(['New sessions are now synced as they happen. Back up the ones you already have with: confab save --all', 'Undo with: confab hooks remove']);
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain(`Sessions go to the local store: ${join(sbx.confabDir, 'store')}`);
    expect(setup.stdout).toContain(`Claude Code: installed hooks in ${settingsPath}`);
    expect(setup.stderr).toContain('Undo with: confab hooks remove');
    expect(existsSync(join(sbx.confabDir, 'store', 'store.json'))).toBe(true);
    const hooked = json<{ model: string; hooks: Record<string, unknown> }>(readFileSync(settingsPath, 'utf8'));
    expect(hooked.model).toBe('opus');
    expect(Object.keys(hooked.hooks).sort()).toEqual(['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'Stop', 'UserPromptSubmit']);

    // 2. a real Claude Code session, replayed, through the installed hook commands.
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    const start = await runInstalledHook(sbx, 'SessionStart', session.payload('SessionStart'));
    expect(start.code).toBe(0);
    expect(json(start.stdout)).toMatchObject({ continue: true });
    session.appendMainUntil(session.agentReferenceLine);
    session.appendAgent(10);

    const status = await sbx.run(['sync', 'status', '--json']);
    expect(status.code).toBe(0);
    const daemons = json<{ daemons: { session: string; provider: string; running: boolean; pid: number }[] }>(status.stdout).daemons;
    expect(daemons).toEqual([expect.objectContaining({ session: session.sessionId, provider: 'claude-code', running: true })]);

    session.appendRest();
    const end = await runInstalledHook(sbx, 'SessionEnd', session.payload('SessionEnd'));
    expect(end.code).toBe(0);
    await waitFor(() => sbx.strayPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });

    // 3. list: the session is there, synced (transcript and sub-agent lines all held).
    const list = await sbx.run(['list', '--json']);
    expect(list.code).toBe(0);
    const listed = json<ListOut>(list.stdout).sessions;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: session.sessionId, sync: { state: 'synced', localLines: 90, syncedLines: 90 } });
    const table = await sbx.run(['list']);
    expect(table.stdout).toMatch(new RegExp(`^${session.sessionId.slice(0, 8)}\\s.*\\s+synced$`, 'm'));

    // 4. save --all: 20 sessions from before setup; the live one is already backed up.
    const prior = writePriorSessions(sbx);
    const listBefore = json<ListOut>((await sbx.run(['list', '--json'])).stdout).sessions;
    expect(listBefore.filter((s) => s.sync.state === 'not-synced')).toHaveLength(20);
    const save = await sbx.run(['save', '--all', '--json'], { timeoutMs: 60_000 });
    expect(save.stderr).toBe('');
    expect(save.code).toBe(0);
    const saved = json<SaveOut>(save.stdout);
    expect(saved).toMatchObject({ sessions: 21, uploaded: 20, upToDate: 1, failed: 0, errors: 0, lines: 20 * 90 });
    const afterFirst = await storeSummary(sbx);
    for (const id of prior) {
      expect(afterFirst.get(id)?.lines).toEqual({ [`${id}.jsonl`]: 65, 'agent-aa8934ac9a2623aee.jsonl': 25 });
    }
    const listAfter = json<ListOut>((await sbx.run(['list', '--json'])).stdout).sessions;
    expect(listAfter.map((s) => s.sync.state)).toEqual(Array(21).fill('synced'));

    // …and again: nothing is re-uploaded.
    const again = await sbx.run(['save', '--all', '--json'], { timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    expect(json<SaveOut>(again.stdout)).toMatchObject({ sessions: 21, uploaded: 0, upToDate: 21, chunks: 0, lines: 0 });
    expect(await storeSummary(sbx)).toEqual(afterFirst);
    // save records no events; the live session has exactly its session_end.
    expect(afterFirst.get(session.sessionId)?.events).toBe(1);
    expect(prior.every((id) => afterFirst.get(id)?.events === 0)).toBe(true);

    // 5. session download: byte-identical to the files on disk.
    const out = sbx.dir('download');
    const dl = await sbx.run(['session', 'download', session.sessionId.slice(0, 8), '--output-dir', out]);
    expect(dl.code).toBe(0);
    expect(readFileSync(join(out, `${session.sessionId}.jsonl`))).toEqual(readFileSync(session.transcriptPath));
    expect(readFileSync(join(out, `agent-${session.agentId}.jsonl`))).toEqual(readFileSync(session.agentPath));

    // 6. hooks remove: settings.json is what the user had.
    const remove = await sbx.run(['hooks', 'remove']);
    expect(remove.code).toBe(0);
    expect(json(readFileSync(settingsPath, 'utf8'))).toEqual(USER_SETTINGS);
  }, 180_000); // about twenty CLI runs and a daemon's whole life: minutes on a loaded machine
});
