import { homedir } from 'node:os';
import { join } from 'node:path';

export const OPENCODE_DB_ENV = 'CONFAB_OPENCODE_DB';
export const OPENCODE_CONFIG_DIR_ENV = 'CONFAB_OPENCODE_CONFIG_DIR';

/** OpenCode's database: `CONFAB_OPENCODE_DB`, else `$XDG_DATA_HOME/opencode/opencode.db`, else `~/.local/share/opencode/opencode.db`. */
export function opencodeDbPath(): string {
  const fromEnv = process.env[OPENCODE_DB_ENV];
  if (fromEnv) return fromEnv;
  const data = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'opencode', 'opencode.db');
}

/**
 * OpenCode's config dir (where it loads plugins from): `CONFAB_OPENCODE_CONFIG_DIR`, else
 * `$XDG_CONFIG_HOME/opencode` (where OpenCode itself looks), else `~/.config/opencode`.
 */
export function opencodeConfigDir(): string {
  const fromEnv = process.env[OPENCODE_CONFIG_DIR_ENV];
  if (fromEnv) return fromEnv;
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'opencode');
}

/** confab's own dir, `~/.confab` (as in the rest of confab). */
function confabDir(): string {
  return join(homedir(), '.confab');
}

/** The file a root session's messages are written to, one line per finished message: what the daemon follows. */
export function materializedPath(rootId: string): string {
  return join(confabDir(), 'opencode', rootId, 'messages.jsonl');
}

/** The file of a child session (a sub-agent) under its root's dir. */
export function childMaterializedPath(rootId: string, childId: string): string {
  return join(confabDir(), 'opencode', rootId, 'children', childId, 'messages.jsonl');
}

/** The backend file name of a child session's file (the backend parses the `/`). */
export function childFileName(childId: string): string {
  return `opencode/${childId}/messages.jsonl`;
}
