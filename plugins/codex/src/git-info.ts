import { stripUrlCredentials, type GitInfo, type GitRemote } from 'confab-cli/provider';
import { execFile } from 'node:child_process';

/**
 * Git facts about a session's working directory, for `POST /sync/init`. Each git call has
 * a short timeout and failures only mean less information. `GIT_OPTIONAL_LOCKS=0` keeps
 * `git status` from taking the index lock the user's own git commands need.
 */

const GIT_TIMEOUT_MS = 3000;
// The backend's limits on git_info (confab-web-api.md §6.3): beyond them it answers 400.
const MAX_REMOTES = 50;
const MAX_NAME = 256;
const MAX_URL = 2048;

function runGit(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile(
        'git',
        args,
        {
          cwd,
          timeout: GIT_TIMEOUT_MS,
          maxBuffer: 4 * 1024 * 1024,
          env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
        },
        (err, stdout) => resolve(err ? undefined : stdout.trim()),
      );
    } catch {
      resolve(undefined);
    }
  });
}

/** `git remote -v` → one entry per remote name with its fetch and push URLs. */
export function parseRemotes(output: string): GitRemote[] {
  const remotes = new Map<string, GitRemote>();
  for (const raw of output.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+\((fetch|push)\)$/.exec(raw.trim());
    if (!m) continue;
    const name = m[1] as string;
    const url = stripUrlCredentials(m[2] as string);
    if (name.length > MAX_NAME || url.length > MAX_URL) continue;
    let remote = remotes.get(name);
    if (!remote) {
      if (remotes.size >= MAX_REMOTES) continue;
      remote = { name, fetch_url: '', push_url: '' };
      remotes.set(name, remote);
    }
    if (m[3] === 'fetch') remote.fetch_url = url;
    else remote.push_url = url;
  }
  return [...remotes.values()];
}

/**
 * Full git info for `cwd` when it is inside a work tree that has at least one remote;
 * undefined otherwise. The object is complete or absent, never partial or `null`.
 */
export async function gitInfoWithRemotes(cwd: string): Promise<GitInfo | undefined> {
  if (!cwd || (await runGit(cwd, ['rev-parse', '--is-inside-work-tree'])) !== 'true') return undefined;
  const remotesOut = await runGit(cwd, ['remote', '-v']);
  const remotes = remotesOut ? parseRemotes(remotesOut) : [];
  if (remotes.length === 0) return undefined;
  const [branch, sha, subject, author, status, origin] = await Promise.all([
    runGit(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    runGit(cwd, ['rev-parse', 'HEAD']),
    runGit(cwd, ['log', '-1', '--format=%s']),
    runGit(cwd, ['log', '-1', '--format=%an <%ae>']),
    runGit(cwd, ['status', '--porcelain']),
    runGit(cwd, ['config', '--get', 'remote.origin.url']),
  ]);
  const tracking = branch && branch !== 'HEAD' ? await runGit(cwd, ['config', '--get', `branch.${branch}.remote`]) : undefined;
  const info: GitInfo = { is_dirty: (status ?? '') !== '' };
  if (origin) {
    const url = stripUrlCredentials(origin);
    if (url.length <= MAX_URL) info.repo_url = url;
  }
  if (branch) info.branch = branch;
  if (sha) info.commit_sha = sha;
  if (subject) info.commit_message = subject;
  if (author && author !== '<>') info.author = author;
  info.remotes = remotes;
  if (tracking && tracking.length <= MAX_NAME) info.tracking_remote = tracking;
  return info;
}
