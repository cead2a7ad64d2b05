import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError, type GithubLinkRequest, type SessionStore, type StoredEvent, type StoredGithubLink, type StoredSession } from './session-store.js';
import type { ChunkRequest, ChunkResponse, EventRequest, InitRequest, InitResponse } from '../format/wire.js';
import { ensurePrivateDir, fsyncDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from '../fs/private-files.js';
import { storeDir } from '../paths.js';
import { errno, readRange, writeAll, writeNewFile } from './atomic-files.js';
import { appendLines, discardUncommitted, readLinesAfter } from './line-index.js';
import { FileLock, KeyedMutex, LockTimeoutError, sweepDeadLockLeftovers } from '../fs/lock.js';
import { currentProcess, isAlive } from '../process/liveness.js';
import {
  addFile,
  applyChunk,
  checkChunkForSession,
  chunkTarget,
  iso,
  isSessionMeta,
  mergeReinit,
  newSessionMeta,
  toStoredSession,
  upsertGithubLink,
  type SessionMeta,
} from './session-meta.js';
import { isUuid, validateChunk, validateEvent, validateGithubLink, validateInit, validateSummary, type ValidChunk } from './validate.js';
import { formatRfc3339 } from '../format/rfc3339.js';

/**
 * The embedded session store: confab-web's semantics on the local disk, safe against a kill
 * at any instant and against several processes writing at once. Layout and the crash-safety
 * argument: docs/store.md.
 *
 *   <dir>/store.json                     format + the secret salt session ids derive from
 *   <dir>/sessions/<session_id>/meta.json      the committed state (replaced atomically)
 *   <dir>/sessions/<session_id>/lock           cross-process lock (see lock.ts)
 *   <dir>/sessions/<session_id>/files/<n>.jsonl   a file's lines, exactly as uploaded + `\n`
 *   <dir>/sessions/<session_id>/files/<n>.idx     sparse line → byte offset index
 *   <dir>/sessions/<session_id>/events.jsonl   recorded events, one JSON object a line
 *
 * A byte of a data file counts only below the length meta.json commits for it; an append
 * writes past that length, fsyncs, then commits a new meta.json by rename. A kill before the
 * rename leaves an uncommitted tail that readers never see and the next append truncates.
 *
 * Its layers: atomic-files.ts (files that appear whole or not at all), line-index.ts (a file's
 * lines and their index), session-meta.ts (confab-web's rules for merging requests into a
 * session's metadata); this class adds the layout, locking, caching and commits.
 */

const STORE_FORMAT = 1;

export interface FileStoreOptions {
  /** Chunks per file refused beyond (confab-web: 30,000); false = no limit. */
  chunkLimit?: number | false;
  /** Provider names accepted by init; default any safe name (third-party providers). */
  providers?: readonly string[];
  /** How long a write waits for another process holding the session (ms). */
  lockTimeoutMs?: number;
  /** Tests: called before every write to disk; throwing an errno error simulates a failing disk. */
  ioFault?: (op: 'data' | 'index' | 'meta' | 'events' | 'create', path: string) => void;
}

const notFound = () => new StoreError(404, 'Session not found');

/** Failures while writing become 507 with nothing committed; the caller may retry later. */
function storageError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = errno(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreError(507, 'Insufficient storage: no space left on device');
  if (err instanceof LockTimeoutError) return new StoreError(503, 'Storage temporarily unavailable');
  return new StoreError(507, `Insufficient storage: write failed${code ? ` (${code})` : ''}`);
}

export class FileStore implements SessionStore {
  readonly dir: string;
  private readonly sessionsDir: string;
  private readonly salt: Buffer;
  private readonly opts: FileStoreOptions;
  private readonly mutex = new KeyedMutex();
  private readonly metaCache = new Map<string, { key: string; meta: SessionMeta }>();
  private closed = false;

  private constructor(dir: string, salt: Buffer, opts: FileStoreOptions) {
    this.dir = dir;
    this.sessionsDir = join(dir, 'sessions');
    this.salt = salt;
    this.opts = opts;
  }

  /** Open (creating if needed) the store in `dir`. Several processes may open the same dir. */
  static async open(dir: string = storeDir(), opts: FileStoreOptions = {}): Promise<FileStore> {
    await ensurePrivateDir(dir);
    await ensurePrivateDir(join(dir, 'sessions'));
    const salt = await FileStore.loadOrCreateSalt(dir);
    const store = new FileStore(dir, salt, opts);
    await store.sweepAbandonedCreations();
    return store;
  }

  private static async loadOrCreateSalt(dir: string): Promise<Buffer> {
    const path = join(dir, 'store.json');
    for (let attempt = 0; ; attempt++) {
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as { format?: unknown; id_salt?: unknown };
        if (parsed.format !== STORE_FORMAT || typeof parsed.id_salt !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.id_salt)) {
          throw new StoreError(500, `${path} is not a confab store (format ${String(parsed.format)})`);
        }
        return Buffer.from(parsed.id_salt, 'hex');
      } catch (err) {
        if (errno(err) !== 'ENOENT' || attempt > 2) throw err;
      }
      // First open: publish a complete file, so a racing opener reads it whole or not at all.
      const body = `${JSON.stringify({ format: STORE_FORMAT, id_salt: randomBytes(32).toString('hex'), created_at: formatRfc3339(Date.now()) })}\n`;
      await writeFileAtomic(path, body, { durable: true, exclusive: true, ensureDir: false });
    }
  }

  /** Creation dirs of processes that died mid-init (their session never became visible). */
  private async sweepAbandonedCreations(): Promise<void> {
    for (const name of await readdir(this.sessionsDir)) {
      const m = /^\.new-(\d+)-(\S*?)-[0-9a-f]{12}$/.exec(name);
      if (!m) continue;
      const owner = { pid: Number(m[1]), startTime: m[2] === '_' ? '' : (m[2] ?? ''), host: currentProcess().host };
      if (!isAlive(owner)) await rm(join(this.sessionsDir, name), { recursive: true, force: true });
    }
  }

  /**
   * Session ids are UUID-shaped hashes of (owner, provider, external_id) under the store's
   * secret salt: stable, unguessable, and the same in every process, so a creation race
   * resolves to one directory.
   */
  sessionIdFor(owner: string, provider: string, externalId: string): string {
    const h = createHash('sha256').update(this.salt).update(`\0${owner}\0${provider}\0${externalId}`).digest();
    h[6] = (h[6]! & 0x0f) | 0x40;
    h[8] = (h[8]! & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  private sessionPath(id: string): string {
    return join(this.sessionsDir, id);
  }

  private fault(op: Parameters<NonNullable<FileStoreOptions['ioFault']>>[0], path: string): void {
    this.opts.ioFault?.(op, path);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(503, 'Storage temporarily unavailable');
  }

  /** The committed meta of a session; cached by the meta file's identity (a commit is a new inode). */
  private async readMeta(id: string, fresh = false): Promise<SessionMeta | undefined> {
    const path = join(this.sessionPath(id), 'meta.json');
    let key: string;
    try {
      const st = await stat(path, { bigint: true });
      key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw err;
    }
    const cached = this.metaCache.get(id);
    // Cached metas are shared: only fresh reads (taken for a write) may be mutated.
    if (!fresh && cached && cached.key === key) return cached.meta;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    }
    const meta: unknown = JSON.parse(text);
    if (!isSessionMeta(meta)) throw new StoreError(500, `corrupt session metadata in ${path}`);
    this.metaCache.set(id, { key, meta: fresh ? structuredClone(meta) : meta });
    return meta;
  }

  /** `onRenamed` runs once the new meta is visible: from then on the write is committed, durable or not. */
  private async commitMeta(meta: SessionMeta, onRenamed?: () => void): Promise<void> {
    const path = join(this.sessionPath(meta.session_id), 'meta.json');
    meta.revision++;
    this.fault('meta', path);
    await writeFileAtomic(path, `${JSON.stringify(meta)}\n`, { durable: true, ensureDir: false, ...(onRenamed ? { onCommitted: onRenamed } : {}) });
  }

  /**
   * Whether meta.json moved past `revision`: a rename can take effect and still report a
   * failure, and then the bytes it commits must stay. Unreadable counts as moved (keeping an
   * uncommitted tail is harmless: readers ignore it and the next append cuts it).
   */
  private async committedSince(id: string, revision: number): Promise<boolean> {
    try {
      const onDisk = JSON.parse(await readFile(join(this.sessionPath(id), 'meta.json'), 'utf8')) as { revision?: unknown };
      return typeof onDisk.revision !== 'number' || onDisk.revision > revision;
    } catch {
      return true;
    }
  }

  /** Run `fn` holding the session in this process and across processes. */
  private async withSession<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const dir = this.sessionPath(id);
    return this.mutex.run(id, async () => {
      let lock: FileLock;
      try {
        lock = await FileLock.acquire(join(dir, 'lock'), {
          timeoutMs: this.opts.lockTimeoutMs,
          // A writer died holding the lock: clear the temp files it may have left.
          onBrokeStale: () => sweepDeadLockLeftovers(dir),
        });
      } catch (err) {
        if (errno(err) === 'ENOENT') throw notFound();
        throw storageError(err);
      }
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    });
  }

  /** Load for a write: 404 unknown, 403 another owner's. */
  private async ownedMeta(owner: string, rawId: string): Promise<SessionMeta> {
    if (!isUuid(rawId)) throw notFound();
    const meta = await this.readMeta(rawId.toLowerCase(), true);
    if (!meta) throw notFound();
    if (meta.owner !== owner) throw new StoreError(403, 'Access denied');
    return meta;
  }

  async init(owner: string, req: InitRequest): Promise<InitResponse> {
    this.assertOpen();
    const v = validateInit(req, { providers: this.opts.providers });
    const id = this.sessionIdFor(owner, v.provider, v.external_id);
    const now = iso(Date.now());
    if (!(await this.readMeta(id))) {
      const meta = newSessionMeta(STORE_FORMAT, id, owner, v, now);
      if (await this.createSession(meta)) return { session_id: id, provider: v.provider, files: {} };
    }
    return this.withSession(id, async () => {
      const meta = await this.readMeta(id, true);
      if (!meta) throw notFound();
      mergeReinit(meta, v, now);
      try {
        await this.commitMeta(meta);
      } catch (err) {
        throw storageError(err);
      }
      return {
        session_id: id,
        provider: meta.provider,
        files: Object.fromEntries(meta.files.map((f) => [f.file_name, { last_synced_line: f.last_synced_line }])),
      };
    });
  }

  /** Publish a new session dir by rename; false when another process created it first. */
  private async createSession(meta: SessionMeta): Promise<boolean> {
    const me = currentProcess();
    const tmp = join(this.sessionsDir, `.new-${me.pid}-${me.startTime || '_'}-${randomBytes(6).toString('hex')}`);
    try {
      this.fault('create', tmp);
      await mkdir(tmp, { mode: PRIVATE_DIR_MODE });
      await mkdir(join(tmp, 'files'), { mode: PRIVATE_DIR_MODE });
      await writeNewFile(join(tmp, 'meta.json'), `${JSON.stringify(meta)}\n`);
      await fsyncDir(tmp);
      try {
        await rename(tmp, this.sessionPath(meta.session_id));
      } catch (err) {
        if (errno(err) === 'ENOTEMPTY' || errno(err) === 'EEXIST') {
          await rm(tmp, { recursive: true, force: true });
          return false;
        }
        throw err;
      }
      await fsyncDir(this.sessionsDir);
      return true;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw storageError(err);
    }
  }

  /** Validate a chunk and load its session for a write: 404 unknown, 403 another owner's. */
  private async chunkSession(owner: string, req: ChunkRequest): Promise<{ v: ValidChunk; pre: SessionMeta }> {
    const v = validateChunk(req);
    const pre = await this.ownedMeta(owner, v.session_id);
    checkChunkForSession(pre, v);
    return { v, pre };
  }

  async checkChunk(owner: string, req: ChunkRequest): Promise<string> {
    this.assertOpen();
    const { v, pre } = await this.chunkSession(owner, req);
    chunkTarget(pre, v, this.opts.chunkLimit);
    return pre.session_id;
  }

  async appendChunk(owner: string, req: ChunkRequest): Promise<ChunkResponse> {
    this.assertOpen();
    const { v, pre } = await this.chunkSession(owner, req);
    return this.withSession(pre.session_id, async () => {
      const meta = await this.ownedMeta(owner, pre.session_id);
      const now = Date.now();
      const file = chunkTarget(meta, v, this.opts.chunkLimit) ?? addFile(meta, v, now);
      const base = join(this.sessionPath(meta.session_id), 'files', String(file.seq));
      const before = { bytes: file.bytes, index_entries: file.index_entries, revision: meta.revision };
      let committed = false;
      try {
        // The session's metadata is worked out from the lines while they are flushed.
        await appendLines(base, file, v.first_line, v.lines, (op, path) => this.fault(op, path), () => applyChunk(meta, file, v, now));
        await this.commitMeta(meta, () => {
          committed = true;
        });
      } catch (err) {
        // Lines written but never committed are invisible; on a full disk their space is what a
        // pending record, a log line or another session needs, so give it back now rather than
        // at this file's next append.
        if (!committed && !(await this.committedSince(meta.session_id, before.revision))) await discardUncommitted(base, before);
        throw storageError(err);
      }
      return { last_synced_line: v.last_line };
    });
  }

  async recordEvent(owner: string, req: EventRequest): Promise<void> {
    this.assertOpen();
    const v = validateEvent(req);
    const pre = await this.ownedMeta(owner, v.session_id);
    await this.withSession(pre.session_id, async () => {
      const meta = await this.ownedMeta(owner, pre.session_id);
      const event: StoredEvent = { event_type: v.event_type, timestamp: v.timestamp, received_at: iso(Date.now()) };
      if (v.payload !== undefined) event.payload = v.payload;
      const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
      const path = join(this.sessionPath(meta.session_id), 'events.jsonl');
      try {
        this.fault('events', path);
        const fh = await open(path, fsConstants.O_RDWR | fsConstants.O_CREAT, PRIVATE_FILE_MODE);
        try {
          if ((await fh.stat()).size !== meta.events.bytes) await fh.truncate(meta.events.bytes);
          await writeAll(fh, line, meta.events.bytes);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        if (meta.events.bytes === 0) await fsyncDir(this.sessionPath(meta.session_id));
        meta.events = { count: meta.events.count + 1, bytes: meta.events.bytes + line.length };
        await this.commitMeta(meta);
      } catch (err) {
        throw storageError(err);
      }
    });
  }

  async updateSummary(owner: string, externalId: string, summary: string): Promise<void> {
    this.assertOpen();
    const value = validateSummary(summary);
    const matching = (await this.allMetas()).filter((m) => m.external_id === externalId);
    const mine = matching.filter((m) => m.owner === owner);
    if (mine.length === 0) throw matching.length > 0 ? new StoreError(403, 'Access denied') : notFound();
    for (const m of mine) {
      await this.withSession(m.session_id, async () => {
        const meta = await this.ownedMeta(owner, m.session_id);
        meta.summary = value;
        try {
          await this.commitMeta(meta);
        } catch (err) {
          throw storageError(err);
        }
      });
    }
  }

  async recordGithubLink(owner: string, sessionId: string, req: GithubLinkRequest): Promise<StoredGithubLink> {
    this.assertOpen();
    const v = validateGithubLink(req);
    // Another owner's session is simply not found on this route (confab-web §4.2).
    const pre = await this.ownedMeta(owner, sessionId).catch((err) => {
      throw err instanceof StoreError && err.status === 403 ? notFound() : err;
    });
    return this.withSession(pre.session_id, async () => {
      const meta = await this.ownedMeta(owner, pre.session_id);
      const link = upsertGithubLink(meta, v, Date.now());
      try {
        await this.commitMeta(meta);
      } catch (err) {
        throw storageError(err);
      }
      return { ...link };
    });
  }

  private async allMetas(): Promise<SessionMeta[]> {
    const names = (await readdir(this.sessionsDir)).filter((n) => isUuid(n));
    const metas = await Promise.all(names.map((n) => this.readMeta(n).catch(() => undefined)));
    return metas.filter((m): m is SessionMeta => m !== undefined);
  }

  async listSessions(owner?: string): Promise<StoredSession[]> {
    const metas = (await this.allMetas()).filter((m) => owner === undefined || m.owner === owner);
    const activity = (m: SessionMeta) => Math.max(Date.parse(m.last_sync_at), m.last_message_at ? Date.parse(m.last_message_at) : 0);
    metas.sort((a, b) => activity(b) - activity(a) || a.session_id.localeCompare(b.session_id));
    return metas.map(toStoredSession);
  }

  async getSession(sessionId: string, owner?: string): Promise<StoredSession | undefined> {
    if (!isUuid(sessionId)) return undefined;
    const meta = await this.readMeta(sessionId.toLowerCase());
    if (!meta || (owner !== undefined && meta.owner !== owner)) return undefined;
    return toStoredSession(meta);
  }

  async readFile(sessionId: string, fileName: string, afterLine = 0): Promise<Buffer> {
    if (!isUuid(sessionId)) throw notFound();
    const meta = await this.readMeta(sessionId.toLowerCase());
    if (!meta) throw notFound();
    const file = meta.files.find((f) => f.file_name === fileName);
    if (!file) throw new StoreError(404, 'File not found');
    if (!Number.isSafeInteger(afterLine) || afterLine < 0) throw new StoreError(400, 'line_offset must be non-negative');
    if (afterLine >= file.last_synced_line || file.bytes === 0) return Buffer.alloc(0);
    return readLinesAfter(join(this.sessionPath(meta.session_id), 'files', String(file.seq)), file, afterLine);
  }

  async listEvents(sessionId: string): Promise<StoredEvent[]> {
    if (!isUuid(sessionId)) throw notFound();
    const meta = await this.readMeta(sessionId.toLowerCase());
    if (!meta) throw notFound();
    if (meta.events.bytes === 0) return [];
    const fh = await open(join(this.sessionPath(meta.session_id), 'events.jsonl'), 'r');
    try {
      const text = (await readRange(fh, 0, meta.events.bytes)).toString('utf8');
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as StoredEvent);
    } finally {
      await fh.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.metaCache.clear();
  }
}

export function openFileStore(dir: string = storeDir(), opts: FileStoreOptions = {}): Promise<FileStore> {
  return FileStore.open(dir, opts);
}
