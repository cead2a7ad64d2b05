import { randomUUID } from 'node:crypto';
import { StoreError, type StoredFile, type StoredGithubLink, type StoredSession } from './session-store.js';
import type { GitInfo } from '../format/wire.js';
import type { LineExtent } from './line-index.js';
import { FUTURE_TOLERANCE_MS, newestLineTime, prLinksInLines, unwrapCursorQuery } from './transcript-metadata.js';
import { DEFAULT_CHUNK_LIMIT, type ValidChunk, type ValidGithubLink, type ValidInit } from './validate.js';
import { formatRfc3339 } from '../format/rfc3339.js';

/**
 * A session's committed metadata (`meta.json`) and confab-web's rules for merging requests
 * into it: what an init creates or keeps, which chunks a file accepts, what a transcript
 * chunk's metadata and lines update (first-write-wins / last-write-wins), and link upserts.
 * Pure: the store reads, locks and commits around these.
 */

const MAX_STORAGE_KEY_BYTES = 1024;

export interface FileMeta extends LineExtent {
  file_name: string;
  file_type: string;
  /** Names the file's data and index files (`files/<seq>.jsonl`, `.idx`). */
  seq: number;
  chunk_count: number;
  updated_at: string;
}

interface CodexRollout {
  [key: string]: string | undefined;
}

/** The stored session as `meta.json` keeps it, with the layout and commit counters it needs. */
export interface SessionMeta extends Omit<StoredSession, 'git_info' | 'files' | 'github_links' | 'codex_rollouts'> {
  format: number;
  /** As the client sent it (validated on the way in). */
  git_info?: unknown;
  codex_rollouts?: Record<string, CodexRollout>;
  github_links: StoredGithubLink[];
  files: FileMeta[];
  next_seq: number;
  events: { count: number; bytes: number };
  revision: number;
}

export const iso = (ms: number) => formatRfc3339(ms);

export function isSessionMeta(v: unknown): v is SessionMeta {
  const m = v as SessionMeta;
  return !!m && typeof m === 'object' && typeof m.session_id === 'string' && typeof m.owner === 'string' && Array.isArray(m.files);
}

/** The metadata of a session a first init creates. */
export function newSessionMeta(format: number, id: string, owner: string, v: ValidInit, now: string): SessionMeta {
  const meta: SessionMeta = {
    format,
    session_id: id,
    owner,
    provider: v.provider,
    external_id: v.external_id,
    transcript_path: v.transcript_path,
    first_seen: now,
    last_sync_at: now,
    github_links: [],
    files: [],
    next_seq: 1,
    events: { count: 0, bytes: 0 },
    revision: 0,
  };
  if (v.cwd) meta.cwd = v.cwd;
  if (v.hostname) meta.hostname = v.hostname;
  if (v.username) meta.username = v.username;
  if (v.git_info !== undefined) meta.git_info = v.git_info;
  return meta;
}

/** A re-init of an existing session. */
export function mergeReinit(meta: SessionMeta, v: ValidInit, now: string): void {
  meta.transcript_path = v.transcript_path;
  // An empty cwd or a missing git_info on a re-init keeps what is stored (confab-web blanks cwd).
  if (v.cwd) meta.cwd = v.cwd;
  if (v.git_info !== undefined) meta.git_info = v.git_info;
  if (v.hostname) meta.hostname = v.hostname;
  if (v.username) meta.username = v.username;
  meta.last_sync_at = now;
}

/** Refusals that need only the chunk and its session's provider. */
export function checkChunkForSession(meta: SessionMeta, v: ValidChunk): void {
  if (v.metadata.codex_rollout && meta.provider !== 'codex') {
    throw new StoreError(400, 'codex_rollout metadata is only supported for codex sessions');
  }
}

/** The file a chunk appends to (undefined: a new one), after every refusal the session's state gives. */
export function chunkTarget(meta: SessionMeta, v: ValidChunk, chunkLimit: number | false | undefined): FileMeta | undefined {
  const file = meta.files.find((f) => f.file_name === v.file_name);
  if (!file) checkNewFile(meta, v);
  else if (file.file_type !== v.file_type) {
    throw new StoreError(400, `file_type of ${v.file_name} is ${file.file_type} (got ${v.file_type})`);
  }
  const expected = (file?.last_synced_line ?? 0) + 1;
  if (v.first_line !== expected) {
    throw new StoreError(400, `first_line must be ${expected} (got ${v.first_line}) - chunks must be contiguous`);
  }
  const limit = chunkLimit === undefined ? DEFAULT_CHUNK_LIMIT : chunkLimit;
  if (limit !== false && file && file.chunk_count >= limit) {
    throw new StoreError(400, `File has too many chunks (limit: ${limit}). Consider starting a new session.`);
  }
  return file;
}

function checkNewFile(meta: SessionMeta, v: ValidChunk): void {
  for (const f of meta.files) {
    if (f.file_name.startsWith(`${v.file_name}/`) || v.file_name.startsWith(`${f.file_name}/`)) {
      throw new StoreError(400, `file_name ${v.file_name} conflicts with file ${f.file_name} of this session (one is a directory of the other)`);
    }
  }
  if (v.file_type === 'transcript') {
    const other = meta.files.find((f) => f.file_type === 'transcript');
    if (other) throw new StoreError(400, `session already has a transcript file (${other.file_name}); other files must be agent files`);
  }
  const key = `${meta.owner}/${meta.provider}/${meta.external_id}/chunks/${v.file_name}/chunk_00000000_00000000.jsonl`;
  if (Buffer.byteLength(key) > MAX_STORAGE_KEY_BYTES) {
    throw new StoreError(400, `file_name is too long for this session (its storage key would exceed ${MAX_STORAGE_KEY_BYTES} bytes)`);
  }
}

