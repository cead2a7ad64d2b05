import type * as ChildProcess from 'node:child_process';
import { setPriority } from 'node:os';
import { storeDir } from '../paths.js';
import { pendingSessions } from '../search/pending-index.js';
import { confabEntryScript } from './executable.js';
import type { SaveSummary } from './save.js';
import { indexPendingSessions, indexUnavailable } from './search-index.js';
import { backendLabel } from './session-router.js';

/**
 * Below this much saved into the embedded store, `confab save` indexes it before it returns
 * (a fraction of a second); above, a background `confab index update` does, so a backfill
 * returns once its lines are stored.
 */
export const INLINE_INDEX_BYTES = 16 * 1024 * 1024;

/**
 * `none`: nothing went to the embedded store; `indexed`: indexed before returning;
 * `background`: a background `confab index update` was started; `unavailable`: this Node has
 * no usable SQLite (the lines are stored, not indexed, as for the daemons).
 */
export type IndexAfterSave = NonNullable<SaveSummary['searchIndex']>;

/**
 * After `confab save` (which stores into the embedded store without indexing, see
 * search/pending-index.ts): bring the search index up to date, here when little was saved,
 * else in a detached low-priority process. A search run before it finishes waits for it.
 */
export async function indexAfterSave(summary: SaveSummary, opts: { dir?: string } = {}): Promise<IndexAfterSave> {
  const dir = opts.dir ?? storeDir();
  const local = backendLabel({ kind: 'local' });
  const bytes = summary.results.reduce((n, r) => (r.backend === local ? n + r.bytes : n), 0);
  // Markers this save did not write (one of a background update that died) are left to the next catch-up.
  if (bytes === 0) return 'none';
  if (indexUnavailable()) return 'unavailable';
  if (pendingSessions(dir).length === 0) return 'none';
  if (bytes < INLINE_INDEX_BYTES) {
    await indexPendingSessions(dir);
    return 'indexed';
  }
  spawnIndexUpdate();
  return 'background';
}

/** `confab index update`, detached, at a low priority, its output discarded (the next search catches up whatever it misses). */
function spawnIndexUpdate(): void {
  const { spawn } = process.getBuiltinModule('node:child_process') as typeof ChildProcess;
  const child = spawn(process.execPath, [confabEntryScript(), 'index', 'update', '--json'], { detached: true, stdio: 'ignore', cwd: '/' });
  child.on('error', () => {
    // The markers stay; the next search or update catches up.
  });
  if (child.pid) {
    try {
      setPriority(child.pid, 10);
    } catch {
      // Not allowed here: it runs at the normal priority.
    }
  }
  child.unref();
}
