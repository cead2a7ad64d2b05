import type { SessionStore, StoredSession } from '../../store/session-store.js';
import { projectName, sessionTitle } from './session-summary.js';
import { isRecord, list, messageContent, parseObject, rec, str } from './transcript-lines.js';

/**
 * Search without an index: titles, first messages and projects are matched for every
 * session; transcript content is scanned file by file, most recent session first, until a
 * byte or time budget runs out. The budget is checked between sessions (a session once
 * started is scanned whole, so a continuation never skips part of one), and the result says
 * how far the scan got, so the page can offer to go on from there. An index would make
 * content search instant but would have to follow every append; for one person's sessions
 * a bounded scan is fast enough and never stale.
 *
 * Content means what was said: text, thinking, tool inputs and tool results of user and
 * assistant lines, and summaries — not the system prompts and tool schemas that every
 * Claude Code transcript also carries (those would match common words in every session).
 * Raw bytes are scanned first (cheap); only lines that contain the query are parsed.
 */

export interface SearchBudget {
  /** Transcript bytes read per search. */
  maxBytes: number;
  /** Wall time per search. */
  maxMs: number;
}

export const DEFAULT_SEARCH_BUDGET: SearchBudget = { maxBytes: 256 * 1024 * 1024, maxMs: 3000 };

export interface SearchHit {
  where: 'title' | 'content';
  fileName?: string;
  line?: number;
  /** Text around the match, with the match at [matchStart, matchEnd). */
  snippet?: { text: string; matchStart: number; matchEnd: number };
}

export interface SearchResult {
  hits: Map<string, SearchHit>;
  /** Sessions (by position in the list) whose content was scanned: [scanFrom, scannedTo). */
  scanFrom: number;
  scannedTo: number;
  total: number;
  bytesRead: number;
  /** The budget stopped the scan before the last session. */
  exhausted: boolean;
}

/** Lines worth parsing: a conversational top-level type. Others never hold searchable text. */
const CONVERSATIONAL = /"type"\s*:\s*"(user|assistant|summary)"/;
/** Candidate lines parsed per file before giving up on it (a query matching every line). */
const MAX_CANDIDATES_PER_FILE = 500;

export async function searchSessions(
  store: Pick<SessionStore, 'readFile'>,
  sessions: readonly StoredSession[],
  query: string,
  budget: SearchBudget = DEFAULT_SEARCH_BUDGET,
  scanFrom = 0,
  now: () => number = Date.now,
): Promise<SearchResult> {
  const q = query.trim().toLowerCase();
  const hits = new Map<string, SearchHit>();
  const start = now();
  let bytesRead = 0;
  let i = Math.max(0, Math.min(scanFrom, sessions.length));
  const result = (exhausted: boolean): SearchResult => ({ hits, scanFrom, scannedTo: i, total: sessions.length, bytesRead, exhausted });
  if (!q) return result(false);

  for (const s of sessions) {
    const fields = [sessionTitle(s), s.summary ?? '', s.first_user_message ?? '', projectName(s), s.cwd ?? '', s.external_id, s.session_id];
    if (fields.some((f) => f.toLowerCase().includes(q))) hits.set(s.session_id, { where: 'title' });
  }

  const needles = [...new Set([q, JSON.stringify(q).slice(1, -1)])];
  for (; i < sessions.length; i++) {
    const s = sessions[i];
    if (!s || hits.has(s.session_id)) continue;
    if (bytesRead >= budget.maxBytes || now() - start >= budget.maxMs) return result(true);
    const files = [...s.files].sort((a, b) => rank(a.file_type) - rank(b.file_type));
    for (const f of files) {
      let buf: Buffer;
      try {
        buf = await store.readFile(s.session_id, f.file_name, 0);
      } catch {
        continue; // a file that cannot be read is not a match
      }
      bytesRead += buf.length;
      const hit = scanFile(buf.toString('utf8'), q, needles);
      if (hit) {
        hits.set(s.session_id, { where: 'content', fileName: f.file_name, line: hit.line, snippet: hit.snippet });
        break;
      }
    }
  }
  return result(false);
}

