import type { StoredFile, StoredSession } from '../../store/session-store.js';

/** What the sessions list shows of one session. */
export interface SessionRow {
  id: string;
  provider: string;
  project: string;
  title: string;
  started: string;
  last_activity: string;
  lines: number;
  bytes: number;
  files: number;
}

export function sessionRow(s: StoredSession): SessionRow {
  return {
    id: s.session_id,
    provider: s.provider,
    project: projectName(s),
    title: sessionTitle(s),
    started: s.first_seen,
    last_activity: lastActivity(s),
    lines: s.files.reduce((n, f) => n + f.last_synced_line, 0),
    bytes: s.files.reduce((n, f) => n + f.bytes, 0),
    files: s.files.length,
  };
}

/** The summary, else the first user message (first non-empty line), else a placeholder. */
export function sessionTitle(s: Pick<StoredSession, 'summary' | 'first_user_message'>): string {
  const summary = s.summary?.trim();
  if (summary) return clipTitle(summary);
  const first = firstNonEmptyLine(s.first_user_message ?? '');
  return first ? clipTitle(first) : '(untitled session)';
}

/** Line by line up to the first one with text: a long first message is not split whole. */
function firstNonEmptyLine(text: string): string | undefined {
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    if (line) return line;
    start = end + 1;
  }
  return undefined;
}

function clipTitle(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
}

/** The cwd's last segment; without a cwd, the directory holding the transcript. */
export function projectName(s: Partial<Pick<StoredSession, 'cwd' | 'transcript_path'>>): string {
  const base = (p: string | undefined) => (p === undefined ? undefined : lastSegment(p));
  const fromCwd = base(s.cwd);
  if (fromCwd) return fromCwd;
  const dir = s.transcript_path?.replace(/[\\/][^\\/]*$/, '');
  return base(dir) || '—';
}

/** The last path segment, trailing separators ignored; by scanning, as paths are untrusted and can be long. */
function lastSegment(p: string): string {
  const isSeparator = (i: number) => p[i] === '/' || p[i] === '\\';
  let end = p.length;
  while (end > 0 && isSeparator(end - 1)) end--;
  let start = end;
  while (start > 0 && !isSeparator(start - 1)) start--;
  return p.slice(start, end);
}

export function lastActivity(s: StoredSession): string {
  return s.last_message_at ?? s.last_sync_at;
}

/** The file a session page opens on: the transcript, else the first file. */
export function mainFile<F extends Pick<StoredFile, 'file_type'>>(s: { files: readonly F[] }): F | undefined {
  return s.files.find((f) => f.file_type === 'transcript') ?? s.files[0];
}

export interface GithubLinkView {
  href: string;
  label: string;
  title?: string;
}

/**
 * The pull requests and commits recorded for a session (`github_links`, which stores that
 * know GitHub links carry), validated here: only https://github.com/ URLs become links.
 */
export function githubLinks(s: Partial<Pick<StoredSession, 'github_links'>>): GithubLinkView[] {
  const raw = (s as { github_links?: unknown }).github_links;
  if (!Array.isArray(raw)) return [];
  const out: GithubLinkView[] = [];
  for (const l of raw) {
    if (typeof l !== 'object' || l === null) continue;
    const { url, link_type, owner, repo, ref, title } = l as unknown as Record<string, unknown>;
    if (typeof url !== 'string' || !/^https:\/\/github\.com\//.test(url)) continue;
    if (typeof owner !== 'string' || typeof repo !== 'string' || typeof ref !== 'string') continue;
    const label = link_type === 'pull_request' ? `${owner}/${repo}#${ref}` : `${owner}/${repo}@${ref.slice(0, 7)}`;
    out.push({ href: url, label, title: typeof title === 'string' ? title : undefined });
  }
  return out;
}
