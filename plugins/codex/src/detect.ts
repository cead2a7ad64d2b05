import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { codexDir } from './codex-dir.js';

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Is Codex installed here: a `codex` executable on PATH, or Codex's home directory? */
export async function detectCodex(): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && (await isExecutable(join(dir, 'codex')))) return true;
  }
  try {
    return (await stat(codexDir())).isDirectory();
  } catch {
    return false;
  }
}
