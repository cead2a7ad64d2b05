import { StoreError } from './session-store.js';
import { PROVIDERS_KNOWN_TO_CONFAB_WEB } from '../format/wire.js';
import { parseRfc3339 } from '../format/rfc3339.js';

export { parseRfc3339 };

/**
 * Request validation with confab-web's checks, order and messages (confab-web-api.md §3,
 * §6.3, §6.4), plus the conformance checklist's [strict] rules. Pure functions: the store
 * runs them on every request, and the HTTP API runs them first with confab-web's provider
 * list so a bad request fails in the same order it would there.
 */

export const MAX_LINE_NUMBER = 99_999_999;
export const DEFAULT_CHUNK_LIMIT = 30_000;
export const FILE_TYPES = ['transcript', 'agent', 'workflow_journal'] as const;

const bad = (message: string) => new StoreError(400, message);
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function tooLong(field: string, s: string | undefined, max: number): void {
  if (s !== undefined && bytes(s) > max) throw bad(`${field} exceeds maximum length of ${max} characters`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const isWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** A JS string that cannot be written as UTF-8 unchanged (a lone surrogate from a `\ud800` escape). */
export function hasLoneSurrogate(s: string): boolean {
  // Native where the runtime has it (Node 20+): answers a one-byte string without reading it.
  return isWellFormed ? !isWellFormed.call(s) : LONE_SURROGATE.test(s);
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID.test(s);
}

/** Go's zero time.Time, which confab-web treats as "no timestamp". */
export function isZeroTime(ms: number): boolean {
  return ms === -62_135_596_800_000;
}

/** [strict] rule 6: Postgres cannot store NUL, so no stored string may contain one. */
export function rejectNul(value: unknown, path: string, skip?: (path: string) => boolean): void {
  if (skip?.(path)) return;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw bad(`${path} must not contain NUL characters`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => rejectNul(v, `${path}[${i}]`, skip));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) throw bad(`${path} must not contain NUL characters`);
      rejectNul(v, path ? `${path}.${k}` : k, skip);
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const optString = (v: unknown, field: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${field} must be a string`);
  return v;
};

/** §6.3: the validated subset of git_info (remotes and tracking_remote). */
export function validateGitInfo(gi: unknown): void {
  if (!isObject(gi)) return;
  const remotes = gi.remotes;
  if (remotes !== undefined && remotes !== null) {
    if (!Array.isArray(remotes)) throw bad('git_info.remotes must be an array');
    if (remotes.length > 50) throw bad('git_info.remotes exceeds maximum of 50 entries');
    remotes.forEach((r, i) => {
      const p = `git_info.remotes[${i}]`;
      if (!isObject(r)) throw bad(`${p} must be an object`);
      const name = optString(r.name, `${p}.name`);
      if (!name) throw bad(`${p}.name is required`);
      tooLong(`${p}.name`, name, 256);
      const fetch = optString(r.fetch_url, `${p}.fetch_url`);
      const push = optString(r.push_url, `${p}.push_url`);
      if (!fetch && !push) throw bad(`${p}.fetch_url or ${p}.push_url is required`);
      tooLong(`${p}.fetch_url`, fetch, 2048);
      tooLong(`${p}.push_url`, push, 2048);
    });
  }
  tooLong('git_info.tracking_remote', optString(gi.tracking_remote, 'git_info.tracking_remote'), 256);
}

export interface ProviderRule {
  /** Accepted provider names; undefined = any safe name (third-party providers on the embedded store). */
  providers?: readonly string[];
}

const SAFE_PROVIDER = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface ValidInit {
  provider: string;
  external_id: string;
  transcript_path: string;
  cwd: string | undefined;
  hostname: string | undefined;
  username: string | undefined;
  /** `undefined`: not sent (keep the stored value). A `null` is treated as not sent, never stored. */
  git_info: unknown;
}

/** §3.1, in confab-web's order. `req` is the decoded body (already type-checked by the API's schema). */
export function validateInit(req: unknown, rule: ProviderRule = {}): ValidInit {
  if (!isObject(req)) throw bad('Invalid request body');
  rejectNul(req, '');
  const externalId = optString(req.external_id, 'external_id') ?? '';
  const transcriptPath = optString(req.transcript_path, 'transcript_path') ?? '';
  if (!externalId) throw bad('external_id is required');
  if (!transcriptPath) throw bad('transcript_path is required');
  tooLong('external_id', externalId, 512);
  if (hasLoneSurrogate(externalId)) throw bad('external_id must be valid UTF-8');
  tooLong('transcript_path', transcriptPath, 8192);
  const rawProvider = req.provider;
  let provider: string;
  if (rawProvider === undefined || rawProvider === null) provider = 'claude-code';
  else if (typeof rawProvider !== 'string') throw bad('provider must be a string');
  else provider = rawProvider;
  const allowed = rule.providers;
  if (allowed ? !allowed.includes(provider) : !SAFE_PROVIDER.test(provider)) {
    throw bad(`unknown provider "${provider}": must be one of ${(allowed ?? PROVIDERS_KNOWN_TO_CONFAB_WEB).join(', ')}`);
  }
  const meta = req.metadata;
  if (meta !== undefined && meta !== null && !isObject(meta)) throw bad('metadata must be an object');
  const m = (meta ?? {}) as Record<string, unknown>;
  const metaCwd = optString(m.cwd, 'metadata.cwd');
  const topCwd = optString(req.cwd, 'cwd');
  const cwd = metaCwd ? metaCwd : (topCwd ?? metaCwd);
  tooLong('cwd', cwd, 8192);
  const hostname = optString(m.hostname, 'metadata.hostname');
  tooLong('hostname', hostname, 255);
  const username = optString(m.username, 'metadata.username');
  tooLong('username', username, 255);
  const metaGit = m.git_info;
  const gitInfo = metaGit !== undefined && metaGit !== null ? metaGit : req.git_info === null ? undefined : req.git_info;
  validateGitInfo(gitInfo);
  return { provider, external_id: externalId, transcript_path: transcriptPath, cwd, hostname, username, git_info: gitInfo };
}

/** [strict] rule 19: a file name that maps onto one storage path, the same on every backend. */
export function fileNameProblem(name: string): string | undefined {
  if (name.startsWith('/')) return 'must not start with "/"';
  if (name.includes('\\')) return 'must not contain "\\"';
  if (name.includes('//')) return 'must not contain "//"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  if (hasLoneSurrogate(name)) return 'must be valid UTF-8';
  for (const seg of name.split('/')) {
    if (seg === '.' || seg === '..') return 'must not contain "." or ".." segments';
    if (seg === '') return 'must not end with "/"';
  }
  return undefined;
}

export interface ValidChunkMeta {
  git_info: unknown;
  summary: string | undefined;
  first_user_message: string | undefined;
  latest_message_at: number | undefined;
  created_at: number | undefined;
  model: string | undefined;
  codex_rollout: Record<string, string | undefined> | undefined;
}

export interface ValidChunk {
  session_id: string;
  file_name: string;
  file_type: string;
  first_line: number;
  lines: string[];
  last_line: number;
  metadata: ValidChunkMeta;
}

function validateCodexRollout(v: unknown): Record<string, string | undefined> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad('codex_rollout must be an object');
  const out: Record<string, string | undefined> = {};
  const limits: Record<string, number> = {
    thread_uuid: 64,
    parent_thread_uuid: 64,
    rollout_path: 8192,
    cwd: 8192,
    model: 255,
    source: 64,
    thread_source: 255,
    agent_path: 8192,
    agent_role: 255,
    agent_nickname: 255,
  };
  for (const key of Object.keys(v)) if (!(key in limits)) throw bad(`codex_rollout.${key} is not a known field`);
  for (const [key, max] of Object.entries(limits)) {
    const s = optString(v[key], `codex_rollout.${key}`);
    tooLong(`codex_rollout.${key}`, s, max);
    out[key] = s;
  }
  if (!out.thread_uuid) throw bad('codex_rollout.thread_uuid is required');
  if (!isUuid(out.thread_uuid)) throw bad('codex_rollout.thread_uuid must be a valid UUID');
  if (out.parent_thread_uuid !== undefined) {
    if (!isUuid(out.parent_thread_uuid)) throw bad('codex_rollout.parent_thread_uuid must be a valid UUID');
    if (out.parent_thread_uuid.toLowerCase() === out.thread_uuid.toLowerCase()) {
      throw bad('codex_rollout.parent_thread_uuid must differ from thread_uuid');
    }
  }
  if (!out.rollout_path) throw bad('codex_rollout.rollout_path is required');
  return out;
}

/** §3.2 steps 1–4 (everything before the ownership check), in confab-web's order. */
export function validateChunk(req: unknown): ValidChunk {
  if (!isObject(req)) throw bad('Invalid request body');
  rejectNul(req, '', (p) => p === 'lines');
  const sessionId = optString(req.session_id, 'session_id') ?? '';
  const fileName = optString(req.file_name, 'file_name') ?? '';
  const fileType = optString(req.file_type, 'file_type') ?? '';
  const firstLine = req.first_line ?? 0;
  const lines = req.lines ?? [];
  if (!sessionId) throw bad('session_id is required');
  if (!fileName) throw bad('file_name is required');
  if (!fileType) throw bad('file_type is required');
  if (fileType === 'todo') throw bad('todo file sync is no longer supported');
  if (typeof firstLine !== 'number' || !Number.isSafeInteger(firstLine)) throw bad('first_line must be an integer');
  if (firstLine < 1) throw bad('first_line must be >= 1');
  if (!Array.isArray(lines)) throw bad('lines must be an array of strings');
  if (lines.length === 0) throw bad('lines array cannot be empty');
  tooLong('file_name', fileName, 512);
  const problem = fileNameProblem(fileName);
  if (problem) throw bad(`file_name ${problem}`);
  if (!(FILE_TYPES as readonly string[]).includes(fileType)) throw bad(`file_type must be one of ${FILE_TYPES.join(', ')}`);
  if (fileType === 'workflow_journal' && !/^subagents\/workflows\/[^/]+\/journal\.jsonl$/.test(fileName)) {
    throw bad('workflow_journal files must be named subagents/workflows/<runId>/journal.jsonl');
  }
  const lastLine = firstLine + lines.length - 1;
  if (lastLine > MAX_LINE_NUMBER) throw bad(`last line ${lastLine} exceeds the maximum line number ${MAX_LINE_NUMBER}`);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (typeof line !== 'string') throw bad('lines must be an array of strings');
    if (line.includes('\n')) throw bad(`lines[${i}] contains a newline character`);
    if (hasLoneSurrogate(line)) throw bad(`lines[${i}] is not valid UTF-8`);
  }

  const meta = req.metadata;
  if (meta !== undefined && meta !== null && !isObject(meta)) throw bad('metadata must be an object');
  const m = (meta ?? {}) as Record<string, unknown>;
  const summary = optString(m.summary, 'summary');
  tooLong('summary', summary, 2048);
  const fum = optString(m.first_user_message, 'first_user_message');
  tooLong('first_user_message', fum, 8192);
  const model = optString(m.model, 'model');
  tooLong('model', model, 255);
  const timeField = (key: string): number | undefined => {
    const v = m[key];
    if (v === undefined || v === null) return undefined;
    const ms = parseRfc3339(v);
    if (ms === undefined) throw bad(`${key} must be an RFC 3339 time`);
    return ms;
  };
  const latest = timeField('latest_message_at');
  const created = timeField('created_at');
  const codex = validateCodexRollout(m.codex_rollout);
  if (fileType === 'transcript') validateGitInfo(m.git_info);
  return {
    session_id: sessionId,
    file_name: fileName,
    file_type: fileType,
    first_line: firstLine,
    lines: lines as string[],
    last_line: lastLine,
    metadata: {
      git_info: m.git_info === null ? undefined : m.git_info,
      summary,
      first_user_message: fum,
      latest_message_at: latest,
      created_at: created,
      model,
      codex_rollout: codex,
    },
  };
}

export interface ValidEvent {
  session_id: string;
  event_type: string;
  timestamp: string;
  payload: unknown;
}

/** §3.3, in confab-web's order. */
export function validateEvent(req: unknown): ValidEvent {
  if (!isObject(req)) throw bad('Invalid JSON body');
  rejectNul(req, '');
  const sessionId = optString(req.session_id, 'session_id') ?? '';
  const eventType = optString(req.event_type, 'event_type') ?? '';
  if (!sessionId) throw bad('session_id is required');
  if (!eventType) throw bad('event_type is required');
  if (eventType !== 'session_end') throw bad("invalid event_type: must be 'session_end'");
  if (req.timestamp === undefined || req.timestamp === null) throw bad('timestamp is required');
  const ms = parseRfc3339(req.timestamp);
  if (ms === undefined) throw bad('Invalid JSON body');
  if (isZeroTime(ms)) throw bad('timestamp is required');
  return { session_id: sessionId, event_type: eventType, timestamp: req.timestamp as string, payload: req.payload };
}

export function validateSummary(summary: unknown): string {
  if (typeof summary !== 'string') throw bad('Invalid request body');
  rejectNul(summary, 'summary');
  tooLong('summary', summary, 2048);
  return summary;
}

export interface GithubLinkInput {
  url: string;
  link_type?: string;
  title?: string;
  source: string;
}

export interface ValidGithubLink {
  url: string;
  link_type: 'pull_request' | 'commit';
  owner: string;
  repo: string;
  ref: string;
  title: string | undefined;
  source: string;
}

const PR_URL = /^https?:\/\/github\.com\/([^/\s?#]+)\/([^/\s?#]+)\/pull\/(\d+)(?:[/?#][^\s]*)?$/;
const COMMIT_URL = /^https?:\/\/github\.com\/([^/\s?#]+)\/([^/\s?#]+)\/commit\/([a-f0-9]+)(?:[/?#][^\s]*)?$/;

export function parseGithubUrl(url: string): Omit<ValidGithubLink, 'title' | 'source' | 'url'> | undefined {
  let m = PR_URL.exec(url);
  if (m) return { link_type: 'pull_request', owner: m[1]!, repo: m[2]!, ref: m[3]! };
  m = COMMIT_URL.exec(url);
  if (m) return { link_type: 'commit', owner: m[1]!, repo: m[2]!, ref: m[3]! };
  return undefined;
}

/** §4.2. */
export function validateGithubLink(req: unknown): ValidGithubLink {
  if (!isObject(req)) throw bad('Invalid request body');
  rejectNul(req, '');
  const url = optString(req.url, 'url') ?? '';
  if (!url) throw bad('URL is required');
  tooLong('url', url, 2048);
  const parsed = parseGithubUrl(url);
  if (!parsed) throw bad('invalid GitHub URL: must be a PR or commit URL');
  const linkType = optString(req.link_type, 'link_type');
  if (linkType && linkType !== parsed.link_type) throw bad(`link_type "${linkType}" does not match the URL (a ${parsed.link_type} URL)`);
  const source = optString(req.source, 'source') ?? '';
  if (source !== 'cli_hook' && source !== 'manual') throw bad("source must be 'cli_hook' or 'manual'");
  const title = optString(req.title, 'title');
  tooLong('title', title, 1024);
  return { url, ...parsed, title, source };
}
