import type { SqliteDatabase, SqlValue } from '../sqlite/database.js';
import type { EntryRole } from './line-entries.js';
import { bm25Scores, idf } from './rank.js';

/** A query people type: words, "quoted phrases", and prefix* terms, all required. */
export class QuerySyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuerySyntaxError';
  }
}

/** One term of a typed query: a word or phrase, and whether its last word is a prefix. */
export interface QueryTerm {
  text: string;
  prefix: boolean;
}

/** A prefix this short matches most of the vocabulary: refused rather than read in full. */
export const MIN_PREFIX_CHARS = 2;

/** The terms of a typed query, all required; throws QuerySyntaxError with a one-line reason. */
export function parseQuery(input: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
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
    if (prefix) {
      const last = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean).pop() ?? '';
      if ([...last].length < MIN_PREFIX_CHARS) {
        throw new QuerySyntaxError(`"${text}*" is too broad: a prefix needs at least ${MIN_PREFIX_CHARS} letters or digits`);
      }
    }
    terms.push({ text, prefix });
  }
  if (terms.length === 0) throw new QuerySyntaxError('the query is empty: give words, "a phrase", or a prefix*');
  return terms;
}

/** One term in FTS5 syntax: quoted, so punctuation in a word (`foo-bar`, `a.b`, `C++`) is never read as an operator. */
const ftsTerm = (t: QueryTerm): string => `"${t.text.replace(/"/g, '""')}"${t.prefix ? '*' : ''}`;

