import { isAscii } from 'node:buffer';
import { closeSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SessionStore, StoredSession } from '../store/session-store.js';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { hasFts5, openDatabase, SqliteUnavailableError, type SqliteDatabase } from '../sqlite/database.js';
import { lineFacts, type LineFacts, type LineUsage } from './line-entries.js';

/**
 * The search index: an SQLite (FTS5) file beside the store, derived from what the store holds
 * (redacted lines only). It is never the source of truth: `rebuild` recreates it from the
 * store, and every update is idempotent (a file's lines are indexed once, in order, whoever
 * indexes them). Layout and reasons: docs/search.md.
 */

/** Bumped whenever the layout changes; an index of another version is emptied and rebuilt from the store when opened. */
export const SCHEMA_VERSION = '3';
/** Waits this long for another writer (several daemons index at once) before giving up; the next update catches up. */
const BUSY_TIMEOUT_MS = 2_000;

/**
 * FTS5 keeps this much of a transaction's new postings in memory before writing a segment (1 MB
 * by default): a rebuild's large transactions then write fewer, larger segments, and merge less.
 */
const FTS_HASH_BYTES = 16 * 1024 * 1024;
/** A rebuild commits after about this much transcript: few commits, and daemons still get the lock between them. */
const BATCH_BYTES = 32 * 1024 * 1024;
/** UTC days, in ms: usage_days keeps usage per session, day and model. */
const DAY_MS = 86_400_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions(
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  provider TEXT NOT NULL,
  external_id TEXT NOT NULL,
  project TEXT,
  cwd TEXT,
  git_branch TEXT,
  model TEXT,
  title TEXT,
  first_activity INTEGER,
  last_activity INTEGER,
  first_entry INTEGER,
  last_entry INTEGER
);
CREATE TABLE IF NOT EXISTS files(
  id INTEGER PRIMARY KEY,
  sid INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  indexed_lines INTEGER NOT NULL DEFAULT 0,
  model TEXT,
  UNIQUE(sid, file_name)
);
CREATE TABLE IF NOT EXISTS entries(
  id INTEGER PRIMARY KEY,
  sid INTEGER NOT NULL,
  fid INTEGER NOT NULL,
  line INTEGER NOT NULL,
  time INTEGER,
  role TEXT NOT NULL,
  tool TEXT,
  text TEXT NOT NULL
);
-- Each entry's session without reading its row (the text makes rows long): what listing the
-- sessions of many matches reads.
CREATE INDEX IF NOT EXISTS entries_session ON entries(id, sid);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
  text, content='entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3', columnsize=0
);
CREATE TABLE IF NOT EXISTS usage(
  sid INTEGER NOT NULL,
  key TEXT NOT NULL,
  fid INTEGER NOT NULL,
  line INTEGER NOT NULL,
  time INTEGER,
  model TEXT,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_creation INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  PRIMARY KEY(sid, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_time ON usage(time);
CREATE TABLE IF NOT EXISTS usage_days(
  sid INTEGER NOT NULL,
  day INTEGER NOT NULL,
  model TEXT NOT NULL,
  responses INTEGER NOT NULL,
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  cache_creation INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  last_time INTEGER,
  PRIMARY KEY(sid, day, model)
) WITHOUT ROWID;
INSERT INTO entries_fts(entries_fts, rank) VALUES ('hashsize', ${FTS_HASH_BYTES});
`;

/** `<store>/index.db`: inside the store's private directory, so it goes wherever the store goes. */
export function indexPathFor(storeDir: string): string {
  return join(storeDir, 'index.db');
}

export class IndexError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IndexError';
  }
}

/** The project a session belongs to: its repository's name, else its working directory's name. */
export function projectOf(s: Pick<StoredSession, 'cwd' | 'git_info'>): string | undefined {
  const url = s.git_info?.repo_url;
  if (url) {
    const name = url.replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).pop();
    if (name) return name;
  }
  return s.cwd ? basename(s.cwd) || s.cwd : undefined;
}

function ms(iso: string | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export interface SyncCounts {
  sessions: number;
  lines: number;
  bytes: number;
  entries: number;
}

/** What a session adds to the index, read from the store before the write transaction. */
interface SessionUpdate {
  session: StoredSession;
  files: { fileName: string; done: number; data: Buffer }[];
}

/**
 * The complete lines of stored bytes. A line of ASCII only (most are: JSON escapes what is not)
 * is read as Latin-1, which copies bytes where UTF-8 decoding transcodes them, into a one-byte
 * string that JSON.parse also reads faster.
 */
function linesOf(data: Buffer): string[] {
  const lines: string[] = [];
  let at = 0;
  for (let nl = data.indexOf(10, at); nl !== -1; nl = data.indexOf(10, at)) {
    lines.push(isAscii(data.subarray(at, nl)) ? data.toString('latin1', at, nl) : data.toString('utf8', at, nl));
    at = nl + 1;
  }
  return lines;
}

/** An error of SQLite itself (a full disk, a damaged file), as opposed to one of the store. */
export function isSqliteError(err: unknown): boolean {
  return (err as Error).name === 'SqliteError' || String((err as { code?: unknown }).code ?? '').startsWith('SQLITE_') || (err as { code?: unknown }).code === 'ERR_SQLITE_ERROR';
}

/** Empty the index of another layout in place (the file stays: other processes may hold it open). */
function dropAll(db: SqliteDatabase): void {
  const names = (virtual: boolean) =>
    db
      .all("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .filter((r) => String(r.sql).toUpperCase().startsWith('CREATE VIRTUAL') === virtual)
      .map((r) => String(r.name));
  // A virtual table drops its own shadow tables; then the ordinary ones.
  for (const name of names(true)) db.exec(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}"`);
  for (const name of names(false)) db.exec(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}"`);
}

