import type { SqliteDatabase, SqlValue } from '../sqlite/database.js';
import type { EntryRole } from './line-entries.js';

/** A query people type: words, "quoted phrases", and prefix* terms, all required. */
export class QuerySyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuerySyntaxError';
  }
}

/**
 * Translate the typed query into FTS5 syntax. Every term is quoted, so punctuation in a word
 * (`foo-bar`, `a.b`, `C++`) is never read as an FTS5 operator; a trailing `*` makes a prefix term.
 */
export function toFtsQuery(input: string): string {
  const terms: string[] = [];
  let i = 0;
  const s = input.trim();
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let text: string;
    if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end === -1) throw new QuerySyntaxError(`unterminated phrase: ${s.slice(i)} (close it with ")`);
      text = s.slice(i + 1, end);
      i = end + 1;
    } else {
      let end = i;
      while (end < s.length && !/\s/.test(s[end]!) && s[end] !== '"') end++;
      text = s.slice(i, end);
      i = end;
    }
    let prefix = false;
    if (s[i] === '*') {
      prefix = true;
      i++;
    } else if (text.endsWith('*')) {
      prefix = true;
      text = text.replace(/\*+$/, '');
    }
    if (!/[\p{L}\p{N}]/u.test(text)) {
      if (text === '' && !prefix) throw new QuerySyntaxError('empty phrase ""');
      throw new QuerySyntaxError(`"${text}${prefix ? '*' : ''}" has no letters or digits to search for`);
    }
    terms.push(`"${text.replace(/"/g, '""')}"${prefix ? '*' : ''}`);
  }
  if (terms.length === 0) throw new QuerySyntaxError('the query is empty: give words, "a phrase", or a prefix*');
  return terms.join(' ');
}

export interface SearchFilters {
  /** A project name (repository or directory name) or a directory path (the session's cwd or below it). */
  project?: string;
  provider?: string;
  /** ms since the epoch, inclusive. */
  since?: number;
  /** ms since the epoch, exclusive. */
  until?: number;
  role?: EntryRole;
}

export interface SearchOptions extends SearchFilters {
  limit?: number;
  offset?: number;
  /** Only sessions of this owner (`confab serve` with several keys). */
  owner?: string;
  /** Only this session (by store session id). */
  sessionId?: string;
}

export interface SearchHit {
  session_id: string;
  external_id: string;
  provider: string;
  project?: string;
  title?: string;
  file_name: string;
  line: number;
  /** ISO time of the line, or of the session's last activity when the line has none. */
  time?: string;
  role: EntryRole;
  tool?: string;
  /** Text around the match; each match is between MATCH_START and MATCH_END. */
  snippet: string;
  /** `<session>:<file>:<line>`, which `confab session show` opens. */
  address: string;
}

export const MATCH_START = '\u0002';
export const MATCH_END = '\u0003';

/** The filters on a match's line and session, as SQL over `e` (entries) and `s` (sessions); none → ''. */
function filterSql(f: SearchOptions, params: SqlValue[]): string {
  const where: string[] = [];
  if (f.project) {
    const p = f.project.replace(/\/+$/, '') || '/';
    where.push("(s.project = ? OR s.cwd = ? OR s.cwd LIKE ? ESCAPE '\\')");
    params.push(f.project, p, `${p.replace(/[\\%_]/g, (m) => `\\${m}`)}/%`);
  }
  if (f.provider) {
    where.push('s.provider = ?');
    params.push(f.provider);
  }
  if (f.sessionId !== undefined) {
    where.push('s.session_id = ?');
    params.push(f.sessionId);
  }
  if (f.owner !== undefined) {
    where.push('s.owner = ?');
    params.push(f.owner);
  }
  if (f.since !== undefined) {
    where.push('COALESCE(e.time, s.last_activity) >= ?');
    params.push(f.since);
  }
  if (f.until !== undefined) {
    where.push('COALESCE(e.time, s.last_activity) < ?');
    params.push(f.until);
  }
  if (f.role) {
    where.push('e.role = ?');
    params.push(f.role);
  }
  return where.join(' AND ');
}

/** A match: its entry, its rank (lower is better) and its time (the line's, else the session's last activity). */
export interface RankedMatch {
  id: number;
  rank: number;
  time: number | null;
}

/** Every match of an FTS5 query, best first, as FTS5 ranks them (`ORDER BY rank` on the FTS table alone, which FTS5 does itself). */
export function* rankedMatches(db: SqliteDatabase, fts: string): Generator<{ id: number; rank: number }> {
  for (const r of db.prepare('SELECT rowid AS id, rank FROM entries_fts WHERE entries_fts MATCH ? ORDER BY rank').iterate(fts)) {
    yield { id: Number(r.id), rank: Number(r.rank) };
  }
}

/** Best rank first, newest first among equal ranks (a match with no time last, as NULL sorts in SQL's DESC). */
export const byRankThenNewest = (a: RankedMatch, b: RankedMatch): number => a.rank - b.rank || (b.time ?? -Infinity) - (a.time ?? -Infinity);

/**
 * The matches of one page, in order. FTS5 ranks the matches itself (`ORDER BY rank` on the FTS
 * table, before any join); the filters are applied as the ranked matches stream past, and they are
 * read only until the page is full and the next match ranks worse than its last (ties are ordered
 * by time). A common word costs its ranking, never a join or a snippet per match.
 */
