import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  StoreError,
  type GithubLinkRequest,
  type SessionStore,
  type StoredEvent,
  type StoredFile,
  type StoredGithubLink,
  type StoredSession,
} from '../backend/store.js';
import type { ChunkRequest, ChunkResponse, EventRequest, GitInfo, InitRequest, InitResponse } from '../backend/wire.js';
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { storeDir } from '../paths.js';
import { FileLock, KeyedMutex, LockTimeoutError, sweepDeadLockLeftovers } from './lock.js';
import { currentProcess, isAlive } from './process-identity.js';
import { FUTURE_TOLERANCE_MS, newestLineTime, prLinksInLines, unwrapCursorQuery } from './transcript-metadata.js';
import {
  DEFAULT_CHUNK_LIMIT,
  isUuid,
  validateChunk,
  validateEvent,
  validateGithubLink,
  validateInit,
  validateSummary,
  type ValidChunk,
} from './validate.js';

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
 */

const STORE_FORMAT = 1;
/** An index entry at least every this many bytes of a file. */
const INDEX_STRIDE = 64 * 1024;
const INDEX_ENTRY_BYTES = 16;
const MAX_STORAGE_KEY_BYTES = 1024;

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

interface FileMeta {
  file_name: string;
  file_type: string;
  seq: number;
  last_synced_line: number;
  chunk_count: number;
  bytes: number;
  index_entries: number;
  /** Byte offset of the last index entry (0 = the implicit entry for line 1). */
  index_last_offset: number;
  updated_at: string;
}

interface CodexRollout {
  [key: string]: string | undefined;
}

interface SessionMeta {
  format: number;
  session_id: string;
  owner: string;
  provider: string;
  external_id: string;
  transcript_path: string;
  cwd?: string;
  git_info?: unknown;
  hostname?: string;
  username?: string;
  summary?: string;
  first_user_message?: string;
  first_seen: string;
  last_sync_at: string;
  last_message_at?: string;
  model?: string;
  codex_rollouts?: Record<string, CodexRollout>;
  github_links: StoredGithubLink[];
  files: FileMeta[];
  next_seq: number;
  events: { count: number; bytes: number };
  revision: number;
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;
const notFound = () => new StoreError(404, 'Session not found');
const iso = (ms: number) => new Date(ms).toISOString();

/** Failures while writing become 507 with nothing committed; the caller may retry later. */
function storageError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = errno(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreError(507, 'Insufficient storage: no space left on device');
  if (err instanceof LockTimeoutError) return new StoreError(503, 'Storage temporarily unavailable');
  return new StoreError(507, `Insufficient storage: write failed${code ? ` (${code})` : ''}`);
}

async function fsyncDir(path: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch (err) {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errno(err) ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}

async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, position + off);
    off += bytesWritten;
  }
}

async function readRange(fh: FileHandle, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
    if (bytesRead === 0) throw new StoreError(500, 'stored file is shorter than its committed length');
    off += bytesRead;
  }
  return buf;
}

function toStoredSession(meta: SessionMeta): StoredSession {
  const files: StoredFile[] = meta.files.map((f) => ({
    file_name: f.file_name,
    file_type: f.file_type,
    last_synced_line: f.last_synced_line,
    chunk_count: f.chunk_count,
    bytes: f.bytes,
    updated_at: f.updated_at,
  }));
  const s: StoredSession = {
    session_id: meta.session_id,
    owner: meta.owner,
    provider: meta.provider,
    external_id: meta.external_id,
    transcript_path: meta.transcript_path,
    first_seen: meta.first_seen,
    last_sync_at: meta.last_sync_at,
    files,
    github_links: meta.github_links.map((l) => ({ ...l })),
  };
  if (meta.cwd !== undefined) s.cwd = meta.cwd;
  if (meta.git_info !== undefined) s.git_info = meta.git_info as GitInfo;
  if (meta.hostname !== undefined) s.hostname = meta.hostname;
  if (meta.username !== undefined) s.username = meta.username;
  if (meta.summary !== undefined) s.summary = meta.summary;
  if (meta.first_user_message !== undefined) s.first_user_message = meta.first_user_message;
  if (meta.last_message_at !== undefined) s.last_message_at = meta.last_message_at;
  if (meta.model !== undefined) s.model = meta.model;
  if (meta.codex_rollouts !== undefined) {
    s.codex_rollouts = Object.fromEntries(
      Object.entries(meta.codex_rollouts).map(([k, r]) => [k, Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => e[1] !== undefined))]),
    );
  }
  return s;
}

