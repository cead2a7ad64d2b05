import { existsSync } from 'node:fs';
import { dirname, isAbsolute, parse as parsePath, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProjectConfig, ProjectRedactionPattern } from './define.js';
import { hasProjectConfigCandidate, PROJECT_CONFIG_FILES } from './project-config-files.js';

export { hasProjectConfigCandidate, PROJECT_CONFIG_FILES };

export interface LoadedProjectConfig {
  config: ProjectConfig;
  filepath: string;
}
import { ConfigError, validateApiKey, validateBackendUrl } from './user-config.js';

/** The module specifier `confab-cli` resolves to inside config files, even in projects that do not install confab. */
function confabEntry(): string {
  const js = fileURLToPath(new URL('../index.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('../index.ts', import.meta.url));
}

const TOP_KEYS = ['enabled', 'backend', 'sync', 'redaction', 'plugins', 'apply'] as const;

function suggest(key: string, known: readonly string[]): string {
  let best = '';
  let bestScore = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = k;
    }
  }
  return bestScore <= 2 ? ` (did you mean "${best}"?)` : ` (known keys: ${known.join(', ')})`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function checkKeys(obj: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new ConfigError(`${where}: unknown key "${key}"${suggest(key, known)}`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
}

function checkPattern(value: unknown, where: string): void {
  if (value === undefined) return;
  if (!(value instanceof RegExp) && typeof value !== 'string') throw new ConfigError(`${where} must be a RegExp or a string`);
}

/**
 * Check a loaded project config object. Errors name the file and the offending key:
 * unknown keys (with a suggestion) and wrong types are refused, never ignored.
 */
export function validateProjectConfig(raw: unknown, file: string): ProjectConfig {
  if (!isPlainObject(raw)) throw new ConfigError(`${file}: the config must be an object (export default defineConfig({...}))`);
  checkKeys(raw, TOP_KEYS, file);
  const c = raw as ProjectConfig & Record<string, unknown>;
  if (c.enabled !== undefined && typeof c.enabled !== 'boolean') throw new ConfigError(`${file}: "enabled" must be true or false`);
  if (c.backend !== undefined && c.backend !== 'local') {
    if (!isPlainObject(c.backend)) throw new ConfigError(`${file}: "backend" must be "local" or { url, apiKey? }`);
    checkKeys(c.backend, ['url', 'apiKey'], `${file}: backend`);
    if (typeof c.backend.url !== 'string' || c.backend.url === '') throw new ConfigError(`${file}: "backend.url" must be a non-empty string`);
    validateBackendUrl(c.backend.url, `${file}: "backend.url"`);
    if (c.backend.apiKey !== undefined) {
      if (typeof c.backend.apiKey !== 'string') throw new ConfigError(`${file}: "backend.apiKey" must be a string`);
      validateApiKey(c.backend.apiKey, `${file}: "backend.apiKey"`);
    }
  }
  if (c.sync !== undefined) {
    if (!isPlainObject(c.sync)) throw new ConfigError(`${file}: "sync" must be an object`);
    checkKeys(c.sync, ['intervalMs', 'jitterMs'], `${file}: sync`);
    for (const [k, min] of [['intervalMs', 1], ['jitterMs', 0]] as const) {
      const v = c.sync[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 3_600_000)) {
        throw new ConfigError(`${file}: "sync.${k}" must be an integer between ${min} and 3600000`);
      }
    }
  }
  if (c.redaction !== undefined) {
    if (!isPlainObject(c.redaction)) throw new ConfigError(`${file}: "redaction" must be an object`);
    checkKeys(c.redaction, ['enabled', 'useDefaultPatterns', 'patterns'], `${file}: redaction`);
    for (const k of ['enabled', 'useDefaultPatterns'] as const) {
      if (c.redaction[k] !== undefined && typeof c.redaction[k] !== 'boolean') throw new ConfigError(`${file}: "redaction.${k}" must be true or false`);
    }
    if (c.redaction.patterns !== undefined) {
      if (!Array.isArray(c.redaction.patterns)) throw new ConfigError(`${file}: "redaction.patterns" must be a list`);
      c.redaction.patterns.forEach((p: ProjectRedactionPattern, i: number) => {
        const where = `${file}: redaction.patterns[${i}]`;
        if (!isPlainObject(p)) throw new ConfigError(`${where} must be an object`);
        checkKeys(p, ['name', 'pattern', 'fieldPattern', 'type', 'captureGroup'], where);
        if (typeof p.name !== 'string' || !p.name) throw new ConfigError(`${where}.name must be a non-empty string`);
        if (typeof p.type !== 'string' || !p.type) throw new ConfigError(`${where}.type must be a non-empty string`);
        checkPattern(p.pattern, `${where}.pattern`);
        checkPattern(p.fieldPattern, `${where}.fieldPattern`);
        if (p.pattern === undefined && p.fieldPattern === undefined) throw new ConfigError(`${where} needs "pattern" or "fieldPattern"`);
        if (p.captureGroup !== undefined && (!Number.isInteger(p.captureGroup) || p.captureGroup < 0)) {
          throw new ConfigError(`${where}.captureGroup must be a non-negative integer`);
        }
      });
    }
  }
  if (c.plugins !== undefined) {
    if (!Array.isArray(c.plugins) || c.plugins.some((p) => typeof p !== 'string' || p === '')) {
      throw new ConfigError(`${file}: "plugins" must be a list of package names or relative paths`);
    }
  }
  if (c.apply !== undefined && typeof c.apply !== 'function') throw new ConfigError(`${file}: "apply" must be a function (daemon) => void`);
  return c;
}

/**
 * Find and load the project config for `cwd`, searching upwards with cosmiconfig
 * (`confab.config.ts|mts|js|mjs|cjs|json`, `.confabrc*`, `package.json#confab`); TypeScript
 * is loaded without a build step by jiti. Returns undefined when there is none.
 */
export async function loadProjectConfig(cwd: string): Promise<LoadedProjectConfig | undefined> {
  if (!hasProjectConfigCandidate(cwd)) return undefined;
  const [{ cosmiconfig, defaultLoaders }, { createJiti }] = await Promise.all([import('cosmiconfig'), import('jiti')]);
  const jiti = createJiti(import.meta.url, { alias: { 'confab-cli': confabEntry() }, moduleCache: false, fsCache: false });
  const loadWithJiti = async (filepath: string) => {
    try {
      return await jiti.import(filepath, { default: true });
    } catch (err) {
      throw new ConfigError(`${filepath}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    }
  };
  const explorer = cosmiconfig('confab', {
    searchPlaces: PROJECT_CONFIG_FILES,
    searchStrategy: 'global',
    stopDir: parsePath(resolve(cwd)).root,
    cache: false,
    loaders: {
      ...defaultLoaders,
      '.ts': loadWithJiti,
      '.mts': loadWithJiti,
      '.js': loadWithJiti,
      '.mjs': loadWithJiti,
      '.cjs': loadWithJiti,
    },
  });
  let result;
  try {
    result = await explorer.search(resolve(cwd));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new ConfigError(`project config: ${msg}`);
  }
  if (!result || result.isEmpty) return undefined;
  // cosmiconfig also looks in ~/.config/confab; only the cwd's ancestors are project configs.
  const rel = relative(dirname(result.filepath), resolve(cwd));
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return { config: validateProjectConfig(result.config, result.filepath), filepath: result.filepath };
}
