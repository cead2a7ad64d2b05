import { createRequire } from 'node:module';

/**
 * A small SQLite adapter: `node:sqlite` where the runtime has it (Node ≥ 22.13), else
 * better-sqlite3 (Node 20). better-sqlite3 is loaded only when `node:sqlite` is missing, so
 * a runtime that has `node:sqlite` never loads the native addon (which is built for one
 * Node ABI only).
 */
export type SqlValue = string | number | bigint | null;
export type Row = Record<string, unknown>;

export interface SqliteDatabase {
  all(sql: string, ...params: SqlValue[]): Row[];
  get(sql: string, ...params: SqlValue[]): Row | undefined;
  /** A statement that returns no rows (a test building a database). */
  run(sql: string, ...params: SqlValue[]): void;
  exec(sql: string): void;
  close(): void;
}

export interface OpenOptions {
  /** Open read-only (the reader of another program's database): never writes, never checkpoints. */
  readOnly: boolean;
  /** How long a statement waits for a lock held by the writer, in ms. */
  busyTimeoutMs?: number;
}

interface NodeSqliteStatement {
  all(...params: SqlValue[]): Row[];
  get(...params: SqlValue[]): Row | undefined;
  run(...params: SqlValue[]): unknown;
}
interface NodeSqliteDb {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string, opts: { readOnly?: boolean; timeout?: number }) => NodeSqliteDb;
}
interface BetterSqliteDb {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
}
type BetterSqliteCtor = new (path: string, opts: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => BetterSqliteDb;

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

/** Which implementation `openDatabase` uses on this runtime. */
export function sqliteBackend(): 'node:sqlite' | 'better-sqlite3' {
  return nodeSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

let betterSqlite: BetterSqliteCtor | undefined;

function loadBetterSqlite(): BetterSqliteCtor {
  if (!betterSqlite) {
    const require = createRequire(import.meta.url);
    try {
      betterSqlite = require('better-sqlite3') as BetterSqliteCtor;
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new Error(`reading SQLite needs node:sqlite (Node 22.13+) or the better-sqlite3 package: ${why}`, { cause: err });
    }
  }
  return betterSqlite;
}

/** Open a database file. A read-only open fails when the file does not exist. */
export function openDatabase(path: string, opts: OpenOptions): SqliteDatabase {
  const timeout = opts.busyTimeoutMs ?? 5_000;
  const native = nodeSqlite();
  const db: NodeSqliteDb | BetterSqliteDb = native
    ? new native.DatabaseSync(path, { readOnly: opts.readOnly, timeout })
    : new (loadBetterSqlite())(path, { readonly: opts.readOnly, fileMustExist: opts.readOnly, timeout });
  if (opts.readOnly) {
    // A reader never modifies the file: no schema changes, no checkpoint of the writer's WAL.
    db.exec('PRAGMA query_only = ON');
  }
  return {
    all: (sql, ...params) => db.prepare(sql).all(...params),
    get: (sql, ...params) => db.prepare(sql).get(...params),
    run: (sql, ...params) => {
      db.prepare(sql).run(...params);
    },
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
}
