import type { SqliteDatabase, SqlValue } from '../sqlite/database.js';
import { byRankThenNewest, hitsOf, MATCH_END, MATCH_START, rankedMatches, toFtsQuery, type RankedMatch, type SearchHit } from './query.js';

/**
 * Search by session (the viewer's list): every session with a match, best match first, and
 * for the sessions on one page, their best hit. Ranking a session by its best line keeps a
 * short session that is about the query above a long one that mentions it once.
 */
export function rankSessions(db: SqliteDatabase, query: string, owner?: string): string[] {
  const params: SqlValue[] = [toFtsQuery(query)];
  let ownerSql = '';
  if (owner !== undefined) {
    ownerSql = ' AND s.owner = ?';
    params.push(owner);
  }
  // FTS5's rank cannot be aggregated directly: rank the matches first, then group them by session.
  const rows = db.all(
    `WITH m AS MATERIALIZED (SELECT rowid AS id, rank AS score FROM entries_fts WHERE entries_fts MATCH ?)
     SELECT s.session_id, min(m.score) AS best, s.last_activity AS last
       FROM m
       JOIN entries e ON e.id = m.id
       JOIN sessions s ON s.id = e.sid
      WHERE 1${ownerSql}
      GROUP BY e.sid
      ORDER BY best, last DESC`,
    ...params,
  );
  return rows.map((r) => String(r.session_id));
}

/**
 * The best hit of each of these sessions: the matches are read best first, once for all of
 * them, until each session has its best (ties by time, as `search` orders them).
 */
export function bestHits(db: SqliteDatabase, query: string, sessionIds: readonly string[]): Map<string, SearchHit> {
  const fts = toFtsQuery(query);
  const wanted = new Map<number, string>();
  for (const id of sessionIds) {
    const sid = db.get('SELECT id FROM sessions WHERE session_id = ?', id)?.id;
    if (sid !== undefined) wanted.set(Number(sid), id);
  }
  const best = new Map<number, RankedMatch>();
  const lookup = db.prepare('SELECT e.sid, COALESCE(e.time, s.last_activity) AS time FROM entries e JOIN sessions s ON s.id = e.sid WHERE e.id = ?');
  let open = wanted.size;
  for (const m of rankedMatches(db, fts)) {
    if (open === 0) break;
    const row = lookup.get(m.id)!;
    const sid = Number(row.sid);
    if (!wanted.has(sid)) continue;
    const found = best.get(sid);
    const match = { ...m, time: row.time == null ? null : Number(row.time) };
    if (!found) best.set(sid, match);
    else if (m.rank > found.rank) {
      // This session's best is settled: later matches rank worse still.
      wanted.delete(sid);
      open--;
    } else if (byRankThenNewest(match, found) < 0) best.set(sid, match);
  }
  return new Map(hitsOf(db, fts, [...best.values()]).map((hit) => [hit.session_id, hit]));
}

/** A snippet with its first match as a range (the viewer marks one); other marks dropped. */
export function snippetRange(snippet: string): { text: string; matchStart: number; matchEnd: number } {
  const start = snippet.indexOf(MATCH_START);
  const end = snippet.indexOf(MATCH_END, start + 1);
  const strip = (s: string) => s.replaceAll(MATCH_START, '').replaceAll(MATCH_END, '');
  if (start === -1 || end === -1) return { text: strip(snippet), matchStart: 0, matchEnd: 0 };
  const before = strip(snippet.slice(0, start));
  const match = strip(snippet.slice(start + 1, end));
  return { text: before + match + strip(snippet.slice(end + 1)), matchStart: before.length, matchEnd: before.length + match.length };
}
