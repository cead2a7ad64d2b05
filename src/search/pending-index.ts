import { readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileLock } from '../fs/lock.js';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import type { SessionStore } from '../store/session-store.js';
import { SearchIndex, type SyncCounts } from './index-db.js';

/**
 * Sessions whose stored lines the search index has not caught up with yet, kept as one empty
 * file per session in `<store>/index-pending/`. `confab save` writes them instead of indexing
 * as it stores (a backfill then runs at the speed of the store), and whoever catches up next
 * (a background `confab index update`, or the next search) indexes them.
 *
 * A catch-up renames a marker to `<id>.claimed` before it reads the store, and removes the
 * claimed file once the session is indexed; a writer that commits meanwhile creates a new
 * marker, so nothing committed after the read is forgotten. Catch-ups take one lock, so a
 * `.claimed` file is only ever left by one that died: the next one redoes it (indexing is
 * idempotent).
 */

const CLAIMED = '.claimed';
/** Marker names are session ids (see FileStore): nothing else in the directory is read. */
const NAME = /^[A-Za-z0-9_-]{1,128}(\.claimed)?$/;
/** A search waits this long for a running catch-up (a large backfill's) before it gives up. */
const CATCH_UP_LOCK_TIMEOUT_MS = 10 * 60_000;

export function pendingDirOf(storeDir: string): string {
  return join(storeDir, 'index-pending');
}

function lockPathOf(storeDir: string): string {
  return join(storeDir, 'index-pending.lock');
}

/** Note that `sessionId`'s stored lines may be ahead of the index (synchronous: a few µs). */
export function markIndexPending(storeDir: string, sessionId: string): void {
  const dir = pendingDirOf(storeDir);
  ensurePrivateDirSync(dir);
  writeFileSync(join(dir, sessionId), '', { mode: PRIVATE_FILE_MODE });
}

function markerNames(storeDir: string): string[] {
  try {
    return readdirSync(pendingDirOf(storeDir)).filter((n) => NAME.test(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The session a marker (claimed or not) stands for. */
function sessionOf(name: string): string {
  return name.endsWith(CLAIMED) ? name.slice(0, -CLAIMED.length) : name;
}

/** Session ids the index may be behind on. */
export function pendingSessions(storeDir: string): string[] {
  return [...new Set(markerNames(storeDir).map(sessionOf))];
}

export interface PendingCatchUp extends SyncCounts {
  /** Sessions the store could not read: their markers stay for the next catch-up. */
  failed: number;
}

/**
 * Run `fn` holding the index's catch-up lock: catch-ups (of pending sessions, of the whole
 * store, rebuilds) run one at a time instead of contending for SQLite's write lock. When one
 * runs elsewhere (a large backfill's), `onWait` is told, and it is waited for up to `timeoutMs`.
 */
export async function withIndexLock<T>(storeDir: string, fn: () => Promise<T>, opts: { timeoutMs?: number; onWait?: () => void } = {}): Promise<T> {
  ensurePrivateDirSync(storeDir);
  const path = lockPathOf(storeDir);
  let lock = await FileLock.tryAcquire(path);
  if (!lock) {
    opts.onWait?.();
    lock = await FileLock.acquire(path, { timeoutMs: opts.timeoutMs ?? CATCH_UP_LOCK_TIMEOUT_MS });
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Index every pending session, until none is left (a save still running adds more). The
 * caller holds the lock (`withIndexLock`). A session the store cannot read keeps its marker
 * for the next catch-up; an SQLite error stops it (the markers stay).
 */
export async function indexPendingLocked(store: SessionStore, storeDir: string, indexPath: string): Promise<PendingCatchUp> {
  const counts: PendingCatchUp = { sessions: 0, lines: 0, bytes: 0, entries: 0, failed: 0 };
  let index: SearchIndex | undefined;
  try {
    const dir = pendingDirOf(storeDir);
    const failedIds = new Set<string>();
    // Bounded: a save that keeps committing while we catch up is caught up by the next one.
    for (let round = 0; round < 100; round++) {
      const ids: string[] = [];
      for (const name of markerNames(storeDir)) {
        const id = sessionOf(name);
        if (failedIds.has(id)) continue;
        if (!name.endsWith(CLAIMED)) renameSync(join(dir, name), join(dir, id + CLAIMED));
        if (!ids.includes(id)) ids.push(id);
      }
      if (ids.length === 0) break;
      if (!index) {
        index = SearchIndex.open(indexPath);
        index.bulkMode();
      }
      const unreadable = new Set<string>();
      let at = 0;
      await index.syncSessions(store, ids, counts, {
        read: (done) => {
          at = done;
        },
        readError: () => unreadable.add(ids[at]!),
      });
      for (const id of ids) {
        if (unreadable.has(id)) {
          failedIds.add(id);
          counts.failed++;
          continue;
        }
        try {
          unlinkSync(join(dir, id + CLAIMED));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  } finally {
    index?.close();
  }
  return counts;
}

/** `indexPendingLocked` under the lock; nothing at all (not even the lock) when nothing is pending. */
export async function catchUpPending(
  store: SessionStore,
  storeDir: string,
  indexPath: string,
  opts: { lockTimeoutMs?: number; onWait?: () => void } = {},
): Promise<PendingCatchUp> {
  if (markerNames(storeDir).length === 0) return { sessions: 0, lines: 0, bytes: 0, entries: 0, failed: 0 };
  return withIndexLock(storeDir, () => indexPendingLocked(store, storeDir, indexPath), {
    ...(opts.lockTimeoutMs !== undefined ? { timeoutMs: opts.lockTimeoutMs } : {}),
    ...(opts.onWait ? { onWait: opts.onWait } : {}),
  });
}
