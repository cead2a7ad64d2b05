import { createRequire } from 'node:module';

/**
 * SQLite for confab's own files (the search index) and for reading other programs' databases:
 * `node:sqlite` where the runtime ships it unflagged (Node ≥ 22.13), else the better-sqlite3
 * package (an optional dependency, built for Node 20). better-sqlite3 is loaded only when
 * `node:sqlite` is missing, so a runtime that has `node:sqlite` never loads a native addon built
 * for another Node ABI. Both builds ship FTS5. Why SQLite: docs/search.md.
 *
 * `CONFAB_SQLITE=node:sqlite|better-sqlite3` forces one implementation (tests run both).
 */
export type SqlValue = string | number | bigint | null;
export type Row = Record<string, unknown>;
export type SqliteBackendName = 'node:sqlite' | 'better-sqlite3';

export interface SqliteStatement {
  all(...params: SqlValue[]): Row[];
  /** The rows one at a time: stopping early (break) leaves the rest unread. */
  iterate(...params: SqlValue[]): IterableIterator<Row>;
  get(...params: SqlValue[]): Row | undefined;
  run(...params: SqlValue[]): { changes: number };
}

export interface SqliteDatabase {
  readonly backend: SqliteBackendName;
  /** A prepared statement, cached by its SQL text for the life of the connection. */
  prepare(sql: string): SqliteStatement;
  all(sql: string, ...params: SqlValue[]): Row[];
  get(sql: string, ...params: SqlValue[]): Row | undefined;
  run(sql: string, ...params: SqlValue[]): { changes: number };
  exec(sql: string): void;
  /** Run `fn` in a write transaction (BEGIN IMMEDIATE: the write lock is taken up front, so two writers never deadlock upgrading). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenOptions {
  /** Open read-only (another program's database): never writes, never checkpoints. */
  readOnly?: boolean;
  /** How long a statement waits for a lock another connection holds, in ms. */
  busyTimeoutMs?: number;
}

/** Neither `node:sqlite` nor better-sqlite3 can be loaded on this runtime. */
export class SqliteUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SqliteUnavailableError';
  }
}

interface NativeStatement {
  all(...params: SqlValue[]): Row[];
  iterate(...params: SqlValue[]): IterableIterator<Row>;
  get(...params: SqlValue[]): Row | undefined;
  run(...params: SqlValue[]): { changes: number | bigint };
}
interface NativeDb {
  prepare(sql: string): NativeStatement;
  exec(sql: string): void;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string, opts: { readOnly?: boolean; timeout?: number }) => NativeDb;
}
type BetterSqliteCtor = new (path: string, opts: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => NativeDb;

function forced(): SqliteBackendName | undefined {
  const v = process.env.CONFAB_SQLITE;
  return v === 'node:sqlite' || v === 'better-sqlite3' ? v : undefined;
}

/** `node:sqlite` when this runtime ships it without a flag; undefined otherwise. */
function nodeSqlite(): NodeSqliteModule | undefined {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltin !== 'function') return undefined;
  try {
    // Node 22.5–22.12 has the module only behind --experimental-sqlite: then this is undefined or throws.
    const mod = getBuiltin('node:sqlite') as NodeSqliteModule | undefined;
    return mod && typeof mod.DatabaseSync === 'function' ? mod : undefined;
  } catch {
    return undefined;
  }
}

let betterSqlite: BetterSqliteCtor | Error | undefined;

function loadBetterSqlite(): BetterSqliteCtor | Error {
  if (betterSqlite === undefined) {
    try {
      const ctor = createRequire(import.meta.url)('better-sqlite3') as BetterSqliteCtor;
      // The package loads its native addon only on first open: an addon built for another Node
      // (the runtime changed since install) must count as missing here, not fail later.
      new ctor(':memory:', {}).close();
      betterSqlite = ctor;
    } catch (err) {
      betterSqlite = err instanceof Error ? err : new Error(String(err));
    }
  }
  return betterSqlite;
}

const UNAVAILABLE = 'SQLite is not available: confab needs Node 22.13+ (node:sqlite) or the better-sqlite3 package (npm install better-sqlite3)';

/** Which implementation `openDatabase` uses here, or why there is none. */
export function sqliteBackend(): { backend: SqliteBackendName } | { error: string } {
  const want = forced();
  if (want !== 'better-sqlite3' && nodeSqlite()) return { backend: 'node:sqlite' };
  if (want === 'node:sqlite') return { error: `${UNAVAILABLE} (CONFAB_SQLITE=node:sqlite, and this Node has no node:sqlite)` };
  const b = loadBetterSqlite();
  if (b instanceof Error) return { error: `${UNAVAILABLE} (${b.message.split('\n')[0]})` };
  return { backend: 'better-sqlite3' };
}

/** Open (creating unless read-only) a database file, or ':memory:'. Throws SqliteUnavailableError when there is no SQLite. */
export function openDatabase(path: string, opts: OpenOptions = {}): SqliteDatabase {
  const choice = sqliteBackend();
  if ('error' in choice) throw new SqliteUnavailableError(choice.error);
  const timeout = opts.busyTimeoutMs ?? 5_000;
  const readOnly = opts.readOnly === true;
  const native = choice.backend === 'node:sqlite' ? nodeSqlite() : undefined;
  let db: NativeDb;
  if (native) db = new native.DatabaseSync(path, { readOnly, timeout });
  else {
    const Better = loadBetterSqlite() as BetterSqliteCtor;
    db = new Better(path, { readonly: readOnly, fileMustExist: readOnly, timeout });
  }
  // A reader never modifies the file: no schema changes, no checkpoint of the writer's WAL.
  if (readOnly) db.exec('PRAGMA query_only = ON');
  const cache = new Map<string, SqliteStatement>();
  const prepare = (sql: string): SqliteStatement => {
    let st = cache.get(sql);
    if (!st) {
      const native = db.prepare(sql);
      st = {
        all: (...p) => native.all(...p),
        iterate: (...p) => native.iterate(...p),
        get: (...p) => native.get(...p),
        run: (...p) => ({ changes: Number(native.run(...p).changes) }),
      };
      cache.set(sql, st);
    }
    return st;
  };
  return {
    backend: choice.backend,
    prepare,
    all: (sql, ...p) => prepare(sql).all(...p),
    get: (sql, ...p) => prepare(sql).get(...p),
    run: (sql, ...p) => prepare(sql).run(...p),
    exec: (sql) => db.exec(sql),
    transaction<T>(fn: () => T): T {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = fn();
        db.exec('COMMIT');
        return out;
      } catch (err) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // SQLite already rolled back (e.g. after SQLITE_FULL); the original error is what matters.
        }
        throw err;
      }
    },
    close: () => {
      cache.clear();
      db.close();
    },
  };
}

/** Whether this SQLite build has the FTS5 full-text engine (both supported builds do). */
export function hasFts5(db: SqliteDatabase): boolean {
  try {
    db.exec('CREATE VIRTUAL TABLE temp.confab_fts5_probe USING fts5(x); DROP TABLE temp.confab_fts5_probe;');
    return true;
  } catch {
    return false;
  }
}
