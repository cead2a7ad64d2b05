import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDaemonHooks } from '../../src/extension/daemon-hooks.js';
import { findPluginProvider, loadPlugin, loadPlugins, PluginLoadError } from '../../src/plugin/load.js';
import type { PluginOrigin, PluginSpec } from '../../src/config/plugin-spec.js';
import { docExample } from '../helpers/doc-examples.js';
import { useTempHome } from '../helpers/sandbox.js';

const home = useTempHome();

function write(path: string, body: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  return path;
}

function spec(specifier: string, baseDir: string, origin: PluginOrigin = 'project-config', extra: Partial<PluginSpec> = {}): PluginSpec {
  return { specifier, baseDir, origin, listedIn: join(baseDir, 'confab.config.ts'), ...extra };
}

/** A provider module body whose provider is `name` (TypeScript, importing confab's public API). */
function providerTs(name: string, extra = ''): string {
  return `import { defineProvider, HookInputError, type SessionHookInput } from 'confab-cli/provider';
export default defineProvider({
  name: ${JSON.stringify(name)},
  parseHookInput(_event, payload): SessionHookInput {
    if (typeof payload !== 'object' || payload === null) throw new HookInputError('payload must be an object');
    return { sessionId: 's', transcriptPath: '', cwd: '', payload: payload as Record<string, unknown> };
  },
  hookResponse: () => ({ ok: ${JSON.stringify(name)} }),
});
${extra}`;
}

const LINE_CTX = { fileName: 'f.jsonl', fileType: 'transcript' as const, lineNumber: 1 };

