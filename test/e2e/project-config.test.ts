import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedFile, storedSessions } from '../helpers/local-store.js';
import { useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();
const SESSION = '6f0e1d2c-3b4a-4596-8877-a1b2c3d4e5f6';

/** A project directory (the session's cwd) holding `confab.config.ts`. */
function projectWithConfig(sbx: Sandbox, config: string): string {
  const dir = sbx.dir('repo');
  writeFileSync(join(dir, 'confab.config.ts'), config);
  return dir;
}

/** A Claude Code transcript in the sandbox's ~/.claude, and the hook payload that names it. */
function claudeSession(sbx: Sandbox, cwd: string, lines: string[]) {
  const dir = join(sbx.claudeDir, 'projects', '-repo');
  mkdirSync(dir, { recursive: true });
  const transcript = join(dir, `${SESSION}.jsonl`);
  writeFileSync(transcript, lines.map((l) => `${l}\n`).join(''));
  const payload = (event: string) => JSON.stringify({ session_id: SESSION, transcript_path: transcript, cwd, hook_event_name: event });
  return { transcript, payload };
}

const line = (n: number, text: string) => JSON.stringify({ type: 'user', sessionId: SESSION, uuid: `u${n}`, message: { role: 'user', content: text } });

function noDaemon(sbx: Sandbox): boolean {
  return !existsSync(join(sbx.confabDir, 'sync', 'claude-code', `${SESSION}.json`)) && sbx.strayPids().length === 0;
}

describe('the project config through the hooks, the daemon and the embedded store', () => {
  it('a typo in confab.config.ts: one line naming the file and the key, a valid answer, no daemon', async () => {
    const sbx = sandbox();
    const cwd = projectWithConfig(sbx, `import { defineConfig } from 'confab-cli';\nexport default defineConfig({ sycn: { intervalMs: 100 } } as never);\n`);
    const session = claudeSession(sbx, cwd, [line(1, 'hello')]);
    for (const event of ['session-start', 'user-prompt-submit'] as const) {
      const res = await sbx.run(['hook', event], { input: session.payload(event === 'session-start' ? 'SessionStart' : 'UserPromptSubmit') });
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ continue: true });
      expect(res.stderr).toBe(`confab: not starting a daemon: ${join(cwd, 'confab.config.ts')}: unknown key "sycn" (did you mean "sync"?)\n`);
    }
    expect(noDaemon(sbx)).toBe(true);
    expect(readFileSync(join(sbx.confabDir, 'logs', 'confab.log'), 'utf8')).toContain('unknown key "sycn"');
    expect(await storedSessions(sbx)).toEqual([]);
  });

  it('enabled: false starts no daemon and uploads nothing', async () => {
    const sbx = sandbox();
    const cwd = projectWithConfig(sbx, `import { defineConfig } from 'confab-cli';\nexport default defineConfig({ enabled: false });\n`);
    mkdirSync(join(cwd, 'src', 'deep'), { recursive: true });
    const session = claudeSession(sbx, join(cwd, 'src', 'deep'), [line(1, 'private')]);
    const res = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    expect(res.stderr).toBe(`confab: not starting a daemon: sync is disabled for this project by ${join(cwd, 'confab.config.ts')}\n`);
    expect(noDaemon(sbx)).toBe(true);
    expect(await storedSessions(sbx)).toEqual([]);
  });

  it("lines reach the store as a plugin's apply and then the project's apply rewrote them", async () => {
    const sbx = sandbox();
    // A plugin listed in ~/.confab/config.json (relative to that file), tapping every daemon.
    mkdirSync(join(sbx.confabDir, 'plugins'), { recursive: true });
    writeFileSync(
      join(sbx.confabDir, 'plugins', 'mark.mjs'),
      `export function apply(daemon) {\n  daemon.hooks.line.tap('mark', (line) => line.replaceAll('raw-word', 'PLUGIN-MARK'));\n}\n`,
    );
    writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ backend_url: '', api_key: '', plugins: ['./plugins/mark.mjs'] }));
    const cwd = projectWithConfig(
      sbx,
      `import { defineConfig } from 'confab-cli';
export default defineConfig({
  apply(daemon) {
    daemon.hooks.line.tap('project-rewrite', (line) => line.replaceAll('PLUGIN-MARK', 'PROJECT-MARK'));
  },
});
`,
    );
    const listed = await sbx.run(['plugins', '--json'], { cwd });
    expect((JSON.parse(listed.stdout) as { plugins: { origin: string }[] }).plugins.filter((p) => p.origin !== 'builtin')).toEqual([
      {
        name: './plugins/mark.mjs',
        origin: 'user-config',
        from: join(sbx.confabDir, 'config.json'),
        entry: join(sbx.confabDir, 'plugins', 'mark.mjs'),
        providers: [],
        apply: true,
        commands: [],
      },
    ]);

    const lines = [line(1, 'first raw-word'), line(2, 'nothing to change')];
    const session = claudeSession(sbx, cwd, lines);
    const start = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    expect(start.stderr).toContain('sync daemon started in background');

    const fileName = `${SESSION}.jsonl`;
    await waitFor(async () => (await storedFile(sbx, SESSION, fileName))?.length, { what: 'the first lines to reach the store', timeoutMs: 20_000 });
    const last = line(3, 'raw-word written at the end');
    appendFileSync(session.transcript, `${last}\n`);
    lines.push(last);
    const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    expect(end.code).toBe(0);
    await waitFor(() => noDaemon(sbx), { what: 'the daemon to finish', timeoutMs: 20_000 });

    const expected = lines.map((l) => `${l.replaceAll('raw-word', 'PROJECT-MARK')}\n`).join('');
    expect((await storedFile(sbx, SESSION, fileName))?.toString()).toBe(expected);
    // The transcript itself is untouched.
    expect(readFileSync(session.transcript, 'utf8')).toContain('raw-word');
  });
});
