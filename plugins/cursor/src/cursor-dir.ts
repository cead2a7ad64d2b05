import { homedir } from 'node:os';
import { join } from 'node:path';

/** Overrides Cursor's user directory (the Go CLI's name, kept for compatibility). */
export const CURSOR_DIR_ENV = 'CONFAB_CURSOR_DIR';

/** `CONFAB_CURSOR_DIR`, else `~/.cursor`: Cursor's user-level hooks and agent transcripts. */
export function cursorDir(override?: string): string {
  return override || process.env[CURSOR_DIR_ENV] || join(homedir(), '.cursor');
}

/** `<cursor>/projects`: one directory per workspace, transcripts below it. */
export function projectsDir(override?: string): string {
  return join(cursorDir(override), 'projects');
}

/** `<cursor>/hooks.json`: the hooks Cursor runs for every workspace. */
export function hooksPath(override?: string): string {
  return join(cursorDir(override), 'hooks.json');
}

/**
 * Cursor's project directory name for a workspace root: every run of characters other than
 * ASCII letters and digits becomes one `-`, with none at either end (`/Users/a/dev/x` →
 * `Users-a-dev-x`).
 */
export function projectDirName(workspaceRoot: string): string {
  return workspaceRoot.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * Where Cursor writes a session's transcript: `projects/<project>/agent-transcripts/<id>/<id>.jsonl`.
 * Cursor's sessionStart names no transcript, so it is derived as Cursor lays it out.
 */
export function transcriptPathFor(workspaceRoot: string, sessionId: string, override?: string): string {
  return join(projectsDir(override), projectDirName(workspaceRoot), 'agent-transcripts', sessionId, `${sessionId}.jsonl`);
}