describe('loading one plugin', () => {
  it('loads a TypeScript file listed by a relative path: its default-export provider and its apply', async () => {
    const dir = join(home(), 'repo');
    write(
      join(dir, 'tools', 'my-agent.ts'),
      providerTs(
        'my-agent',
        `import type { DaemonHandle } from 'confab-cli';
export function apply(daemon: DaemonHandle): void {
  daemon.hooks.line.tap('shout', (line) => line.toUpperCase());
}`,
      ),
    );
    const plugin = await loadPlugin(spec('./tools/my-agent.ts', dir));
    expect(plugin.entry).toBe(join(dir, 'tools', 'my-agent.ts'));
    expect(plugin.provider?.name).toBe('my-agent');
    expect(plugin.provider?.hookResponse('session-start', {})).toEqual({ ok: 'my-agent' });
    // The provider's HookInputError comes from confab's public API.
    expect(() => plugin.provider?.parseHookInput('session-start', 7, { validateTranscript: false })).toThrow('payload must be an object');
    const hooks = createDaemonHooks();
    await plugin.apply?.({ hooks, config: { provider: 'my-agent', externalId: 's', transcriptPath: '/t', cwd: '/' } });
    expect(hooks.line.call('abc', LINE_CTX)).toBe('ABC');
  });

  it('resolves a package name from the listing directory, honouring its "exports"', async () => {
    const dir = join(home(), 'repo');
    const pkg = join(dir, 'node_modules', '@acme', 'confab-plugin');
    write(join(pkg, 'package.json'), JSON.stringify({ name: '@acme/confab-plugin', type: 'module', exports: { '.': { import: './dist/index.js' } } }));
    write(join(pkg, 'dist', 'index.js'), `export const provider = { name: 'acme', parseHookInput() { throw new Error('x'); }, hookResponse: () => ({}) };\n`);
    const plugin = await loadPlugin(spec('@acme/confab-plugin', dir));
    expect(plugin.entry).toBe(join(pkg, 'dist', 'index.js'));
    expect(plugin.provider?.name).toBe('acme');
    expect(plugin.apply).toBeUndefined();
  });

  it('loads a package directory by its "main", and an apply-only module', async () => {
    const dir = join(home(), 'repo');
    write(join(dir, 'taps', 'package.json'), JSON.stringify({ name: 'taps', type: 'module', main: './lib/main.js' }));
    write(join(dir, 'taps', 'lib', 'main.js'), `export function apply(daemon) { daemon.hooks.line.tap('x', (l) => l + '!'); }\n`);
    const plugin = await loadPlugin(spec('./taps', dir));
    expect(plugin.entry).toBe(join(dir, 'taps', 'lib', 'main.js'));
    expect(plugin.provider).toBeUndefined();
    expect(typeof plugin.apply).toBe('function');
  });

  it("never takes a provider's own apply for the module's apply", async () => {
    const dir = join(home(), 'repo');
    write(join(dir, 'p.mjs'), `export default { name: 'own-apply', parseHookInput() {}, hookResponse() {}, apply() {} };\n`);
    const plugin = await loadPlugin(spec('./p.mjs', dir));
    expect(plugin.provider?.name).toBe('own-apply');
    expect(plugin.apply).toBeUndefined();
  });

  it('treats an installed package without an entry module as commands only', async () => {
    const pkg = join(home(), 'data', 'node_modules', 'cmds-only');
    write(join(pkg, 'package.json'), JSON.stringify({ name: 'cmds-only', oclif: { commands: './commands' } }));
    const plugin = await loadPlugin(spec('cmds-only', join(home(), 'data'), 'oclif-user', { packageDir: pkg }));
    expect(plugin).toEqual({ spec: expect.objectContaining({ specifier: 'cmds-only' }) });
  });

  it.each([
    ['a missing file', './tools/nope.ts', {}, /^plugin "\.\/tools\/nope\.ts" \(from .*confab\.config\.ts\): cannot be found from /],
    ['a missing package', 'not-installed-anywhere', {}, /cannot be found from/],
    ['a syntax error', './bad.ts', { 'bad.ts': 'export default {{{' }, /: failed to load .*bad\.ts: /],
    ['no provider and no apply', './empty.mjs', { 'empty.mjs': 'export const x = 1;\n' }, /exports neither a provider \(default export or "provider"\) nor an "apply" function/],
    ['a provider without parseHookInput', './half.mjs', { 'half.mjs': "export default { name: 'half', hookResponse() {} };\n" }, /provider "half" must define parseHookInput and hookResponse/],
    ['a built-in provider name', './cc.mjs', { 'cc.mjs': "export default { name: 'claude-code', parseHookInput() {}, hookResponse() {} };\n" }, /provider "claude-code" is built into confab/],
    ['an apply that is not a function', './ap.mjs', { 'ap.mjs': 'export const apply = 3;\n' }, /"apply" must be a function/],
  ])('reports %s as one line naming the plugin and its config', async (_what, specifier, files: Record<string, string>, message) => {
    const dir = join(home(), 'repo');
    for (const [name, body] of Object.entries(files)) write(join(dir, name), body);
    const err = await loadPlugin(spec(specifier, dir)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(`plugin "${specifier}" (from ${join(dir, 'confab.config.ts')})`);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });
});

describe('loading every plugin of a session', () => {
  function providerFile(dir: string, file: string, name: string, tag: string): void {
    write(join(dir, file), `export default { name: ${JSON.stringify(name)}, parseHookInput() {}, hookResponse: () => ({ from: ${JSON.stringify(tag)} }) };\n`);
  }

  it('orders them by precedence (installed < user config < project config) and loads a module listed twice once', async () => {
    const dir = join(home(), 'repo');
    providerFile(dir, 'a.mjs', 'agent', 'project');
    providerFile(dir, 'b.mjs', 'agent', 'user');
    providerFile(dir, 'c.mjs', 'other', 'installed');
    const loaded = await loadPlugins(
      [spec('./a.mjs', dir, 'project-config'), spec('./b.mjs', dir, 'user-config'), spec('./c.mjs', dir, 'oclif-link'), spec(join(dir, 'a.mjs'), dir, 'user-config')],
      () => {},
    );
    expect(loaded.map((p) => [p.spec.origin, p.spec.specifier])).toEqual([
      ['oclif-link', './c.mjs'],
      ['user-config', './b.mjs'],
      ['user-config', join(dir, 'a.mjs')],
    ]);
  });

  it('skips an installed plugin that fails (with a warning) but refuses a configured one', async () => {
    const dir = join(home(), 'repo');
    providerFile(dir, 'ok.mjs', 'fine', 'x');
    const warnings: string[] = [];
    const loaded = await loadPlugins([spec('./ok.mjs', dir), spec('./gone.mjs', dir, 'oclif-user')], (m) => warnings.push(m));
    expect(loaded.map((p) => p.provider?.name)).toEqual(['fine']);
    expect(warnings).toEqual([expect.stringMatching(/^plugin "\.\/gone\.mjs" .*cannot be found/)]);
    await expect(loadPlugins([spec('./gone.mjs', dir, 'user-config')], () => {})).rejects.toThrow(/plugin "\.\/gone\.mjs"/);
  });

  it('finds a provider by name in the most specific source first, loading no more plugins than needed', async () => {
    const dir = join(home(), 'repo');
    providerFile(dir, 'project.mjs', 'agent', 'project');
    providerFile(dir, 'user.mjs', 'agent', 'user');
    const warnings: string[] = [];
    const specs = [spec('./broken-installed.mjs', dir, 'oclif-user'), spec('./user.mjs', dir, 'user-config'), spec('./project.mjs', dir, 'project-config')];
    const found = await findPluginProvider(specs, 'agent', (m) => warnings.push(m));
    expect(found?.provider?.hookResponse('session-start', {})).toEqual({ from: 'project' });
    // The broken installed plugin comes last and was never needed.
    expect(warnings).toEqual([]);
    expect(await findPluginProvider(specs, 'nobody', (m) => warnings.push(m))).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('plugin "./broken-installed.mjs"')]);
  });
});

describe('the examples in docs/plugins.md', () => {
  it('the apply example rewrites lines as its test snippet says', async () => {
    const dir = join(home(), 'repo');
    write(join(dir, 'tools', 'internal-hosts.ts'), docExample('tools/internal-hosts.ts'));
    const plugin = await loadPlugin(spec('./tools/internal-hosts.ts', dir));
    const hooks = createDaemonHooks();
    await plugin.apply?.({ hooks, config: { provider: 'my-agent', externalId: 's1', transcriptPath: '/t.jsonl', cwd: '/repo' } });
    const ctx = { fileName: 't.jsonl', fileType: 'transcript' as const, lineNumber: 1 };
    expect(hooks.line.call('{"host":"db.corp.internal"}', ctx)).toBe('{"host":"internal-host"}');
    expect(hooks.afterSync.taps.map((t) => t.name)).toEqual(['internal-hosts']);
  });
});
