import { readFileSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { appendLines, CHILD_ID, childRolloutLines, ROOT_ID, rootRolloutLines, writeRollout } from '../../plugins/codex/test/fixtures.js';
import { CONFAB_BIN, useSandbox, waitFor } from '../helpers/sandbox.js';

const sandbox = useSandbox();

describe('a Codex session end to end (no SessionEnd hook: the agent process exiting ends it)', () => {
  it('syncs the root rollout and a sub-agent rollout exactly once, then the daemon goes when Codex exits', async () => {
    const sbx = sandbox();
    const codexDir = sbx.dir('codex-home');
    sbx.env.CONFAB_CODEX_DIR = codexDir;
    const sessions = join(codexDir, 'sessions');
    const root = rootRolloutLines();
    const rootPath = writeRollout(sessions, ROOT_ID, root.slice(0, 6));

    // A process named `codex` runs the hook, the way Codex does: the daemon must find it and watch it.
    const bin = sbx.dir('bin');
    symlinkSync(process.execPath, join(bin, 'codex'));
    const payload = JSON.stringify({ session_id: ROOT_ID, transcript_path: rootPath, cwd: '/work/example', hook_event_name: 'SessionStart', source: 'startup' });
    const agentScript = `
      const { spawnSync } = require('node:child_process');
      const r = spawnSync(process.execPath, [${JSON.stringify(CONFAB_BIN)}, 'hook', 'session-start', '--provider', 'codex'], { input: ${JSON.stringify(payload)}, encoding: 'utf8' });
      process.stdout.write(JSON.stringify({ status: r.status, stdout: r.stdout, stderr: r.stderr }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const codex = sbx.spawn(join(bin, 'codex'), ['-e', agentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    codex.stdout?.on('data', (b: Buffer) => (out += b));
    const hook = await waitFor(() => (out.includes('\n') ? (JSON.parse(out) as { status: number; stdout: string; stderr: string }) : undefined), { what: 'the hook to answer' });
    expect(hook.status).toBe(0);
    expect(JSON.parse(hook.stdout)).toMatchObject({ continue: true });
    expect(hook.stderr).toContain('started in background');

    appendLines(rootPath, root.slice(6));
    const childPath = writeRollout(sessions, CHILD_ID, childRolloutLines(CHILD_ID, ROOT_ID), '2026-06-21', '06-06-42');

    const store = await FileStore.open(join(sbx.confabDir, 'store'));
    try {
      const stored = async (file: string) => {
        const s = (await store.listSessions()).find((x) => x.external_id === ROOT_ID && x.provider === 'codex');
        return s?.files.find((f) => f.file_name === file) ? store.readFile(s.session_id, file) : undefined;
      };
      await waitFor(async () => (await stored(basename(childPath)))?.length, { what: 'the sub-agent rollout to sync', timeoutMs: 20_000 });
      // Written just before Codex exits: only the final sync can carry it.
      appendLines(childPath, ['{"timestamp":"2026-06-21T06:07:00.000Z","type":"event_msg","payload":{"type":"task_complete"}}']);
      appendLines(rootPath, ['{"timestamp":"2026-06-21T06:07:01.000Z","type":"event_msg","payload":{"type":"shutdown_complete"}}']);
      codex.kill('SIGKILL');
      await waitFor(() => sbx.strayPids().length === 0, { what: 'the daemon to notice Codex exited and stop', timeoutMs: 20_000 });

      expect(await stored(basename(rootPath))).toEqual(readFileSync(rootPath));
      expect(await stored(basename(childPath))).toEqual(readFileSync(childPath));
      const session = (await store.listSessions()).find((x) => x.external_id === ROOT_ID);
      expect(session?.files.map((f) => [f.file_name, f.file_type]).sort()).toEqual(
        [
          [basename(childPath), 'agent'],
          [basename(rootPath), 'transcript'],
        ].sort(),
      );
      expect(Object.keys(session?.codex_rollouts ?? {}).sort()).toEqual([CHILD_ID, ROOT_ID].sort());
    } finally {
      await store.close();
    }
  });
});
