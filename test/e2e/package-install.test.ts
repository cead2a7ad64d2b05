import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInPackageCache } from '../../src/cli/executable.js';
import { commandProgram } from '../../src/provider/hook-commands.js';
import { sqliteBackend } from '../../src/sqlite/database.js';
import { buildSessionTree, OpencodeDb, ROOT_ID } from '../../plugins/opencode/test/fixtures.js';
import { storedFile } from '../helpers/local-store.js';
import { REPO_ROOT, Sandbox, waitFor, type RunResult } from '../helpers/sandbox.js';

// confab as a user gets it: `npm pack`, then installed from the tarball into a global prefix
// with its own HOME, run from a directory with no repository around and no path into it.
// One install serves every assertion (installing takes a while).

const PACKAGE = 'confab-cli';
const INSTALL_TIMEOUT_MS = 240_000;

let sbx: Sandbox;
let tarball: string;
let prefix: string;
let work: string;
/**
 * npm's cache for these installs: a private copy of the user's (content hard-linked, index
 * copied), used with `--offline`, so installing never reaches a registry and never writes the
 * developer's own cache. The test command fills that cache first (scripts/fill-install-cache.mjs):
 * `npm ci` alone caches only the lockfile's tarballs, not what a user's install resolves.
 */
let npmCache: string;

/** The npm cache of the user running the suite (test/global-setup.ts settles it before HOME changes). */
function userNpmCache(): string {
  const cache = process.env.npm_config_cache;
  if (!cache) throw new Error('npm_config_cache is not set: run the suite through vitest with test/global-setup.ts');
  return cache;
}

/** A copy of npm's cache at `dest` that installs can read and write without touching `src`. */
function copyNpmCache(src: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  const from = join(src, '_cacache');
  if (!existsSync(from)) return;
  mkdirSync(join(dest, '_cacache'), { recursive: true });
  // Content files are immutable and named by their hash: links are safe and cost no space.
  const linked = spawnSync('cp', ['-al', join(from, 'content-v2'), join(dest, '_cacache', 'content-v2')], { stdio: 'ignore' });
  if (linked.status !== 0) cpSync(join(from, 'content-v2'), join(dest, '_cacache', 'content-v2'), { recursive: true });
  // Index buckets are appended to in place, so they are copied.
  cpSync(join(from, 'index-v5'), join(dest, '_cacache', 'index-v5'), { recursive: true });
}

/** PATH with the global prefix and node, and nothing of the repository. */
function userPath(...first: string[]): string {
  const rest = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.startsWith(REPO_ROOT));
  return [...first, dirname(process.execPath), ...rest].join(delimiter);
}

function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...sbx.env, PATH: userPath(join(prefix, 'bin')), npm_config_cache: npmCache, ...extra };
  for (const key of Object.keys(env)) if (key.startsWith('npm_') && key !== 'npm_config_cache') delete env[key];
  // Nothing of the test runner's environment (vitest sets NODE_ENV=test).
  for (const key of ['NODE_PATH', 'NODE_OPTIONS', 'NODE_ENV', 'VITEST', 'VITEST_MODE', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'TEST']) delete env[key];
  return env;
}

/** npm with its options first, then `args` (`exec` passes what follows `--` to the command). */
function npm(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return sbx.exec('npm', ['--no-audit', '--no-fund', '--offline', '--loglevel=error', ...args], { cwd: opts.cwd, env: opts.env ?? userEnv(), timeoutMs: INSTALL_TIMEOUT_MS });
}

function hookCommands(settingsPath: string): string[] {
  const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as { hooks: Record<string, { hooks: { command: string }[] }[]> };
  return Object.values(settings.hooks).flatMap((groups) => groups.flatMap((g) => g.hooks.map((h) => h.command)));
}

/** Run a hook command line the way Claude Code does (through the shell), with a payload. */
function runHook(command: string, payload: unknown, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return sbx.exec('/bin/sh', ['-c', command], { cwd: work, env, input: JSON.stringify(payload), timeoutMs: 30_000 });
}

