/**
 * GitHub URLs for session links: the repository of a git remote, a pull request URL in a
 * tool's output, and a commit's page.
 */

/** The shapes of a github.com remote git accepts: `git@github.com:o/r`, `ssh://`, `https://`, `git://`. */
const SCP_LIKE = /^(?:[^@/\s]+@)?github\.com:([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/i;
const NAME = /^[A-Za-z0-9._-]+$/;

/**
 * `https://github.com/<owner>/<repo>` for a github.com remote URL, or undefined for any other
 * host (GitHub Enterprise included) or a URL that names no repository. Credentials in the
 * remote (`https://user:token@github.com/…`) never reach the result.
 */
export function githubRepoUrl(remote: string): string | undefined {
  const text = remote.trim();
  let owner: string | undefined;
  let repo: string | undefined;
  const scp = SCP_LIKE.exec(text);
  if (scp && !text.includes('://')) {
    [, owner, repo] = scp;
  } else {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return undefined;
    }
    if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:'].includes(url.protocol) || url.hostname.toLowerCase() !== 'github.com') return undefined;
    const parts = url.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts.length !== 2) return undefined;
    [owner, repo] = parts;
    repo = repo?.replace(/\.git$/i, '');
  }
  if (!owner || !repo || !NAME.test(owner) || !NAME.test(repo) || repo === '.' || repo === '..') return undefined;
  return `https://github.com/${owner}/${repo}`;
}

/** A commit's page: `https://github.com/<owner>/<repo>/commit/<full sha, lowercase>`. */
export function commitUrl(repoUrl: string, sha: string): string | undefined {
  const hex = sha.trim().toLowerCase();
  return /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(hex) ? `${repoUrl}/commit/${hex}` : undefined;
}

const PULL_URL = /https:\/\/github\.com\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+\/pull\/\d+/;

/** The first `https://github.com/<owner>/<repo>/pull/<n>` in a tool's output. */
export function pullRequestUrlIn(text: string): string | undefined {
  return PULL_URL.exec(text)?.[0];
}
