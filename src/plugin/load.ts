/**
 * Plugins: installed (`installed.ts`) and listed ones, resolved and imported with the public
 * API as their `confab-cli` (`load.ts`), and listed for `confab plugins` (`list.ts`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Jiti } from 'jiti';
import type { PluginApply, Provider } from '../provider/contract.js';
import { assertProvider, isBuiltinProvider } from '../provider/registry.js';
import { byPrecedence, describePlugin, type PluginSpec } from '../config/plugin-spec.js';

/** A plugin that could not be loaded; the message is one line naming the plugin and where it is listed. */
export class PluginLoadError extends Error {
  constructor(
    readonly spec: PluginSpec,
    /** What went wrong, without the plugin's name. */
    readonly problem: string,
  ) {
    super(`${describePlugin(spec)}: ${problem}`);
    this.name = 'PluginLoadError';
  }
}

export interface LoadedPlugin {
  spec: PluginSpec;
  /** The module imported; absent for an installed package with no entry module (it only adds commands). */
  entry?: string;
  provider?: Provider;
  apply?: PluginApply;
}

/** Plugins listed in a config file: a broken one is a broken config. */
export function isConfigured(spec: PluginSpec): boolean {
  return spec.origin === 'user-config' || spec.origin === 'project-config';
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim();
}

let loader: Promise<Jiti> | undefined;

/**
 * One module loader per process. `confab-cli` and `confab-cli/provider` are this installation's own
 * modules wherever the plugin lives (as in `confab.config.ts`), so a plugin needs no copy of
 * confab. Built packages load as native ESM when their imports resolve; TypeScript, and
 * plugins that cannot resolve `confab-cli` themselves, go through jiti's transform.
 * The public entry is imported by the package's own name, as plugins import it: it sits above
 * this loader (its `Daemon` loads plugins), so no relative import may reach up to it.
 */
function moduleLoader(): Promise<Jiti> {
  loader ??= (async () => {
    const [{ createJiti }, confab, confabProvider] = await Promise.all([import('jiti'), import('confab-cli'), import('../provider/public.js')]);
    return createJiti(import.meta.url, {
      virtualModules: { 'confab-cli': confab, 'confab-cli/provider': confabProvider },
      tryNative: true,
      // A provider's own `apply` must never be mistaken for the module's `apply` export.
      interopDefault: false,
      fsCache: false,
    });
  })();
  return loader;
}

function esmResolve(jiti: Jiti, id: string, fromDir: string): string {
  const resolved = jiti.esmResolve(id, { parentURL: pathToFileURL(join(fromDir, 'noop.js')).href });
  return resolved.startsWith('file:') ? fileURLToPath(resolved) : resolved;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The entry module of the package in `dir` (its `exports` for ESM imports, else `main` or
 * `index.js`), or undefined when it declares none.
 */
function packageEntry(jiti: Jiti, dir: string): string | undefined {
  let pkg: { name?: unknown; exports?: unknown; main?: unknown } | undefined;
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    pkg = undefined;
  }
  if (pkg?.exports === undefined && pkg?.main === undefined && !existsSync(join(dir, 'index.js'))) return undefined;
  // A package can import itself by name: that applies its "exports" map with ESM conditions.
  if (pkg?.exports !== undefined && typeof pkg.name === 'string') return esmResolve(jiti, pkg.name, dir);
  return esmResolve(jiti, dir, dir);
}

function isPathSpecifier(specifier: string): boolean {
  return /^\.{1,2}(?:[\\/]|$)/.test(specifier) || isAbsolute(specifier);
}

