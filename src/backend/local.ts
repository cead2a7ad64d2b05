import type { Logger } from '../log.js';
import { storeDir } from '../paths.js';
import { indexingStoreFor } from '../search/indexing-store.js';
import { FileStore } from '../store/file-store.js';
import type { Backend, EncodedBody, RemoteSession, RequestOptions, UploadPolicy } from './backend.js';
import { BackendError, kindForStatus } from './errors.js';
import { StoreError, type SessionStore, type StoredSession } from '../store/session-store.js';
import type { Capabilities, ChunkRequest, ChunkResponse, EventRequest, CreateGithubLinkRequest, InitRequest, InitResponse } from '../format/wire.js';

/** The one owner of the embedded store's sessions when used directly (no API keys). */
export const LOCAL_OWNER = 'local';

/** confab-web's request caps (bytes of uncompressed JSON), kept so both backends refuse the same bodies. */
export const MAX_CHUNK_REQUEST_BYTES = 16 * 1024 * 1024;
export const MAX_SMALL_REQUEST_BYTES = 128 * 1024;

/** StoreError → BackendError with the same status and message; anything else is a storage failure. */
export function toBackendError(err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  if (err instanceof StoreError) return new BackendError(kindForStatus(err.status), err.message, { status: err.status, cause: err });
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  return new BackendError('storage', `local store failed${code ? ` (${code})` : ''}: ${detail}`, { cause: err });
}

function toRemoteSession(s: StoredSession): RemoteSession {
  const r: RemoteSession = {
    session_id: s.session_id,
    external_id: s.external_id,
    provider: s.provider,
    files: s.files.map((f) => ({ file_name: f.file_name, file_type: f.file_type, last_synced_line: f.last_synced_line, updated_at: f.updated_at })),
    first_seen: s.first_seen,
    last_sync_at: s.last_sync_at,
  };
  if (s.summary !== undefined) r.summary = s.summary;
  if (s.first_user_message !== undefined) r.first_user_message = s.first_user_message;
  if (s.cwd !== undefined) r.cwd = s.cwd;
  if (s.transcript_path) r.transcript_path = s.transcript_path;
  return r;
}

/**
 * A stored session by session id, external id, or an unambiguous prefix of either (`owner`
 * undefined: every owner's). BackendError `not-found` or `invalid` (ambiguous) otherwise.
 */
export async function resolveStoredSession(store: SessionStore, id: string, owner?: string): Promise<StoredSession> {
  const wanted = id.trim();
  if (!wanted) throw new BackendError('invalid', 'a session id or external id is required');
  const exact = await store.getSession(wanted, owner);
  if (exact) return exact;
  const sessions = await store.listSessions(owner);
  const lower = wanted.toLowerCase();
  const byExternal = sessions.filter((s) => s.external_id === wanted);
  const candidates =
    byExternal.length > 0 ? byExternal : sessions.filter((s) => s.session_id.startsWith(lower) || s.external_id.startsWith(wanted));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw new BackendError('not-found', `no session matches "${wanted}"`, { status: 404 });
  throw new BackendError('invalid', `"${wanted}" is ambiguous: it matches ${candidates.length} sessions; give more of the id`);
}

/**
 * The embedded backend: the engine's requests go straight to a SessionStore as one local
 * owner. Same semantics and refusals as confab-web (continuity, validation, request caps),
 * without its upload budget.
 */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  readonly location: string;
  readonly policy: UploadPolicy = {
    minChunkSpacingMs: 0,
    maxChunksPerFile: Number.POSITIVE_INFINITY,
    maxRequestBytes: MAX_CHUNK_REQUEST_BYTES,
  };

  constructor(
    private readonly store: SessionStore,
    location: string,
    private readonly owner: string = LOCAL_OWNER,
  ) {
    this.location = location;
  }

  private async call<T>(opts: RequestOptions | undefined, fn: () => Promise<T>): Promise<T> {
    if (opts?.signal?.aborted) throw new BackendError('timeout', 'request aborted', { cause: opts.signal.reason });
    try {
      return await fn();
    } catch (err) {
      throw toBackendError(err);
    }
  }

  /** `encoded`: the request as its caller already serialized it, measured instead of serializing again. */
  private checkSize(req: unknown, cap: number, message = 'Invalid request body', encoded?: EncodedBody): void {
    const bytes = encoded?.bytes ?? Buffer.byteLength(JSON.stringify(req) ?? '');
    if (bytes > cap) throw new BackendError('invalid', message, { status: 400 });
  }

  init(req: InitRequest, opts?: RequestOptions): Promise<InitResponse> {
    return this.call(opts, async () => {
      this.checkSize(req, MAX_SMALL_REQUEST_BYTES);
      return this.store.init(this.owner, req);
    });
  }

  chunk(req: ChunkRequest, opts?: RequestOptions): Promise<ChunkResponse> {
    return this.call(opts, async () => {
      this.checkSize(req, MAX_CHUNK_REQUEST_BYTES, undefined, opts?.encoded);
      return this.store.appendChunk(this.owner, req);
    });
  }

  event(req: EventRequest, opts?: RequestOptions): Promise<void> {
    return this.call(opts, async () => {
      this.checkSize(req, MAX_SMALL_REQUEST_BYTES, 'Invalid JSON body');
      await this.store.recordEvent(this.owner, req);
    });
  }

  async capabilities(): Promise<Capabilities> {
    return { workflow_files: true, workflow_journal: true, opencode_subagents: true };
  }

  /** The store upserts: a repeated link updates the one it has. */
  recordGithubLink(sessionId: string, req: CreateGithubLinkRequest, opts?: RequestOptions): Promise<void> {
    return this.call(opts, async () => {
      this.checkSize(req, MAX_SMALL_REQUEST_BYTES);
      await this.store.recordGithubLink(this.owner, sessionId, req);
    });
  }

  updateSummary(externalId: string, summary: string, opts?: RequestOptions): Promise<void> {
    return this.call(opts, () => this.store.updateSummary(this.owner, externalId, summary));
  }

  /** A session id, an external id, or an unambiguous prefix of either. */
  getSession(id: string, opts?: RequestOptions): Promise<RemoteSession> {
    return this.call(opts, async () => toRemoteSession(await this.resolve(id)));
  }

  /** Every session of the local owner, most recent activity first (one metadata read each). */
  listSessions(opts?: RequestOptions): Promise<RemoteSession[]> {
    return this.call(opts, async () => (await this.store.listSessions(this.owner)).map(toRemoteSession));
  }

  private resolve(id: string): Promise<StoredSession> {
    return resolveStoredSession(this.store, id, this.owner);
  }

  downloadFile(sessionId: string, fileName: string, opts?: RequestOptions): Promise<Buffer> {
    return this.call(opts, async () => {
      const session = await this.resolve(sessionId);
      return this.store.readFile(session.session_id, fileName);
    });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * The embedded backend over the store in `dir` (default `~/.confab/store`, or CONFAB_STORE_DIR).
 * What it stores is indexed for search as it is committed (`deferIndex`: marked for a later
 * catch-up instead, see search/pending-index.ts); index failures go to `log`.
 */
export async function openLocalBackend(dir: string = storeDir(), opts: { log?: Logger; deferIndex?: boolean } = {}): Promise<LocalBackend> {
  try {
    const store = await FileStore.open(dir, { chunkLimit: false });
    return new LocalBackend(indexingStoreFor(store, dir, opts.log, { deferIndex: opts.deferIndex === true }), dir);
  } catch (err) {
    throw toBackendError(err);
  }
}