/** Translate the typed query into FTS5 syntax (a trailing `*` makes a prefix term). */
export function toFtsQuery(input: string): string {
  return parseQuery(input).map(ftsTerm).join(' ');
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

/** Best rank first, newest first among equal ranks (a match with no time last, as NULL sorts in SQL's DESC). */
export const byRankThenNewest = (a: RankedMatch, b: RankedMatch): number => a.rank - b.rank || (b.time ?? -Infinity) - (a.time ?? -Infinity);

/**
 * Ranking is bounded by recency: only the newest matches are ranked against each other (those
 * of the newest RANK_SESSIONS sessions with a match, at most RANK_MATCHES of them); older
 * matches follow, newest first. A common word then costs a few thousand matches read, never
 * all of them. See docs/search.md.
 */
export const RANK_MATCHES = 2_500;
export const RANK_SESSIONS = 100;

/** A match as read newest first: its entry, session, time, text length and each term's count in the text. */
export interface StreamedMatch {
  id: number;
  sid: number;
  time: number | null;
  length: number;
  freqs: number[];
}

/** The session-level filters narrow the candidates to at most this share of the sessions: matches are read session by session. */
const NARROW_SHARE = 4;

/** A parsed query, its FTS5 form, and the lowercased text each term's occurrences are counted by. */
export interface ParsedQuery {
  terms: QueryTerm[];
  fts: string;
  needles: string[];
  /**
   * Whether a prefix term is longer than the prefix indexes (2 and 3 characters): FTS5 then
   * merges the document lists of every term with that prefix, in every statement that has it.
   */
  longPrefix: boolean;
  /**
   * What finds the matches: `fts` with each long prefix of letters and digits cut to the indexed
   * length (`conf*` → `con*`), so that FTS5 reads one prefix index's list instead of merging
   * every `conf…` term's; the matches are then those whose text has a word starting with each
   * of `cutPrefixes` (folded as the tokenizer folds).
   */
  match: string;
  cutPrefixes: string[];
  /** A long prefix that could not be cut (it holds other characters): FTS5 merges its terms, which costs less within a range of entry ids. */
  uncutPrefix: boolean;
}

/** Prefix terms of up to this many characters have a prefix index of their own (`prefix='2 3'`). */
const INDEXED_PREFIX_CHARS = 3;

const isLongPrefix = (t: QueryTerm): boolean => t.prefix && [...t.text].length > INDEXED_PREFIX_CHARS;
const cuttable = (t: QueryTerm): boolean => isLongPrefix(t) && !/[^\p{L}\p{N}]/u.test(t.text);

export function prepareQuery(input: string): ParsedQuery {
  const terms = parseQuery(input);
  return {
    terms,
    fts: terms.map(ftsTerm).join(' '),
    needles: terms.map((t) => t.text.toLowerCase()),
    longPrefix: terms.some(isLongPrefix),
    match: terms.map((t) => ftsTerm(cuttable(t) ? { text: [...t.text].slice(0, INDEXED_PREFIX_CHARS).join(''), prefix: true } : t)).join(' '),
    cutPrefixes: terms.filter(cuttable).map((t) => fold(t.text)),
    uncutPrefix: terms.some((t) => isLongPrefix(t) && !cuttable(t)),
  };
}

/** Characters the `unicode61` tokenizer keeps in a token (marks are gone once folded). */
const WORD_CHAR = '[\\p{L}\\p{N}\\p{Co}]';

/** Whether `text` has, for each folded prefix, a word that starts with it (as FTS5 would match `prefix*`). */
function wordsStartWith(prefixes: readonly RegExp[], text: string): boolean {
  // eslint-disable-next-line no-control-regex -- ASCII text needs no Unicode folding
  const folded = /^[\u0000-\u007f]*$/.test(text) ? text.toLowerCase() : fold(text);
  return prefixes.every((re) => re.test(folded));
}

/** How often each needle occurs in `text`, lowercased, without overlaps (what the SQL columns count). */
function countsIn(text: string, needles: readonly string[]): number[] {
  const lower = text.toLowerCase();
  return needles.map((n) => (n === '' ? 0 : lower.split(n).length - 1));
}

/** Entry ids read per range by a long prefix query, at first; each further range is twice as wide. */
const PREFIX_RANGE = 65_536;

/**
 * Sessions to read one by one (newest indexed entry first), when a session or project filter
 * leaves few of them; undefined to read the matches of the whole index instead.
 */
function narrowedSessions(db: SqliteDatabase, q: ParsedQuery, opts: SearchOptions): { id: number; first: number; last: number }[] | undefined {
  // A long prefix costs a merge per statement: one statement per session costs more than skipping the other sessions' matches.
  if (opts.sessionId === undefined && (!opts.project || q.uncutPrefix)) return undefined;
  const params: SqlValue[] = [];
  const where = filterSql({ project: opts.project, provider: opts.provider, owner: opts.owner, sessionId: opts.sessionId }, params);
  const rows = db.all(`SELECT s.id, s.first_entry, s.last_entry FROM sessions s WHERE s.last_entry IS NOT NULL AND ${where} ORDER BY s.last_entry DESC`, ...params);
  if (opts.sessionId === undefined && rows.length * NARROW_SHARE > Number(db.get('SELECT count(*) AS n FROM sessions')!.n)) return undefined;
  return rows.map((r) => ({ id: Number(r.id), first: Number(r.first_entry), last: Number(r.last_entry) }));
}

/**
 * Matches newest first (by entry id), filtered. With `freqs`, each row also counts the terms'
 * occurrences in its text (lowercased, as a substring: an approximation of FTS5's tokens that
 * costs no tokenizing); `below` starts under that entry id.
 */
export function* newestMatches(db: SqliteDatabase, q: ParsedQuery, opts: SearchOptions, how: { freqs: boolean; below?: number }): Generator<StreamedMatch> {
  // Cut prefixes hold only letters and digits: nothing to escape.
  const cut = q.cutPrefixes.map((p) => new RegExp(`(?<!${WORD_CHAR})${p}`, 'u'));
  // A cut prefix reads each candidate's text anyway: its terms are counted there, and only in
  // the candidates kept. Otherwise SQL counts them, in bytes (octet_length reads the stored
  // size; length() decodes the text to count characters): SQLite's lower() folds ASCII only,
  // so the byte counts stay comparable.
  const sqlFreqs = how.freqs && cut.length === 0;
  const freqCols = sqlFreqs ? q.needles.map((_, i) => `, (octet_length(e.text) - octet_length(replace(lower(e.text), ?, ''))) / ? AS f${i}`).join('') : '';
  const freqParams: SqlValue[] = sqlFreqs ? q.needles.flatMap((n) => [n, Math.max(1, Buffer.byteLength(n, 'utf8'))]) : [];
  const filterParams: SqlValue[] = [];
  const filters = filterSql(opts, filterParams);
  const sessions = narrowedSessions(db, q, opts);
  const statement = (range: string) =>
    db.prepare(
      `SELECT entries_fts.rowid AS id, e.sid, COALESCE(e.time, s.last_activity) AS time, octet_length(e.text) AS len${freqCols}${cut.length > 0 ? ', e.text' : ''}
         FROM entries_fts
         JOIN entries e ON e.id = entries_fts.rowid
         JOIN sessions s ON s.id = e.sid
        WHERE entries_fts MATCH ?${range}${filters ? ` AND ${filters}` : ''}
        ORDER BY entries_fts.rowid DESC`,
    );
  const toMatch = (r: Record<string, unknown>): StreamedMatch => ({
    id: Number(r.id),
    sid: Number(r.sid),
    time: r.time == null ? null : Number(r.time),
    length: Number(r.len),
    freqs: !how.freqs ? [] : sqlFreqs ? q.needles.map((_, i) => Number(r[`f${i}`])) : countsIn(String(r.text), q.needles),
  });
  // A match of the cut prefix (`con*`) is one of the query's (`conf*`) when its text says so.
  const keep = (r: Record<string, unknown>): boolean => cut.length === 0 || wordsStartWith(cut, String(r.text));
  if (!sessions && q.uncutPrefix) {
    // Newest ranges first: a common prefix fills the window from the first range or two, and
    // widening ranges keep a rare one to a few dozen.
    const ranged = statement(' AND entries_fts.rowid BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)');
    let hi = how.below === undefined ? Number(db.get('SELECT max(id) AS id FROM entries')?.id ?? 0) : how.below - 1;
    for (let span = PREFIX_RANGE; hi >= 1; span *= 2) {
      const lo = Math.max(1, hi - span + 1);
      for (const r of ranged.iterate(...freqParams, q.match, lo, hi, ...filterParams)) if (keep(r)) yield toMatch(r);
      hi = lo - 1;
    }
    return;
  }
  if (!sessions) {
    // The CASTs matter: a JS number binds as a REAL, and FTS5 then ignores the rowid constraint.
    const below = how.below === undefined ? [] : [how.below];
    const rows = statement(how.below === undefined ? '' : ' AND entries_fts.rowid < CAST(? AS INTEGER)').iterate(...freqParams, q.match, ...below, ...filterParams);
    for (const r of rows) if (keep(r)) yield toMatch(r);
    return;
  }
  // Each session's entries lie between its first and last entry id: FTS5 seeks to that range.
  const inSession = statement(' AND entries_fts.rowid BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER) AND e.sid = ?');
  for (const s of sessions) {
    for (const r of inSession.iterate(...freqParams, q.match, s.first, s.last, s.id, ...filterParams)) {
      if (!keep(r)) continue;
      const m = toMatch(r);
      if (how.below === undefined || m.id < how.below) yield m;
    }
  }
}

/**
 * The newest matches to rank (see RANK_MATCHES), and what comes after them: `next` is the first
 * match past the window, `rest` yields those after it.
 */
export function rankWindow(db: SqliteDatabase, q: ParsedQuery, opts: SearchOptions): { window: StreamedMatch[]; scores: number[]; next?: StreamedMatch; rest: Iterator<StreamedMatch> } {
  const stream = newestMatches(db, q, opts, { freqs: true });
  const window: StreamedMatch[] = [];
  const sids = new Set<number>();
  let next: StreamedMatch | undefined;
  for (let r = stream.next(); !r.done; r = stream.next()) {
    const m = r.value;
    if (window.length >= RANK_MATCHES || (!sids.has(m.sid) && sids.size >= RANK_SESSIONS)) {
      next = m;
      break;
    }
    window.push(m);
    sids.add(m.sid);
  }
  let rest: Iterator<StreamedMatch> = stream;
  if (next && narrowedSessions(db, q, opts) === undefined) {
    // Past the window nothing is ranked: read on without counting terms in each text.
    stream.return(undefined);
    rest = newestMatches(db, q, opts, { freqs: false, below: next.id });
  }
  return { window, scores: bm25Scores(window, termWeights(db, q, window)), ...(next ? { next } : {}), rest };
}

/**
 * Each term's IDF, from how many entries of the window's id range hold it (FTS5 counts them from
 * its index, within that range only). One term needs none: its weight orders nothing.
 */
function termWeights(db: SqliteDatabase, q: ParsedQuery, window: readonly StreamedMatch[]): number[] {
  if (q.terms.length < 2 || window.length === 0) return q.terms.map(() => 1);
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of window) {
    lo = Math.min(lo, m.id);
    hi = Math.max(hi, m.id);
  }
  const count = db.prepare('SELECT count(*) AS n FROM entries_fts WHERE entries_fts MATCH ? AND rowid BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)');
  const total = hi - lo + 1;
  return q.terms.map((t) => idf(Number(count.get(ftsTerm(t), lo, hi)!.n), total));
}

