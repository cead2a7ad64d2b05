import { existsSync } from 'node:fs';
import { opencodeDbPath } from './opencode-paths.js';
import { openDatabase, type SqliteRow as Row, type SqliteDatabase } from 'confab-cli/provider';

/**
 * Reading OpenCode's database (schema as of OpenCode 1.15): tables `session`, `message` and
 * `part`, JSON in `data`. OpenCode writes it in WAL mode; confab opens it read-only, so it
 * never takes a write lock nor checkpoints, and OpenCode is never blocked.
 */

/** Session ids are `ses_…`; the same rule as every hook payload. */
export const SESSION_ID = /^[A-Za-z0-9_-]+$/;
/** Bounds on walks over `session.parent_id`, in case of a cycle. */
export const MAX_DESCENDANTS = 1000;
export const MAX_ROOT_WALK = 100;

export class OpencodeDbMissingError extends Error {
  constructor(path: string) {
    super(`opencode db not found at ${path}`);
    this.name = 'OpencodeDbMissingError';
  }
}

export interface SessionRow {
  id: string;
  parentId: string;
  directory: string;
  timeCreated: number;
}

/** Open the database read-only, run `fn`, close it. */
export function withOpencodeDb<T>(fn: (db: SqliteDatabase) => T, path = opencodeDbPath()): T {
  if (!existsSync(path)) throw new OpencodeDbMissingError(path);
  const db = openDatabase(path, { readOnly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);

function toSession(row: Row): SessionRow {
  return { id: str(row.id), parentId: str(row.parent_id), directory: str(row.directory), timeCreated: num(row.time_created) };
}

export function sessionById(db: SqliteDatabase, id: string): SessionRow | undefined {
  const row = db.get('SELECT id, parent_id, directory, time_created FROM session WHERE id = ?', id);
  return row ? toSession(row) : undefined;
}

/** Every descendant of `rootId` (children, their children …), ordered by id. */
export function descendants(db: SqliteDatabase, rootId: string): SessionRow[] {
  return db
    .all(
      `WITH RECURSIVE tree(id) AS (
         SELECT id FROM session WHERE parent_id = ?
         UNION SELECT s.id FROM session s JOIN tree t ON s.parent_id = t.id
       )
       SELECT s.id, s.parent_id, s.directory, s.time_created FROM session s JOIN tree USING (id)
       ORDER BY s.id LIMIT ${MAX_DESCENDANTS}`,
      rootId,
    )
    .map(toSession);
}

/** The root of a session's tree (itself when it has no parent; a dangling parent counts as the root). */
export function rootOf(db: SqliteDatabase, id: string): SessionRow | undefined {
  let current = sessionById(db, id);
  for (let i = 0; current?.parentId && i < MAX_ROOT_WALK; i++) {
    const parent = sessionById(db, current.parentId);
    if (!parent) break;
    current = parent;
  }
  return current;
}

/** Root sessions, newest first. */
export function rootSessions(db: SqliteDatabase): SessionRow[] {
  return db.all('SELECT id, parent_id, directory, time_created FROM session WHERE parent_id IS NULL ORDER BY time_created DESC, id DESC').map(toSession);
}

export interface MessageRows {
  id: string;
  info: Record<string, unknown>;
  parts: Record<string, unknown>[];
}

function parseObject(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * A session's messages with their parts, after `afterId` when given, in message id order.
 * The ids live only in the row columns: they are put into `info` and each part, as OpenCode's
 * own export does.
 */
export function messagesOf(db: SqliteDatabase, sessionId: string, afterId?: string, limit?: number): MessageRows[] {
  const rows = db.all(
    `SELECT m.id AS mid, m.data AS mdata, p.id AS pid, p.data AS pdata
       FROM message m LEFT JOIN part p ON p.message_id = m.id
      WHERE m.session_id = ?${afterId ? ' AND m.id > ?' : ''}
      ORDER BY m.time_created, m.id, p.id`,
    ...(afterId ? [sessionId, afterId] : [sessionId]),
  );
  const byId = new Map<string, MessageRows>();
  for (const row of rows) {
    const id = str(row.mid);
    let msg = byId.get(id);
    if (!msg) {
      if (limit !== undefined && byId.size >= limit) break;
      msg = { id, info: { ...parseObject(row.mdata), id, sessionID: sessionId }, parts: [] };
      byId.set(id, msg);
    }
    if (row.pid !== null && row.pid !== undefined) {
      msg.parts.push({ ...parseObject(row.pdata), id: str(row.pid), sessionID: sessionId, messageID: id });
    }
  }
  // Ids sort in creation order; a stable sort keeps equal ids as queried.
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
