import type { RestoreRequest } from 'confab-cli/provider';
import { join, resolve } from 'node:path';
import { sessionsDir } from './codex-dir.js';
import { dayOfRolloutName, threadIdOfRolloutName } from './rollout.js';

/**
 * Where Codex looks for a thread it resumes: every rollout (the root's, and its sub-agents',
 * stored under the root session) is `<codex dir>/sessions/YYYY/MM/DD/<name>`, the day being
 * the one the file name starts with.
 */
export async function codexRestorePaths(req: RestoreRequest, sessions = sessionsDir()): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const file of req.files) {
    const day = dayOfRolloutName(file.name);
    if (file.name.includes('/') || !day || !threadIdOfRolloutName(file.name)) continue;
    const [year = '', month = '', date = ''] = day.split('-');
    paths[file.name] = join(resolve(sessions), year, month, date, file.name);
  }
  return paths;
}
