import { isDirectory, onPath } from 'confab-cli/provider';
import { cursorDir } from './cursor-dir.js';

/** Is Cursor installed here: `cursor-agent` or `cursor` on PATH, or Cursor's user directory? */
export async function detectCursor(): Promise<boolean> {
  return (await onPath('cursor-agent')) || (await onPath('cursor')) || isDirectory(cursorDir());
}
