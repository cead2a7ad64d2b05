import { isDirectory, onPath } from 'confab-cli/provider';
import { claudeDir } from './claude-dir.js';

/** Claude Code is installed: `claude` is on PATH, or its data dir exists. */
export async function detectClaudeCode(): Promise<boolean> {
  return (await onPath('claude')) || isDirectory(claudeDir());
}
