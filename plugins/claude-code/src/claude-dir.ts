import { homedir } from 'node:os';
import { join } from 'node:path';

/** Claude Code's data dir: `CONFAB_CLAUDE_DIR`, else `~/.claude`. */
export function claudeDir(): string {
  return process.env.CONFAB_CLAUDE_DIR || join(homedir(), '.claude');
}

/** Where Claude Code keeps transcripts: `<claude dir>/projects/<encoded cwd>/<session>.jsonl`. */
export function projectsDir(base = claudeDir()): string {
  return join(base, 'projects');
}

/** The settings file holding Claude Code's hooks (`<config dir>/settings.json`). */
export function settingsPath(configDir?: string): string {
  return join(configDir || claudeDir(), 'settings.json');
}
