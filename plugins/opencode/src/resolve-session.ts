import type { SessionHookInput } from 'confab-cli/provider';
import { sessionById, withOpencodeDb } from './opencode-db.js';
import type { OpencodeHookPayload } from './hook-payload.js';

/**
 * Fill in what a reconcile event's payload lacks (it has no directory) from the database:
 * the session's directory (its cwd) and its parent. A payload with a directory comes from
 * `session.created`, which names the parent itself, so the database is not opened on that
 * path. A payload's own `parent_id` is never replaced. A missing database or row leaves the
 * input as it is.
 */
export function completeFromDb(input: SessionHookInput): SessionHookInput {
  const payload = input.payload as OpencodeHookPayload;
  if (input.cwd) return input;
  let row;
  try {
    row = withOpencodeDb((db) => sessionById(db, input.sessionId));
  } catch {
    return input;
  }
  if (!row) return input;
  const out: SessionHookInput = { ...input, cwd: input.cwd || row.directory };
  if (!payload.parent_id && row.parentId) out.payload = { ...payload, parent_id: row.parentId };
  return out;
}

/** Only root sessions get a daemon: a child session's lines travel with its root's. */
export function isRootSession(input: SessionHookInput): boolean {
  return !(input.payload as OpencodeHookPayload).parent_id;
}
