import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

// Libraries only some commands need: the server, the HTTP client, the file watcher, the
// project-config loaders, SQLite, the viewer's charts, the daemon's hooks.
const HEAVY = ['fastify', 'chokidar', 'cosmiconfig', 'jiti', 'better-sqlite3', 'chart.js', 'tapable'];

/** confab's command modules and the npm packages a run of `confab <args>` loaded, from Node's own module tracing. */
async function loadedBy(args: string[]): Promise<{ commands: string[]; packages: string[] }> {
  const res = await sandbox().run(args, { env: { NODE_DEBUG: 'module,esm' } });
  expect(res.code, res.stderr.slice(-2000)).toBe(0);
  const commands = new Set([...res.stderr.matchAll(/\/dist\/commands\/([\w./-]+)\.js/g)].map((m) => m[1] as string));
  const packages = new Set([...res.stderr.matchAll(/\/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//g)].map((m) => m[1] as string));
  return { commands: [...commands].sort(), packages: [...packages].sort() };
}

describe('start-up of the CLI', () => {
  it('`confab --version` imports no command and none of the heavy libraries', async () => {
    const { commands, packages } = await loadedBy(['--version']);
    expect(commands).toEqual([]);
    expect(packages.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  it('`confab list --json` in an empty home imports only its own command, and none of the heavy libraries', async () => {
    const { commands, packages } = await loadedBy(['list', '--json']);
    expect(commands).toEqual(['confab-command', 'list']);
    expect(packages.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  it('`confab usage --json` imports only its own command', async () => {
    const { commands } = await loadedBy(['usage', '--json']);
    expect(commands).toEqual(['confab-command', 'usage']);
  });
});

/**
 * Node's built-in modules a hook process loaded (`process.moduleLoadList`, written at exit by
 * a preload; a daemon the hook spawns inherits the preload but does not write).
 */
async function builtinsLoadedByHook(event: string, payload: object): Promise<string[]> {
  const sbx = sandbox();
  const dir = sbx.dir('modules');
  const preload = join(dir, 'preload.cjs');
  const out = join(dir, 'loaded.json');
  writeFileSync(
    preload,
    `if (!process.argv.includes('--bg-daemon')) process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList)));\n`,
  );
  const res = await sbx.run(['hook', event], { input: JSON.stringify(payload), env: { NODE_OPTIONS: `--require ${preload}` } });
  expect(res.code, res.stderr.slice(-2000)).toBe(0);
  return (JSON.parse(readFileSync(out, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
}

describe('start-up of the hooks', () => {
  // node:crypto alone costs a hook start about 10 ms; what the hooks need of it (unique names
  // for lock and temp files) does not need a cryptographic source.
  // node:fs/promises costs 2–3 ms more; the hooks' locks use the callback API.
  it('a session-start that spawns a daemon, and a tool call, load neither node:crypto nor node:fs/promises', async () => {
    const sbx = sandbox();
    const project = join(sbx.home, '.claude', 'projects', '-work-app');
    mkdirSync(project, { recursive: true });
    const sessionId = '7f0c6a52-5d1e-4c36-9a55-0d1f3c2b9e10';
    const transcript = join(project, `${sessionId}.jsonl`);
    writeFileSync(transcript, '{"type":"user"}\n');
    const base = { session_id: sessionId, transcript_path: transcript, cwd: sbx.root };
    const start = await builtinsLoadedByHook('session-start', { ...base, hook_event_name: 'SessionStart', source: 'startup' });
    expect(start).toContain('child_process'); // it did spawn
    expect(start.filter((m) => m === 'crypto' || m.startsWith('internal/crypto/'))).toEqual([]);
    expect(start.filter((m) => m === 'fs/promises' || m === 'internal/fs/promises')).toEqual([]);
    const tool = await builtinsLoadedByHook('pre-tool-use', { ...base, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } });
    expect(tool.filter((m) => m === 'crypto' || m.startsWith('internal/crypto/'))).toEqual([]);
    expect(tool.filter((m) => m === 'fs/promises' || m === 'internal/fs/promises')).toEqual([]);
  });

  it('hooks never load oclif', async () => {
    const res = await sandbox().run(['hook', 'pre-tool-use'], { input: '{}', env: { NODE_DEBUG: 'module' } });
    expect(res.stderr).not.toMatch(/@oclif\/core/);
  });
});

describe('oclif.manifest.json', () => {
  // The build writes it; oclif reads every command's help, flags and file from it.
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
    version: string;
    commands: Record<string, { relativePath: string[]; isESM: boolean }>;
  };

  it('lists every file under src/commands as the command its path names, and nothing else', () => {
    const dir = join(REPO_ROOT, 'src', 'commands');
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
    // The two modules under commands/ that are not commands (package.json's oclif.commands.globPatterns).
    const helpers = ['confab-command', join('hook', 'hook-command')];
    const expected = Object.fromEntries(
      files.filter((f) => !helpers.includes(f)).map((f) => [f.split('/').filter((part, i, all) => !(part === 'index' && i === all.length - 1)).join(':'), ['dist', 'commands', ...f.split('/')].join('/') + '.js']),
    );
    const listed = Object.fromEntries(Object.entries(manifest.commands).map(([id, c]) => [id, c.relativePath.join('/')]));
    expect(listed).toEqual(expected);
    expect(Object.values(manifest.commands).every((c) => c.isESM)).toBe(true);
  });

  it('is of the package version, and published with the package', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; files: string[] };
    expect(manifest.version).toBe(pkg.version);
    expect(pkg.files).toContain('oclif.manifest.json');
  });
});
