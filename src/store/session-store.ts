/**
 * The embedded session store: this interface, its on-disk implementation (`file-store.ts`),
 * request validation with confab-web's rules (`validate.ts`) and the transcript metadata the
 * store derives (`transcript-metadata.ts`). Below every backend; imports only formats and files.
 */
import type { ChunkRequest, ChunkResponse, EventRequest, FileType, GitInfo, InitRequest, InitResponse } from '../format/wire.js';

/**
 * A store of synced sessions with confab-web's semantics: sessions keyed by
 * (owner, provider, external_id), per-file append-only lines with the continuity rule
 * (`first_line == last_synced_line + 1`), first-write-wins / last-write-wins metadata.
 * The embedded store implements it on disk; `confab serve` exposes one over HTTP with one
 * owner per API key, and the embedded backend uses it with a single local owner.
 */
export interface SessionStore {
  init(owner: string, req: InitRequest): Promise<InitResponse>;
  appendChunk(owner: string, req: ChunkRequest): Promise<ChunkResponse>;
  /** Every refusal `appendChunk` would give for `req` now, without storing it; the session's id. */
  checkChunk(owner: string, req: ChunkRequest): Promise<string>;
  recordEvent(owner: string, req: EventRequest): Promise<void>;
  /** PATCH …/summary: every session of `owner` with this external id, any provider. */
  updateSummary(owner: string, externalId: string, summary: string): Promise<void>;
  /** POST …/github-links: upsert on (link_type, owner, repo, ref); another owner's session is not found. */
  recordGithubLink(owner: string, sessionId: string, req: GithubLinkRequest): Promise<StoredGithubLink>;

  /** Sessions, most recent activity first; all owners when `owner` is undefined. */
  listSessions(owner?: string): Promise<StoredSession[]>;
  /** By backend session id; `owner` restricts to that owner's sessions. */
  getSession(sessionId: string, owner?: string): Promise<StoredSession | undefined>;
  /** Lines after line `afterLine` (0 = whole file), each followed by `\n`, exactly as stored. */
  readFile(sessionId: string, fileName: string, afterLine?: number): Promise<Buffer>;
  listEvents(sessionId: string): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

export interface StoredFile {
  file_name: string;
  file_type: FileType | string;
  last_synced_line: number;
  chunk_count: number;
  /** Bytes of line content held, `\n` terminators included. */
  bytes: number;
  updated_at: string;
}

export interface StoredSession {
  session_id: string;
  owner: string;
  provider: string;
  external_id: string;
  transcript_path: string;
  cwd?: string;
  git_info?: GitInfo;
  hostname?: string;
  username?: string;
  summary?: string;
  first_user_message?: string;
  first_seen: string;
  last_sync_at: string;
  last_message_at?: string;
  files: StoredFile[];
  github_links?: StoredGithubLink[];
  /** Cursor sessions: the first non-empty `metadata.model` of a transcript chunk. */
  model?: string;
  /** Codex sessions: `metadata.codex_rollout` blocks by thread UUID (idempotent upserts). */
  codex_rollouts?: Record<string, Record<string, string>>;
}

export interface GithubLinkRequest {
  url: string;
  /** `pull_request` or `commit`; must match the URL when given. */
  link_type?: string;
  title?: string;
  /** `cli_hook` or `manual`. */
  source: string;
}

export interface StoredGithubLink {
  id: string;
  session_id: string;
  link_type: 'pull_request' | 'commit';
  url: string;
  owner: string;
  repo: string;
  ref: string;
  title?: string;
  /** `cli_hook`, `manual`, or `transcript` (found in a Claude Code `pr-link` line). */
  source: string;
  created_at: string;
}

export interface StoredEvent {
  event_type: string;
  timestamp: string;
  received_at: string;
  payload?: unknown;
}

/**
 * A refused store operation, with the HTTP status and message confab-web gives for it
 * (e.g. 400 `first_line must be 4 (got 2) - chunks must be contiguous`, 404 `Session not found`).
 */
export class StoreError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'StoreError';
    this.status = status;
  }
}
