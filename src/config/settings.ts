/**
 * Settings: the user config (`~/.confab/config.json`), the project config
 * (`confab.config.ts`), environment and flags, resolved into one `Settings` for a cwd; the
 * plugin list (`plugin-spec.ts`).
 */
import { dirname } from 'node:path';
import { CONFAB_WEB_UPLOAD_LIMITS, type RateLimits } from '../backend/upload-limits.js';
import { DEFAULT_SYNC_INTERVAL_MS, defaultJitter } from '../sync/timing.js';
import { parseLogLevel, type LogLevel } from '../log.js';
import { userConfigPath } from '../paths.js';
import type { PluginSpec } from './plugin-spec.js';
import type { ProjectConfig, ProjectRedactionPattern } from './define.js';
import { hasProjectConfigCandidate } from './project-config-files.js';
import {
  ConfigError,
  loadUserConfig,
  resolveBinding,
  validateApiKey,
  validateBackendUrl,
  type UserConfig,
  type UserRedactionPattern,
} from './user-config.js';

/** Where sessions go. */
export type BackendChoice =
  | { kind: 'local' }
  | { kind: 'http'; url: string; apiKey: string };

/** Which layer decided a setting (for `confab status` and error messages). */
export type SettingSource = 'default' | 'user' | 'project' | 'env' | 'flag';

export interface RedactionSettings {
  enabled: boolean;
  useDefaultPatterns: boolean;
  patterns: (ProjectRedactionPattern | { name: string; type: string; pattern?: string; fieldPattern?: string; captureGroup?: number })[];
}

export interface Settings {
  /** False when a project config opts its repository out. */
  enabled: boolean;
  backend: BackendChoice;
  backendSource: SettingSource;
  intervalMs: number;
  intervalSource: SettingSource;
  jitterMs: number;
  /** The user's upload limit at an HTTP backend, shared by all their daemons; undefined: none to respect. */
  uploadLimit: RateLimits | undefined;
  redaction: RedactionSettings;
  logLevel: LogLevel;
  /** Plugins listed in `~/.confab/config.json`, then in the project config (in order of precedence). */
  plugins: PluginSpec[];
  /** The project config's `apply`, if any. */
  apply?: ProjectConfig['apply'];
  user: UserConfig;
  projectFile?: string;
  /** Settings that were ignored, for the log. */
  warnings: string[];
}

/**
 * The agent config dir a session runs from, to pick its backend from `bindings` in
 * `~/.confab/config.json`: the default dir (or "") uses the top-level backend.
 */
export interface BindingTarget {
  provider: string;
  configDir: string;
  defaultConfigDir: string;
}

/** Command-line flags that override everything else. */
export interface SettingFlags {
  backendUrl?: string;
  apiKey?: string;
  intervalMs?: number;
  jitterMs?: number;
}

/** An env duration; invalid values are ignored with a warning, as the Go CLI falls back to defaults. */
function envInt(env: NodeJS.ProcessEnv, key: string, min: number, warnings: string[]): number | undefined {
  const v = env[key];
  if (v === undefined || v.trim() === '') return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > 3_600_000) {
    warnings.push(`${key} must be an integer between ${min} and 3600000; ignored`);
    return undefined;
  }
  return Number(v);
}

/**
 * `CONFAB_UPLOAD_LIMIT` (`off`, `<per second>` or `<per second>/<burst>`), else the user
 * config's `upload_limit`, else confab-web's limit; none for the embedded store.
 */
function uploadLimit(backend: BackendChoice, user: UserConfig, env: NodeJS.ProcessEnv, warnings: string[]): RateLimits | undefined {
  if (backend.kind !== 'http') return undefined;
  const raw = env.CONFAB_UPLOAD_LIMIT?.trim();
  if (raw) {
    if (raw === 'off') return undefined;
    const m = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(raw);
    const ratePerSec = Number(m?.[1]);
    if (m && ratePerSec > 0) return { ratePerSec, burst: m[2] === undefined ? CONFAB_WEB_UPLOAD_LIMITS.burst : Math.max(1, Number(m[2])) };
    warnings.push('CONFAB_UPLOAD_LIMIT must be off, <requests per second> or <requests per second>/<burst>; ignored');
  }
  if (user.upload_limit === false) return undefined;
  if (user.upload_limit) return { ratePerSec: user.upload_limit.per_second, burst: user.upload_limit.burst };
  return { ...CONFAB_WEB_UPLOAD_LIMITS };
}

function httpBackend(url: string, apiKey: string, where: string): BackendChoice {
  validateBackendUrl(url, where);
  if (!apiKey) throw new ConfigError(`${where} is set but no API key is configured for it (run confab login --backend-url ${url})`);
  validateApiKey(apiKey);
  return { kind: 'http', url: url.replace(/\/+$/, ''), apiKey };
}

function fromUserPatterns(patterns: UserRedactionPattern[] | undefined): RedactionSettings['patterns'] {
  return (patterns ?? []).map((p) => ({
    name: p.name,
    type: p.type,
    ...(p.pattern !== undefined ? { pattern: p.pattern } : {}),
    ...(p.field_pattern !== undefined ? { fieldPattern: p.field_pattern } : {}),
    ...(p.capture_group !== undefined ? { captureGroup: p.capture_group } : {}),
  }));
}

