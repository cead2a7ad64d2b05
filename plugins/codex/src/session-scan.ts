import type { LocalSession } from 'confab-cli/provider';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sessionsDir } from './codex-dir.js';
import { forEachHeadLine } from './rollout-files.js';
import { isUserSession, userMessageOfLine } from './rollout.js';
import { FIRST_USER_MESSAGE_MAX_BYTES, sanitizeText, truncateUtf8 } from './text.js';
import { mapLimit, RolloutCatalog } from './thread-tree.js';

/** How far into a rollout `list` looks for the first message a person typed. */
const TITLE_SCAN_BYTES = 4 * 1024 * 1024;
const TITLE_SCAN_LINES = 400;
const SCAN_CONCURRENCY = 8;

/** The first person-typed message of a rollout, cleaned for display; undefined if none early on. */
export async function rolloutTitle(path: string): Promise<string | undefined> {
  let title: string | undefined;
  try {
    await forEachHeadLine(path, TITLE_SCAN_BYTES, (line, index) => {
      const text = userMessageOfLine(line);
      if (text !== undefined) title = truncateUtf8(sanitizeText(text), FIRST_USER_MESSAGE_MAX_BYTES);
      return title !== undefined || index + 1 >= TITLE_SCAN_LINES;
    });
  } catch {
    return undefined;
  }
  return title || undefined;
}

/**
 * Root sessions a person started (sub-agent rollouts belong to their root and are
 * uploaded with it), newest activity first.
 */
export async function scanCodexSessions(dir = sessionsDir()): Promise<LocalSession[]> {
  const catalog = new RolloutCatalog(dir);
  const found = await mapLimit(await catalog.allRollouts(), SCAN_CONCURRENCY, async (path): Promise<LocalSession | undefined> => {
    const rec = await catalog.record(path);
    if (!rec || !isUserSession(rec.meta)) return undefined;
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    const cwd = rec.meta.cwd ?? dirname(path);
    const session: LocalSession = {
      provider: 'codex',
      externalId: rec.threadId,
      transcriptPath: path,
      project: cwd,
      lastActivity: info.mtime,
      sizeBytes: info.size,
      cwd,
    };
    const title = await rolloutTitle(path);
    if (title) session.title = title;
    return session;
  });
  return found
    .filter((s): s is LocalSession => s !== undefined)
    .sort((a, b) => b.lastActivity.getTime() - a.lastActivity.getTime() || a.externalId.localeCompare(b.externalId));
}
