import { isDirectory, onPath } from 'confab-cli/provider';
import { codexDir } from './codex-dir.js';

/** Is Codex installed here: a `codex` executable on PATH, or Codex's home directory? */
export async function detectCodex(): Promise<boolean> {
  return (await onPath('codex')) || isDirectory(codexDir());
}
