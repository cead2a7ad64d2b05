import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeState, newState } from '../../src/format/state.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { storedEvents, storedFile } from '../helpers/local-store.js';
import { useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { mkdirSync, writeFileSync } from 'node:fs';

const sandbox = useSandbox();

function daemonGone(sbx: Sandbox, id: string): boolean {
  return !existsSync(join(sbx.confabDir, 'sync', 'claude-code', `${id}.json`)) && sbx.strayPids().length === 0;
}

describe('a Claude Code session end to end through the real CLI', () => {
  it('syncs the transcript and a sub-agent exactly once, and records session_end with the SessionEnd payload', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);

    // Real Claude Code fires SessionStart before the transcript exists.
    const start = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout)).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    expect(start.stderr).toContain('sync daemon started in background');

    session.appendMainUntil(session.agentReferenceLine);
    session.appendAgent(10);
    await waitFor(async () => (await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`))?.length, {
      what: 'the first lines to reach the store',
      timeoutMs: 20_000,
    });
    session.appendRest();
    // Lines written in the session's last moment reach the backend through the final sync.
    session.appendRaw('main', JSON.stringify({ type: 'last-prompt', lastPrompt: 'bye', sessionId: session.sessionId }));

    const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    expect(end.code).toBe(0);
    expect(JSON.parse(end.stdout)).toMatchObject({ continue: true });
    await waitFor(() => daemonGone(sbx, session.sessionId), { what: 'the daemon to finish and clean up', timeoutMs: 20_000 });

    expect(await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`)).toEqual(readFileSync(session.transcriptPath));
    expect(await storedFile(sbx, session.sessionId, `agent-${session.agentId}.jsonl`)).toEqual(readFileSync(session.agentPath));
    const events = await storedEvents(sbx, session.sessionId);
    expect(events).toHaveLength(1);
    expect(events[0]?.event_type).toBe('session_end');
    expect(events[0]?.payload).toEqual(JSON.parse(session.payload('SessionEnd')));
    expect(existsSync(join(sbx.confabDir, 'sync', 'claude-code', `${session.sessionId}.inbox.jsonl`))).toBe(false);
  });

  it('redacts secrets before they leave the machine, leaving every other line byte-identical', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(4);
    await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    // A token shaped like a real GitHub PAT (random, with a valid-looking body), in a tool result.
    const token = `ghp_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`;
    const secretLine = JSON.stringify({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: `export GITHUB_TOKEN=${token}` }] }, toolUseResult: { stdout: `export GITHUB_TOKEN=${token}`, stderr: '' } });
    session.appendRaw('main', secretLine);
    session.appendMain(3);
    await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    await waitFor(() => daemonGone(sbx, session.sessionId), { what: 'the daemon to finish', timeoutMs: 20_000 });
    const stored = (await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`))?.toString() ?? '';
    const source = readFileSync(session.transcriptPath, 'utf8');
    expect(stored).not.toContain(token);
    expect(stored).toContain('[REDACTED:GITHUB_TOKEN]');
    const storedLines = stored.split('\n');
    const sourceLines = source.split('\n');
    expect(storedLines).toHaveLength(sourceLines.length);
    const changed = sourceLines.flatMap((l, i) => (l === storedLines[i] ? [] : [i]));
    expect(changed).toEqual([sourceLines.indexOf(secretLine)]);
  });

  it('stops a daemon that an older install recorded at the legacy flat path, and reaps stale legacy files', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(5);
    await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    const statePath = join(sbx.confabDir, 'sync', 'claude-code', `${session.sessionId}.json`);
    await waitFor(async () => (await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`))?.length, { what: 'first sync', timeoutMs: 20_000 });
    // Move the daemon's state to where an older install kept it.
    const legacyPath = join(sbx.confabDir, 'sync', `${session.sessionId}.json`);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
    delete state.provider;
    writeFileSync(legacyPath, JSON.stringify(state, null, 2));
    const { rmSync } = await import('node:fs');
    rmSync(statePath);

    // A stale legacy file from a long-dead daemon.
    const stale = newState({ provider: '', externalId: 'dead-legacy-session', transcriptPath: '/t', cwd: '/w', inboxPath: join(sbx.confabDir, 'sync', 'dead-legacy-session.inbox.jsonl'), pid: 999_999 });
    stale.startedAt = '2026-01-01T00:00:00.000000000+01:00';
    delete stale.pidStartTime;
    mkdirSync(join(sbx.confabDir, 'sync'), { recursive: true });
    writeFileSync(join(sbx.confabDir, 'sync', 'dead-legacy-session.json'), encodeState(stale));

    session.appendRest();
    const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    expect(end.stderr).not.toContain('no daemon found');
    await waitFor(() => sbx.strayPids().length === 0, { what: 'the legacy daemon to exit', timeoutMs: 20_000 });
    expect(await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`)).toEqual(readFileSync(session.transcriptPath));
    expect((await storedEvents(sbx, session.sessionId)).length).toBe(1);

    // The next session start reaps the stale legacy file.
    const other = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: '00000000-0000-4000-8000-00000000abcd' });
    await sbx.run(['hook', 'session-start'], { input: other.payload('SessionStart') });
    expect(existsSync(join(sbx.confabDir, 'sync', 'dead-legacy-session.json'))).toBe(false);
    expect(existsSync(legacyPath)).toBe(false);
  });
});
