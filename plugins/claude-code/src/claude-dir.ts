import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

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

/**
 * The config dir a transcript belongs to: Claude Code writes `<config dir>/projects/<project>/<session>.jsonl`,
 * so it is three levels up, when the level two up is literally `projects` (the last such
 * segment, so a config dir whose own path holds `projects` still resolves). Undefined otherwise.
 */
export function configDirOfTranscript(transcriptPath: string): string | undefined {
  if (!isAbsolute(transcriptPath)) return undefined;
  const projects = dirname(dirname(transcriptPath));
  return basename(projects) === 'projects' ? dirname(projects) : undefined;
}

/**
 * The config dir Claude Code was started with when it is not the default (`CLAUDE_CONFIG_DIR`,
 * which its hooks inherit), or undefined.
 */
export function agentConfigDir(): string | undefined {
  return process.env.CLAUDE_CONFIG_DIR || undefined;
}