/**
 * The matches of one page, in order: the window of newest matches ranked by BM25 (newest first
 * among equals), then older matches newest first. Reading stops once the page is full.
 */
function pageOfMatches(db: SqliteDatabase, q: ParsedQuery, opts: SearchOptions, want: number): RankedMatch[] {
  const { window, scores, next, rest } = rankWindow(db, q, opts);
  try {
    const page: RankedMatch[] = window.map((m, i) => ({ id: m.id, rank: -scores[i]!, time: m.time })).sort(byRankThenNewest).slice(0, want);
    if (page.length < want && next) {
      page.push({ id: next.id, rank: Infinity, time: next.time });
      for (let r = rest.next(); !r.done && page.length < want; r = rest.next()) page.push({ id: r.value.id, rank: Infinity, time: r.value.time });
    }
    return page;
  } finally {
    // An unfinished read holds its statement, which the next query would find busy.
    rest.return?.(undefined);
  }
}

/** Lowercased, without diacritics: how the `unicode61 remove_diacritics 2` tokenizer folds a token. */
const fold = (text: string): string => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * The query a hit's snippet is made with. A long prefix term costs FTS5 a merge of every matching
 * term's document list per statement, so it is replaced by the words of this line that it
 * matches (the marks are the same); a line whose words do not show it keeps the query as typed.
 */
