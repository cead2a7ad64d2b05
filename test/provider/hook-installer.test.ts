import { describe, expect, it } from 'vitest';
import { collectStatus } from '../../src/cli/status.js';
import { defineProvider, hookInstallerOf, type HookInstaller, type Provider } from '../../src/provider/contract.js';
import { useTempHome } from '../helpers/sandbox.js';
import { plainTestProvider } from '../helpers/test-provider.js';

useTempHome();

function installer(installed: boolean, commands: string[] = []): HookInstaller {
  return {
    install: async () => ({ path: '/agent/settings.json', changed: true }),
    uninstall: async () => ({ path: '/agent/settings.json', changed: true }),
    isInstalled: async () => installed,
    installedCommands: async () => commands,
  };
}

describe('Provider.hookInstaller (formerly Provider.hooks)', () => {
  it('is read from hookInstaller, else from the deprecated hooks', () => {
    const current = installer(true);
    const legacy = installer(false);
    expect(hookInstallerOf({ hookInstaller: current })).toBe(current);
    expect(hookInstallerOf({ hooks: legacy })).toBe(legacy);
    expect(hookInstallerOf({ hookInstaller: current, hooks: legacy })).toBe(current);
    expect(hookInstallerOf({})).toBeUndefined();
  });

  it('confab status checks the hooks of a provider under either name', async () => {
    const providers: Provider[] = [
      defineProvider({ ...plainTestProvider, name: 'new-name', hookInstaller: installer(true, ['/gone/confab hook session-start']) }),
      defineProvider({ ...plainTestProvider, name: 'old-name', hooks: installer(true, ['/gone/confab hook session-start']) }),
      defineProvider({ ...plainTestProvider, name: 'no-installer' }),
    ];
    const report = await collectStatus(providers, { cwd: process.cwd() });
    const rows = Object.fromEntries(report.providers.map((r) => [r.provider, r]));
    expect(rows['new-name']).toMatchObject({ hooksInstalled: true, brokenHooks: [expect.objectContaining({ program: '/gone/confab' })] });
    expect(rows['old-name']).toMatchObject({ hooksInstalled: true, brokenHooks: [expect.objectContaining({ program: '/gone/confab' })] });
    expect(rows['no-installer']).toMatchObject({ hooksInstalled: null, brokenHooks: [] });
  });
});