function resolveEntry(jiti: Jiti, spec: PluginSpec): string | undefined {
  if (spec.packageDir) return packageEntry(jiti, spec.packageDir);
  if (!isPathSpecifier(spec.specifier)) return esmResolve(jiti, spec.specifier, spec.baseDir);
  const target = resolve(spec.baseDir, spec.specifier);
  if (!isDirectory(target)) return esmResolve(jiti, target, spec.baseDir);
  const entry = packageEntry(jiti, target);
  if (!entry) throw new Error(`${target} has no entry module (package.json "exports" or "main", or index.js)`);
  return entry;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Read a plugin module's exports: a provider (`provider`, else a provider-shaped default export) and `apply`. */
function pluginExports(mod: unknown, spec: PluginSpec): { provider?: Provider; apply?: PluginApply } {
  const ns = isObject(mod) ? mod : {};
  const out: { provider?: Provider; apply?: PluginApply } = {};
  const candidate = ns.provider !== undefined ? ns.provider : ns.default;
  const looksLikeProvider = isObject(candidate) && ('parseHookInput' in candidate || 'hookResponse' in candidate || 'name' in candidate);
  if (ns.provider !== undefined || looksLikeProvider) {
    try {
      out.provider = assertProvider(candidate, 'the module');
    } catch (err) {
      throw new PluginLoadError(spec, firstLine(err));
    }
    if (isBuiltinProvider(out.provider.name)) {
      throw new PluginLoadError(spec, `provider "${out.provider.name}" is built into confab; a plugin cannot replace it (choose another name)`);
    }
  }
  if (ns.apply !== undefined) {
    if (typeof ns.apply !== 'function') throw new PluginLoadError(spec, '"apply" must be a function (daemon) => void');
    out.apply = ns.apply as PluginApply;
  }
  if (isConfigured(spec) && !out.provider && !out.apply) {
    throw new PluginLoadError(spec, 'exports neither a provider (default export or "provider") nor an "apply" function');
  }
  return out;
}

/** Resolve and import one plugin. Throws PluginLoadError (one line, naming the plugin). */
export async function loadPlugin(spec: PluginSpec): Promise<LoadedPlugin> {
  const jiti = await moduleLoader();
  let entry: string | undefined;
  try {
    entry = resolveEntry(jiti, spec);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const notFound = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' || /cannot find module/i.test(firstLine(err));
    throw new PluginLoadError(spec, notFound ? `cannot be found from ${spec.baseDir}` : firstLine(err));
  }
  if (!entry) return { spec };
  let mod: unknown;
  try {
    mod = await jiti.import(entry);
  } catch (err) {
    throw new PluginLoadError(spec, `failed to load ${entry}: ${firstLine(err)}`);
  }
  return { spec, entry, ...pluginExports(mod, spec) };
}

/**
 * Load every plugin, lowest precedence first (so registering their providers in this order
 * lets the more specific source win). A module listed twice loads once. A plugin listed in
 * a config file that fails to load throws; an installed one is reported through `warn` and
 * skipped, so one bad install cannot stop every session's sync.
 */
export async function loadPlugins(specs: readonly PluginSpec[], warn: (message: string) => void): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  const seen = new Set<string>();
  for (const spec of byPrecedence(specs)) {
    let plugin: LoadedPlugin;
    try {
      plugin = await loadPlugin(spec);
    } catch (err) {
      if (isConfigured(spec)) throw err;
      warn(firstLine(err));
      continue;
    }
    if (plugin.entry !== undefined) {
      if (seen.has(plugin.entry)) continue;
      seen.add(plugin.entry);
    }
    loaded.push(plugin);
  }
  return loaded;
}

/**
 * The plugin whose provider is called `name`, trying the most specific source first and
 * importing no more plugins than needed (hooks pay for each). Failures go to `warn`.
 */
export async function findPluginProvider(specs: readonly PluginSpec[], name: string, warn: (message: string) => void): Promise<LoadedPlugin | undefined> {
  for (const spec of byPrecedence(specs).reverse()) {
    try {
      const plugin = await loadPlugin(spec);
      if (plugin.provider?.name === name) return plugin;
    } catch (err) {
      warn(firstLine(err));
    }
  }
  return undefined;
}