function rank(type: string): number {
  return type === 'transcript' ? 0 : 1;
}

function scanFile(content: string, q: string, needles: readonly string[]): { line: number; snippet: SearchHit['snippet'] } | undefined {
  const lower = content.toLowerCase();
  // Lower-casing can change the length of a few non-ASCII strings; then offsets in `lower`
  // are not offsets in `content`, and lines are looked up by number instead.
  const sameOffsets = lower.length === content.length;
  let originalLines: string[] | undefined;
  let candidates = 0;
  const positions: number[] = [];
  for (const needle of needles) {
    let at = lower.indexOf(needle);
    while (at >= 0 && positions.length < MAX_CANDIDATES_PER_FILE * 4) {
      positions.push(at);
      at = lower.indexOf(needle, at + needle.length);
    }
  }
  positions.sort((a, b) => a - b);
  // Positions in order, lines found from the last one (never searching back to the start
  // of the file for each match): one pass over the content however many matches a line has.
  let lineStart = 0;
  let lineEnd = -1;
  let lineNo = 0;
  for (const at of positions) {
    if (at <= lineEnd) continue; // a line already looked at
    while (lineEnd < at) {
      lineStart = lineEnd + 1;
      lineEnd = lower.indexOf('\n', lineStart);
      if (lineEnd < 0) lineEnd = lower.length;
      lineNo++;
    }
    if (!CONVERSATIONAL.test(lower.slice(lineStart, lineEnd))) continue;
    if (++candidates > MAX_CANDIDATES_PER_FILE) return undefined;
    let raw: string;
    if (sameOffsets) raw = content.slice(lineStart, lineEnd);
    else {
      originalLines ??= content.split('\n');
      raw = originalLines[lineNo - 1] ?? '';
    }
    const value = parseObject(raw);
    if (!value) continue;
    const said = searchableText(value);
    const idx = said.toLowerCase().indexOf(q);
    if (idx < 0) continue;
    return { line: lineNo, snippet: snippetAround(said, idx, q.length) };
  }
  return undefined;
}

/** What a person reads in a line: message text, thinking, tool inputs and results, summaries. */
export function searchableText(line: Record<string, unknown>): string {
  if (line.type === 'summary') return str(line.summary) ?? '';
  if (line.type !== 'user' && line.type !== 'assistant') return '';
  const content = messageContent(line);
  if (typeof content === 'string') return content;
  if (!content) return '';
  const parts: string[] = [];
  for (const b of content) {
    if (typeof b.text === 'string') parts.push(b.text);
    if (typeof b.thinking === 'string') parts.push(b.thinking);
    if (b.type === 'tool_use') parts.push(stringsOf(b.input));
    if (b.type === 'tool_result') {
      if (typeof b.content === 'string') parts.push(b.content);
      for (const c of list(b.content) ?? []) if (isRecord(c) && typeof c.text === 'string') parts.push(c.text);
    }
  }
  const result = rec(line.toolUseResult);
  if (result && typeof result.stdout === 'string') parts.push(result.stdout);
  return parts.join('\n');
}

function stringsOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(stringsOf).filter(Boolean).join('\n');
  if (isRecord(v)) return Object.values(v).map(stringsOf).filter(Boolean).join('\n');
  return '';
}

function snippetAround(said: string, idx: number, len: number): SearchHit['snippet'] {
  const from = Math.max(0, idx - 60);
  const to = Math.min(said.length, idx + len + 100);
  const before = (from > 0 ? '…' : '') + said.slice(from, idx).replace(/\s+/g, ' ');
  const match = said.slice(idx, idx + len);
  const after = said.slice(idx + len, to).replace(/\s+/g, ' ') + (to < said.length ? '…' : '');
  return { text: before + match + after, matchStart: before.length, matchEnd: before.length + match.length };
}
