import type { GithubLinkRequest, SessionStore, StoredEvent, StoredGithubLink, StoredSession } from '../store/session-store.js';
import type { ChunkRequest, ChunkResponse, EventRequest, InitRequest, InitResponse } from '../format/wire.js';
import type { Logger } from '../log.js';
import { indexPathFor, SearchIndex } from './index-db.js';
import { IndexThread } from './index-thread.js';
import { markIndexPending } from './pending-index.js';

export interface IndexingOptions {
  /** The index file (see indexPathFor). */
  path: string;
  /** Told when an index update fails; the stored lines are unaffected and the next update (or a rebuild) catches up. */
  onError?: (err: unknown) => void;
  /**
   * Do not index here: mark each changed session pending in this store directory
   * (`pending-index.ts`) for a later catch-up. What a backfill uses, so storing is not held
   * back by indexing.
   */
  deferTo?: string;
  /** Index on this thread of its own instead of this one (`confab serve`: see IndexThread). */
  thread?: IndexThread;
}

/**
 * How long a change waits so a burst of chunks coalesces into one index transaction. Well under
 * the second within which a stored line must be searchable.
 */
export const INDEX_COALESCE_MS = 100;
/** The index stays open this long after its last update, so a backfill opens it once, not per chunk. */
export const INDEX_IDLE_CLOSE_MS = 2_000;

/**
 * A SessionStore that keeps the search index up to date: after the store commits a chunk (or
 * new metadata), the session is re-indexed in the background. The store's answer never waits
 * for the index and never fails because of it. During a burst (a backfill) the index is opened
 * once and each update covers every chunk committed since the last one, so the index costs a
 * transaction per `INDEX_COALESCE_MS`, not an open, a transaction and a checkpoint per chunk.
 */
export class IndexingStore implements SessionStore {
  private readonly dirty = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly opts: IndexingOptions;
  private thread: IndexThread | undefined;
  private disabled = false;
  private index: SearchIndex | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Index updates run so far (tests check that a burst coalesces). */
  updates = 0;

  constructor(
    readonly inner: SessionStore,
    opts: IndexingOptions,
  ) {
    this.opts = opts;
    this.thread = opts.thread;
  }

  private schedule(sessionId: string): void {
    if (this.disabled) return;
    if (this.opts.deferTo !== undefined) {
      // After the commit, so a catch-up that claimed the old marker before this chunk sees a new
      // one. A marker that cannot be written fails the index, never the stored chunk.
      try {
        markIndexPending(this.opts.deferTo, sessionId);
      } catch (err) {
        this.opts.onError?.(err);
      }
      return;
    }
    this.dirty.add(sessionId);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      if (this.dirty.size > 0) this.schedule(this.dirty.values().next().value!);
      else this.closeWhenIdle();
    });
  }

  private closeWhenIdle(): void {
    clearTimeout(this.idleTimer);
    if (!this.index) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.running) return;
      this.index?.close();
      this.index = undefined;
    }, INDEX_IDLE_CLOSE_MS);
    // An open index never keeps the process alive.
    this.idleTimer.unref();
  }

  private async drain(): Promise<void> {
    clearTimeout(this.idleTimer);
    // Let a burst of chunks to one session coalesce into one update.
    await new Promise((r) => setTimeout(r, INDEX_COALESCE_MS));
    if (this.thread && (await this.drainOn(this.thread))) return;
    try {
      while (this.dirty.size > 0) {
        const index = (this.index ??= SearchIndex.open(this.opts.path));
        const id = this.dirty.values().next().value!;
        this.dirty.delete(id);
        try {
          this.updates++;
          await index.syncSession(this.inner, id);
        } catch (err) {
          // Reopened for the next update: the file may have been replaced or damaged.
          this.index = undefined;
          index.close();
          this.opts.onError?.(err);
        }
      }
    } catch (err) {
      this.dirty.clear();
      if ((err as Error).name === 'SqliteUnavailableError') this.disabled = true;
      this.index?.close();
      this.index = undefined;
      this.opts.onError?.(err);
    }
  }

  /**
   * Everything dirty, to the index thread at once. Chunks committed while it works wait for
   * the next round: the longer an update takes (a backfill), the more the next one covers.
   */
  private async drainOn(thread: IndexThread): Promise<boolean> {
    const sessions = [...this.dirty];
    this.dirty.clear();
    try {
      const errors = await thread.sync(sessions);
      this.updates += sessions.length;
      for (const err of errors) {
        if (err.name === 'SqliteUnavailableError') this.disabled = true;
        this.opts.onError?.(err);
      }
      if (this.disabled) this.dirty.clear();
      return true;
    } catch (err) {
      // The thread could not start or died: index on this one from now on, these sessions first.
      this.thread = undefined;
      void thread.close();
      for (const id of sessions) this.dirty.add(id);
      this.opts.onError?.(err);
      return false;
    }
  }

  /** Wait until every committed change seen so far is indexed (or its update failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  async init(owner: string, req: InitRequest): Promise<InitResponse> {
    const res = await this.inner.init(owner, req);
    this.schedule(res.session_id);
    return res;
  }

  async appendChunk(owner: string, req: ChunkRequest): Promise<ChunkResponse> {
    const res = await this.inner.appendChunk(owner, req);
    this.schedule(req.session_id.toLowerCase());
    return res;
  }

  checkChunk(owner: string, req: ChunkRequest): Promise<string> {
    return this.inner.checkChunk(owner, req);
  }

  recordEvent(owner: string, req: EventRequest): Promise<void> {
    return this.inner.recordEvent(owner, req);
  }

  async updateSummary(owner: string, externalId: string, summary: string): Promise<void> {
    await this.inner.updateSummary(owner, externalId, summary);
    for (const s of await this.inner.listSessions(owner)) if (s.external_id === externalId) this.schedule(s.session_id);
  }

  recordGithubLink(owner: string, sessionId: string, req: GithubLinkRequest): Promise<StoredGithubLink> {
    return this.inner.recordGithubLink(owner, sessionId, req);
  }

  listSessions(owner?: string): Promise<StoredSession[]> {
    return this.inner.listSessions(owner);
  }

  getSession(sessionId: string, owner?: string): Promise<StoredSession | undefined> {
    return this.inner.getSession(sessionId, owner);
  }

  readFile(sessionId: string, fileName: string, afterLine?: number): Promise<Buffer> {
    return this.inner.readFile(sessionId, fileName, afterLine);
  }

  listEvents(sessionId: string): Promise<StoredEvent[]> {
    return this.inner.listEvents(sessionId);
  }

  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.idleTimer);
    this.index?.close();
    this.index = undefined;
    await this.thread?.close();
    await this.inner.close();
  }
}

/**
 * The store in `dir`, indexing what it commits into the index beside it (or, `deferIndex`,
 * marking it pending for a later catch-up; `thread`, on a thread of its own); failures are
 * logged (never the lines).
 */
export function indexingStoreFor(store: SessionStore, dir: string, log?: Logger, opts: { deferIndex?: boolean; thread?: boolean } = {}): IndexingStore {
  return new IndexingStore(store, {
    path: indexPathFor(dir),
    ...(opts.deferIndex ? { deferTo: dir } : {}),
    ...(opts.thread ? { thread: new IndexThread({ storeDir: dir, indexPath: indexPathFor(dir) }) } : {}),
    onError: (err) => log?.warn('search index update failed (a rebuild repairs it)', { error: err instanceof Error ? err.message : String(err) }),
  });
}
