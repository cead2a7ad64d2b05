import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where confab keeps its files. Everything hangs off HOME (as in the Go CLI), with the
 * Go CLI's env overrides plus CONFAB_STORE_DIR for the embedded store.
 */
export function confabDir(): string {
  return join(homedir(), '.confab');
}

/** `~/.confab/sync`: daemon state and inbox files. */
export function syncDir(): string {
  return join(confabDir(), 'sync');
}

/** `CONFAB_LOG_DIR`, else `~/.confab/logs`. */
export function logDir(): string {
  return process.env.CONFAB_LOG_DIR || join(confabDir(), 'logs');
}

/** `CONFAB_STORE_DIR`, else `~/.confab/store`: the embedded local store. */
export function storeDir(): string {
  return process.env.CONFAB_STORE_DIR || join(confabDir(), 'store');
}

/** `CONFAB_CONFIG_PATH`, else `~/.confab/config.json`. */
export function userConfigPath(): string {
  return process.env.CONFAB_CONFIG_PATH || join(confabDir(), 'config.json');
}

/**
 * Where `confab plugins install|link` keeps its plugins: oclif's data dir for the `confab`
 * bin (`CONFAB_DATA_DIR`, else `$XDG_DATA_HOME/confab`, else `~/.local/share/confab`).
 * Computed here the way oclif does, so the hook can read it without loading oclif.
 */
export function pluginDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONFAB_DATA_DIR) return env.CONFAB_DATA_DIR;
  const base = env.XDG_DATA_HOME || (process.platform === 'win32' && env.LOCALAPPDATA) || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'confab');
}
