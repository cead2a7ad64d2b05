import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pluginDataDir } from '../paths.js';
import type { PluginSpec } from '../config/plugin-spec.js';

/**
 * The plugins `confab plugins install|link` recorded, read straight from oclif's manifest
 * (`<data dir>/package.json`, `oclif.plugins`) so hooks and daemons need not load oclif.
 * Installed packages live in `<data dir>/node_modules`; linked ones at their `root`.
 * A missing or unreadable manifest means no plugins: it is oclif's file, not the user's.
 */
export function installedPlugins(env: NodeJS.ProcessEnv = process.env): PluginSpec[] {
  const dataDir = pluginDataDir(env);
  const manifest = join(dataDir, 'package.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch {
    return [];
  }
  const list = (raw as { oclif?: { plugins?: unknown } } | null)?.oclif?.plugins;
  if (!Array.isArray(list)) return [];
  const specs: PluginSpec[] = [];
  for (const entry of list) {
    // oclif writes objects; very old manifests held bare names of installed packages.
    const e = (typeof entry === 'string' ? { name: entry, type: 'user' } : entry) as { name?: unknown; type?: unknown; root?: unknown } | null;
    if (typeof e?.name !== 'string' || e.name === '') continue;
    if (e.type === 'user') {
      specs.push({ specifier: e.name, baseDir: dataDir, origin: 'oclif-user', listedIn: manifest, packageDir: join(dataDir, 'node_modules', e.name) });
    } else if (e.type === 'link' && typeof e.root === 'string' && isAbsolute(e.root)) {
      specs.push({ specifier: e.name, baseDir: e.root, origin: 'oclif-link', listedIn: manifest, packageDir: e.root });
    }
  }
  return specs;
}
