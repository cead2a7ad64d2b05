import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Server } from '../serve/api-helpers.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { REPO_ROOT, useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { daemonEnv } from '../../src/daemon/spawn.js';

const sandbox = useSandbox();
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface ListOut {
  sessions: { id: string; sync: { state: string; localLines: number; syncedLines: number } }[];
}

/**
 * Start a session's daemon with Node's module tracing (which the daemon inherits, and writes
 * to its log), wait until it has synced the whole transcript, and return confab's own modules
 * (paths under dist/) and the npm packages the daemon loaded.
 */
async function modulesOfSyncedDaemon(sbx: Sandbox): Promise<{ modules: string[]; packages: string[] }> {
  const session = new ReplayedClaudeSession(sbx.claudeDir);
  session.appendMain(20);
  const hook = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart'), env: { NODE_DEBUG: 'module,esm' } });
  expect(hook.code, hook.stderr.slice(-2000)).toBe(0);
  await waitFor(
    async () => {
      const list = JSON.parse((await sbx.run(['list', '--json'])).stdout) as ListOut;
      const sync = list.sessions.find((s) => s.id === session.sessionId)?.sync;
      return sync && sync.localLines > 0 && sync.syncedLines === sync.localLines;
    },
    { what: 'the daemon to sync the transcript', timeoutMs: 30_000, intervalMs: 200 },
  );
  const pids = sbx.daemonPids();
  expect(pids).toHaveLength(1);
  // Started with a small young generation, so an idle daemon does not keep a sync burst's memory.
  expect(readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=1');
  // And with glibc's allocator set to give memory back (one arena, a fixed mmap threshold).
  const environ = readFileSync(`/proc/${pids[0]}/environ`, 'utf8').split('\0');
  expect(environ).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=1', 'MALLOC_MMAP_THRESHOLD_=65536']));
  // The trace is large (Node 26 prints module sources), so the log may have rotated to
  // `.log.1` (one backup kept): the process's first module, its entry, shows nothing was lost.
  const logPath = join(sbx.confabDir, 'logs', 'claude-code', `${session.sessionId}.log`);
  const log = [`${logPath}.1`, logPath].map((p) => (existsSync(p) ? readFileSync(p, 'utf8') : '')).join('\n');
  expect(log, 'the trace starts at the daemon entry').toContain(`${REPO_ROOT.replace(/\/$/, '')}/bin/run.js`);
  const dist = `${REPO_ROOT.replace(/\/$/, '')}/dist/`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const modules = new Set([...log.matchAll(new RegExp(`${dist}([\\w./-]+)\\.js`, 'g'))].map((m) => m[1] as string));
  const packages = new Set([...log.matchAll(/\/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//g)].map((m) => m[1] as string));
  expect(modules.has('sync/engine'), 'the trace names the modules the daemon loaded').toBe(true);
  return { modules: [...modules].sort(), packages: [...packages].sort() };
}

// sqlite/database is not listed: the providers' public API re-exports it for plugins, and it
// loads a SQLite engine (better-sqlite3 on Node 20) only when a database is opened.
const EMBEDDED_STORE = (m: string) => m === 'backend/local' || m.startsWith('store/') || m.startsWith('search/');
const HTTP_CLIENT = (m: string) => m === 'backend/http' || m === 'backend/http-transport';

describe('a daemon loads only what its backend and settings need, with a small young generation', () => {
  it('over HTTP: no SQLite, search index or embedded store; no re2js without user patterns', async () => {
    const sbx = sandbox();
    server = await startServer();
    const login = await sbx.run(['login', '--backend-url', server.base, '--api-key', '-'], { input: server.alice });
    expect(login.code).toBe(0);
    const { modules, packages } = await modulesOfSyncedDaemon(sbx);
    expect(modules.filter(HTTP_CLIENT).sort()).toEqual(['backend/http', 'backend/http-transport']);
    expect(packages).not.toContain('ky');
    expect(modules.filter(EMBEDDED_STORE)).toEqual([]);
    expect(packages.filter((p) => p === 'better-sqlite3' || p === 're2js')).toEqual([]);
  });

  it('on the embedded store: no HTTP client; re2js once the user configures a pattern', async () => {
    const sbx = sandbox();
    mkdirSync(sbx.confabDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ redaction: { patterns: [{ name: 'Ticket', type: 'ticket', pattern: 'TICKET-\\d+' }] } }), {
      mode: 0o600,
    });
    const { modules, packages } = await modulesOfSyncedDaemon(sbx);
    expect(modules).toContain('backend/local');
    expect(modules.filter(HTTP_CLIENT)).toEqual([]);
    expect(packages).not.toContain('ky');
    expect(packages).toContain('re2js');
  });

  it("leaves the user's own allocator settings alone", () => {
    expect(daemonEnv({ MALLOC_ARENA_MAX: '4', HOME: '/h' })).toEqual({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '65536', HOME: '/h' });
  });
});