/** A Claude Code session driven through these hook commands: its lines must reach the embedded store. */
async function syncThroughHooks(commands: string[], id: string, env: NodeJS.ProcessEnv, home: { claudeDir: string; confabDir: string } = sbx): Promise<void> {
  // storedFile reads the embedded store under `confabDir`.
  const store = { confabDir: home.confabDir } as Sandbox;
  const start = commands.find((c) => c.includes('hook session-start'));
  const end = commands.find((c) => c.includes('hook session-end'));
  expect(start && end).toBeTruthy();
  const transcript = join(home.claudeDir, 'projects', '-work', `${id}.jsonl`);
  mkdirSync(dirname(transcript), { recursive: true });
  writeFileSync(transcript, '{"type":"user","message":{"role":"user","content":"hello"}}\n');
  const payload = { session_id: id, transcript_path: transcript, cwd: work, hook_event_name: 'SessionStart', source: 'startup' };
  const started = await runHook(start as string, payload, env);
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout)).toMatchObject({ continue: true });
  await waitFor(async () => (await storedFile(store, id, `${id}.jsonl`))?.length, { what: 'the first line in the store', timeoutMs: 30_000 });
  appendFileSync(transcript, '{"type":"assistant","message":{"role":"assistant","content":"hi"}}\n');
  const ended = await runHook(end as string, { ...payload, hook_event_name: 'SessionEnd', reason: 'exit' }, env);
  expect(ended.code).toBe(0);
  expect(JSON.parse(ended.stdout)).toMatchObject({ continue: true });
  await waitFor(async () => (await storedFile(store, id, `${id}.jsonl`))?.equals(readFileSync(transcript)), { what: 'every line in the store', timeoutMs: 30_000 });
}

