import { randomUUID } from 'node:crypto';
import { StoreError, type SessionStore, type StoredEvent, type StoredFile, type StoredGithubLink, type StoredSession } from '../../src/store/session-store.js';
import type { ChunkRequest, ChunkResponse, EventRequest, InitRequest, InitResponse } from '../../src/format/wire.js';

interface MemFile {
  meta: StoredFile;
  lines: string[];
}

interface MemSession {
  meta: Omit<StoredSession, 'files'>;
  files: Map<string, MemFile>;
  events: StoredEvent[];
  links: StoredGithubLink[];
}

const GITHUB_URL = /^https?:\/\/github\.com\/([^/\s]+)\/([^/\s]+)\/(pull\/(\d+)|commit\/([a-f0-9]+))(?:[/?#]|$)/;

/**
 * A SessionStore in memory with confab-web's semantics where tests of readers depend on
 * them: sessions keyed by (owner, provider, external_id), the continuity rule, per-file
 * line counts and byte sizes, first-write-wins first message, last-write-wins summary,
 * `last_message_at` from transcript line timestamps. Returned objects are copies.
 */
export class MemoryStore implements SessionStore {
  private readonly sessions = new Map<string, MemSession>();
  private clock = Date.parse('2026-01-01T00:00:00Z');
  /** Calls of readFile, for tests that assert a reader fetched only new lines. */
  readonly reads: { sessionId: string; fileName: string; afterLine: number }[] = [];

  private nowIso(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  async init(owner: string, req: InitRequest): Promise<InitResponse> {
    let s = [...this.sessions.values()].find((x) => x.meta.owner === owner && x.meta.provider === req.provider && x.meta.external_id === req.external_id);
    const now = this.nowIso();
    if (!s) {
      s = {
        meta: { session_id: randomUUID(), owner, provider: req.provider, external_id: req.external_id, transcript_path: req.transcript_path, first_seen: now, last_sync_at: now },
        files: new Map(),
        events: [],
        links: [],
      };
      this.sessions.set(s.meta.session_id, s);
    }
    s.meta.transcript_path = req.transcript_path;
    s.meta.last_sync_at = now;
    const m = req.metadata;
    if (m?.cwd !== undefined) s.meta.cwd = m.cwd;
    if (m?.git_info) s.meta.git_info = m.git_info;
    if (m?.hostname) s.meta.hostname = m.hostname;
    if (m?.username) s.meta.username = m.username;
    const files: InitResponse['files'] = {};
    for (const [name, f] of s.files) files[name] = { last_synced_line: f.meta.last_synced_line };
    return { session_id: s.meta.session_id, provider: s.meta.provider, files };
  }

  async checkChunk(owner: string, req: ChunkRequest): Promise<string> {
    const s = this.sessions.get(req.session_id);
    if (!s || s.meta.owner !== owner) throw new StoreError(404, 'Session not found');
    const last = s.files.get(req.file_name)?.meta.last_synced_line ?? 0;
    if (req.first_line !== last + 1) throw new StoreError(400, `first_line must be ${last + 1} (got ${req.first_line}) - chunks must be contiguous`);
    return req.session_id;
  }

  async appendChunk(owner: string, req: ChunkRequest): Promise<ChunkResponse> {
    await this.checkChunk(owner, req);
    const s = this.sessions.get(req.session_id)!;
    let f = s.files.get(req.file_name);
    const now = this.nowIso();
    if (!f) {
      f = { meta: { file_name: req.file_name, file_type: req.file_type, last_synced_line: 0, chunk_count: 0, bytes: 0, updated_at: now }, lines: [] };
      s.files.set(req.file_name, f);
    }
    f.lines.push(...req.lines);
    f.meta.last_synced_line += req.lines.length;
    f.meta.chunk_count++;
    f.meta.bytes += req.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    f.meta.updated_at = now;
    s.meta.last_sync_at = now;
    if (req.file_type === 'transcript') {
      const md = req.metadata;
      if (md?.summary !== undefined) s.meta.summary = md.summary;
      if (md?.first_user_message && s.meta.first_user_message === undefined) s.meta.first_user_message = md.first_user_message;
      if (md?.git_info) s.meta.git_info = md.git_info;
      for (const line of req.lines) {
        try {
          const ts = (JSON.parse(line) as { timestamp?: unknown }).timestamp;
          if (typeof ts === 'string' && !Number.isNaN(Date.parse(ts)) && (!s.meta.last_message_at || ts > s.meta.last_message_at)) s.meta.last_message_at = ts;
        } catch {
          // not JSON: no timestamp
        }
      }
    }
    return { last_synced_line: f.meta.last_synced_line };
  }

  async recordEvent(owner: string, req: EventRequest): Promise<void> {
    const s = this.sessions.get(req.session_id);
    if (!s || s.meta.owner !== owner) throw new StoreError(404, 'Session not found');
    s.events.push({ event_type: req.event_type, timestamp: req.timestamp, received_at: this.nowIso(), payload: req.payload });
  }

  async updateSummary(owner: string, externalId: string, summary: string): Promise<void> {
    const matches = [...this.sessions.values()].filter((s) => s.meta.owner === owner && s.meta.external_id === externalId);
    if (matches.length === 0) throw new StoreError(404, 'Session not found');
    for (const s of matches) s.meta.summary = summary;
  }

  /** POST …/github-links: upsert on (link_type, owner, repo, ref); another owner's session is not found. */
  async recordGithubLink(owner: string, sessionId: string, req: { url: string; link_type?: string; title?: string; source: string }): Promise<StoredGithubLink> {
    const s = this.sessions.get(sessionId);
    if (!s || s.meta.owner !== owner) throw new StoreError(404, 'Session not found');
    if (!req.url) throw new StoreError(400, 'URL is required');
    const m = GITHUB_URL.exec(req.url);
    if (!m) throw new StoreError(400, 'invalid GitHub URL: must be a PR or commit URL');
    const linkType = m[4] ? 'pull_request' : 'commit';
    if (req.link_type && req.link_type !== linkType) throw new StoreError(400, `link_type "${req.link_type}" does not match the URL (a ${linkType} URL)`);
    if (req.source !== 'cli_hook' && req.source !== 'manual') throw new StoreError(400, "source must be 'cli_hook' or 'manual'");
    const key = { link_type: linkType, owner: m[1] ?? '', repo: m[2] ?? '', ref: m[4] ?? m[5] ?? '' } as const;
    let link = s.links.find((l) => l.link_type === key.link_type && l.owner === key.owner && l.repo === key.repo && l.ref === key.ref);
    if (!link) {
      link = { id: randomUUID(), session_id: sessionId, ...key, url: req.url, source: req.source, created_at: this.nowIso() };
      s.links.push(link);
    }
    link.url = req.url;
    link.source = req.source;
    if (req.title !== undefined) link.title = req.title;
    else delete link.title;
    return { ...link };
  }

  async listSessions(owner?: string): Promise<StoredSession[]> {
    return [...this.sessions.values()]
      .filter((s) => owner === undefined || s.meta.owner === owner)
      .map((s) => this.view(s))
      .sort((a, b) => (b.last_message_at ?? b.last_sync_at).localeCompare(a.last_message_at ?? a.last_sync_at));
  }

  async getSession(sessionId: string, owner?: string): Promise<StoredSession | undefined> {
    const s = this.sessions.get(sessionId);
    if (!s || (owner !== undefined && s.meta.owner !== owner)) return undefined;
    return this.view(s);
  }

  async readFile(sessionId: string, fileName: string, afterLine = 0): Promise<Buffer> {
    this.reads.push({ sessionId, fileName, afterLine });
    const f = this.sessions.get(sessionId)?.files.get(fileName);
    if (!f) throw new StoreError(404, 'File not found');
    return Buffer.from(f.lines.slice(afterLine).map((l) => `${l}\n`).join(''));
  }

  async listEvents(sessionId: string): Promise<StoredEvent[]> {
    return [...(this.sessions.get(sessionId)?.events ?? [])];
  }

  async close(): Promise<void> {}

  private view(s: MemSession): StoredSession {
    const links = s.links.length ? { github_links: s.links } : {};
    return structuredClone({ ...s.meta, files: [...s.files.values()].map((f) => f.meta), ...links });
  }

  // ── conveniences for tests ───────────────────────────────────────────────────────

  /** Create a session and upload `files` (name → lines) in one chunk each. */
  async seed(
    owner: string,
    opts: { externalId?: string; provider?: string; cwd?: string; summary?: string; firstUserMessage?: string; files: Record<string, { type?: 'transcript' | 'agent'; lines: string[] }> },
  ): Promise<string> {
    const externalId = opts.externalId ?? randomUUID();
    const { session_id } = await this.init(owner, {
      provider: opts.provider ?? 'claude-code',
      external_id: externalId,
      transcript_path: `/home/u/.claude/projects/-home-u-app/${externalId}.jsonl`,
      metadata: opts.cwd === undefined ? undefined : { cwd: opts.cwd },
    });
    for (const [name, f] of Object.entries(opts.files)) {
      const type = f.type ?? (name.startsWith('agent-') ? 'agent' : 'transcript');
      await this.appendChunk(owner, {
        session_id,
        file_name: name,
        file_type: type,
        first_line: 1,
        lines: f.lines,
        metadata: type === 'transcript' ? { summary: opts.summary, first_user_message: opts.firstUserMessage } : undefined,
      });
    }
    return session_id;
  }

  /** Append lines to a file of a session, continuing where it stands. */
  async append(owner: string, sessionId: string, fileName: string, lines: string[], type: 'transcript' | 'agent' = 'transcript'): Promise<number> {
    const s = await this.getSession(sessionId, owner);
    const last = s?.files.find((f) => f.file_name === fileName)?.last_synced_line ?? 0;
    const res = await this.appendChunk(owner, { session_id: sessionId, file_name: fileName, file_type: type, first_line: last + 1, lines });
    return res.last_synced_line;
  }
}
