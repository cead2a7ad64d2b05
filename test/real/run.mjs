#!/usr/bin/env node
// `npm run test:real`: install the pinned client CLIs (Claude Code, Codex) under test/real
// (only when one is missing or another version), then run the real-client suite. Arguments
// go to vitest.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const pins = JSON.parse(readFileSync(`${here}package.json`, 'utf8')).devDependencies;

function installedVersion(pkg) {
  const manifest = `${here}node_modules/${pkg}/package.json`;
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : null;
}

const stale = Object.entries(pins).filter(([pkg, pinned]) => installedVersion(pkg) !== pinned);
if (stale.length > 0) {
  for (const [pkg, pinned] of stale) console.log(`installing ${pkg}@${pinned} under test/real (found ${installedVersion(pkg) ?? 'none'})`);
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error('npm ci in test/real failed; see the output above');
    process.exit(res.status ?? 1);
  }
}

const res = spawnSync(`${root}node_modules/.bin/vitest`, ['run', '--config', 'test/real/vitest.config.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
