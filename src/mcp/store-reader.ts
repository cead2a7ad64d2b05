/**
 * What `confab mcp` answers, as library code without the MCP SDK: read-only queries over the
 * embedded store and its search index, each sized so an agent's context is not flooded.
 * Everything returned is what the store holds — lines as synced, so redacted. Sessions are
 * named by id only; no argument ever reaches the filesystem as a path.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isBackendError } from '../backend/errors.js';
import { resolveStoredSession } from '../backend/local.js';
import { indexUnavailable, openStoreIndex, parseTimeBound } from '../cli/search-index.js';
import { configuredPrices } from '../config/prices.js';
import { MATCH_END, MATCH_START, QuerySyntaxError, indexedSessions, search, type IndexedSession, type SearchHit, type SearchOptions } from '../search/query.js';
import type { SearchIndex } from '../search/index-db.js';
import { FileStore } from '../store/file-store.js';
import type { StoredSession } from '../store/session-store.js';
import { PricingConfigError } from '../usage/pricing.js';
import { usageReport, type UsageGroup, type UsageReport } from '../usage/report.js';

/** A refusal to show to the agent (bad argument, unknown session): a message, never a stack. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** Session ids, external ids and their prefixes: letters, digits, `-`, `_`, `.` (never `..`), as agents and the store name them. */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function checkSessionId(id: string): string {
  const t = id.trim();
  if (!SESSION_ID.test(t) || t.includes('..')) throw new ToolInputError(`invalid session id "${id.slice(0, 80)}": use an id from search_sessions or list_sessions`);
  return t;
}

/** Limits of get_session, in characters of line text. */
export const PAGE_DEFAULTS = { maxChars: 20_000, maxCharsCap: 200_000, lineMaxChars: 2_000, maxLines: 100, maxLinesCap: 1_000 } as const;

function timeBound(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = parseTimeBound(text);
  if (t === undefined) throw new ToolInputError(`invalid ${name} "${text}": use a duration (30m, 12h, 5d, 2w) or a date (2026-11-01)`);
  return t;
}

export class StoreReader {
  constructor(readonly dir: string) {}

  private requireStore(): void {
    if (!existsSync(join(this.dir, 'store.json'))) throw new ToolInputError(`there is no confab store at ${this.dir} yet: no session has been synced`);
  }

  private async withIndex<T>(fn: (index: SearchIndex) => T): Promise<T> {
    this.requireStore();
    const why = indexUnavailable();
    if (why) throw new ToolInputError(why);
    const index = await openStoreIndex(this.dir);
    try {
      return fn(index);
    } finally {
      index.close();
    }
  }

