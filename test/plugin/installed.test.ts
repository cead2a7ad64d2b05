import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pluginDataDir } from '../../src/paths.js';
import { installedPlugins } from '../../src/plugin/installed.js';
import { useTempHome } from '../helpers/sandbox.js';

const home = useTempHome();

describe("oclif's plugin data dir, computed without oclif", () => {
  it('follows CONFAB_DATA_DIR, then XDG_DATA_HOME, then ~/.local/share', () => {
    expect(pluginDataDir({ HOME: '/h' })).toBe('/h/.local/share/confab');
    expect(pluginDataDir({ HOME: '/h', XDG_DATA_HOME: '/xdg' })).toBe('/xdg/confab');
    expect(pluginDataDir({ HOME: '/h', XDG_DATA_HOME: '/xdg', CONFAB_DATA_DIR: '/d' })).toBe('/d');
  });
});

describe('plugins installed or linked with `confab plugins`', () => {
  function manifest(body: unknown): string {
    const dir = join(home(), '.local', 'share', 'confab');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), typeof body === 'string' ? body : JSON.stringify(body));
    return dir;
  }

  it('reads installed and linked plugins from the manifest oclif writes', () => {
    const dir = manifest({
      name: 'confab',
      private: true,
      dependencies: { 'confab-plugin-a': '^1.0.0' },
      oclif: {
        schema: 1,
        plugins: [
          { name: 'confab-plugin-a', type: 'user', tag: 'latest' },
          { name: 'confab-plugin-b', type: 'link', root: '/src/plugin-b' },
          'confab-plugin-old',
          { name: 'no-root', type: 'link' },
          { name: 'confab-plugin-jit', type: 'jit' },
          42,
        ],
      },
    });
    const env = { HOME: home() };
    expect(installedPlugins(env)).toEqual([
      { specifier: 'confab-plugin-a', baseDir: dir, origin: 'oclif-user', listedIn: join(dir, 'package.json'), packageDir: join(dir, 'node_modules', 'confab-plugin-a') },
      { specifier: 'confab-plugin-b', baseDir: '/src/plugin-b', origin: 'oclif-link', listedIn: join(dir, 'package.json'), packageDir: '/src/plugin-b' },
      { specifier: 'confab-plugin-old', baseDir: dir, origin: 'oclif-user', listedIn: join(dir, 'package.json'), packageDir: join(dir, 'node_modules', 'confab-plugin-old') },
    ]);
  });

  it('has none without a manifest, or with one that is not what oclif writes', () => {
    expect(installedPlugins({ HOME: home() })).toEqual([]);
    manifest('{ not json');
    expect(installedPlugins({ HOME: home() })).toEqual([]);
    manifest({ oclif: { plugins: 'nope' } });
    expect(installedPlugins({ HOME: home() })).toEqual([]);
  });
});
