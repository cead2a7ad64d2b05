import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, parse as parsePath, resolve } from 'node:path';

/** Where a project config may live, in the order cosmiconfig looks in each directory. */
export const PROJECT_CONFIG_FILES = [
  'package.json',
  '.confabrc',
  '.confabrc.json',
  '.confabrc.yaml',
  '.confabrc.yml',
  '.confabrc.js',
  '.confabrc.mjs',
  '.confabrc.cjs',
  '.confabrc.ts',
  '.confabrc.mts',
  'confab.config.js',
  'confab.config.mjs',
  'confab.config.cjs',
  'confab.config.ts',
  'confab.config.mts',
  'confab.config.json',
];

/**
 * Cheap pre-check for the hook path: is there any candidate file from `cwd` up to the root?
 * (Loading cosmiconfig and a TypeScript loader costs far more than these stats, and almost
 * no directory has a project config.) `package.json` only counts with a `confab` key.
 */
export function hasProjectConfigCandidate(cwd: string): boolean {
  if (!cwd) return false;
  let dir = resolve(cwd);
  const root = parsePath(dir).root;
  for (;;) {
    for (const name of PROJECT_CONFIG_FILES) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      if (name !== 'package.json') return true;
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        if (pkg && typeof pkg === 'object' && 'confab' in pkg) return true;
      } catch {
        // an unreadable package.json is not a confab config
      }
    }
    if (dir === root) return false;
    dir = dirname(dir);
  }
}
