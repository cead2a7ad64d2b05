import { spawn } from 'node:child_process';
import { defaultKeyName, pollForApiKey, requestDeviceCode, validateApiKey, verificationUrl, type ValidatedKey } from '../backend/auth.js';
import { isBackendError } from '../backend/errors.js';
import { loadUserConfig, saveUserConfig, validateApiKey as checkKeyFormat, validateBackendUrl } from '../config/user-config.js';
import { userConfigPath } from '../paths.js';
import { CommandError } from './command-error.js';
import { errorLine } from './format.js';

export type LoginMethod =
  /** The key given on the command line (or stdin) was validated. */
  | 'api-key'
  /** The key already stored for this URL still validates. */
  | 'stored-key'
  /** A new key from confab-web's device-code flow. */
  | 'device';

export interface LoginResult {
  backendUrl: string;
  method: LoginMethod;
  user: ValidatedKey;
  configPath: string;
}

export interface LoginOptions {
  backendUrl: string;
  apiKey?: string;
  /** Name of the key the device flow creates (default `<hostname> (Confab CLI)`). */
  keyName?: string;
  /** Keep the stored key when it is for this URL and still valid (setup). */
  reuseStoredKey?: boolean;
  /** Instructions for the user (the device flow's URL and code). */
  say?(line: string): void;
  /** Try to open the approval page in a browser. */
  openBrowser?: boolean;
  signal?: AbortSignal;
}

/** `https://host/` → `https://host`; refuses what is not an http(s) URL. */
export function normalizeBackendUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  try {
    validateBackendUrl(trimmed, '--backend-url');
  } catch (err) {
    throw new CommandError(errorLine(err));
  }
  if (trimmed === '') throw new CommandError('--backend-url is empty');
  return trimmed;
}

/** Should the login open a browser? Not in CI, and not when nobody is at a terminal. */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, stdout: NodeJS.WriteStream = process.stdout): boolean {
  return !env.CI && Boolean(stdout.isTTY);
}

/** Best effort: `open` on macOS, `xdg-open` elsewhere; never waits, never fails. */
export function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener: the URL is printed anyway
  }
}

async function validate(url: string, key: string, signal?: AbortSignal): Promise<ValidatedKey> {
  try {
    return await validateApiKey(url, key, signal ? { signal } : {});
  } catch (err) {
    if (isBackendError(err, 'unauthorized')) throw new CommandError(`${url} rejected the API key`);
    throw new CommandError(`cannot validate the API key with ${url}: ${errorLine(err)}`);
  }
}

function save(url: string, key: string): string {
  const cfg = loadUserConfig();
  cfg.backend_url = url;
  cfg.api_key = key;
  saveUserConfig(cfg);
  return userConfigPath();
}

/**
 * Log in to a confab-web (or `confab serve`) backend and store the URL and key in
 * ~/.confab/config.json: a given key is validated with `GET /api/v1/auth/validate`; without
 * one, confab-web's device-code flow runs (print the URL and code, poll until approved).
 */
export async function login(opts: LoginOptions): Promise<LoginResult> {
  const url = normalizeBackendUrl(opts.backendUrl);
  const say = opts.say ?? (() => {});
  if (opts.apiKey !== undefined) {
    const key = opts.apiKey.trim();
    if (key === '') throw new CommandError('the API key is empty');
    try {
      checkKeyFormat(key, 'the API key');
    } catch (err) {
      throw new CommandError(errorLine(err));
    }
    const user = await validate(url, key, opts.signal);
    return { backendUrl: url, method: 'api-key', user, configPath: save(url, key) };
  }

  if (opts.reuseStoredKey) {
    const cfg = loadUserConfig();
    if (cfg.backend_url.replace(/\/+$/, '') === url && cfg.api_key) {
      try {
        const user = await validateApiKey(url, cfg.api_key, opts.signal ? { signal: opts.signal } : {});
        return { backendUrl: url, method: 'stored-key', user, configPath: userConfigPath() };
      } catch (err) {
        say(`The stored API key for ${url} no longer works (${errorLine(err)}); logging in again.`);
      }
    }
  }

  let code;
  try {
    code = await requestDeviceCode(url, opts.keyName ?? defaultKeyName(), opts.signal ? { signal: opts.signal } : {});
  } catch (err) {
    throw new CommandError(`cannot start the login with ${url}: ${errorLine(err)}`);
  }
  const approve = verificationUrl(code);
  say(`To log in, open ${approve}`);
  say(`and check that it shows the code ${code.userCode}`);
  if (opts.openBrowser) openInBrowser(approve);
  say('Waiting for approval…');
  let key: string;
  try {
    key = await pollForApiKey(url, code, opts.signal ? { signal: opts.signal } : {});
  } catch (err) {
    throw new CommandError(errorLine(err));
  }
  const user = await validate(url, key, opts.signal);
  return { backendUrl: url, method: 'device', user, configPath: save(url, key) };
}

/** Forget the API key; the backend URL (and any bindings) stay, as in the Go CLI. */
export function logout(): { configPath: string; hadKey: boolean; backendUrl: string } {
  const cfg = loadUserConfig();
  const hadKey = cfg.api_key !== '';
  if (hadKey) {
    cfg.api_key = '';
    saveUserConfig(cfg);
  }
  return { configPath: userConfigPath(), hadKey, backendUrl: cfg.backend_url };
}

/** Read an API key from stdin (`--api-key -`): keeps it out of shell history and `ps`. */
export async function readKeyFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stdin) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(parts).toString('utf8').trim();
}