  private async withStore<T>(fn: (store: FileStore) => Promise<T>): Promise<T> {
    this.requireStore();
    const store = await FileStore.open(this.dir, { chunkLimit: false });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  async search(args: { query: string; project?: string; provider?: string; since?: string; until?: string; role?: SearchOptions['role']; limit?: number; offset?: number }): Promise<{ query: string; hits: SearchHit[]; next_offset?: number }> {
    const limit = args.limit ?? 10;
    const opts: SearchOptions = { limit: limit + 1, offset: args.offset ?? 0 };
    if (args.project) opts.project = args.project;
    if (args.provider) opts.provider = args.provider;
    if (args.role) opts.role = args.role;
    const since = timeBound('since', args.since);
    const until = timeBound('until', args.until);
    if (since !== undefined) opts.since = since;
    if (until !== undefined) opts.until = until;
    const found = await this.withIndex((index) => {
      try {
        return search(index.db, args.query, opts);
      } catch (err) {
        if (err instanceof QuerySyntaxError) throw new ToolInputError(`bad query: ${err.message}`);
        throw err;
      }
    });
    const hits = found.slice(0, limit).map((h) => ({ ...h, snippet: h.snippet.replaceAll(MATCH_START, '«').replaceAll(MATCH_END, '»') }));
    return found.length > limit ? { query: args.query, hits, next_offset: (args.offset ?? 0) + limit } : { query: args.query, hits };
  }

  async list(args: { project?: string; provider?: string; since?: string; until?: string; limit?: number; offset?: number }): Promise<{ sessions: IndexedSession[]; next_offset?: number }> {
    const limit = args.limit ?? 20;
    const since = timeBound('since', args.since);
    const until = timeBound('until', args.until);
    const found = await this.withIndex((index) =>
      indexedSessions(index.db, {
        limit: limit + 1,
        offset: args.offset ?? 0,
        ...(args.project ? { project: args.project } : {}),
        ...(args.provider ? { provider: args.provider } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
      }),
    );
    const sessions = found.slice(0, limit);
    return found.length > limit ? { sessions, next_offset: (args.offset ?? 0) + limit } : { sessions };
  }

  async usage(args: { group: UsageGroup; since?: string }): Promise<UsageReport> {
    const since = timeBound('since', args.since);
    let prices;
    try {
      prices = configuredPrices();
    } catch (err) {
      if (err instanceof PricingConfigError) throw new ToolInputError(err.message);
      throw err;
    }
    return this.withIndex((index) => usageReport(index.db, prices, args.group, since === undefined ? {} : { since }));
  }

  /**
   * A session's metadata and one page of one of its files. A page holds whole lines from
   * `from_line` until `max_lines` or the `max_chars` budget is reached; a line longer than
   * `line_max_chars` is clipped and says so. `line` instead reads that one line in full, in
   * pieces of `max_chars` from `char_offset`.
   */
  async session(args: { session_id: string; file?: string; from_line?: number; max_lines?: number; max_chars?: number; line_max_chars?: number; line?: number; char_offset?: number }): Promise<SessionPage> {
    const id = checkSessionId(args.session_id);
    return this.withStore(async (store) => {
      let s: StoredSession;
      try {
        s = await resolveStoredSession(store, id);
      } catch (err) {
        if (isBackendError(err, 'not-found')) throw new ToolInputError(`no session "${id}" in the store: use an id from search_sessions or list_sessions`);
        if (isBackendError(err, 'invalid')) throw new ToolInputError(err.message);
        throw err;
      }
      const fileName = args.file ?? s.files.find((f) => f.file_type === 'transcript')?.file_name ?? s.files[0]?.file_name;
      const file = s.files.find((f) => f.file_name === fileName);
      if (fileName !== undefined && !file) throw new ToolInputError(`session ${s.session_id} has no file "${fileName}" (files: ${s.files.map((f) => f.file_name).join(', ')})`);
      const page: SessionPage = { session: sessionMetadata(s), file: fileName ?? null, total_lines: file?.last_synced_line ?? 0, lines: [] };
      if (!file) return page;
      const maxChars = args.max_chars ?? PAGE_DEFAULTS.maxChars;
      if (args.line !== undefined) {
        if (args.line > file.last_synced_line) throw new ToolInputError(`${file.file_name} of session ${s.session_id} has ${file.last_synced_line} lines, not ${args.line}`);
        const text = firstLine(await store.readFile(s.session_id, file.file_name, args.line - 1));
        const from = Math.min(args.char_offset ?? 0, text.length);
        const piece = text.slice(from, from + maxChars);
        page.lines.push({ line: args.line, text: piece, chars: text.length, ...(from > 0 ? { char_offset: from } : {}) });
        if (from + piece.length < text.length) page.next = { line: args.line, char_offset: from + piece.length };
        return page;
      }
      const fromLine = args.from_line ?? 1;
      if (fromLine > file.last_synced_line) return page;
      const lineMax = Math.min(args.line_max_chars ?? PAGE_DEFAULTS.lineMaxChars, maxChars);
      const maxLines = args.max_lines ?? PAGE_DEFAULTS.maxLines;
      const all = (await store.readFile(s.session_id, file.file_name, fromLine - 1)).toString('utf8').split('\n');
      all.pop();
      let used = 0;
      let n = fromLine;
      for (const text of all) {
        if (page.lines.length >= maxLines) break;
        const room = maxChars - used;
        const shown = Math.min(text.length, lineMax);
        // Whole lines only, except a first line bigger than the budget: it is clipped to fit.
        if (shown > room && page.lines.length > 0) break;
        const cut = Math.min(shown, room);
        const entry: PageLine = { line: n, text: text.slice(0, cut) };
        if (cut < text.length) {
          entry.clipped = true;
          entry.chars = text.length;
        }
        page.lines.push(entry);
        used += cut;
        n++;
      }
      if (n <= file.last_synced_line) page.next = { from_line: n };
      if (page.lines.some((l) => l.clipped)) page.clipped_note = 'lines marked clipped are cut short: call get_session with line=<n> (and char_offset from next) to read one in full';
      return page;
    });
  }
}

function firstLine(buf: Buffer): string {
  const text = buf.toString('utf8');
  const end = text.indexOf('\n');
  return end === -1 ? text : text.slice(0, end);
}

export interface PageLine {
  line: number;
  text: string;
  /** The line's full length when `text` is only part of it. */
  chars?: number;
  clipped?: boolean;
  char_offset?: number;
}

export interface SessionPage {
  session: Record<string, unknown>;
  file: string | null;
  total_lines: number;
  lines: PageLine[];
  /** Arguments for the next call, when there is more. */
  next?: { from_line: number } | { line: number; char_offset: number };
  clipped_note?: string;
}

/** What an agent needs to know about a session: no store internals (owner, salts, chunk counts). */
function sessionMetadata(s: StoredSession): Record<string, unknown> {
  const out: Record<string, unknown> = {
    session_id: s.session_id,
    external_id: s.external_id,
    provider: s.provider,
    title: s.summary ?? s.first_user_message,
    cwd: s.cwd,
    git: s.git_info ? { repo_url: s.git_info.repo_url, branch: s.git_info.branch } : undefined,
    model: s.model,
    first_seen: s.first_seen,
    last_message_at: s.last_message_at ?? s.last_sync_at,
    files: s.files.map((f) => ({ file_name: f.file_name, file_type: f.file_type, lines: f.last_synced_line })),
    github_links: s.github_links?.map((l) => ({ type: l.link_type, url: l.url })),
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}