export class SearchIndex {
  /** tool-use id → tool name per indexed file, so results in a later chunk are labelled (best effort). */
  private readonly toolNames = new Map<number, Map<string, string>>();

  private constructor(
    readonly path: string,
    readonly db: SqliteDatabase,
  ) {}

  /**
   * Open the index at `path`, creating it (0600, in a 0700 dir) when missing. An index of another
   * layout is emptied, and is not `complete` until a catch-up with the whole store. Throws
   * SqliteUnavailableError without SQLite, IndexError when this SQLite lacks FTS5.
   */
  static open(path: string): SearchIndex {
    ensurePrivateDirSync(join(path, '..'));
    // Created here with 0600 so SQLite (which gives its -wal/-shm files the database's mode) never makes it world-readable.
    closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
    const db = openDatabase(path, { busyTimeoutMs: BUSY_TIMEOUT_MS });
    try {
      if (!hasFts5(db)) throw new IndexError(`this SQLite (${db.backend}) has no FTS5 full-text engine`);
      db.exec('PRAGMA journal_mode = WAL');
      // The index is rebuildable: a power loss may drop its last commits, never the store's lines.
      db.exec('PRAGMA synchronous = NORMAL');
      const version = (): unknown => {
        try {
          return db.get("SELECT value FROM info WHERE key = 'schema'")?.value;
        } catch {
          return undefined;
        }
      };
      if (version() !== SCHEMA_VERSION) {
        // Checked again under the write lock: another process may have just created or converted it.
        db.transaction(() => {
          if (version() === SCHEMA_VERSION) return;
          dropAll(db);
          db.exec(SCHEMA);
          db.run("INSERT INTO info(key, value) VALUES ('schema', ?)", SCHEMA_VERSION);
        });
      }
      return new SearchIndex(path, db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Delete the index files (the database and its WAL); the next open starts empty. */
  static async remove(path: string): Promise<void> {
    for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${path}${suffix}`, { force: true });
  }

  close(): void {
    this.db.close();
  }

  /**
   * Whether every session of the store has been indexed once (by a rebuild or catch-up). A new
   * index, or one emptied because its layout changed, holds only what daemons added since.
   */
  isComplete(): boolean {
    return this.db.get("SELECT value FROM info WHERE key = 'complete'")?.value === '1';
  }

  markComplete(): void {
    this.db.run("INSERT OR REPLACE INTO info(key, value) VALUES ('complete', '1')");
  }

  /**
   * For a bulk catch-up (a rebuild): no fsync at all (the index is rebuilt from the store if a
   * crash damages it) and a larger page cache, on this connection only.
   */
  bulkMode(): void {
    this.db.exec('PRAGMA synchronous = OFF');
    this.db.exec('PRAGMA cache_size = -65536');
  }

  /*
   * Writes in a transaction are plain INSERTs and single-row UPDATEs, never UPSERTs: a statement
   * that may need a statement journal (an UPSERT does) makes FTS5 write out the postings it holds
   * in memory, and a rebuild then writes (and merges) one small segment per session.
   */

  private upsertSession(s: StoredSession): number {
    const title = (s.summary ?? s.first_user_message)?.slice(0, 300) ?? null;
    const meta = [projectOf(s) ?? null, s.cwd ?? null, s.git_info?.branch ?? null, title, ms(s.first_seen), ms(s.last_message_at) ?? ms(s.last_sync_at)];
    const known = this.db.get('SELECT id FROM sessions WHERE session_id = ?', s.session_id);
    if (known) {
      const id = Number(known.id);
      this.db.run(
        'UPDATE sessions SET project = ?, cwd = ?, git_branch = ?, title = ?, first_activity = ?, last_activity = ?, model = COALESCE(model, ?) WHERE id = ?',
        ...meta,
        s.model ?? null,
        id,
      );
      return id;
    }
    this.db.run(
      `INSERT INTO sessions(session_id, owner, provider, external_id, project, cwd, git_branch, title, first_activity, last_activity, model)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.session_id,
      s.owner,
      s.provider,
      s.external_id,
      ...meta,
      s.model ?? null,
    );
    return Number(this.db.get('SELECT last_insert_rowid() AS id')!.id);
  }

  /** The lines of a session not yet indexed, read from the store (outside any transaction). */
  private async readUpdate(store: SessionStore, sessionId: string): Promise<SessionUpdate | undefined> {
    const session = await store.getSession(sessionId);
    if (!session) return undefined;
    const update: SessionUpdate = { session, files: [] };
    const sid = this.db.get('SELECT id FROM sessions WHERE session_id = ?', sessionId)?.id;
    for (const f of session.files) {
      const known = sid === undefined ? undefined : this.db.get('SELECT indexed_lines FROM files WHERE sid = ? AND file_name = ?', Number(sid), f.file_name);
      const done = known ? Number(known.indexed_lines) : 0;
      if (f.last_synced_line <= done) continue;
      update.files.push({ fileName: f.file_name, done, data: await store.readFile(session.session_id, f.file_name, done) });
    }
    return update;
  }

  /** Write sessions' updates in one transaction. */
  private apply(updates: readonly SessionUpdate[], counts?: SyncCounts): void {
    if (updates.length === 0) return;
    this.db.transaction(() => {
      for (const u of updates) {
        const sid = this.upsertSession(u.session);
        if (counts) counts.sessions++;
        for (const f of u.files) {
          this.indexLines(sid, f.fileName, f.done, linesOf(f.data), counts);
          if (counts) counts.bytes += f.data.length;
        }
      }
    });
  }

  /**
   * Bring one session up to date with the store: its metadata, and every line of every file
   * past what is indexed. Safe to run in several processes at once: lines are inserted only
   * past the count read inside the write transaction.
   */
  async syncSession(store: SessionStore, sessionId: string, counts?: SyncCounts): Promise<void> {
    const update = await this.readUpdate(store, sessionId);
    if (update) this.apply([update], counts);
  }

  /**
   * Bring many sessions up to date, several per transaction (about BATCH_BYTES of transcript
   * each): what a rebuild and a catch-up use. `on.read` is told after each session is read (its
   * number and the bytes read so far), `on.readError` of a session the store could not read (the
   * others go on); an SQLite error stops it.
   */
  async syncSessions(
    store: SessionStore,
    sessionIds: readonly string[],
    counts: SyncCounts,
    on: { read?: (done: number, bytes: number) => void; readError?: (err: unknown) => void } = {},
  ): Promise<void> {
    let batch: SessionUpdate[] = [];
    let batchBytes = 0;
    let readBytes = 0;
    let done = 0;
    for (const id of sessionIds) {
      try {
        const update = await this.readUpdate(store, id);
        if (update) {
          batch.push(update);
          for (const f of update.files) batchBytes += f.data.length;
        }
      } catch (err) {
        if (isSqliteError(err)) throw err;
        on.readError?.(err);
      }
      done++;
      if (batchBytes >= BATCH_BYTES) {
        this.apply(batch, counts);
        readBytes += batchBytes;
        batch = [];
        batchBytes = 0;
      }
      on.read?.(done, readBytes + batchBytes);
    }
    this.apply(batch, counts);
  }

  private indexLines(sid: number, fileName: string, firstDone: number, lines: string[], counts?: SyncCounts): void {
    this.db.run('INSERT OR IGNORE INTO files(sid, file_name) VALUES (?, ?)', sid, fileName);
    const file = this.db.get('SELECT id, indexed_lines, model FROM files WHERE sid = ? AND file_name = ?', sid, fileName)!;
    const fid = Number(file.id);
    const current = Number(file.indexed_lines);
    // Another process indexed some of these lines since we read the count: skip them.
    const skip = current - firstDone;
    if (skip >= lines.length) return;
    let model = typeof file.model === 'string' ? file.model : undefined;
    let tools = this.toolNames.get(fid);
    if (!tools) {
      tools = new Map();
      this.toolNames.set(fid, tools);
    }
    const insertEntry = this.db.prepare('INSERT INTO entries(sid, fid, line, time, role, tool, text) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const insertFts = this.db.prepare('INSERT INTO entries_fts(rowid, text) VALUES (last_insert_rowid(), ?)');
    let sessionModel: string | undefined;
    let inserted = 0;
    for (let i = Math.max(0, skip); i < lines.length; i++) {
      const lineNo = firstDone + i + 1;
      const facts: LineFacts = lineFacts(lines[i]!, tools);
      if (facts.model) model = facts.model;
      for (const e of facts.entries) {
        insertEntry.run(sid, fid, lineNo, facts.time ?? null, e.role, e.tool ?? null, e.text);
        insertFts.run(e.text);
        inserted++;
        if (counts) counts.entries++;
      }
      if (facts.usage) {
        const m = facts.usage.model ?? model ?? null;
        if (m) sessionModel = m;
        this.addUsage(sid, fid, lineNo, facts.time ?? null, m, facts.usage);
      }
    }
    this.db.run('UPDATE files SET indexed_lines = ?, model = ? WHERE id = ?', firstDone + lines.length, model ?? null, fid);
    if (sessionModel) this.db.run('UPDATE sessions SET model = ? WHERE id = ?', sessionModel, sid);
    if (inserted > 0) {
      // One writer at a time: this transaction's entry ids are consecutive. A session's entries
      // lie between its first and last, which lets a query for one session seek to them.
      const last = Number(this.db.get('SELECT last_insert_rowid() AS id')!.id);
      this.db.run('UPDATE sessions SET first_entry = COALESCE(first_entry, ?), last_entry = ? WHERE id = ?', last - inserted + 1, last, sid);
    }
    if (counts) counts.lines += lines.length - Math.max(0, skip);
    if (this.toolNames.size > 256) this.toolNames.delete(this.toolNames.keys().next().value!);
  }

  /**
   * One API response's usage: kept once per response (the largest figure of each field seen, its
   * first time and model), and added to its session's day and model in usage_days, so a report
   * reads a few rows per session-day instead of every response.
   */
  private addUsage(sid: number, fid: number, lineNo: number, time: number | null, model: string | null, u: LineUsage): void {
    const old = this.db.get('SELECT time, model, input, output, cache_creation, cache_read FROM usage WHERE sid = ? AND key = ?', sid, u.key);
    const row = old
      ? {
          time: old.time == null ? null : Number(old.time),
          model: old.model == null ? model : String(old.model),
          input: Math.max(Number(old.input), u.input),
          output: Math.max(Number(old.output), u.output),
          cacheCreation: Math.max(Number(old.cache_creation), u.cacheCreation),
          cacheRead: Math.max(Number(old.cache_read), u.cacheRead),
        }
      : { time, model, input: u.input, output: u.output, cacheCreation: u.cacheCreation, cacheRead: u.cacheRead };
    if (old) {
      this.db.run(
        'UPDATE usage SET model = ?, input = ?, output = ?, cache_creation = ?, cache_read = ? WHERE sid = ? AND key = ?',
        row.model, row.input, row.output, row.cacheCreation, row.cacheRead, sid, u.key,
      );
      this.addDay(sid, row.time, old.model == null ? null : String(old.model), -1, -Number(old.input), -Number(old.output), -Number(old.cache_creation), -Number(old.cache_read));
    } else {
      this.db.run(
        'INSERT INTO usage(sid, key, fid, line, time, model, input, output, cache_creation, cache_read) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        sid, u.key, fid, lineNo, time, model, u.input, u.output, u.cacheCreation, u.cacheRead,
      );
    }
    this.addDay(sid, row.time, row.model, 1, row.input, row.output, row.cacheCreation, row.cacheRead);
  }

  private addDay(sid: number, time: number | null, model: string | null, responses: number, input: number, output: number, cacheCreation: number, cacheRead: number): void {
    // A response with no time counts on its session's last activity: day -1 stands for that.
    const day = time == null ? -1 : Math.floor(time / DAY_MS) * DAY_MS;
    const key = [sid, day, model ?? ''] as const;
    const sums = [responses, input, output, cacheCreation, cacheRead] as const;
    const known = this.db.get('SELECT last_time FROM usage_days WHERE sid = ? AND day = ? AND model = ?', ...key);
    if (!known) {
      this.db.run('INSERT INTO usage_days(sid, day, model, responses, input, output, cache_creation, cache_read, last_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', ...key, ...sums, time);
      return;
    }
    const last = known.last_time == null ? time : time == null ? Number(known.last_time) : Math.max(Number(known.last_time), time);
    this.db.run(
      `UPDATE usage_days SET responses = responses + ?, input = input + ?, output = output + ?, cache_creation = cache_creation + ?,
         cache_read = cache_read + ?, last_time = ? WHERE sid = ? AND day = ? AND model = ?`,
      ...sums,
      last,
      ...key,
    );
  }
}

export { SqliteUnavailableError };
