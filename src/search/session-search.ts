import type { SqliteDatabase } from '../sqlite/database.js';
import { byRankThenNewest, hitsOf, MATCH_END, MATCH_START, prepareQuery, rankWindow, type RankedMatch, type SearchHit } from './query.js';

/** The viewer's search by session: every session with a match, best first, and the best hit of any of them. */
export interface RankedSessions {
  sessionIds: string[];
  /** The best hit of each of these sessions (snippets are made only for them). */
  hits(sessionIds: readonly string[]): Map<string, SearchHit>;
}

/**
 * Search by session (the viewer's list), in one pass over the matches: the sessions of the
 * ranked window (the newest matches, see RANK_MATCHES) ordered by their best line (then by that
 * line's time), then every older session with a match, newest first. Ranking a session by its
 * best line keeps a short session that is about the query above a long one that mentions it once.
 */
export function rankedSessions(db: SqliteDatabase, query: string, owner?: string): RankedSessions {
  const q = prepareQuery(query);
  const opts = owner === undefined ? {} : { owner };
  const { window, scores, next, rest } = rankWindow(db, q, opts);
  const best = new Map<number, RankedMatch>();
  window.forEach((m, i) => {
    const match = { id: m.id, rank: -scores[i]!, time: m.time };
    const found = best.get(m.sid);
    if (!found || byRankThenNewest(match, found) < 0) best.set(m.sid, match);
  });
  const order = [...best.entries()].sort((a, b) => byRankThenNewest(a[1], b[1])).map(([sid]) => sid);
  if (next) {
    // Older sessions, newest match first: SQLite groups the matches, so a common word's many
    // matches never each cross into JS, and reads their sessions from an index, not the long
    // rows. Their newest match stands for them (nothing past the window is ranked).
    const ownerSql = owner === undefined ? '' : ' AND s.owner = ?';
    const older = db.prepare(
      `SELECT e.sid, max(entries_fts.rowid) AS id
         FROM entries_fts
         JOIN entries e INDEXED BY entries_session ON e.id = entries_fts.rowid${owner === undefined ? '' : ' JOIN sessions s ON s.id = e.sid'}
        WHERE entries_fts MATCH ? AND entries_fts.rowid <= CAST(? AS INTEGER)${ownerSql}
        GROUP BY e.sid
        ORDER BY id DESC`,
    );
    for (const r of older.iterate(q.fts, next.id, ...(owner === undefined ? [] : [owner]))) {
      const sid = Number(r.sid);
      if (best.has(sid)) continue;
      best.set(sid, { id: Number(r.id), rank: Infinity, time: null });
      order.push(sid);
    }
  }
  rest.return?.(undefined);
  const idOf = db.prepare('SELECT session_id FROM sessions WHERE id = ?');
  const sidOf = new Map<string, number>();
  const sessionIds = order.map((sid) => {
    const id = String(idOf.get(sid)!.session_id);
    sidOf.set(id, sid);
    return id;
  });
  return {
    sessionIds,
    hits(ids) {
      const matches = ids.flatMap((id) => {
        const m = sidOf.get(id) === undefined ? undefined : best.get(sidOf.get(id)!);
        return m ? [m] : [];
      });
      return new Map(hitsOf(db, q, matches).map((hit) => [hit.session_id, hit]));
    },
  };
}

/** Every session with a match, best first (see rankedSessions). */
export function rankSessions(db: SqliteDatabase, query: string, owner?: string): string[] {
  return rankedSessions(db, query, owner).sessionIds;
}

/** The best hit of each of these sessions that has a match (see rankedSessions). */
export function bestHits(db: SqliteDatabase, query: string, sessionIds: readonly string[]): Map<string, SearchHit> {
  return rankedSessions(db, query).hits(sessionIds);
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
