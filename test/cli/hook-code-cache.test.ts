import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { CONFAB_BIN, useSandbox, waitFor } from '../helpers/sandbox.js';

const sandbox = useSandbox();

// Node 22.1+ caches compiled code itself (module.enableCompileCache); bin/run.js keeps its
// own V8 code cache of the hook bundle only where that is missing.
const nodeHasCompileCache = typeof (createRequire(import.meta.url)('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';

const toolCall = JSON.stringify({
  session_id: '0b6f2a34-1c5d-4e7f-8a9b-0c1d2e3f4a5b',
  transcript_path: '/nonexistent/t.jsonl',
  cwd: '/tmp',
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command: 'ls' },
});

describe.skipIf(nodeHasCompileCache)('the hook bundle’s code cache (Node without a compile cache)', () => {
  it('is written privately by the first hook, then used as is; a damaged one is replaced', async () => {
    const sbx = sandbox();
    const dir = join(sbx.confabDir, 'cache');
    const first = await sbx.run(['hook', 'pre-tool-use'], { input: toolCall });
    expect(JSON.parse(first.stdout)).toMatchObject({ continue: true });
    const names = readdirSync(dir);
    expect(names).toHaveLength(1);
    const cache = join(dir, names[0]!);
    // Named after the bundle's content, which the build records beside it.
    const id = readFileSync(new URL('../../dist/hook.cjs.id', import.meta.url), 'utf8').trim();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(names[0]).toBe(`hook-${id}-${process.version}-${process.arch}.v8`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    const written = statSync(cache);

    // Accepted by V8: the second hook has nothing to rewrite.
    const second = await sbx.run(['hook', 'pre-tool-use'], { input: toolCall });
    expect(second.stdout).toBe(first.stdout);
    expect(statSync(cache).ino).toBe(written.ino);
    expect(statSync(cache).mtimeMs).toBe(written.mtimeMs);

    // Garbage of the right name: rejected, the hook still answers, and a good cache replaces it,
    // which the next hook then uses as is.
    writeFileSync(cache, 'not a code cache');
    const third = await sbx.run(['hook', 'pre-tool-use'], { input: toolCall });
    expect(third.stdout).toBe(first.stdout);
    const rewritten = statSync(cache);
    expect(rewritten.size).toBeGreaterThan(1000);
    await sbx.run(['hook', 'pre-tool-use'], { input: toolCall });
    expect(statSync(cache).ino).toBe(rewritten.ino);
  });

  it('runs a daemon through the cached bundle when its command line is not the one confab spawns (its modules are imported dynamically)', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(3);
    await sbx.run(['hook', 'pre-tool-use'], { input: toolCall });
    expect(readdirSync(join(sbx.confabDir, 'cache'))).toHaveLength(1);
    // confab spawns `hook session-start --provider P --bg-daemon <JSON>`, which bin/run.js hands
    // to dist/daemon.cjs; any other form goes through the hook bundle.
    const launch = JSON.stringify({ provider: 'claude-code', external_id: session.sessionId, transcript_path: session.transcriptPath, cwd: session.cwd });
    const daemon = sbx.spawn(process.execPath, [CONFAB_BIN, 'hook', 'session-start', '--bg-daemon', launch], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    await waitFor(() => existsSync(join(sbx.confabDir, 'store')), { what: 'the daemon’s first sync', timeoutMs: 15_000 });
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = readFileSync(join(sbx.confabDir, 'logs', 'claude-code', `${session.sessionId}.log`), 'utf8');
    expect(log).toContain('daemon starting');
    expect(log).not.toMatch(/dynamic import|ERROR/);
  });
});
