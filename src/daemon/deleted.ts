import { existsSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../fs/private-files.js';
import { getStatePathForProvider } from './state-store.js';
import { formatRfc3339 } from '../format/rfc3339.js';

/**
 * A session the backend said was deleted (its daemon met three 404s). A user deletes a
 * session on purpose — often because of what it contains — so no later hook of that session
 * (the next prompt, a resume) starts a daemon that would upload it again from line 1. The mark
 * is `~/.confab/sync/<provider>/<external_id>.deleted`; removing it allows syncing again.
 */
export function deletedMarkPath(provider: string, externalId: string): string {
  return getStatePathForProvider(provider, externalId).replace(/\.json$/, '.deleted');
}

export function markSessionDeleted(provider: string, externalId: string): void {
  writeFileAtomicSync(deletedMarkPath(provider, externalId), `${JSON.stringify({ deleted_at: formatRfc3339(Date.now()) })}\n`);
}

export function isSessionMarkedDeleted(provider: string, externalId: string): boolean {
  return existsSync(deletedMarkPath(provider, externalId));
}

export function clearSessionDeletedMark(provider: string, externalId: string): void {
  rmSync(deletedMarkPath(provider, externalId), { force: true });
}
