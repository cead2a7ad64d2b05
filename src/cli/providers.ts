import { resolveSettings } from '../config/settings.js';
import { ConfigError } from '../config/user-config.js';
import { findPluginProvider } from '../hook/plugin-providers.js';
import { installedPlugins } from '../plugin/installed.js';
import { byPrecedence, type PluginSpec } from '../config/plugin-spec.js';
import type { Provider } from '../provider/contract.js';
import { getProvider, knownProviderNames, registerProvider, UnknownProviderError } from '../provider/registry.js';

type Warn = (message: string) => void;

const toStderr: Warn = (message) => process.stderr.write(`confab: ${message}\n`);

/** Register the providers of every plugin in effect in `cwd`; a plugin that fails is reported and skipped. */
async function registerPluginProviders(cwd: string, warn: Warn): Promise<void> {
  const specs: PluginSpec[] = installedPlugins();
  try {
    specs.push(...(await resolveSettings({ cwd })).plugins);
  } catch (err) {
    // A broken config is the command's error to report (once), not a plugin warning.
    if (!(err instanceof ConfigError)) warn(err instanceof Error ? err.message : String(err));
  }
  if (specs.length === 0) return;
  const { loadPlugin } = await import('../plugin/load.js');
  for (const spec of byPrecedence(specs)) {
    try {
      const plugin = await loadPlugin(spec);
      if (plugin.provider) registerProvider(plugin.provider);
    } catch (err) {
      warn(err instanceof Error ? err.message : String(err));
    }
  }
}

/**
 * The providers a command acts on: the one named by --provider (built in, or from a plugin in
 * effect in the current directory), or every known one, plugins' included.
 */
export async function selectProviders(name: string | undefined, warn: Warn = toStderr): Promise<Provider[]> {
  if (name) {
    const wanted = name.trim().toLowerCase();
    try {
      return [await getProvider(wanted)];
    } catch (err) {
      if (!(err instanceof UnknownProviderError)) throw err;
      const found = await findPluginProvider(wanted, process.cwd(), warn);
      if (!found) throw err;
      return [found];
    }
  }
  await registerPluginProviders(process.cwd(), warn);
  return Promise.all(knownProviderNames().map((n) => getProvider(n)));
}

/** Known providers whose agent is installed on this machine. */
export async function detectedProviders(warn: Warn = toStderr): Promise<Provider[]> {
  const all = await selectProviders(undefined, warn);
  const found: Provider[] = [];
  for (const p of all) if (await p.detect?.().catch(() => false)) found.push(p);
  return found;
}
