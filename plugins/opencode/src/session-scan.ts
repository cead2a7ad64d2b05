import type { LocalSession, SessionScanOptions } from 'confab-cli/provider';
import { messagesOf, OpencodeDbMissingError, rootSessions, withOpencodeDb } from './opencode-db.js';
import { firstUserText } from './first-user-text.js';
import { messageLine } from './materialize.js';
import { materializedPath } from './opencode-paths.js';

/** How many messages `list` looks into for the first thing the person typed. */
const TITLE_SCAN_MESSAGES = 8;
const TITLE_MAX_CHARS = 200;

/**
 * OpenCode's root sessions (child sessions are uploaded with their root), newest first. The
 * transcript is the file confab writes from the database when the session is saved; `cwd`
 * is the session's own directory, so `save` reports the project's git info.
 */
export function scanOpencodeSessions(opts: SessionScanOptions = {}): LocalSession[] {
  try {
    return withOpencodeDb((db) =>
      rootSessions(db).map((row) => {
        const size = db.get('SELECT COALESCE(SUM(length(m.data)), 0) + COALESCE((SELECT SUM(length(data)) FROM part WHERE session_id = ?), 0) AS n FROM message m WHERE m.session_id = ?', row.id, row.id);
        const title = firstUserText(messagesOf(db, row.id, undefined, TITLE_SCAN_MESSAGES).map(messageLine))?.text.replace(/\s+/g, ' ').slice(0, TITLE_MAX_CHARS);
        const session: LocalSession = {
          provider: 'opencode',
          externalId: row.id,
          transcriptPath: materializedPath(row.id),
          project: row.directory,
          // OpenCode stamps sessions with Date.now(): epoch milliseconds.
          lastActivity: new Date(row.timeCreated),
          sizeBytes: Number(size?.n ?? 0),
          cwd: row.directory,
        };
        if (title) session.title = title;
        return session;
      }),
    );
  } catch (err) {
    if (err instanceof OpencodeDbMissingError) return [];
    opts.onWarning?.(`could not read OpenCode's sessions: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}
