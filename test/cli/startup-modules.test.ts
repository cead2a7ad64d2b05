import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

// Libraries only some commands need: the server, the HTTP client, the file watcher, the
// project-config loaders, SQLite, the viewer's charts, the daemon's hooks.
const HEAVY = ['fastify', 'ky', 'chokidar', 'cosmiconfig', 'jiti', 'better-sqlite3', 'chart.js', 'tapable'];

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
