import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The confab package version, read once from its package.json (dist/ and src/ sit one level below it). */
export function confabVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : 'dev';
  } catch {
    cached = 'dev';
  }
  return cached;
}
