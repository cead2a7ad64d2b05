import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';
import { loadUserConfig, saveUserConfig } from '../../src/config/user-config.js';
import { useTempHome } from '../helpers/sandbox.js';

const home = useTempHome();

function userConfig(body: object): string {
  mkdirSync(join(home(), '.confab'), { recursive: true });
  const path = join(home(), '.confab', 'config.json');
  writeFileSync(path, JSON.stringify(body));
  return path;
}

describe('plugins in the settings', () => {
  it('lists the user config plugins, then the project config plugins, each resolving from its own file', async () => {
    const userPath = userConfig({ backend_url: '', api_key: '', plugins: ['@acme/confab-taps', './my-plugins/tag.mjs'] });
    const repo = join(home(), 'work', 'repo');
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'confab.config.ts'), `import { defineConfig } from 'confab-cli';\nexport default defineConfig({ plugins: ['./tools/my-agent.ts'] });\n`);
    const settings = await resolveSettings({ cwd: join(repo, 'src'), env: {} });
    expect(settings.plugins).toEqual([
      { specifier: '@acme/confab-taps', baseDir: join(home(), '.confab'), origin: 'user-config', listedIn: userPath },
      { specifier: './my-plugins/tag.mjs', baseDir: join(home(), '.confab'), origin: 'user-config', listedIn: userPath },
      { specifier: './tools/my-agent.ts', baseDir: repo, origin: 'project-config', listedIn: join(repo, 'confab.config.ts') },
    ]);
  });

  it('refuses a "plugins" in config.json that is not a list of names, naming the file', () => {
    const path = userConfig({ backend_url: '', api_key: '', plugins: 'my-plugin' });
    expect(() => loadUserConfig()).toThrow(`${path}: "plugins" must be a list of package names or paths`);
    userConfig({ backend_url: '', api_key: '', plugins: ['ok', ''] });
    expect(() => loadUserConfig()).toThrow(/"plugins" must be a list/);
  });

  it('keeps "plugins" when config.json is rewritten', () => {
    saveUserConfig({ backend_url: '', api_key: '', plugins: ['a'], log_level: 'info' });
    expect(loadUserConfig().plugins).toEqual(['a']);
  });

  it('refuses a non-list "plugins" in a project config, naming the file', async () => {
    const repo = join(home(), 'repo');
    mkdirSync(repo, { recursive: true });
    writeFileSync(join(repo, 'confab.config.json'), '{"plugins": "./x.ts"}');
    await expect(resolveSettings({ cwd: repo, env: {} })).rejects.toThrow(`${join(repo, 'confab.config.json')}: "plugins" must be a list`);
  });
});
