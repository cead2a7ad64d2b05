import { homedir } from 'node:os';
import { join } from 'node:path';

/** Overrides Codex's home directory (the Go CLI's name, kept for compatibility). */
export const CODEX_DIR_ENV = 'CONFAB_CODEX_DIR';

/** `CONFAB_CODEX_DIR`, else `~/.codex`: where Codex keeps its config and rollouts. */
export function codexDir(override?: string): string {
  return override || process.env[CODEX_DIR_ENV] || join(homedir(), '.codex');
}

/** `<codex dir>/sessions`: rollouts live in `YYYY/MM/DD/` below it. */
export function sessionsDir(override?: string): string {
  return join(codexDir(override), 'sessions');
}

/** `<codex dir>/config.toml`: where Codex reads its hooks. */
export function configPath(override?: string): string {
  return join(codexDir(override), 'config.toml');
}
