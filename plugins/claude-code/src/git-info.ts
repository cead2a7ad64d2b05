import { stripUrlCredentials, type GitInfo, type GitRemote } from 'confab-cli/provider';
import { execFile } from 'node:child_process';

/**
 * Git facts for session metadata, read with the `git` CLI. Every call has a short timeout
 * and never throws: a missing git, a slow repository or a cwd that is gone just yields less
 * information. `git status` runs without optional locks so confab never contends with the
 * user's own git commands for the index lock.
 */

/** Per git invocation. */
export const GIT_TIMEOUT_MS = 3000;

// The backend rejects git_info beyond these (confab-web-api.md §6.3).
const MAX_REMOTES = 50;
const MAX_REMOTE_NAME = 256;
const MAX_URL = 2048;

const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_OPTIONAL_LOCKS: '0',
  LC_ALL: 'C',
};

/** stdout of `git <args>` in `cwd` without its trailing newline, or undefined on any failure. */
export function git(cwd: string, args: readonly string[], timeoutMs = GIT_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile('git', args as string[], { cwd, env: GIT_ENV, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true }, (err, stdout) => {
        resolve(err ? undefined : stdout.replace(/\r?\n$/, ''));
      });
    } catch {
      resolve(undefined);
    }
  });
}

/** Parse `git remote -v`: one entry per remote name, fetch and push URLs merged. */
export function parseRemotes(output: string): GitRemote[] {
  const byName = new Map<string, GitRemote>();
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+(\S+)(?:\s+\((fetch|push)\))?\s*$/.exec(line.trim());
    if (!m) continue;
    const [, name = '', rawUrl = '', kind] = m;
    const url = stripUrlCredentials(rawUrl);
    if (!name || !url || name.length > MAX_REMOTE_NAME || url.length > MAX_URL) continue;
    let remote = byName.get(name);
    if (!remote) {
      if (byName.size >= MAX_REMOTES) continue;
      remote = { name, fetch_url: '', push_url: '' };
      byName.set(name, remote);
    }
    if (kind === 'push') remote.push_url = url;
    else if (kind === 'fetch') remote.fetch_url = url;
    else {
      remote.fetch_url ||= url;
      remote.push_url ||= url;
    }
  }
  return [...byName.values()].filter((r) => r.fetch_url !== '' || r.push_url !== '');
}

interface RepoFacts {
  repo_url?: string;
  remotes?: GitRemote[];
  tracking_remote?: string;
}

async function repoFacts(cwd: string, branch: string | undefined): Promise<RepoFacts> {
  const [originUrl, remotesOut, tracking] = await Promise.all([
    git(cwd, ['config', '--get', 'remote.origin.url']),
    git(cwd, ['remote', '-v']),
    branch && branch !== 'HEAD' ? git(cwd, ['config', '--get', `branch.${branch}.remote`]) : Promise.resolve(undefined),
  ]);
  const facts: RepoFacts = {};
  if (originUrl) {
    const url = stripUrlCredentials(originUrl.trim());
    if (url && url.length <= MAX_URL) facts.repo_url = url;
  }
  const remotes = remotesOut ? parseRemotes(remotesOut) : [];
  if (remotes.length > 0) facts.remotes = remotes;
  const trackingRemote = tracking?.trim();
  if (trackingRemote && trackingRemote.length <= MAX_REMOTE_NAME) facts.tracking_remote = trackingRemote;
  return facts;
}

/** Is `cwd` inside a git work tree? */
export async function isInsideWorkTree(cwd: string): Promise<boolean> {
  if (!cwd) return false;
  return (await git(cwd, ['rev-parse', '--is-inside-work-tree']))?.trim() === 'true';
}

/**
 * Full git info for a directory (the Go CLI's `DetectGitInfo`): repo URL, branch (`HEAD`
 * when detached), commit, message, author, dirtiness, remotes, tracking remote. Undefined
 * outside a work tree.
 */
export async function detectGitInfo(cwd: string): Promise<GitInfo | undefined> {
  if (!(await isInsideWorkTree(cwd))) return undefined;
  const [branch, sha, message, author, status] = await Promise.all([
    git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(cwd, ['rev-parse', 'HEAD']),
    git(cwd, ['log', '-1', '--format=%s']),
    git(cwd, ['log', '-1', '--format=%an <%ae>']),
    git(cwd, ['status', '--porcelain']),
  ]);
  const b = branch?.trim() || undefined;
  const facts = await repoFacts(cwd, b);
  const info: GitInfo = { is_dirty: (status ?? '').trim() !== '' };
  if (facts.repo_url) info.repo_url = facts.repo_url;
  if (b) info.branch = b;
  if (sha?.trim()) info.commit_sha = sha.trim();
  if (message?.trim()) info.commit_message = message.trim();
  if (author?.trim() && author.trim() !== '<>') info.author = author.trim();
  if (facts.remotes) info.remotes = facts.remotes;
  if (facts.tracking_remote) info.tracking_remote = facts.tracking_remote;
  return info;
}

/**
 * Git info for a transcript line that names its branch (`gitBranch`): the branch as
 * recorded, plus repo URL, remotes and tracking remote read from the line's cwd when it
 * is still a repository. Dirtiness is not probed (as in the Go CLI): `is_dirty` is false.
 */
export async function gitInfoForBranch(branch: string, cwd: string | undefined): Promise<GitInfo> {
  const info: GitInfo = { branch, is_dirty: false };
  if (!cwd) return info;
  const facts = await repoFacts(cwd, branch);
  if (facts.repo_url) info.repo_url = facts.repo_url;
  if (facts.remotes) info.remotes = facts.remotes;
  if (facts.tracking_remote) info.tracking_remote = facts.tracking_remote;
  return info;
}

/** How long a daemon trusts a repository's remotes (they change rarely; a branch comes from the line). */
export const GIT_INFO_TTL_MS = 10 * 60_000;

/**
 * Remembers `gitInfoForBranch` results for a while: a daemon sees the same (branch, cwd)
 * on every chunk, and each lookup costs three git processes (with a one-minute cache, that was
 * three git processes a minute for every live session, each spawn a few ms of the daemon's CPU).
 */
export class GitInfoCache {
  private readonly entries = new Map<string, { at: number; info: Promise<GitInfo> }>();

  constructor(private readonly ttlMs = GIT_INFO_TTL_MS, private readonly now: () => number = Date.now) {}

  forBranch(branch: string, cwd: string | undefined): Promise<GitInfo> {
    const key = `${branch}\0${cwd ?? ''}`;
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.info;
    const info = gitInfoForBranch(branch, cwd);
    this.entries.set(key, { at: this.now(), info });
    if (this.entries.size > 32) this.entries.delete(this.entries.keys().next().value as string);
    return info;
  }
}
