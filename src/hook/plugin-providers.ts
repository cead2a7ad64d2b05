import { resolveSettings, type Settings } from '../config/settings.js';
import { installedPlugins } from '../plugin/installed.js';
import type { PluginSpec } from '../config/plugin-spec.js';
import type { Provider } from '../provider/contract.js';
import { isBuiltinProvider, registerProvider } from '../provider/registry.js';

const settingsByCwd = new Map<string, Promise<Settings>>();

/**
 * The settings for a session's cwd (user config, project config, env), resolved at most once
 * per hook process: finding a plugin's provider and the check before starting a daemon both
 * need them, and a TypeScript project config costs a transpiler load.
 */
export function sessionSettings(cwd: string): Promise<Settings> {
  let settings = settingsByCwd.get(cwd);
  if (!settings) {
    settings = resolveSettings({ cwd });
    settingsByCwd.set(cwd, settings);
  }
  return settings;
}

/** The session's cwd, read from the payload before any provider has validated it. */
export function payloadCwd(payload: unknown): string {
  const cwd = typeof payload === 'object' && payload !== null ? (payload as { cwd?: unknown }).cwd : undefined;
  return typeof cwd === 'string' ? cwd : '';
}

/**
 * Find a provider that is not built in among the plugins: those listed in the project config
 * for the session's cwd, in `~/.confab/config.json`, and installed with `confab plugins`
 * (most specific first). Only runs for names confab does not ship, so hooks of built-in
 * providers never pay for it. Problems (a broken config, a plugin that fails to load) go to
 * `warn`, one line each.
 */
export async function findPluginProvider(name: string, cwd: string, warn: (message: string) => void): Promise<Provider | undefined> {
  if (name === '' || isBuiltinProvider(name)) return undefined;
  const specs: PluginSpec[] = installedPlugins();
  try {
    specs.push(...(await sessionSettings(cwd)).plugins);
  } catch (err) {
    warn(err instanceof Error ? err.message : String(err));
  }
  if (specs.length === 0) return undefined;
  // Kept out of the hook bundle: the module loader loads only for plugin providers.
  const { findPluginProvider: find } = await import('../plugin/load.js');
  const plugin = await find(specs, name, warn);
  if (!plugin?.provider) return undefined;
  registerProvider(plugin.provider);
  return plugin.provider;
}
