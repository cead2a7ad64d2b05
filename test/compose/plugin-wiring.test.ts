import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';
import { createDaemonForLaunch, type DaemonWiring } from '../../src/compose/daemon-launch.js';
import { defaultDaemonWiring } from '../../src/compose/wiring.js';
import { silentLogger } from '../../src/log.js';
import type { LoadedPlugin } from '../../src/plugin/load.js';
import { defineProvider, HookInputError } from '../../src/provider/contract.js';
import { unregisterProvider } from '../../src/provider/registry.js';
import { useTempHome } from '../helpers/sandbox.js';

const home = useTempHome();
afterEach(() => unregisterProvider('tap-agent'));

const tapAgent = defineProvider({
  name: 'tap-agent',
  parseHookInput() {
    throw new HookInputError('unused');
  },
  hookResponse: () => ({}),
  apply(ctx) {
    ctx.hooks.line.tap('provider-tap', (line) => line);
  },
});

function project(config: string): string {
  const dir = join(home(), 'repo');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'confab.config.ts'), config);
  return dir;
}

function wiring(plugins: LoadedPlugin[] | Error): DaemonWiring {
  return {
    openBackend: () => Promise.reject(new Error('not in this test')),
    createEngine: () => {
      throw new Error('not in this test');
    },
    applySettings: (daemon) => {
      daemon.hooks.line.tap('settings-tap', (line) => line);
    },
    loadPlugins: async () => {
      if (plugins instanceof Error) throw plugins;
      return plugins;
    },
  };
}

const launch = (cwd: string) => ({ provider: 'tap-agent', external_id: 'sess-1', transcript_path: join(cwd, 't.jsonl'), cwd });

describe('a daemon with plugins', () => {
  it("registers plugins' providers, then taps: the provider's, the plugins' apply, the settings', the project's apply", async () => {
    const cwd = project(`import { defineConfig } from 'confab-cli';
export default defineConfig({ apply(daemon) { daemon.hooks.line.tap('project-tap', (l) => l); } });
`);
    const seen: unknown[] = [];
    const plugin: LoadedPlugin = {
      spec: { specifier: './p.ts', baseDir: cwd, origin: 'project-config', listedIn: join(cwd, 'confab.config.ts') },
      provider: tapAgent,
      apply: (daemon) => {
        seen.push(daemon.config);
        daemon.hooks.line.tap('plugin-tap', (line) => line);
      },
    };
    const daemon = await createDaemonForLaunch(launch(cwd), wiring([plugin]), silentLogger);
    expect(daemon?.config.provider).toBe('tap-agent');
    expect(daemon?.hooks.line.taps.map((t) => t.name)).toEqual(['provider-tap', 'plugin-tap', 'settings-tap', 'project-tap']);
    expect(seen).toEqual([expect.objectContaining({ provider: 'tap-agent', externalId: 'sess-1', cwd })]);
  });

  it('does not start when a plugin fails to load or its apply throws, naming the plugin', async () => {
    const cwd = project('export default {};\n');
    await expect(createDaemonForLaunch(launch(cwd), wiring(new Error('plugin "x" (from y): cannot be found from z')), silentLogger)).rejects.toThrow(
      'plugin "x" (from y): cannot be found from z',
    );
    const throwing: LoadedPlugin = {
      spec: { specifier: 'bad-taps', baseDir: cwd, origin: 'user-config', listedIn: '/h/.confab/config.json' },
      provider: tapAgent,
      apply: () => {
        throw new Error('no hooks for you\nsecond line');
      },
    };
    await expect(createDaemonForLaunch(launch(cwd), wiring([throwing]), silentLogger)).rejects.toThrow(
      /^plugin "bad-taps" \(from \/h\/\.confab\/config\.json\): apply failed: no hooks for you$/,
    );
  });

  it("the production wiring loads the settings' plugins and refuses a broken one", async () => {
    const cwd = project(`export default { plugins: ['./tools/agent.mjs'] };\n`);
    mkdirSync(join(cwd, 'tools'));
    writeFileSync(
      join(cwd, 'tools', 'agent.mjs'),
      `export default { name: 'tap-agent', parseHookInput() {}, hookResponse() { return {}; } };\nexport function apply(d) { d.hooks.line.tap('from-plugin', (l) => l); }\n`,
    );
    const loaded = await defaultDaemonWiring().loadPlugins?.(await resolveSettings({ cwd }), silentLogger);
    expect(loaded?.map((p) => [p.spec.specifier, p.provider?.name, typeof p.apply])).toEqual([['./tools/agent.mjs', 'tap-agent', 'function']]);

    const daemon = await createDaemonForLaunch(launch(cwd), defaultDaemonWiring(), silentLogger);
    // Plugin taps come before the settings' own (redaction), so redaction cleans what plugins write.
    expect(daemon?.hooks.line.taps.map((t) => t.name)).toEqual(['from-plugin', 'confab:redaction']);

    writeFileSync(join(cwd, 'confab.config.ts'), `export default { plugins: ['./tools/missing.mjs'] };\n`);
    await expect(createDaemonForLaunch(launch(cwd), defaultDaemonWiring(), silentLogger)).rejects.toThrow(
      `plugin "./tools/missing.mjs" (from ${join(cwd, 'confab.config.ts')}): cannot be found from ${cwd}`,
    );
  });
});
