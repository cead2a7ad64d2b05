import { existsSync } from 'node:fs';
import { formatBytes } from './format.js';
import { storeDir } from '../paths.js';
import { sqliteBackend } from '../sqlite/database.js';
import { FileStore } from '../store/file-store.js';
import { indexPathFor, SearchIndex } from '../search/index-db.js';
import { updateIndex, type IndexProgress, type IndexSummary } from '../search/rebuild.js';
import { catchUpPending, indexPendingLocked, pendingSessions, withIndexLock, type PendingCatchUp } from '../search/pending-index.js';

/** Why the index cannot be used here (no SQLite), in one line; undefined when it can. */
export function indexUnavailable(): string | undefined {
  const b = sqliteBackend();
  return 'error' in b ? b.error : undefined;
}

/**
 * Rebuild (fresh) or catch up the index of the store in `dir` from what the store holds, then
 * clear what `confab save` marked pending (already covered). Holds the catch-up lock.
 */
export async function indexStore(
  dir: string = storeDir(),
  opts: { fresh?: boolean; onProgress?: (p: IndexProgress) => void; onWait?: () => void } = {},
): Promise<IndexSummary> {
  const store = await FileStore.open(dir, { chunkLimit: false });
  try {
    return await withIndexLock(
      dir,
      async () => {
        const summary = await updateIndex(store, indexPathFor(dir), opts);
        await indexPendingLocked(store, dir, indexPathFor(dir));
        return summary;
      },
      opts.onWait ? { onWait: opts.onWait } : {},
    );
  } finally {
    await store.close();
  }
}

export interface CatchUpSummary {
  path: string;
  /** Sessions brought up to date, lines and bytes indexed. */
  sessions: number;
  lines: number;
  bytes: number;
  /** Sessions the store could not read (left for the next catch-up). */
  failed: number;
  elapsedMs: number;
}

/**
 * Index what the store holds that the index does not: the sessions `confab save` marked
 * pending, or every session when the index was never complete (new, or of an older layout;
 * `onProgress` reports such a build from nothing). `onPending` is told how many sessions are
 * pending before they are indexed. Waits for a catch-up running elsewhere (telling `onWait`
 * first), then does what it left.
 */
export async function catchUpIndex(
  dir: string = storeDir(),
  opts: { onProgress?: (p: IndexProgress) => void; onPending?: (sessions: number) => void; onWait?: () => void } = {},
): Promise<CatchUpSummary> {
  const started = Date.now();
  const path = indexPathFor(dir);
  const building = !existsSync(path);
  const index = SearchIndex.open(path);
  const complete = index.isComplete();
  index.close();
  if (!complete) {
    // Progress only for a build from nothing: catching up an index the daemons kept is quick.
    const s = await indexStore(dir, { ...(opts.onWait ? { onWait: opts.onWait } : {}), ...(building && opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    return { path, sessions: s.sessions, lines: s.lines, bytes: s.bytes, failed: s.failed, elapsedMs: Date.now() - started };
  }
  const pending = pendingSessions(dir).length;
  if (pending === 0) return { path, sessions: 0, lines: 0, bytes: 0, failed: 0, elapsedMs: Date.now() - started };
  opts.onPending?.(pending);
  const c = await indexPendingSessions(dir, opts.onWait ? { onWait: opts.onWait } : {});
  return { path, sessions: c.sessions, lines: c.lines, bytes: c.bytes, failed: c.failed, elapsedMs: Date.now() - started };
}

/** Index the sessions `confab save` marked pending in the store in `dir` (only those: see catchUpPending). */
export async function indexPendingSessions(dir: string = storeDir(), opts: { onWait?: () => void } = {}): Promise<PendingCatchUp> {
  const store = await FileStore.open(dir, { chunkLimit: false });
  try {
    return await catchUpPending(store, dir, indexPathFor(dir), opts);
  } finally {
    await store.close();
  }
}

/**
 * The index of the store in `dir`, caught up first with what the store holds and it does not
 * (see catchUpIndex): the first search of a store, an index of an older layout, or sessions
 * `confab save` stored since.
 */
export async function openStoreIndex(
  dir: string = storeDir(),
  onProgress?: (p: IndexProgress) => void,
  onPending?: (sessions: number) => void,
  onWait?: () => void,
): Promise<SearchIndex> {
  const path = indexPathFor(dir);
  if (existsSync(path) && pendingSessions(dir).length === 0) {
    const index = SearchIndex.open(path);
    if (index.isComplete()) return index;
    index.close();
  }
  await catchUpIndex(dir, { ...(onProgress ? { onProgress } : {}), ...(onPending ? { onPending } : {}), ...(onWait ? { onWait } : {}) });
  return SearchIndex.open(path);
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `--since`/`--until`: a duration back from now (`30m`, `12h`, `5d`, `2w`) or a date/time
 * (`2026-11-01`, `2026-11-01T09:00`). Undefined when it is neither.
 */
export function parseTimeBound(text: string, now = Date.now()): number | undefined {
  const m = /^\s*(\d{1,9})\s*([mhdw])\s*$/i.exec(text);
  if (m) return now - Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const t = Date.parse(text.trim());
  return Number.isNaN(t) ? undefined : t;
}

/** A search or usage report that waits for the background update a large `confab save` started. */
export function waitNoticeOnStderr(): void {
  process.stderr.write('waiting for the search index update running in the background (a large confab save)…\n');
}

/** A search or usage report that first indexes what `confab save` stored since the last catch-up. */
export function pendingNoticeOnStderr(sessions: number): void {
  process.stderr.write(`updating the search index with ${sessions} saved session${sessions === 1 ? '' : 's'}…\n`);
}

/** Progress of a first index build, on stderr (a search or usage report run on a store with no index yet). */
export function buildProgressOnStderr(p: IndexProgress): void {
  if (p.done === p.total || p.done % 100 === 0) process.stderr.write(`building the search index: ${p.done}/${p.total} sessions, ${formatBytes(p.bytes)}\n`);
}
