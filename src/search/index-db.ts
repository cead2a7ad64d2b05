import { closeSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SessionStore, StoredSession } from '../store/session-store.js';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { hasFts5, openDatabase, SqliteUnavailableError, type SqliteDatabase } from '../sqlite/database.js';
import { lineFacts, type LineFacts } from './line-entries.js';

/**
 * The search index: an SQLite (FTS5) file beside the store, derived from what the store holds
 * (redacted lines only). It is never the source of truth: `rebuild` recreates it from the
 * store, and every update is idempotent (a file's lines are indexed once, in order, whoever
 * indexes them). Layout and reasons: docs/search.md.
 */

const SCHEMA_VERSION = '1';
/** Waits this long for another writer (several daemons index at once) before giving up; the next update catches up. */
const BUSY_TIMEOUT_MS = 2_000;

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
  last_activity INTEGER
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
  fid INTEGER NOT NULL,
  line INTEGER NOT NULL,
  time INTEGER,
  role TEXT NOT NULL,
  tool TEXT,
  text TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(
  text, content='entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3'
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

export class SearchIndex {
  /** tool-use id → tool name per indexed file, so results in a later chunk are labelled (best effort). */
  private readonly toolNames = new Map<number, Map<string, string>>();

  private constructor(
    readonly path: string,
    readonly db: SqliteDatabase,
  ) {}

  /**
   * Open the index at `path`, creating it (0600, in a 0700 dir) when missing. Throws
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
      const version = (() => {
        try {
          return db.get("SELECT value FROM info WHERE key = 'schema'")?.value;
        } catch {
          return undefined;
        }
      })();
      if (version !== undefined && version !== SCHEMA_VERSION) {
        throw new IndexError(`the search index ${path} has format ${String(version)}; rebuild it with \`confab index rebuild\``);
      }
      if (version === undefined) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.run("INSERT OR IGNORE INTO info(key, value) VALUES ('schema', ?)", SCHEMA_VERSION);
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

  private upsertSession(s: StoredSession): number {
    const title = (s.summary ?? s.first_user_message)?.slice(0, 300) ?? null;
    this.db.run(
      `INSERT INTO sessions(session_id, owner, provider, external_id, project, cwd, git_branch, title, first_activity, last_activity)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(session_id) DO UPDATE SET project = excluded.project, cwd = excluded.cwd, git_branch = excluded.git_branch,
         title = excluded.title, first_activity = excluded.first_activity, last_activity = excluded.last_activity,
         model = COALESCE(sessions.model, ?)`,
      s.session_id,
      s.owner,
      s.provider,
      s.external_id,
      projectOf(s) ?? null,
      s.cwd ?? null,
      s.git_info?.branch ?? null,
      title,
      ms(s.first_seen),
      ms(s.last_message_at) ?? ms(s.last_sync_at),
      s.model ?? null,
    );
    if (s.model) this.db.run('UPDATE sessions SET model = COALESCE(model, ?) WHERE session_id = ?', s.model, s.session_id);
    return Number(this.db.get('SELECT id FROM sessions WHERE session_id = ?', s.session_id)!.id);
  }

  /**
   * Bring one session up to date with the store: its metadata, and every line of every file
   * past what is indexed. Safe to run in several processes at once: lines are inserted only
   * past the count read inside the write transaction.
   */
  async syncSession(store: SessionStore, sessionId: string, counts?: SyncCounts): Promise<void> {
    const s = await store.getSession(sessionId);
    if (!s) return;
    const sid = this.db.transaction(() => this.upsertSession(s));
    if (counts) counts.sessions++;
    for (const f of s.files) {
      const known = this.db.get('SELECT indexed_lines FROM files WHERE sid = ? AND file_name = ?', sid, f.file_name);
      const done = known ? Number(known.indexed_lines) : 0;
      if (f.last_synced_line <= done) continue;
      const buf = await store.readFile(s.session_id, f.file_name, done);
      const text = buf.toString('utf8');
      const lines = text.split('\n');
      lines.pop();
      this.db.transaction(() => this.indexLines(sid, f.file_name, done, lines, counts));
      if (counts) counts.bytes += buf.length;
    }
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
    const insertEntry = this.db.prepare('INSERT INTO entries(fid, line, time, role, tool, text) VALUES (?, ?, ?, ?, ?, ?)');
    const insertFts = this.db.prepare('INSERT INTO entries_fts(rowid, text) VALUES (last_insert_rowid(), ?)');
    const upsertUsage = this.db.prepare(
      `INSERT INTO usage(sid, key, fid, line, time, model, input, output, cache_creation, cache_read) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(sid, key) DO UPDATE SET input = max(input, excluded.input), output = max(output, excluded.output),
         cache_creation = max(cache_creation, excluded.cache_creation), cache_read = max(cache_read, excluded.cache_read),
         model = COALESCE(usage.model, excluded.model)`,
    );
    let sessionModel: string | undefined;
    for (let i = Math.max(0, skip); i < lines.length; i++) {
      const lineNo = firstDone + i + 1;
      const facts: LineFacts = lineFacts(lines[i]!, tools);
      if (facts.model) model = facts.model;
      for (const e of facts.entries) {
        insertEntry.run(fid, lineNo, facts.time ?? null, e.role, e.tool ?? null, e.text);
        insertFts.run(e.text);
        if (counts) counts.entries++;
      }
      if (facts.usage) {
        const u = facts.usage;
        const m = u.model ?? model ?? null;
        if (m) sessionModel = m;
        upsertUsage.run(sid, u.key, fid, lineNo, facts.time ?? null, m, u.input, u.output, u.cacheCreation, u.cacheRead);
      }
    }
    this.db.run('UPDATE files SET indexed_lines = ?, model = ? WHERE id = ?', firstDone + lines.length, model ?? null, fid);
    if (sessionModel) this.db.run('UPDATE sessions SET model = ? WHERE id = ?', sessionModel, sid);
    if (counts) counts.lines += lines.length - Math.max(0, skip);
    if (this.toolNames.size > 256) this.toolNames.delete(this.toolNames.keys().next().value!);
  }
}

export { SqliteUnavailableError };
