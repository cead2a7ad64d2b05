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

interface DaemonModules {
  /**
   * confab's own modules of dist/ and plugins/<name>/dist/ the daemon loaded as files of their
   * own (the daemon's code, its provider's taps included, is dist/daemon.cjs).
   */
  modules: string[];
  /** npm packages the daemon loaded. */
  packages: string[];
  /** Node's built-in modules and bindings it loaded (`NativeModule http`, `Internal Binding …`). */
  builtins: string[];
}

const PRELOAD = join(REPO_ROOT, 'test', 'helpers', 'module-list-preload.cjs');

/**
 * Start a session's daemon with Node's module tracing (which the daemon inherits, and writes
 * to its log) and the built-in module list written at exit (module-list-preload.cjs), wait
 * until it has synced the whole transcript, stop it, and return what it loaded.
 */
async function modulesOfSyncedDaemon(sbx: Sandbox): Promise<DaemonModules> {
  const session = new ReplayedClaudeSession(sbx.claudeDir);
  session.appendMain(20);
  const listBase = join(sbx.home, 'module-list');
  const env = { NODE_DEBUG: 'module,esm', NODE_OPTIONS: `--require ${PRELOAD}`, CONFAB_TEST_MODULE_LIST: listBase };
  const hook = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart'), env });
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
  const pid = pids[0] as number;
  // Started with a small young generation, so an idle daemon does not keep a sync burst's memory.
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=1');
  // And with glibc's allocator set to give memory back (one arena, a fixed mmap threshold).
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  expect(environ).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=1', 'MALLOC_MMAP_THRESHOLD_=65536']));
  const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd'), env });
  expect(end.code, end.stderr.slice(-2000)).toBe(0);
  await waitFor(() => existsSync(`${listBase}.${pid}`), { what: 'the daemon to exit and write its module list', timeoutMs: 30_000, intervalMs: 100 });
  // The trace is large (Node 26 prints module sources), so the log may have rotated to
  // `.log.1` (one backup kept): the process's first module, its entry, shows nothing was lost.
  const logPath = join(sbx.confabDir, 'logs', 'claude-code', `${session.sessionId}.log`);
  const log = [`${logPath}.1`, logPath].map((p) => (existsSync(p) ? readFileSync(p, 'utf8') : '')).join('\n');
  const root = REPO_ROOT.replace(/\/$/, '');
  expect(log, 'the trace starts at the daemon entry').toContain(`${root}/bin/run.js`);
  expect(log, 'the daemon runs its own bundle').toContain(`${root}/dist/daemon.cjs`);
  expect(log, 'and not the hook bundle').not.toContain(`${root}/dist/hook.cjs`);
  // Lines naming a module that was loaded, not one that only asked for another (`parent: …`,
  // which for a module inlined into the bundle is the file it would be in dist/).
  const loads = log.split('\n').filter((l) => !/ parent: | requested: /.test(l)).join('\n');
  const dist = `${root}/dist/`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const modules = new Set([...loads.matchAll(new RegExp(`${dist}([\\w./-]+)\\.js\\b`, 'g'))].map((m) => m[1] as string));
  for (const m of loads.matchAll(/\/plugins\/([\w-]+)\/dist\/([\w./-]+)\.js\b/g)) modules.add(`plugins/${m[1]}/${m[2]}`);
  const packages = new Set([...loads.matchAll(/\/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//g)].map((m) => m[1] as string));
  const builtins = readFileSync(`${listBase}.${pid}`, 'utf8').split('\n');
  expect(builtins, 'the list names what the daemon loaded').toContain('NativeModule fs');
  return { modules: [...modules].sort(), packages: [...packages].sort(), builtins };
}

const HTTP_CLIENT = (b: string) => b === 'NativeModule http' || b === 'NativeModule https' || b === 'NativeModule _http_client';
const SQLITE = (b: string) => /sqlite/i.test(b);

describe('a daemon loads only what its backend and settings need, with a small young generation', () => {
  it('over HTTP: no SQLite, search index or embedded store; no re2js without user patterns', async () => {
    const sbx = sandbox();
    server = await startServer();
    const login = await sbx.run(['login', '--backend-url', server.base, '--api-key', '-'], { input: server.alice });
    expect(login.code).toBe(0);
    const { modules, packages, builtins } = await modulesOfSyncedDaemon(sbx);
    expect(modules).toEqual([]);
    expect(builtins.filter(HTTP_CLIENT).sort()).toEqual(['NativeModule _http_client', 'NativeModule http']);
    expect(builtins.filter(SQLITE)).toEqual([]);
    expect(packages).not.toContain('ky');
    expect(packages.filter((p) => p === 'better-sqlite3' || p === 're2js')).toEqual([]);
    // The embedded store and its search index were never opened.
    expect(existsSync(join(sbx.confabDir, 'store'))).toBe(false);
  });

  it('on the embedded store: no HTTP client; re2js once the user configures a pattern', async () => {
    const sbx = sandbox();
    mkdirSync(sbx.confabDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ redaction: { patterns: [{ name: 'Ticket', type: 'ticket', pattern: 'TICKET-\\d+' }] } }), {
      mode: 0o600,
    });
    const { modules, packages, builtins } = await modulesOfSyncedDaemon(sbx);
    expect(modules).toEqual([]);
    expect(existsSync(join(sbx.confabDir, 'store'))).toBe(true);
    expect(builtins.filter(HTTP_CLIENT)).toEqual([]);
    expect(packages).not.toContain('ky');
    expect(packages).toContain('re2js');
  });

  it("leaves the user's own allocator settings alone", () => {
    expect(daemonEnv({ MALLOC_ARENA_MAX: '4', HOME: '/h' })).toEqual({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '65536', HOME: '/h' });
  });
});
