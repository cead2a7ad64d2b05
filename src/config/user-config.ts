import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { writeFileAtomicSync } from '../fs/private-files.js';
import { userConfigPath } from '../paths.js';

/**
 * `~/.confab/config.json`, the Go CLI's user config, with its keys. confab adds optional
 * keys the Go CLI ignores: `sync_interval_ms`, `sync_jitter_ms` and `plugins`.
 */
export interface UserConfig {
  backend_url: string;
  api_key: string;
  log_level?: string;
  auto_update?: boolean;
  redaction?: UserRedactionConfig;
  bindings?: Record<string, Record<string, { backend_url: string; api_key: string }>>;
  sync_interval_ms?: number;
  sync_jitter_ms?: number;
  /** Plugins for every session: package names (resolved from this file's directory) or paths relative to it. */
  plugins?: string[];
  /**
   * The backend's per-user upload limit, which every daemon of the user shares: `false` when
   * the backend has none (a `confab serve` started without limits). Default: confab-web's.
   */
  upload_limit?: false | { per_second: number; burst: number };
  /** Keys confab does not know are kept as they are when the file is rewritten. */
  [unknownKey: string]: unknown;
}

export interface UserRedactionPattern {
  name: string;
  pattern?: string;
  type: string;
  capture_group?: number;
  field_pattern?: string;
}

export interface UserRedactionConfig {
  enabled: boolean;
  use_default_patterns?: boolean;
  patterns?: UserRedactionPattern[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    // Messages quote names from the user's files (keys, paths): control characters, line
    // breaks included, are shown escaped so the message stays one line.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
    super(message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1)));
    this.name = 'ConfigError';
  }
}

const KEY_ORDER = ['backend_url', 'api_key', 'log_level', 'auto_update', 'redaction', 'bindings', 'sync_interval_ms', 'sync_jitter_ms', 'plugins', 'upload_limit'];

/** `http(s)://host…`, or empty (not configured). */
export function validateBackendUrl(url: string, where = 'backend_url'): void {
  if (url === '') return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${where} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`${where} must use http or https`);
  if (!parsed.hostname) throw new ConfigError(`${where} must include a host`);
  if (parsed.username || parsed.password) throw new ConfigError(`${where} must not contain credentials`);
}

/**
 * The Go CLI's rule (`cfb_` prefix, ≥ 20 chars, no whitespace), or empty. The message never
 * quotes the key.
 */
export function validateApiKey(key: string, where = 'api_key'): void {
  if (key === '') return;
  if (!key.startsWith('cfb_') || key.length < 20 || /\s/.test(key)) {
    throw new ConfigError(`${where} is not a confab API key (expected "cfb_" followed by at least 16 characters, no spaces)`);
  }
}

function checkInterval(value: unknown, key: string, min: number, file: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 3_600_000) {
    throw new ConfigError(`${file}: "${key}" must be an integer between ${min} and 3600000`);
  }
  return value;
}

function validateUploadLimit(value: unknown, file: string): UserConfig['upload_limit'] {
  if (value === undefined || value === null) return undefined;
  if (value === false) return false;
  const v = value as Record<string, unknown>;
  const ok = (n: unknown, min: number, max: number): n is number => typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max;
  if (typeof value !== 'object' || Array.isArray(value) || !ok(v.per_second, 0.001, 1_000_000) || !ok(v.burst, 1, 1_000_000)) {
    throw new ConfigError(`${file}: "upload_limit" must be false or {"per_second": <number>, "burst": <number of at least 1>}`);
  }
  return { per_second: v.per_second, burst: v.burst };
}

