/**
 * `confab hook … --provider codex` through the built CLI (the bundled hook fast path),
 * with HOME and the Codex home in temp dirs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHILD_ID, childRolloutLines, makeCodexHome, ROOT_ID, rootRolloutLines, sessionMetaLine, turnContextLine, writeRollout } from './fixtures.js';

const CONFAB_BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

function runHook(event: string, payload: unknown, codexDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'confab-codex-cli-home-')), CONFAB_CODEX_DIR: codexDir };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONFAB_BIN, 'hook', event, '--provider', 'codex'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(payload));
  });
}

describe('confab hook --provider codex', () => {
  it('accepts session-end (the payload Codex 0.171 sends) and answers Codex JSON', async () => {
    const home = makeCodexHome();
    const path = writeRollout(home.sessions, CHILD_ID, [sessionMetaLine({ id: CHILD_ID }), turnContextLine()]);
    const res = await runHook('session-end', { session_id: CHILD_ID, transcript_path: path, cwd: '/work/example', hook_event_name: 'SessionEnd', reason: 'other' }, home.dir);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true });
    expect(res.stderr).not.toContain('has no session-end hook');
    expect(res.stderr).toContain(`no daemon found for session ${CHILD_ID}`);
  });

  it("leaves the root's daemon alone when a sub-agent thread's session ends", async () => {
    const home = makeCodexHome();
    writeRollout(home.sessions, ROOT_ID, rootRolloutLines());
    const child = writeRollout(home.sessions, CHILD_ID, childRolloutLines(CHILD_ID, ROOT_ID), '2026-06-21', '06-06-42');
    const res = await runHook('session-end', { session_id: CHILD_ID, transcript_path: child, cwd: '/work/example', hook_event_name: 'SessionEnd', reason: 'other' }, home.dir);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true });
    // Not even looked for: the root session goes on.
    expect(res.stderr).not.toContain('no daemon found');
  });

  it('starts no daemon for a thread a person did not start (a review sub-agent)', async () => {
    const home = makeCodexHome();
    const path = writeRollout(home.sessions, CHILD_ID, [sessionMetaLine({ id: CHILD_ID, source: { subagent: 'review' } }).replace('"thread_source":"user"', '"thread_source":"subagent"'), turnContextLine()]);
    const res = await runHook('session-start', { session_id: CHILD_ID, transcript_path: path, cwd: '/work/example', hook_event_name: 'SessionStart', source: 'startup' }, home.dir);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true });
    expect(res.stderr).toContain('not starting a daemon: provider declined this session');
  });

  it('reports a bad payload in one line', async () => {
    const home = makeCodexHome();
    const res = await runHook('session-start', { session_id: CHILD_ID, transcript_path: '/etc/passwd' }, home.dir);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true });
    expect(res.stderr.trim().split('\n')).toEqual(['confab: hook payload "transcript_path" must name a Codex rollout (rollout-<timestamp>-<uuid>.jsonl)']);
  });
});