function isSessionMeta(v: unknown): v is SessionMeta {
  const m = v as SessionMeta;
  return !!m && typeof m === 'object' && typeof m.session_id === 'string' && typeof m.owner === 'string' && Array.isArray(m.files);
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
      // First open: publish a complete file with link(2), so a racing opener reads it whole or not at all.
      const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const body = `${JSON.stringify({ format: STORE_FORMAT, id_salt: randomBytes(32).toString('hex'), created_at: new Date().toISOString() })}\n`;
      const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await link(tmp, path);
        await fsyncDir(dir);
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
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

  private async commitMeta(meta: SessionMeta): Promise<void> {
    const dir = this.sessionPath(meta.session_id);
    const path = join(dir, 'meta.json');
    meta.revision++;
    this.fault('meta', path);
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
      try {
        await fh.writeFile(`${JSON.stringify(meta)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fsyncDir(dir);
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
      const meta: SessionMeta = {
        format: STORE_FORMAT,
        session_id: id,
        owner,
        provider: v.provider,
        external_id: v.external_id,
        transcript_path: v.transcript_path,
        first_seen: now,
        last_sync_at: now,
        github_links: [],
        files: [],
        next_seq: 1,
        events: { count: 0, bytes: 0 },
        revision: 0,
      };
      if (v.cwd) meta.cwd = v.cwd;
      if (v.hostname) meta.hostname = v.hostname;
      if (v.username) meta.username = v.username;
      if (v.git_info !== undefined) meta.git_info = v.git_info;
      if (await this.createSession(meta)) return { session_id: id, provider: v.provider, files: {} };
    }
    return this.withSession(id, async () => {
      const meta = await this.readMeta(id, true);
      if (!meta) throw notFound();
      meta.transcript_path = v.transcript_path;
      // An empty cwd or a missing git_info on a re-init keeps what is stored (confab-web blanks cwd).
      if (v.cwd) meta.cwd = v.cwd;
      if (v.git_info !== undefined) meta.git_info = v.git_info;
      if (v.hostname) meta.hostname = v.hostname;
      if (v.username) meta.username = v.username;
      meta.last_sync_at = now;
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
      const fh = await open(join(tmp, 'meta.json'), 'wx', PRIVATE_FILE_MODE);
      try {
        await fh.writeFile(`${JSON.stringify(meta)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
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
    if (v.metadata.codex_rollout && pre.provider !== 'codex') {
      throw new StoreError(400, 'codex_rollout metadata is only supported for codex sessions');
    }
    return { v, pre };
  }

  /** The file a chunk appends to (undefined: a new one), after every refusal the session's state gives. */
  private chunkTarget(meta: SessionMeta, v: ValidChunk): FileMeta | undefined {
    const file = meta.files.find((f) => f.file_name === v.file_name);
    if (!file) this.checkNewFile(meta, v);
    else if (file.file_type !== v.file_type) {
      throw new StoreError(400, `file_type of ${v.file_name} is ${file.file_type} (got ${v.file_type})`);
    }
    const expected = (file?.last_synced_line ?? 0) + 1;
    if (v.first_line !== expected) {
      throw new StoreError(400, `first_line must be ${expected} (got ${v.first_line}) - chunks must be contiguous`);
    }
    const limit = this.opts.chunkLimit === undefined ? DEFAULT_CHUNK_LIMIT : this.opts.chunkLimit;
    if (limit !== false && file && file.chunk_count >= limit) {
      throw new StoreError(400, `File has too many chunks (limit: ${limit}). Consider starting a new session.`);
    }
    return file;
  }

  async checkChunk(owner: string, req: ChunkRequest): Promise<string> {
    this.assertOpen();
    const { v, pre } = await this.chunkSession(owner, req);
    this.chunkTarget(pre, v);
    return pre.session_id;
  }

  async appendChunk(owner: string, req: ChunkRequest): Promise<ChunkResponse> {
    this.assertOpen();
    const { v, pre } = await this.chunkSession(owner, req);
    return this.withSession(pre.session_id, async () => {
      const meta = await this.ownedMeta(owner, pre.session_id);
      let file = this.chunkTarget(meta, v);
      const now = Date.now();
      if (!file) {
        file = {
          file_name: v.file_name,
          file_type: v.file_type,
          seq: meta.next_seq++,
          last_synced_line: 0,
          chunk_count: 0,
          bytes: 0,
          index_entries: 0,
          index_last_offset: 0,
          updated_at: iso(now),
        };
        meta.files.push(file);
      }
      try {
        await this.appendLines(meta.session_id, file, v);
        if (v.file_type === 'transcript') this.applyTranscriptMetadata(meta, v, now);
        if (v.metadata.codex_rollout) this.upsertCodexRollout(meta, v.metadata.codex_rollout);
        file.last_synced_line = v.last_line;
        file.chunk_count++;
        file.updated_at = iso(now);
        meta.last_sync_at = iso(now);
        await this.commitMeta(meta);
      } catch (err) {
        throw storageError(err);
      }
      return { last_synced_line: v.last_line };
    });
  }

  private checkNewFile(meta: SessionMeta, v: ValidChunk): void {
    for (const f of meta.files) {
      if (f.file_name.startsWith(`${v.file_name}/`) || v.file_name.startsWith(`${f.file_name}/`)) {
        throw new StoreError(400, `file_name ${v.file_name} conflicts with file ${f.file_name} of this session (one is a directory of the other)`);
      }
    }
    if (v.file_type === 'transcript') {
      const other = meta.files.find((f) => f.file_type === 'transcript');
      if (other) throw new StoreError(400, `session already has a transcript file (${other.file_name}); other files must be agent files`);
    }
    const key = `${meta.owner}/${meta.provider}/${meta.external_id}/chunks/${v.file_name}/chunk_00000000_00000000.jsonl`;
    if (Buffer.byteLength(key) > MAX_STORAGE_KEY_BYTES) {
      throw new StoreError(400, `file_name is too long for this session (its storage key would exceed ${MAX_STORAGE_KEY_BYTES} bytes)`);
    }
  }

  /** Write the lines past the committed end, with their index entries, durably. Commits nothing. */
  private async appendLines(sessionId: string, file: FileMeta, v: ValidChunk): Promise<void> {
    const base = join(this.sessionPath(sessionId), 'files', String(file.seq));
    const payload = Buffer.from(`${v.lines.join('\n')}\n`, 'utf8');
    this.fault('data', `${base}.jsonl`);
    const data = await open(`${base}.jsonl`, fsConstants.O_RDWR | fsConstants.O_CREAT, PRIVATE_FILE_MODE);
    try {
      const size = (await data.stat()).size;
      if (size < file.bytes) throw new StoreError(500, `stored file ${base}.jsonl is shorter than its committed length`);
      // A tail past the committed length is a write that never committed: discard it.
      if (size > file.bytes) await data.truncate(file.bytes);
      try {
        await writeAll(data, payload, file.bytes);
        await data.datasync();
      } catch (err) {
        // Give back what the failed write took: on a full disk, the space a pending record,
        // a log line or another session needs.
        await data.truncate(file.bytes).catch(() => undefined);
        throw err;
      }
    } finally {
      await data.close();
    }

    const entries: Buffer[] = [];
    let lastIndexed = file.index_last_offset;
    const end = file.bytes + payload.length;
    if (end - lastIndexed > INDEX_STRIDE) {
      let pos = 0;
      let line = v.first_line;
      while (pos < payload.length) {
        const at = file.bytes + pos;
        if (at - lastIndexed >= INDEX_STRIDE) {
          const e = Buffer.alloc(INDEX_ENTRY_BYTES);
          e.writeBigUInt64LE(BigInt(line), 0);
          e.writeBigUInt64LE(BigInt(at), 8);
          entries.push(e);
          lastIndexed = at;
        }
        pos = payload.indexOf(10, pos) + 1;
        line++;
      }
    }
    if (entries.length > 0 || file.index_entries > 0) {
      this.fault('index', `${base}.idx`);
      const idx = await open(`${base}.idx`, fsConstants.O_RDWR | fsConstants.O_CREAT, PRIVATE_FILE_MODE);
      try {
        const committed = file.index_entries * INDEX_ENTRY_BYTES;
        if ((await idx.stat()).size !== committed) await idx.truncate(committed);
        if (entries.length > 0) {
          await writeAll(idx, Buffer.concat(entries), committed);
          await idx.datasync();
        }
      } finally {
        await idx.close();
      }
    }
    // A file created by this write must have its directory entry durable before the commit.
    if (file.bytes === 0 || (file.index_entries === 0 && entries.length > 0)) await fsyncDir(join(this.sessionPath(sessionId), 'files'));
    file.bytes = end;
    file.index_entries += entries.length;
    file.index_last_offset = lastIndexed;
  }

  private applyTranscriptMetadata(meta: SessionMeta, v: ValidChunk, now: number): void {
    const m = v.metadata;
    if (m.summary !== undefined) meta.summary = m.summary;
    if (meta.first_user_message === undefined && m.first_user_message !== undefined) {
      const fum = meta.provider === 'cursor' ? unwrapCursorQuery(m.first_user_message) : m.first_user_message;
      if (fum !== undefined) meta.first_user_message = fum;
    }
    if (m.git_info !== undefined) meta.git_info = m.git_info;
    if (meta.provider === 'cursor' && m.model && meta.model === undefined) meta.model = m.model;
    const limit = now + FUTURE_TOLERANCE_MS;
    if (m.created_at !== undefined && m.created_at <= limit && m.created_at < Date.parse(meta.first_seen)) {
      meta.first_seen = iso(m.created_at);
    }
    let newest = newestLineTime(meta.provider, v.lines, now);
    if (m.latest_message_at !== undefined && m.latest_message_at <= limit && (newest === undefined || m.latest_message_at > newest)) {
      newest = m.latest_message_at;
    }
    if (newest !== undefined && (meta.last_message_at === undefined || newest > Date.parse(meta.last_message_at))) {
      meta.last_message_at = iso(newest);
    }
    for (const pr of prLinksInLines(meta.provider, v.lines)) {
      const exists = meta.github_links.some((l) => l.link_type === 'pull_request' && l.owner === pr.owner && l.repo === pr.repo && l.ref === pr.ref);
      if (exists) continue;
      meta.github_links.push({
        id: randomUUID(),
        session_id: meta.session_id,
        link_type: 'pull_request',
        url: pr.url,
        owner: pr.owner,
        repo: pr.repo,
        ref: pr.ref,
        title: pr.title,
        source: 'transcript',
        created_at: iso(now),
      });
    }
  }

  private upsertCodexRollout(meta: SessionMeta, r: Record<string, string | undefined>): void {
    const rollouts = (meta.codex_rollouts ??= {});
    const key = r.thread_uuid!.toLowerCase();
    const stored = (rollouts[key] ??= {});
    for (const [k, val] of Object.entries(r)) {
      if (!val) continue;
      if (k === 'parent_thread_uuid' && stored.parent_thread_uuid) continue;
      stored[k] = val;
    }
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
      let link = meta.github_links.find((l) => l.link_type === v.link_type && l.owner === v.owner && l.repo === v.repo && l.ref === v.ref);
      if (link) {
        link.url = v.url;
        link.source = v.source;
        if (v.title !== undefined) link.title = v.title;
        else delete link.title;
      } else {
        link = {
          id: randomUUID(),
          session_id: meta.session_id,
          link_type: v.link_type,
          url: v.url,
          owner: v.owner,
          repo: v.repo,
          ref: v.ref,
          source: v.source,
          created_at: iso(Date.now()),
        };
        if (v.title !== undefined) link.title = v.title;
        meta.github_links.push(link);
      }
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
    const base = join(this.sessionPath(meta.session_id), 'files', String(file.seq));
    const data = await open(`${base}.jsonl`, 'r');
    try {
      const start = afterLine === 0 ? 0 : await this.offsetOfLine(data, base, file, afterLine + 1);
      return await readRange(data, start, file.bytes);
    } finally {
      await data.close();
    }
  }

  /** Byte offset where line `target` starts: nearest index entry at or before it, then a short scan. */
  private async offsetOfLine(data: FileHandle, base: string, file: FileMeta, target: number): Promise<number> {
    let line = 1;
    let offset = 0;
    if (file.index_entries > 0) {
      const idx = await open(`${base}.idx`, 'r');
      try {
        const entry = Buffer.alloc(INDEX_ENTRY_BYTES);
        let lo = 0;
        let hi = file.index_entries - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          await idx.read(entry, 0, INDEX_ENTRY_BYTES, mid * INDEX_ENTRY_BYTES);
          const l = Number(entry.readBigUInt64LE(0));
          if (l <= target) {
            line = l;
            offset = Number(entry.readBigUInt64LE(8));
            lo = mid + 1;
          } else hi = mid - 1;
        }
      } finally {
        await idx.close();
      }
    }
    const block = Buffer.allocUnsafe(64 * 1024);
    while (line < target) {
      const { bytesRead } = await data.read(block, 0, Math.min(block.length, file.bytes - offset), offset);
      if (bytesRead === 0) throw new StoreError(500, 'stored file is shorter than its committed length');
      let pos = 0;
      while (line < target) {
        const nl = block.indexOf(10, pos);
        if (nl === -1 || nl >= bytesRead) break;
        pos = nl + 1;
        line++;
      }
      offset += line < target ? bytesRead : pos;
    }
    return offset;
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
