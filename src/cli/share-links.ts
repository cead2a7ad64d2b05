import { parseExpiry, ShareError, ShareLinks, sharePath, type ShareInfo } from '../serve/shares.js';
import { FileStore } from '../store/file-store.js';
import type { StoredSession } from '../store/session-store.js';
import { CommandError } from './command-error.js';

/**
 * `confab serve share …`: shared links of a `confab serve` store, made and revoked on the
 * store directly (a running server applies the change on its next request).
 */

export interface CreatedLink extends ShareInfo {
  /** `/s/<token>`, or the full URL when a base URL was given. Shown once. */
  url: string;
}

export async function createShareLink(dir: string, sessionRef: string, opts: { expires?: string; baseUrl?: string } = {}): Promise<CreatedLink> {
  let expiresIn: number | undefined;
  try {
    expiresIn = opts.expires === undefined ? undefined : parseExpiry(opts.expires);
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  const session = await findStoredSession(dir, sessionRef);
  const shares = await ShareLinks.open(dir);
  const { token, ...info } = await shares.create(session.owner, session.session_id, expiresIn === undefined ? {} : { expiresAt: Date.now() + expiresIn });
  const base = opts.baseUrl?.replace(/\/+$/, '') ?? '';
  return { ...info, url: `${base}${sharePath(token)}` };
}

export async function listShareLinks(dir: string, sessionRef?: string): Promise<(ShareInfo & { expired: boolean })[]> {
  const shares = await ShareLinks.open(dir);
  const sessionId = sessionRef === undefined ? undefined : (await findStoredSession(dir, sessionRef)).session_id;
  return (await shares.list(undefined, sessionId)).map((s) => ({ ...s, expired: shares.expired(s) }));
}

export async function revokeShareLink(dir: string, id: string): Promise<ShareInfo> {
  try {
    return await (await ShareLinks.open(dir)).revoke(id);
  } catch (err) {
    if (err instanceof ShareError) throw new CommandError(err.message);
    throw err;
  }
}

/** A session of the store by its id or external id (any owner: the store's administrator runs this). */
async function findStoredSession(dir: string, ref: string): Promise<StoredSession> {
  const wanted = ref.trim().toLowerCase();
  const store = await FileStore.open(dir);
  try {
    const found = (await store.listSessions()).filter((s) => s.session_id === wanted || s.external_id.toLowerCase() === wanted);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw new CommandError(`${found.length} sessions have the id "${ref}" (one per user); use the store's session id`);
    throw new CommandError(`no session "${ref}" in ${dir}`);
  } finally {
    await store.close();
  }
}
