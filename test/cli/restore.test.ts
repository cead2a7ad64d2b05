import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RemoteSession } from '../../src/backend/backend.js';
import { CommandError } from '../../src/cli/command-error.js';
import { restoreTargets } from '../../src/cli/restore.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { storedFile } from '../helpers/local-store.js';
import { useSandbox, waitFor, type RunResult, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

// Shaped like a real GitHub token: redaction replaces it before upload.
const TOKEN = `ghp_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`;

function oneLineError(res: RunResult, text: string): void {
  expect(res.code).not.toBe(0);
  const lines = res.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Error: /);
  expect(lines[0]).toContain(text);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

/** A replayed Claude Code session with a sub-agent and a secret, saved to the sandbox's store. */
async function savedSession(sbx: Sandbox): Promise<{ session: ReplayedClaudeSession; transcript: Buffer; agent: Buffer }> {
  const session = new ReplayedClaudeSession(sbx.claudeDir);
  session.appendMainUntil(session.agentReferenceLine);
  session.appendRaw('main', JSON.stringify({ type: 'user', message: { role: 'user', content: `export GITHUB_TOKEN=${TOKEN}` }, sessionId: session.sessionId }));
  session.appendRest();
  const save = await sbx.run(['save', session.sessionId]);
  expect(save.code, save.stderr).toBe(0);
  const transcript = await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`);
  const agent = await storedFile(sbx, session.sessionId, `agent-${session.agentId}.jsonl`);
  if (!transcript || !agent) throw new Error('the session was not stored');
  expect(transcript.includes(TOKEN)).toBe(false);
  return { session, transcript, agent };
}

/** Claude Code deleted the session: its transcript and its sub-agents' directory. */
function deleteLocal(session: ReplayedClaudeSession): void {
  rmSync(session.transcriptPath);
  rmSync(session.transcriptPath.replace(/\.jsonl$/, ''), { recursive: true });
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('confab restore', () => {
  it('writes the transcript and sub-agent files back where Claude Code keeps them, byte-identical to the store, private, and says secrets stay redacted', async () => {
    const sbx = sandbox();
    const { session, transcript, agent } = await savedSession(sbx);
    deleteLocal(session);

    const res = await sbx.run(['restore', session.sessionId]);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(session.transcriptPath)).toEqual(transcript);
    expect(readFileSync(session.agentPath)).toEqual(agent);
    expect(mode(session.transcriptPath)).toBe(0o600);
    expect(mode(session.agentPath)).toBe(0o600);
    // The directories restore made are private; the project dir it found is left alone.
    expect(mode(join(session.projectDir, session.sessionId))).toBe(0o700);
    expect(mode(join(session.projectDir, session.sessionId, 'subagents'))).toBe(0o700);
    expect(res.stderr).toContain('[REDACTED:');
    expect(res.stderr).toContain('1 line hold');
    expect(res.stdout).toContain(`Restored session ${session.sessionId} (claude-code): 2 files written, 0 already there`);
    expect(readdirSync(session.projectDir, { recursive: true }).filter((n) => String(n).endsWith('.tmp'))).toEqual([]);
  });

  it('--json lists what was written; a second run finds every file identical and changes nothing', async () => {
    const sbx = sandbox();
    const { session, transcript } = await savedSession(sbx);
    deleteLocal(session);
    const first = await sbx.run(['restore', session.sessionId.slice(0, 8), '--json']);
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout) as { externalId: string; files: Array<{ name: string; path: string; status: string; bytes: number }>; redactedLines: number };
    expect(out.externalId).toBe(session.sessionId);
    expect(out.redactedLines).toBe(1);
    expect(out.files).toEqual([
      expect.objectContaining({ name: `${session.sessionId}.jsonl`, type: 'transcript', path: session.transcriptPath, status: 'written', bytes: transcript.length }),
      expect.objectContaining({ name: `agent-${session.agentId}.jsonl`, type: 'agent', path: session.agentPath, status: 'written' }),
    ]);
    const before = statSync(session.transcriptPath);

    const again = await sbx.run(['restore', session.sessionId, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { files: Array<{ status: string }> }).files.map((f) => f.status)).toEqual(['unchanged', 'unchanged']);
    expect(statSync(session.transcriptPath).ino).toBe(before.ino);
    expect(statSync(session.transcriptPath).mtimeMs).toBe(before.mtimeMs);
  });

  it('refuses to overwrite a transcript that differs from the stored copy: one line, exit 1, every file untouched', async () => {
    const sbx = sandbox();
    const { session, transcript } = await savedSession(sbx);
    // The local transcript still holds the secret the store only has redacted; the sub-agent is gone.
    rmSync(session.transcriptPath.replace(/\.jsonl$/, ''), { recursive: true });
    const local = readFileSync(session.transcriptPath);
    oneLineError(await sbx.run(['restore', session.sessionId]), `refusing to overwrite ${session.transcriptPath}: it is longer than the stored copy`);
    expect(readFileSync(session.transcriptPath)).toEqual(local);
    expect(existsSync(session.agentPath)).toBe(false);

    // As long as the stored copy, one byte different.
    const changed = Buffer.from(transcript);
    changed[10] = changed[10] === 0x41 ? 0x42 : 0x41;
    writeFileSync(session.transcriptPath, changed);
    oneLineError(await sbx.run(['restore', session.sessionId]), `refusing to overwrite ${session.transcriptPath}: its content differs from the stored copy; nothing was restored`);
    expect(readFileSync(session.transcriptPath)).toEqual(changed);
    expect(existsSync(session.agentPath)).toBe(false);
  });

  it('refuses a file on disk that holds only the start of the stored copy, saying so', async () => {
    const sbx = sandbox();
    const { session, transcript } = await savedSession(sbx);
    deleteLocal(session);
    const prefix = transcript.subarray(0, transcript.indexOf(10) + 1);
    writeFileSync(session.transcriptPath, prefix);
    const res = await sbx.run(['restore', session.sessionId]);
    oneLineError(res, `it holds only the first ${prefix.length} of the stored ${transcript.length} bytes`);
    expect(readFileSync(session.transcriptPath)).toEqual(prefix);
    expect(existsSync(session.agentPath)).toBe(false);
  });

  it('an unknown session is a one-line error', async () => {
    const sbx = sandbox();
    await savedSession(sbx);
    oneLineError(await sbx.run(['restore', 'ffffffff-0000-4000-8000-000000000000']), 'no session "ffffffff-0000-4000-8000-000000000000" in');
  });

  it('--to DIR writes the files under DIR by their stored names', async () => {
    const sbx = sandbox();
    const { session, transcript, agent } = await savedSession(sbx);
    const dir = join(sbx.root, 'copy');
    const res = await sbx.run(['restore', session.sessionId, '--to', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(join(dir, `${session.sessionId}.jsonl`))).toEqual(transcript);
    expect(readFileSync(join(dir, `agent-${session.agentId}.jsonl`))).toEqual(agent);
    expect(mode(dir)).toBe(0o700);
  });

  it('restores into CLAUDE_CONFIG_DIR when Claude Code runs from another config dir', async () => {
    const sbx = sandbox();
    const { session, transcript } = await savedSession(sbx);
    const configDir = join(sbx.root, 'other-claude');
    const res = await sbx.run(['restore', session.sessionId], { env: { CLAUDE_CONFIG_DIR: configDir } });
    expect(res.code, res.stderr).toBe(0);
    const project = session.projectDir.slice(session.projectDir.lastIndexOf('/') + 1);
    expect(readFileSync(join(configDir, 'projects', project, `${session.sessionId}.jsonl`))).toEqual(transcript);
  });

  it('after a restore, the resumed session’s hooks and daemon upload only the lines appended to it, each once', async () => {
    const sbx = sandbox();
    const { session } = await savedSession(sbx);
    deleteLocal(session);
    expect((await sbx.run(['restore', session.sessionId])).code).toBe(0);

    // claude --resume: SessionStart on the restored transcript, new turns appended to both files.
    const start = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart', { source: 'resume' }) });
    expect(start.stderr).toContain('sync daemon started in background');
    for (let i = 0; i < 5; i++) session.appendRaw('main', JSON.stringify({ type: 'user', message: { role: 'user', content: `resumed turn ${i}` }, sessionId: session.sessionId }));
    session.appendRaw('agent', JSON.stringify({ type: 'assistant', message: { role: 'assistant', content: 'resumed sub-agent line' } }));
    await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    await waitFor(() => !existsSync(join(sbx.confabDir, 'sync', 'claude-code', `${session.sessionId}.json`)) && sbx.daemonPids().length === 0, {
      what: 'the daemon to finish',
      timeoutMs: 20_000,
    });

    expect(await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`)).toEqual(readFileSync(session.transcriptPath));
    expect(await storedFile(sbx, session.sessionId, `agent-${session.agentId}.jsonl`)).toEqual(readFileSync(session.agentPath));
  });
});

describe('restoreTargets', () => {
  const session = (provider: string): RemoteSession => ({ session_id: 's1', external_id: 'e1', provider, files: [{ file_name: 'e1.jsonl', file_type: 'transcript', last_synced_line: 1 }] });

  it('asks for --to when confab cannot tell where the agent keeps its sessions', async () => {
    await expect(restoreTargets(session('no-such-agent'))).rejects.toThrow(new CommandError('confab cannot tell where no-such-agent keeps its sessions; restore with --to DIR'));
  });

  it('refuses a stored file name that would leave the --to directory', async () => {
    const s = { ...session('no-such-agent'), files: [{ file_name: '../escape.jsonl', file_type: 'agent', last_synced_line: 1 }] };
    await expect(restoreTargets(s, { to: '/tmp/somewhere' })).rejects.toThrow('refusing to write the unsafe file name "../escape.jsonl"');
  });
});