function pageOfMatches(db: SqliteDatabase, fts: string, opts: SearchOptions, want: number): RankedMatch[] {
  const params: SqlValue[] = [fts];
  const filters = filterSql(opts, params);
  const ranked = db.prepare(
    `SELECT m.id, m.rank, COALESCE(e.time, s.last_activity) AS time
       FROM (SELECT rowid AS id, rank FROM entries_fts WHERE entries_fts MATCH ? ORDER BY rank) m
       JOIN entries e ON e.id = m.id
       JOIN sessions s ON s.id = e.sid
      ${filters ? `WHERE ${filters}` : ''}
      ORDER BY m.rank`,
  );
  const page: RankedMatch[] = [];
  for (const r of ranked.iterate(...params)) {
    const rank = Number(r.rank);
    if (page.length >= want && rank > page[page.length - 1]!.rank) break;
    page.push({ id: Number(r.id), rank, time: r.time == null ? null : Number(r.time) });
  }
  return page.sort(byRankThenNewest);
}

/** The hits of these matches, with snippets (which read and tokenize the line's text: only for the lines shown). */
export function hitsOf(db: SqliteDatabase, fts: string, matches: readonly RankedMatch[]): SearchHit[] {
  const details = db.prepare(
    `SELECT s.session_id, s.external_id, s.provider, s.project, s.title, f.file_name, e.line, e.role, e.tool,
            snippet(entries_fts, 0, '${MATCH_START}', '${MATCH_END}', '…', 16) AS snippet
       FROM entries_fts
       JOIN entries e ON e.id = entries_fts.rowid
       JOIN files f ON f.id = e.fid
       JOIN sessions s ON s.id = e.sid
      WHERE entries_fts MATCH ? AND entries_fts.rowid = CAST(? AS INTEGER)`,
  );
  // The CAST matters: a JS number binds as a REAL, and FTS5 then ignores the rowid constraint.
  return matches.map((c) => {
    const r = details.get(fts, c.id)!;
    const hit: SearchHit = {
      session_id: String(r.session_id),
      external_id: String(r.external_id),
      provider: String(r.provider),
      file_name: String(r.file_name),
      line: Number(r.line),
      role: r.role as EntryRole,
      // Control characters (a terminal escape in a tool result) are never echoed; the match marks are kept.
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
      snippet: String(r.snippet).replace(/[\u0000-\u0001\u0004-\u001f\u007f]+/g, ' ').replace(/ {2,}/g, ' ').trim(),
      address: `${String(r.session_id)}:${String(r.file_name)}:${Number(r.line)}`,
    };
    if (r.project != null) hit.project = String(r.project);
    if (r.title != null) hit.title = String(r.title);
    if (r.tool != null) hit.tool = String(r.tool);
    if (c.time != null) hit.time = new Date(c.time).toISOString();
    return hit;
  });
}

/** Matches, best first (FTS5's bm25), then newest first among equals. */
export function search(db: SqliteDatabase, query: string, opts: SearchOptions = {}): SearchHit[] {
  const fts = toFtsQuery(query);
  const limit = Math.max(1, Math.min(opts.limit ?? 20, 1000));
  const offset = Math.max(0, opts.offset ?? 0);
  return hitsOf(db, fts, pageOfMatches(db, fts, opts, offset + limit).slice(offset, offset + limit));
}

export interface IndexedSession {
  session_id: string;
  external_id: string;
  provider: string;
  project?: string;
  cwd?: string;
  git_branch?: string;
  model?: string;
  title?: string;
  /** ISO times. */
  first_activity?: string;
  last_activity?: string;
}

export interface SessionListOptions {
  project?: string;
  provider?: string;
  /** Only sessions active at or after this (ms since the epoch). */
  since?: number;
  /** Only sessions active before this (ms since the epoch). */
  until?: number;
  owner?: string;
  limit?: number;
  offset?: number;
}

/** Indexed sessions, most recent activity first, with the project and provider filters of `search`. */
export function indexedSessions(db: SqliteDatabase, opts: SessionListOptions = {}): IndexedSession[] {
  const params: SqlValue[] = [];
  const { since, until, ...rest } = opts;
  const filters = filterSql(rest, params);
  let where = filters ? ` AND ${filters}` : '';
  if (since !== undefined) {
    where += ' AND s.last_activity >= ?';
    params.push(since);
  }
  if (until !== undefined) {
    where += ' AND COALESCE(s.first_activity, s.last_activity) < ?';
    params.push(until);
  }
  params.push(Math.max(1, Math.min(opts.limit ?? 20, 1000)), Math.max(0, opts.offset ?? 0));
  const rows = db.all(
    `SELECT s.session_id, s.external_id, s.provider, s.project, s.cwd, s.git_branch, s.model, s.title, s.first_activity, s.last_activity
       FROM sessions s
      WHERE 1${where}
      ORDER BY s.last_activity IS NULL, s.last_activity DESC, s.session_id
      LIMIT ? OFFSET ?`,
    ...params,
  );
  return rows.map((r) => {
    const out: IndexedSession = { session_id: String(r.session_id), external_id: String(r.external_id), provider: String(r.provider) };
    for (const key of ['project', 'cwd', 'git_branch', 'model', 'title'] as const) if (r[key] != null) out[key] = String(r[key]);
    if (r.first_activity != null) out.first_activity = new Date(Number(r.first_activity)).toISOString();
    if (r.last_activity != null) out.last_activity = new Date(Number(r.last_activity)).toISOString();
    return out;
  });
}