beforeAll(async () => {
  sbx = new Sandbox();
  npmCache = join(sbx.root, 'npm-cache');
  copyNpmCache(userNpmCache(), npmCache);
  prefix = sbx.dir('prefix');
  work = sbx.dir('work');
  // dist/ is built by the suite's setup; pack exactly what is published.
  const packed = await sbx.exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', sbx.dir('pack')], { cwd: REPO_ROOT, timeoutMs: 60_000 });
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(sbx.root, 'pack', (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  const installed = await npm(['install', '--global', '--prefix', prefix, tarball], { cwd: work });
  expect(installed.code, installed.stderr).toBe(0);
  // Every dependency a user's install resolves supports the Node it runs on (light-my-request
  // 6.7+, which fastify would otherwise resolve to, needs cookie 2, which needs Node 22).
  expect(installed.stderr).not.toContain('EBADENGINE');
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await sbx?.cleanup();
  // Removes a global install and a copy of the npm cache's index: tens of thousands of files.
}, 180_000);

describe(`the ${PACKAGE} package, installed from its tarball`, () => {
  it('ships the built-in providers and installs a `confab` command outside any repository', () => {
    const installed = realpathSync(join(prefix, 'bin', 'confab'));
    expect(installed).toBe(join(prefix, 'lib', 'node_modules', PACKAGE, 'bin', 'run.js'));
    expect(installed.startsWith(REPO_ROOT)).toBe(false);
    // Nothing resolves back into the repository: its providers are inside the package.
    expect(existsSync(join(prefix, 'lib', 'node_modules', PACKAGE, 'plugins', 'claude-code', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(prefix, 'lib', 'node_modules', PACKAGE, 'plugins', 'cursor', 'dist', 'hooks-json.js'))).toBe(true);
    expect(existsSync(join(prefix, 'lib', 'node_modules', PACKAGE, 'plugins', 'opencode', 'dist', 'opencode-db.js'))).toBe(true);
    expect(existsSync(join(prefix, 'lib', 'node_modules', '@confab'))).toBe(false);
  });

  it('`confab demo` passes', async () => {
    const res = await sbx.exec(join(prefix, 'bin', 'confab'), ['demo', '--json'], { cwd: work, env: userEnv(), timeoutMs: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { files: { identical: boolean }[]; sessionEndRecorded: boolean };
    expect(out.files.length).toBe(2);
    expect(out.files.every((f) => f.identical)).toBe(true);
    expect(out.sessionEndRecorded).toBe(true);
  });

  it('`confab hooks add` writes commands that exist, are in no npm cache, and answer real hook payloads; a session syncs through them', async () => {
    const env = userEnv();
    const res = await sbx.exec('confab', ['hooks', 'add', '--provider', 'claude-code'], { cwd: work, env, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    const commands = hookCommands(join(sbx.claudeDir, 'settings.json'));
    expect(commands.length).toBeGreaterThan(4);
    for (const program of new Set(commands.map(commandProgram))) {
      expect(existsSync(program), program).toBe(true);
      expect(isInPackageCache(program, { npm_config_cache: npmCache }), program).toBe(false);
      expect(realpathSync(program).startsWith(REPO_ROOT), program).toBe(false);
    }
    const pre = await runHook(commands.find((c) => c.includes('hook pre-tool-use')) as string, { session_id: 'p-1', hook_event_name: 'PreToolUse', tool_name: 'Bash', cwd: work }, env);
    expect(pre.code).toBe(0);
    expect(JSON.parse(pre.stdout)).toMatchObject({ continue: true });
    await syncThroughHooks(commands, 'installed-session-1', env);
    const status = await sbx.exec('confab', ['status', '--json'], { cwd: work, env, timeoutMs: 60_000 });
    expect((JSON.parse(status.stdout) as { providers: { provider: string; brokenHooks: unknown[] }[] }).providers.find((p) => p.provider === 'claude-code')?.brokenHooks).toEqual([]);
  });

  it('`confab hooks add --provider cursor` edits hooks.json with the dependencies the package installed', async () => {
    const cursorDir = sbx.dir('installed-cursor');
    const env = { ...userEnv(), CONFAB_CURSOR_DIR: cursorDir };
    const res = await sbx.exec('confab', ['hooks', 'add', '--provider', 'cursor'], { cwd: work, env, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    const hooks = JSON.parse(readFileSync(join(cursorDir, 'hooks.json'), 'utf8')) as { hooks: Record<string, { command: string }[]> };
    expect(Object.keys(hooks.hooks).sort()).toEqual(['postToolUse', 'preToolUse', 'sessionEnd', 'sessionStart']);
    expect((await sbx.exec('confab', ['hooks', 'remove', '--provider', 'cursor'], { cwd: work, env, timeoutMs: 60_000 })).code).toBe(0);
    expect(existsSync(join(cursorDir, 'hooks.json'))).toBe(false);
  });

  it('`confab hooks add --provider opencode` installs its OpenCode plugin, and the package reads an OpenCode database with the SQLite it brought', async () => {
    const configDir = sbx.dir('installed-opencode-config');
    const db = join(sbx.dir('installed-opencode-data'), 'opencode.db');
    const oc = new OpencodeDb(db);
    try {
      buildSessionTree(oc, work);
    } finally {
      oc.close();
    }
    const env = { ...userEnv(), CONFAB_OPENCODE_CONFIG_DIR: configDir, CONFAB_OPENCODE_DB: db };
    const res = await sbx.exec('confab', ['hooks', 'add', '--provider', 'opencode'], { cwd: work, env, timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(0);
    const plugin = readFileSync(join(configDir, 'plugins', 'confab-sync.ts'), 'utf8');
    const program = JSON.parse(/^const CONFAB = (".*")$/m.exec(plugin)?.[1] ?? '""') as string;
    expect(existsSync(program), program).toBe(true);
    expect(realpathSync(program).startsWith(REPO_ROOT), program).toBe(false);
    // node:sqlite where the runtime has it; else better-sqlite3, an optional native dependency
    // that an offline install cannot always build (no prebuilt binary, no Node headers): then
    // `list` says so in one line rather than failing.
    const addon = existsSync(join(prefix, 'lib', 'node_modules', PACKAGE, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'));
    const sqlite = sqliteBackend();
    if (('backend' in sqlite && sqlite.backend === 'node:sqlite') || addon) {
      const list = await sbx.exec('confab', ['list', '--provider', 'opencode', '--json'], { cwd: work, env, timeoutMs: 60_000 });
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as { sessions: { id: string }[] }).sessions.map((x) => x.id)).toEqual([ROOT_ID]);
    } else {
      const list = await sbx.exec('confab', ['list', '--provider', 'opencode'], { cwd: work, env, timeoutMs: 60_000 });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stderr).toMatch(/^warning: could not read OpenCode's sessions: SQLite is not available: confab needs Node 22\.13\+ \(node:sqlite\) or the better-sqlite3 package/m);
    }
    expect((await sbx.exec('confab', ['hooks', 'remove', '--provider', 'opencode'], { cwd: work, env, timeoutMs: 60_000 })).code).toBe(0);
    expect(existsSync(join(configDir, 'plugins'))).toBe(false);
  });

  it('exports the daemon API from the package entry, with the Go CLI semantics', async () => {
    const script = `
      const m = await import('${PACKAGE}');
      const names = ['Daemon', 'DEFAULT_SYNC_INTERVAL_MS', 'getSyncDir', 'getStatePathForProvider', 'getInboxPathForProvider', 'newStateForProvider', 'loadStateForProvider', 'listAllStates', 'isDaemonRunning', 'isParentRunning', 'stopDaemon', 'stopDaemonForProvider'];
      const s = m.newStateForProvider('claude-code', 'api-1', '/t/a.jsonl', '/w', 0);
      m.saveState(s);
      const back = await m.loadStateForProvider('claude-code', 'api-1');
      const listed = (await m.listAllStates()).map((x) => x.provider + '/' + x.externalId);
      console.log(JSON.stringify({
        types: Object.fromEntries(names.map((n) => [n, typeof m[n]])),
        interval: m.DEFAULT_SYNC_INTERVAL_MS,
        syncDir: m.getSyncDir(),
        statePath: m.getStatePathForProvider('claude-code', 'api-1'),
        legacyPath: m.getStatePathForProvider('', 'api-1'),
        back: back && { pid: back.pid, transcriptPath: back.transcriptPath, running: m.isDaemonRunning(back) },
        listed,
      }));`;
    // Resolved as any program in that prefix resolves it.
    const res = await sbx.exec(process.execPath, ['--input-type=module', '-e', script], { cwd: join(prefix, 'lib'), env: userEnv(), timeoutMs: 30_000 });
    expect(res.stderr).toBe('');
    const out = JSON.parse(res.stdout) as Record<string, unknown>;
    const sync = join(sbx.confabDir, 'sync');
    expect(out).toMatchObject({
      interval: 30_000,
      syncDir: sync,
      statePath: join(sync, 'claude-code', 'api-1.json'),
      legacyPath: join(sync, 'api-1.json'),
      // The state names the process that wrote it, which is running.
      back: { transcriptPath: '/t/a.jsonl', running: true },
      listed: ['claude-code/api-1'],
    });
    expect(Object.values(out.types as Record<string, string>).every((t) => t === 'function' || t === 'number')).toBe(true);
    expect(out.types).toMatchObject({ Daemon: 'function', DEFAULT_SYNC_INTERVAL_MS: 'number' });
    rmSync(join(sync, 'claude-code', 'api-1.json'));
  });

  it('after `npx <tarball> setup`, clearing the npx cache leaves the hooks working', async () => {
    const home = sbx.dir('npx-home');
    const cache = join(sbx.root, 'npx-cache');
    copyNpmCache(npmCache, cache);
    const env = userEnv({ HOME: home, npm_config_cache: cache, PATH: userPath() });
    const res = await npm(['exec', '--yes', `--package=${tarball}`, '--', 'confab', 'setup', '--provider', 'claude-code'], { cwd: work, env });
    expect(res.code, res.stderr).toBe(0);
    expect(readdirSync(join(cache, '_npx')).length).toBeGreaterThan(0);
    const commands = hookCommands(join(home, '.claude', 'settings.json'));

    rmSync(join(cache, '_npx'), { recursive: true, force: true });
    const hookEnv = { ...env, CONFAB_SYNC_INTERVAL_MS: '200' };
    const answer = await runHook(commands.find((c) => c.includes('hook user-prompt-submit')) as string, { session_id: 'n-1', hook_event_name: 'UserPromptSubmit', prompt: 'hi', cwd: work }, hookEnv);
    expect(answer.code, answer.stderr).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ continue: true });
    // They run confab's own launcher, which outlives any cache.
    expect([...new Set(commands.map(commandProgram))]).toEqual([join(home, '.confab', 'bin', 'confab')]);
    await syncThroughHooks(commands, 'npx-session-1', hookEnv, { claudeDir: join(home, '.claude'), confabDir: join(home, '.confab') });
  }, INSTALL_TIMEOUT_MS);
});
