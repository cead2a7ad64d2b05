/** Where a plugin was listed, from lowest to highest precedence. */
export type PluginOrigin = 'oclif-user' | 'oclif-link' | 'user-config' | 'project-config';

export const PLUGIN_ORIGINS: readonly PluginOrigin[] = ['oclif-user', 'oclif-link', 'user-config', 'project-config'];

/** One plugin to load, before it is resolved to a file. */
export interface PluginSpec {
  /** As listed: a package name, or a path (relative to `baseDir`). */
  specifier: string;
  /** Where package names and relative paths resolve from. */
  baseDir: string;
  origin: PluginOrigin;
  /** The file that lists it: a config file, or oclif's `package.json` in its data dir. */
  listedIn: string;
  /** The package's directory, when known without resolving (plugins installed with `confab plugins`). */
  packageDir?: string;
}

/** `plugin "./tools/x.ts" (from /repo/confab.config.ts)`: how messages name a plugin. */
export function describePlugin(spec: PluginSpec): string {
  return `plugin "${spec.specifier}" (from ${spec.listedIn})`;
}

/** Specs in the order they take effect: a later one's provider replaces an earlier one's of the same name. */
export function byPrecedence(specs: readonly PluginSpec[]): PluginSpec[] {
  return [...specs].sort((a, b) => PLUGIN_ORIGINS.indexOf(a.origin) - PLUGIN_ORIGINS.indexOf(b.origin));
}
