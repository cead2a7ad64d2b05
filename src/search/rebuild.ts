import type { SessionStore } from '../store/session-store.js';
import { SearchIndex, type SyncCounts } from './index-db.js';

export interface IndexProgress {
  done: number;
  total: number;
  bytes: number;
}

export interface IndexSummary extends SyncCounts {
  path: string;
  /** Sessions that could not be read (the store answered an error); the rest are indexed. */
  failed: number;
  elapsedMs: number;
  indexBytes: number;
}

/**
 * Bring the index at `path` up to date with every session of the store (an incremental
 * catch-up: only lines not yet indexed are read). `fresh` deletes the index first: a rebuild.
 */
export async function updateIndex(
  store: SessionStore,
  path: string,
  opts: { fresh?: boolean; onProgress?: (p: IndexProgress) => void } = {},
): Promise<IndexSummary> {
  const started = Date.now();
  if (opts.fresh) await SearchIndex.remove(path);
  const index = SearchIndex.open(path);
  const counts: SyncCounts = { sessions: 0, lines: 0, bytes: 0, entries: 0 };
  let failed = 0;
  try {
    index.bulkMode();
    // Built from nothing (or from an emptied index): worth merging its segments at the end. A
    // catch-up of a few lines is not: merging rewrites the whole full-text index.
    const full = opts.fresh === true || !index.isComplete();
    // Least recent first, so entry ids follow activity: queries read matches newest first by id
    // and rank only the newest (docs/search.md). The store lists the most recent first.
    const sessions = (await store.listSessions()).reverse();
    await index.syncSessions(
      store,
      sessions.map((s) => s.session_id),
      counts,
      {
        read: (done, bytes) => opts.onProgress?.({ done, total: sessions.length, bytes }),
        readError: () => failed++,
      },
    );
    index.markComplete();
    // One segment per index level left by the bulk insert: merging them all makes every later query read one.
    if (full && counts.entries > 0) index.db.exec("INSERT INTO entries_fts(entries_fts) VALUES ('optimize')");
    index.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    index.close();
  }
  const { statSync } = await import('node:fs');
  return { path, ...counts, failed, elapsedMs: Date.now() - started, indexBytes: statSync(path).size };
}
