import { existsSync } from 'node:fs';
import { formatBytes } from './format.js';
import { storeDir } from '../paths.js';
import { sqliteBackend } from '../sqlite/database.js';
import { FileStore } from '../store/file-store.js';
import { indexPathFor, SearchIndex } from '../search/index-db.js';
import { updateIndex, type IndexProgress, type IndexSummary } from '../search/rebuild.js';

/** Why the index cannot be used here (no SQLite), in one line; undefined when it can. */
export function indexUnavailable(): string | undefined {
  const b = sqliteBackend();
  return 'error' in b ? b.error : undefined;
}

/** Rebuild (fresh) or catch up the index of the store in `dir` from what the store holds. */
export async function indexStore(dir: string = storeDir(), opts: { fresh?: boolean; onProgress?: (p: IndexProgress) => void } = {}): Promise<IndexSummary> {
  const store = await FileStore.open(dir, { chunkLimit: false });
  try {
    return await updateIndex(store, indexPathFor(dir), opts);
  } finally {
    await store.close();
  }
}

/**
 * The index of the store in `dir`, caught up with the whole store first when it never was (the
 * first search of a store, or an index of an older layout, emptied when opened).
 */
export async function openStoreIndex(dir: string = storeDir(), onProgress?: (p: IndexProgress) => void): Promise<SearchIndex> {
  const path = indexPathFor(dir);
  const building = !existsSync(path);
  const index = SearchIndex.open(path);
  if (index.isComplete()) return index;
  index.close();
  // Progress only for a build from nothing: catching up an index the daemons kept is quick.
  await indexStore(dir, building && onProgress ? { onProgress } : {});
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

/** Progress of a first index build, on stderr (a search or usage report run on a store with no index yet). */
export function buildProgressOnStderr(p: IndexProgress): void {
  if (p.done === p.total || p.done % 100 === 0) process.stderr.write(`building the search index: ${p.done}/${p.total} sessions, ${formatBytes(p.bytes)}\n`);
}
