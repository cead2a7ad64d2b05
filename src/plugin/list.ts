import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSettings } from '../config/settings.js';
import { BUILTIN_PROVIDERS } from '../provider/registry.js';
import { installedPlugins } from './installed.js';
import { loadPlugin, PluginLoadError } from './load.js';
import { byPrecedence, type PluginOrigin, type PluginSpec } from '../config/plugin-spec.js';

/** One row of `confab plugins`. */
export interface PluginListing {
  /** The package name, or the path as listed in a config file. */
  name: string;
  origin: 'builtin' | PluginOrigin;
  /** Where it comes from: the config file that lists it, or the package's directory. */
  from: string;
  /** The module confab imports (absent when it has none, e.g. an installed package that only adds commands). */
  entry?: string;
  providers: string[];
  /** Whether it taps every session's daemon (`apply` export). */
  apply: boolean;
  /** Commands it adds to confab (installed and linked plugins). */
  commands: string[];
  /** Why it could not be loaded: its providers and taps are not in effect. */
  error?: string;
}

function builtinLocation(module: string): string {
  try {
    return dirname(fileURLToPath(import.meta.resolve(module)));
  } catch {
    return module;
  }
}

/**
 * Every plugin in effect for sessions in `cwd`, in order of precedence (a later provider of
 * the same name replaces an earlier one): built-ins, installed with `confab plugins
 * install|link`, listed in `~/.confab/config.json`, listed in the project config. Each
 * listed plugin is loaded to report what it provides; failures are reported in its row.
 */
export async function listPlugins(opts: { cwd: string; commands?: ReadonlyMap<string, string[]> }): Promise<{ plugins: PluginListing[]; warnings: string[] }> {
  const warnings: string[] = [];
  const plugins: PluginListing[] = Object.entries(BUILTIN_PROVIDERS).map(([provider, builtin]) => ({
    name: builtin.package,
    origin: 'builtin',
    from: builtinLocation(builtin.module),
    providers: [provider],
    apply: false,
    commands: [],
  }));
  let configured: PluginSpec[] = [];
  try {
    configured = (await resolveSettings({ cwd: opts.cwd })).plugins;
  } catch (err) {
    warnings.push(err instanceof Error ? err.message : String(err));
  }
  for (const spec of byPrecedence([...installedPlugins(), ...configured])) {
    const row: PluginListing = {
      name: spec.specifier,
      origin: spec.origin,
      from: spec.packageDir ?? spec.listedIn,
      providers: [],
      apply: false,
      commands: opts.commands?.get(spec.specifier) ?? [],
    };
    try {
      const plugin = await loadPlugin(spec);
      if (plugin.entry) row.entry = plugin.entry;
      if (plugin.provider) row.providers = [plugin.provider.name];
      row.apply = plugin.apply !== undefined;
    } catch (err) {
      row.error = err instanceof PluginLoadError ? err.problem : err instanceof Error ? err.message : String(err);
    }
    plugins.push(row);
  }
  return { plugins, warnings };
}