function validateRedaction(raw: unknown, file: string): UserRedactionConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: "redaction" must be an object`);
  const r = raw as Record<string, unknown>;
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') throw new ConfigError(`${file}: "redaction.enabled" must be true or false`);
  if (r.use_default_patterns !== undefined && typeof r.use_default_patterns !== 'boolean') {
    throw new ConfigError(`${file}: "redaction.use_default_patterns" must be true or false`);
  }
  const out: UserRedactionConfig = { ...(r as object), enabled: r.enabled !== false } as UserRedactionConfig;
  if (r.patterns !== undefined) {
    if (!Array.isArray(r.patterns)) throw new ConfigError(`${file}: "redaction.patterns" must be a list`);
    r.patterns.forEach((p, i) => {
      const where = `${file}: redaction.patterns[${i}]`;
      if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new ConfigError(`${where} must be an object`);
      const q = p as Record<string, unknown>;
      if (typeof q.name !== 'string' || q.name === '') throw new ConfigError(`${where}.name must be a non-empty string`);
      if (typeof q.type !== 'string' || q.type === '') throw new ConfigError(`${where}.type must be a non-empty string`);
      for (const k of ['pattern', 'field_pattern'] as const) {
        if (q[k] !== undefined && typeof q[k] !== 'string') throw new ConfigError(`${where}.${k} must be a string`);
      }
      if (q.pattern === undefined && q.field_pattern === undefined) throw new ConfigError(`${where} needs "pattern" or "field_pattern"`);
      if (q.capture_group !== undefined && (typeof q.capture_group !== 'number' || !Number.isInteger(q.capture_group) || q.capture_group < 0)) {
        throw new ConfigError(`${where}.capture_group must be a non-negative integer`);
      }
    });
  }
  return out;
}

/** Validate a parsed config.json. Messages name the file and the key, never a key's value. */
export function validateUserConfig(raw: unknown, file: string): UserConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: must be a JSON object`);
  const r = raw as Record<string, unknown>;
  const str = (key: string): string => {
    const v = r[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new ConfigError(`${file}: "${key}" must be a string`);
    return v;
  };
  const cfg: UserConfig = { ...r, backend_url: str('backend_url'), api_key: str('api_key') };
  validateBackendUrl(cfg.backend_url, `${file}: "backend_url"`);
  validateApiKey(cfg.api_key, `${file}: "api_key"`);
  if (r.log_level !== undefined && typeof r.log_level !== 'string') throw new ConfigError(`${file}: "log_level" must be a string`);
  if (r.auto_update !== undefined && typeof r.auto_update !== 'boolean') throw new ConfigError(`${file}: "auto_update" must be true or false`);
  if (r.redaction !== undefined && r.redaction !== null) cfg.redaction = validateRedaction(r.redaction, file);
  else delete cfg.redaction;
  const interval = checkInterval(r.sync_interval_ms, 'sync_interval_ms', 1, file);
  const jitter = checkInterval(r.sync_jitter_ms, 'sync_jitter_ms', 0, file);
  if (interval === undefined) delete cfg.sync_interval_ms;
  if (jitter === undefined) delete cfg.sync_jitter_ms;
  const uploadLimit = validateUploadLimit(r.upload_limit, file);
  if (uploadLimit === undefined) delete cfg.upload_limit;
  else cfg.upload_limit = uploadLimit;
  if (r.plugins !== undefined && r.plugins !== null) {
    if (!Array.isArray(r.plugins) || r.plugins.some((p) => typeof p !== 'string' || p.trim() === '')) {
      throw new ConfigError(`${file}: "plugins" must be a list of package names or paths`);
    }
  } else {
    delete cfg.plugins;
  }
  if (r.bindings !== undefined && r.bindings !== null) {
    if (typeof r.bindings !== 'object' || Array.isArray(r.bindings)) throw new ConfigError(`${file}: "bindings" must be an object`);
    for (const [provider, dirs] of Object.entries(r.bindings as Record<string, unknown>)) {
      if (typeof dirs !== 'object' || dirs === null || Array.isArray(dirs)) throw new ConfigError(`${file}: "bindings.${provider}" must be an object`);
      for (const [dir, b] of Object.entries(dirs as Record<string, unknown>)) {
        const where = `${file}: bindings.${provider}["${dir}"]`;
        if (typeof b !== 'object' || b === null) throw new ConfigError(`${where} must be an object`);
        const bb = b as Record<string, unknown>;
        if (typeof bb.backend_url !== 'string' || typeof bb.api_key !== 'string') throw new ConfigError(`${where} needs "backend_url" and "api_key" strings`);
        validateBackendUrl(bb.backend_url, `${where}.backend_url`);
        validateApiKey(bb.api_key, `${where}.api_key`);
      }
    }
  } else {
    delete cfg.bindings;
  }
  return cfg;
}

/** Load the user config; a missing file is an empty config. Invalid JSON or values throw ConfigError. */
export function loadUserConfig(path = userConfigPath()): UserConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { backend_url: '', api_key: '' };
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(`${path} is not valid JSON`);
  }
  return validateUserConfig(raw, path);
}

/** Write the config atomically, 0600 in a 0700 dir, keys in the Go CLI's order (unknown keys after). */
export function saveUserConfig(cfg: UserConfig, path = userConfigPath()): void {
  const checked = validateUserConfig(cfg, path);
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (checked[key] !== undefined) ordered[key] = checked[key];
  ordered.backend_url = checked.backend_url;
  ordered.api_key = checked.api_key;
  for (const [k, v] of Object.entries(checked)) if (!(k in ordered) && v !== undefined) ordered[k] = v;
  writeFileAtomicSync(path, `${JSON.stringify(ordered, null, 2)}\n`);
}

export function userConfigExists(path = userConfigPath()): boolean {
  return existsSync(path);
}

/** Expand `~`, make absolute, clean, resolve symlinks (falling back to the lexical path). "" stays "". */
export function canonicalConfigDir(dir: string): string {
  if (dir === '') return '';
  let p = dir === '~' ? homedir() : dir.startsWith('~/') ? join(homedir(), dir.slice(2)) : dir;
  p = normalize(isAbsolute(p) ? p : resolve(p));
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export class NoBindingError extends ConfigError {
  constructor(provider: string, dir: string) {
    super(`no backend is bound for ${provider} config dir ${dir} (run confab setup --provider ${provider} --config-dir ${dir})`);
    this.name = 'NoBindingError';
  }
}

/**
 * Which backend URL and key serve a (provider, agent config dir): the top-level fields for
 * the default dir, else that dir's binding — never falling back to the default backend for a
 * dir that has no binding (that would leak sessions to the wrong server).
 */
export function resolveBinding(
  cfg: UserConfig,
  provider: string,
  dir: string,
  defaultDir: string,
): { backend_url: string; api_key: string; /** The config key the URL comes from, for messages. */ where: string } {
  const canonical = canonicalConfigDir(dir);
  if (canonical === '' || canonical === canonicalConfigDir(defaultDir)) return { backend_url: cfg.backend_url, api_key: cfg.api_key, where: 'backend_url' };
  const bound = cfg.bindings?.[provider]?.[canonical];
  if (!bound) throw new NoBindingError(provider, canonical);
  return { backend_url: bound.backend_url, api_key: bound.api_key, where: `bindings.${provider}["${canonical}"].backend_url` };
}