/**
 * The effective settings for a session in `cwd`: built-in defaults < `~/.confab/config.json`
 * < the project config found from `cwd` upwards < environment < flags.
 */
export async function resolveSettings(
  opts: { cwd?: string; flags?: SettingFlags; env?: NodeJS.ProcessEnv; userConfigPath?: string; project?: boolean; binding?: BindingTarget } = {},
): Promise<Settings> {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const flags = opts.flags ?? {};
  const userPath = opts.userConfigPath ?? userConfigPath();
  const user = loadUserConfig(userPath);
  // The user layer's backend: the top-level one, or the binding of the session's agent config
  // dir (which throws NoBindingError for a dir with none: never the default backend instead).
  const userBackend = opts.binding
    ? resolveBinding(user, opts.binding.provider, opts.binding.configDir, opts.binding.defaultConfigDir)
    : { backend_url: user.backend_url, api_key: user.api_key, where: 'backend_url' };
  // cosmiconfig and the TypeScript loader load only when a candidate file exists: hooks run
  // this for every new session, and almost no directory has a project config.
  const project =
    opts.project === false || !opts.cwd || !hasProjectConfigCandidate(opts.cwd)
      ? undefined
      : await (await import('./project-config.js')).loadProjectConfig(opts.cwd);
  const pc = project?.config;

  let backend: BackendChoice = { kind: 'local' };
  let backendSource: SettingSource = 'default';
  if (userBackend.backend_url) {
    backend = httpBackend(userBackend.backend_url, userBackend.api_key, userBackend.where);
    backendSource = 'user';
  }
  if (pc?.backend !== undefined) {
    backend =
      pc.backend === 'local'
        ? { kind: 'local' }
        : httpBackend(
            pc.backend.url ?? '',
            pc.backend.apiKey ?? (pc.backend.url === userBackend.backend_url ? userBackend.api_key : ''),
            `${project?.filepath}: backend.url`,
          );
    backendSource = 'project';
  }
  const envUrl = env.CONFAB_BACKEND_URL?.trim();
  if (envUrl) {
    backend =
      envUrl === 'local' ? { kind: 'local' } : httpBackend(envUrl, env.CONFAB_API_KEY ?? (envUrl === userBackend.backend_url ? userBackend.api_key : ''), 'CONFAB_BACKEND_URL');
    backendSource = 'env';
  }
  if (flags.backendUrl) {
    backend = flags.backendUrl === 'local' ? { kind: 'local' } : httpBackend(flags.backendUrl, flags.apiKey ?? (backend.kind === 'http' ? backend.apiKey : ''), '--backend-url');
    backendSource = 'flag';
  }

  let intervalMs = DEFAULT_SYNC_INTERVAL_MS;
  let intervalSource: SettingSource = 'default';
  let intervalSet: number | undefined;
  let jitterSet: number | undefined;
  const layers: [SettingSource, number | undefined, number | undefined][] = [
    ['user', user.sync_interval_ms, user.sync_jitter_ms],
    ['project', pc?.sync?.intervalMs, pc?.sync?.jitterMs],
    ['env', envInt(env, 'CONFAB_SYNC_INTERVAL_MS', 1, warnings), envInt(env, 'CONFAB_SYNC_JITTER_MS', 0, warnings)],
    ['flag', flags.intervalMs, flags.jitterMs],
  ];
  for (const [source, interval, jitter] of layers) {
    if (interval !== undefined) {
      intervalMs = interval;
      intervalSource = source;
      intervalSet = interval;
    }
    if (jitter !== undefined) jitterSet = jitter;
  }
  const jitterMs = defaultJitter(intervalSet, jitterSet);

  // Redaction is on unless explicitly disabled (the Go CLI redacted nothing without a section).
  const ur = user.redaction;
  const pr = pc?.redaction;
  const redaction: RedactionSettings = {
    enabled: pr?.enabled ?? ur?.enabled ?? true,
    useDefaultPatterns: pr?.useDefaultPatterns ?? ur?.use_default_patterns ?? true,
    patterns: [...fromUserPatterns(ur?.patterns), ...(pr?.patterns ?? [])],
  };

  const projectDir = project ? dirname(project.filepath) : '';
  return {
    enabled: pc?.enabled ?? true,
    backend,
    backendSource,
    intervalMs,
    intervalSource,
    jitterMs,
    uploadLimit: uploadLimit(backend, user, env, warnings),
    redaction,
    logLevel: parseLogLevel(user.log_level),
    plugins: [
      ...(user.plugins ?? []).map((specifier): PluginSpec => ({ specifier, baseDir: dirname(userPath), origin: 'user-config', listedIn: userPath })),
      ...(project?.config.plugins ?? []).map((specifier): PluginSpec => ({ specifier, baseDir: projectDir, origin: 'project-config', listedIn: project?.filepath ?? '' })),
    ],
    ...(pc?.apply ? { apply: pc.apply } : {}),
    user,
    ...(project ? { projectFile: project.filepath } : {}),
    warnings,
  };
}
