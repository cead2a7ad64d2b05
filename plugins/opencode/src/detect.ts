import { existsSync } from 'node:fs';
import { isDirectory, onPath } from 'confab-cli/provider';
import { opencodeConfigDir, opencodeDbPath } from './opencode-paths.js';

/** Is OpenCode installed here: an `opencode` executable on PATH, its database, or its config dir? */
export async function detectOpencode(): Promise<boolean> {
  return (await onPath('opencode')) || existsSync(opencodeDbPath()) || isDirectory(opencodeConfigDir());
}