function snippetQuery(db: SqliteDatabase, q: ParsedQuery, id: number): string {
  if (!q.longPrefix) return q.fts;
  const words = new Set(fold(String(db.get('SELECT text FROM entries WHERE id = CAST(? AS INTEGER)', id)?.text ?? '')).match(/[\p{L}\p{N}]+/gu) ?? []);
  const parts: string[] = [];
  for (const t of q.terms) {
    if (!t.prefix || [...t.text].length <= INDEXED_PREFIX_CHARS || /[^\p{L}\p{N}]/u.test(t.text)) {
      parts.push(ftsTerm(t));
      continue;
    }
    const start = fold(t.text);
    const found = [...words].filter((w) => w.startsWith(start));
    if (found.length === 0) return q.fts;
    parts.push(`(${found.map((w) => `"${w}"`).join(' OR ')})`);
  }
  // Explicit ANDs: FTS5 takes no implicit AND next to a parenthesised group.
  return parts.join(' AND ');
}

/** The hits of these matches (their ids; times are read again), with snippets (which read and tokenize the line's text: only for the lines shown). */
export function hitsOf(db: SqliteDatabase, q: ParsedQuery, matches: readonly RankedMatch[]): SearchHit[] {
  const details = db.prepare(
    `SELECT s.session_id, s.external_id, s.provider, s.project, s.title, f.file_name, e.line, e.role, e.tool,
            COALESCE(e.time, s.last_activity) AS time, snippet(entries_fts, 0, '${MATCH_START}', '${MATCH_END}', '…', 16) AS snippet
       FROM entries_fts
       JOIN entries e ON e.id = entries_fts.rowid
       JOIN files f ON f.id = e.fid
       JOIN sessions s ON s.id = e.sid
      WHERE entries_fts MATCH ? AND entries_fts.rowid = CAST(? AS INTEGER)`,
  );
  // The CAST matters: a JS number binds as a REAL, and FTS5 then ignores the rowid constraint.
  return matches.map((c) => {
    const r = (q.longPrefix ? details.get(snippetQuery(db, q, c.id), c.id) : undefined) ?? details.get(q.fts, c.id)!;
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
    if (r.time != null) hit.time = new Date(Number(r.time)).toISOString();
    return hit;
  });
}

/** Matches ranked by BM25 among the newest (see RANK_MATCHES), then older ones newest first. */
export function search(db: SqliteDatabase, query: string, opts: SearchOptions = {}): SearchHit[] {
  const q = prepareQuery(query);
  const limit = Math.max(1, Math.min(opts.limit ?? 20, 1000));
  const offset = Math.max(0, opts.offset ?? 0);
  return hitsOf(db, q, pageOfMatches(db, q, opts, offset + limit).slice(offset, offset + limit));
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
