import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

/**
 * A real repository: branch `main`, one commit by "Test User", origin with a token in its
 * URL (which must never reach metadata), an `upstream` remote with a separate push URL,
 * and `main` tracking origin.
 */
export function makeRepo(dir: string): { dir: string; sha: string } {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Test User');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  writeFileSync(join(dir, 'README.md'), '# app\n');
  git(dir, 'add', 'README.md');
  git(dir, 'commit', '-q', '-m', 'Initial commit');
  git(dir, 'remote', 'add', 'origin', 'https://x-access-token:ghp_SECRETTOKEN123@github.com/acme/app.git');
  git(dir, 'remote', 'add', 'upstream', 'git@github.com:upstream/app.git');
  git(dir, 'remote', 'set-url', '--push', 'upstream', 'git@github.com:me/app.git');
  git(dir, 'config', 'branch.main.remote', 'origin');
  return { dir, sha: git(dir, 'rev-parse', 'HEAD') };
}
