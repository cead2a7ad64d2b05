import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent, StoredSession } from '../../src/store/session-store.js';
import { FileStore } from '../../src/store/file-store.js';
import type { Sandbox } from './sandbox.js';

/** Open the sandbox's embedded store (`~/.confab/store`), run `fn` on it, and close it. */
export async function withLocalStore<T>(sbx: Sandbox, fn: (store: FileStore) => Promise<T>): Promise<T> {
  const store = await FileStore.open(join(sbx.confabDir, 'store'));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Every session in the sandbox's store; none when no store was created. */
export async function storedSessions(sbx: Sandbox): Promise<StoredSession[]> {
  if (!existsSync(join(sbx.confabDir, 'store'))) return [];
  return withLocalStore(sbx, (store) => store.listSessions());
}

/** A file of the session with this external id (and provider, when given), as stored; undefined when not there. */
export async function storedFile(sbx: Sandbox, externalId: string, fileName: string, provider?: string): Promise<Buffer | undefined> {
  if (!existsSync(join(sbx.confabDir, 'store'))) return undefined;
  return withLocalStore(sbx, async (store) => {
    const session = (await store.listSessions()).find((s) => s.external_id === externalId && (provider === undefined || s.provider === provider));
    if (!session?.files.some((f) => f.file_name === fileName)) return undefined;
    return store.readFile(session.session_id, fileName);
  });
}

/** The events stored for the session with this external id. */
export async function storedEvents(sbx: Sandbox, externalId: string): Promise<StoredEvent[]> {
  return withLocalStore(sbx, async (store) => {
    const session = (await store.listSessions()).find((s) => s.external_id === externalId);
    return session ? store.listEvents(session.session_id) : [];
  });
}
