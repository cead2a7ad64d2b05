import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { claudeDir } from './claude-dir.js';

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Is `name` an executable on PATH? */
export async function onPath(name: string, path = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of path.split(delimiter)) {
    if (dir && (await isExecutableFile(join(dir, name)))) return true;
  }
  return false;
}

/** Claude Code is installed: `claude` is on PATH, or its data dir exists. */
export async function detectClaudeCode(): Promise<boolean> {
  if (await onPath('claude')) return true;
  try {
    return (await stat(claudeDir())).isDirectory();
  } catch {
    return false;
  }
}