/** A file the session starts holding with this chunk (nothing of it stored yet). */
export function addFile(meta: SessionMeta, v: ValidChunk, now: number): FileMeta {
  const file: FileMeta = {
    file_name: v.file_name,
    file_type: v.file_type,
    seq: meta.next_seq++,
    last_synced_line: 0,
    chunk_count: 0,
    bytes: 0,
    index_entries: 0,
    index_last_offset: 0,
    updated_at: iso(now),
  };
  meta.files.push(file);
  return file;
}

/** What a stored chunk changes in its session, besides its file's lines. */
export function applyChunk(meta: SessionMeta, file: FileMeta, v: ValidChunk, now: number): void {
  if (v.file_type === 'transcript') applyTranscriptMetadata(meta, v, now);
  if (v.metadata.codex_rollout) upsertCodexRollout(meta, v.metadata.codex_rollout);
  file.last_synced_line = v.last_line;
  file.chunk_count++;
  file.updated_at = iso(now);
  meta.last_sync_at = iso(now);
}

function applyTranscriptMetadata(meta: SessionMeta, v: ValidChunk, now: number): void {
  const m = v.metadata;
  if (m.summary !== undefined) meta.summary = m.summary;
  if (meta.first_user_message === undefined && m.first_user_message !== undefined) {
    const fum = meta.provider === 'cursor' ? unwrapCursorQuery(m.first_user_message) : m.first_user_message;
    if (fum !== undefined) meta.first_user_message = fum;
  }
  if (m.git_info !== undefined) meta.git_info = m.git_info;
  if (meta.provider === 'cursor' && m.model && meta.model === undefined) meta.model = m.model;
  const limit = now + FUTURE_TOLERANCE_MS;
  if (m.created_at !== undefined && m.created_at <= limit && m.created_at < Date.parse(meta.first_seen)) {
    meta.first_seen = iso(m.created_at);
  }
  let newest = newestLineTime(meta.provider, v.lines, now);
  if (m.latest_message_at !== undefined && m.latest_message_at <= limit && (newest === undefined || m.latest_message_at > newest)) {
    newest = m.latest_message_at;
  }
  if (newest !== undefined && (meta.last_message_at === undefined || newest > Date.parse(meta.last_message_at))) {
    meta.last_message_at = iso(newest);
  }
  for (const pr of prLinksInLines(meta.provider, v.lines)) {
    const exists = meta.github_links.some((l) => l.link_type === 'pull_request' && l.owner === pr.owner && l.repo === pr.repo && l.ref === pr.ref);
    if (exists) continue;
    meta.github_links.push({
      id: randomUUID(),
      session_id: meta.session_id,
      link_type: 'pull_request',
      url: pr.url,
      owner: pr.owner,
      repo: pr.repo,
      ref: pr.ref,
      title: pr.title,
      source: 'transcript',
      created_at: iso(now),
    });
  }
}

function upsertCodexRollout(meta: SessionMeta, r: Record<string, string | undefined>): void {
  const rollouts = (meta.codex_rollouts ??= {});
  const key = r.thread_uuid!.toLowerCase();
  const stored = (rollouts[key] ??= {});
  for (const [k, val] of Object.entries(r)) {
    if (!val) continue;
    if (k === 'parent_thread_uuid' && stored.parent_thread_uuid) continue;
    stored[k] = val;
  }
}

/** Upsert on (link_type, owner, repo, ref): an existing link takes the new url, source and title. */
export function upsertGithubLink(meta: SessionMeta, v: ValidGithubLink, now: number): StoredGithubLink {
  let link = meta.github_links.find((l) => l.link_type === v.link_type && l.owner === v.owner && l.repo === v.repo && l.ref === v.ref);
  if (link) {
    link.url = v.url;
    link.source = v.source;
    if (v.title !== undefined) link.title = v.title;
    else delete link.title;
  } else {
    link = {
      id: randomUUID(),
      session_id: meta.session_id,
      link_type: v.link_type,
      url: v.url,
      owner: v.owner,
      repo: v.repo,
      ref: v.ref,
      source: v.source,
      created_at: iso(now),
    };
    if (v.title !== undefined) link.title = v.title;
    meta.github_links.push(link);
  }
  return link;
}

export function toStoredSession(meta: SessionMeta): StoredSession {
  const files: StoredFile[] = meta.files.map((f) => ({
    file_name: f.file_name,
    file_type: f.file_type,
    last_synced_line: f.last_synced_line,
    chunk_count: f.chunk_count,
    bytes: f.bytes,
    updated_at: f.updated_at,
  }));
  const s: StoredSession = {
    session_id: meta.session_id,
    owner: meta.owner,
    provider: meta.provider,
    external_id: meta.external_id,
    transcript_path: meta.transcript_path,
    first_seen: meta.first_seen,
    last_sync_at: meta.last_sync_at,
    files,
    github_links: meta.github_links.map((l) => ({ ...l })),
  };
  if (meta.cwd !== undefined) s.cwd = meta.cwd;
  if (meta.git_info !== undefined) s.git_info = meta.git_info as GitInfo;
  if (meta.hostname !== undefined) s.hostname = meta.hostname;
  if (meta.username !== undefined) s.username = meta.username;
  if (meta.summary !== undefined) s.summary = meta.summary;
  if (meta.first_user_message !== undefined) s.first_user_message = meta.first_user_message;
  if (meta.last_message_at !== undefined) s.last_message_at = meta.last_message_at;
  if (meta.model !== undefined) s.model = meta.model;
  if (meta.codex_rollouts !== undefined) {
    s.codex_rollouts = Object.fromEntries(
      Object.entries(meta.codex_rollouts).map(([k, r]) => [k, Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => e[1] !== undefined))]),
    );
  }
  return s;
}
