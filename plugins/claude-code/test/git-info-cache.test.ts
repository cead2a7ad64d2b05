import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GIT_INFO_TTL_MS, GitInfoCache } from '../src/git-info.js';
import { git, makeRepo } from './git-repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('GitInfoCache', () => {
  it('reuses a lookup for a branch and cwd until its time is up, then reads git again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'confab-gitcache-'));
    dirs.push(root);
    const { dir } = makeRepo(join(root, 'app'));
    let now = 1_000_000;
    const cache = new GitInfoCache(undefined, () => now);
    expect((await cache.forBranch('main', dir)).repo_url).toBe('https://github.com/acme/app.git');

    git(dir, 'remote', 'set-url', 'origin', 'https://github.com/acme/renamed.git');
    now += GIT_INFO_TTL_MS - 1;
    expect((await cache.forBranch('main', dir)).repo_url).toBe('https://github.com/acme/app.git');
    // Another branch is another lookup.
    expect((await cache.forBranch('feature', dir)).repo_url).toBe('https://github.com/acme/renamed.git');

    now += 2;
    expect((await cache.forBranch('main', dir)).repo_url).toBe('https://github.com/acme/renamed.git');
    expect(GIT_INFO_TTL_MS).toBeGreaterThanOrEqual(5 * 60_000);
  });
});
