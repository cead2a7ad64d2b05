import type { Provider } from './contract.js';

type ProviderLoader = () => Promise<Provider>;

/** A plugin module exports its provider as default (or as `provider`). */
export function providerFromModule(mod: unknown, from: string): Provider {
  const m = mod as { default?: unknown; provider?: unknown } | null;
  return assertProvider(m?.default ?? m?.provider, from);
}

/**
 * The built-in providers: their package names (for `confab plugins`) and the modules that
 * ship inside confab's own package (subpath imports of `package.json`, so an installed
 * confab needs nothing but itself; the hook bundler inlines them from source).
 */
export const BUILTIN_PROVIDERS: Readonly<Record<string, { package: string; module: string }>> = {
  'claude-code': { package: '@confab/plugin-claude-code', module: '#builtin/claude-code' },
  codex: { package: '@confab/plugin-codex', module: '#builtin/codex' },
  cursor: { package: '@confab/plugin-cursor', module: '#builtin/cursor' },
  opencode: { package: '@confab/plugin-opencode', module: '#builtin/opencode' },
};

/** Providers that ship with confab, loaded only when asked for (hooks must start fast). */
const builtins = new Map<string, ProviderLoader>([
  // The specifiers stay literals for the hook bundler (which inlines the plugin) while the
  // cast keeps tsc from resolving them: the plugin itself depends on confab's types.
  ['claude-code', async () => providerFromModule(await import('#builtin/claude-code' as string), '@confab/plugin-claude-code')],
  ['codex', async () => providerFromModule(await import('#builtin/codex' as string), '@confab/plugin-codex')],
  ['cursor', async () => providerFromModule(await import('#builtin/cursor' as string), '@confab/plugin-cursor')],
  ['opencode', async () => providerFromModule(await import('#builtin/opencode' as string), '@confab/plugin-opencode')],
]);

/** Built-in names are reserved: a plugin cannot replace a provider that ships with confab. */
export function isBuiltinProvider(name: string): boolean {
  return builtins.has(name);
}

const extra = new Map<string, Provider>();

export class UnknownProviderError extends Error {
  constructor(name: string) {
    const known = [...new Set([...builtins.keys(), ...extra.keys()])].sort().join(', ');
    super(name === '' ? `no provider given (known: ${known})` : `unknown provider "${name}" (known: ${known})`);
    this.name = 'UnknownProviderError';
  }
}

/** Check at runtime that a plugin module really exports a provider. */
export function assertProvider(candidate: unknown, from: string): Provider {
  if (typeof candidate !== 'object' || candidate === null) {
    throw new Error(`${from} does not export a provider object`);
  }
  const p = candidate as Partial<Provider>;
  if (typeof p.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(p.name)) {
    throw new Error(`${from}: provider "name" must be a lowercase identifier like "claude-code"`);
  }
  if (typeof p.parseHookInput !== 'function' || typeof p.hookResponse !== 'function') {
    throw new Error(`${from}: provider "${p.name}" must define parseHookInput and hookResponse`);
  }
  return candidate as Provider;
}

/** Make a provider available by name (from config, a plugin, or a test). Later registrations win. */
export function registerProvider(provider: Provider): void {
  extra.set(provider.name, assertProvider(provider, `provider "${String((provider as { name?: unknown }).name)}"`));
}

export function unregisterProvider(name: string): void {
  extra.delete(name);
}

export function knownProviderNames(): string[] {
  return [...new Set([...builtins.keys(), ...extra.keys()])].sort();
}

export async function getProvider(name: string): Promise<Provider> {
  const registered = extra.get(name);
  if (registered) return registered;
  const load = builtins.get(name);
  if (!load) throw new UnknownProviderError(name);
  return load();
}
