import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { startServer, type Server } from '../serve/api-helpers.js';

// Per-config-dir backends: a Claude Code session run from another config dir
// (CLAUDE_CONFIG_DIR) goes to the backend bound to that dir in ~/.confab/config.json, through
// the real hooks and a real daemon, against two loopback backends.

const sandbox = useSandbox();
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(): Promise<Server> {
  const s = await startServer();
  servers.push(s);
  return s;
}

function daemonGone(sbx: Sandbox, id: string): boolean {
  return !existsSync(join(sbx.confabDir, 'sync', 'claude-code', `${id}.json`)) && sbx.strayPids().length === 0;
}

/** Everything a backend holds for this session's main transcript, or undefined. */
async function held(srv: Server, s: ReplayedClaudeSession): Promise<Buffer | undefined> {
  const found = (await srv.store.listSessions()).find((x) => x.external_id === s.sessionId);
  if (!found) return undefined;
  try {
    return await srv.store.readFile(found.session_id, `${s.sessionId}.jsonl`);
  } catch {
    return undefined;
  }
}

async function startSession(sbx: Sandbox, s: ReplayedClaudeSession, env: NodeJS.ProcessEnv): Promise<void> {
  s.appendMain(5);
  const start = await sbx.run(['hook', 'session-start'], { input: s.payload('SessionStart'), env });
  expect(start.code).toBe(0);
  expect(start.stderr).toContain('sync daemon started in background');
  s.appendRest();
}

function writeConfig(sbx: Sandbox, cfg: Record<string, unknown>): void {
  mkdirSync(sbx.confabDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
}

/** A whole session through the hooks, with the agent's env; resolves once its daemon is gone. */
async function runSession(sbx: Sandbox, s: ReplayedClaudeSession, env: NodeJS.ProcessEnv): Promise<void> {
  await startSession(sbx, s, env);
  const end = await sbx.run(['hook', 'session-end'], { input: s.payload('SessionEnd'), env });
  expect(end.code).toBe(0);
  await waitFor(() => daemonGone(sbx, s.sessionId), { what: 'the daemon to finish', timeoutMs: 30_000 });
}

describe('backend bindings per agent config dir', () => {
  it('a session from a bound config dir goes to that dir’s backend, one from the default dir to the top-level backend', async () => {
    const sbx = sandbox();
    const [main, work] = [await server(), await server()];
    const workDir = sbx.dir('work-claude');
    writeConfig(sbx, {
      backend_url: main.base,
      api_key: main.alice,
      // Keys are canonical dirs (symlinks resolved), as `confab setup --config-dir` stores them.
      bindings: { 'claude-code': { [realpathSync(workDir)]: { backend_url: work.base, api_key: work.bob } } },
    });

    const atWork = new ReplayedClaudeSession(workDir, { sessionId: 'a0000000-0000-4000-8000-000000000001' });
    await runSession(sbx, atWork, { CLAUDE_CONFIG_DIR: workDir });
    const atHome = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: 'b0000000-0000-4000-8000-000000000002' });
    await runSession(sbx, atHome, {});

    expect(await held(work, atWork)).toEqual(readFileSync(atWork.transcriptPath));
    expect(await held(main, atHome)).toEqual(readFileSync(atHome.transcriptPath));
    // Each session reached only its own backend, under the key bound to it.
    expect((await main.store.listSessions()).map((x) => x.external_id)).toEqual([atHome.sessionId]);
    expect((await work.store.listSessions()).map((x) => ({ id: x.external_id, owner: x.owner }))).toEqual([{ id: atWork.sessionId, owner: 'bob' }]);
  });

  it('a session from a config dir with no binding is never sent to the top-level backend, and goes where the dir is bound later', async () => {
    const sbx = sandbox();
    const [main, work] = [await server(), await server()];
    const workDir = sbx.dir('work-claude');
    const otherDir = sbx.dir('other-claude');
    const bindings = { [realpathSync(workDir)]: { backend_url: work.base, api_key: work.bob } };
    writeConfig(sbx, { backend_url: main.base, api_key: main.alice, bindings: { 'claude-code': bindings } });
    const unbound = new ReplayedClaudeSession(otherDir, { sessionId: 'c0000000-0000-4000-8000-000000000003' });
    const env = { CLAUDE_CONFIG_DIR: otherDir };
    await startSession(sbx, unbound, env);
    await waitFor(() => daemonLogMentions(sbx, unbound.sessionId, 'no backend is bound for claude-code config dir'), { what: 'the daemon to find no binding' });
    const end = await sbx.run(['hook', 'session-end'], { input: unbound.payload('SessionEnd'), env });
    expect(end.code).toBe(0);
    // Left pending (resumed in the background), never uploaded elsewhere.
    await waitFor(() => daemonLogMentions(sbx, unbound.sessionId, 'session recorded as pending'), { what: 'the session to be left pending' });
    expect(await main.store.listSessions()).toEqual([]);
    expect(await work.store.listSessions()).toEqual([]);

    // Once the user binds the dir, the pending session goes to that backend, resumed by the
    // next hook of any session (here a session in the bound work dir).
    writeConfig(sbx, { backend_url: main.base, api_key: main.alice, bindings: { 'claude-code': { ...bindings, [realpathSync(otherDir)]: { backend_url: work.base, api_key: work.alice } } } });
    const next = new ReplayedClaudeSession(workDir, { sessionId: 'd0000000-0000-4000-8000-000000000004' });
    await runSession(sbx, next, { CLAUDE_CONFIG_DIR: workDir });
    await waitFor(async () => (await held(work, unbound))?.equals(readFileSync(unbound.transcriptPath)), { what: 'the session to reach the newly bound backend', timeoutMs: 30_000 });
    await waitFor(() => daemonGone(sbx, unbound.sessionId), { what: 'the daemon to finish', timeoutMs: 30_000 });
    expect(await main.store.listSessions()).toEqual([]);
    expect((await work.store.listSessions()).map((x) => x.external_id).sort()).toEqual([unbound.sessionId, next.sessionId]);
  });
});


function daemonLogMentions(sbx: Sandbox, id: string, text: string): boolean {
  const log = join(sbx.confabDir, 'logs', 'claude-code', `${id}.log`);
  return existsSync(log) && readFileSync(log, 'utf8').includes(text);
}
