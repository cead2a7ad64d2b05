#!/usr/bin/env node
// `npm run test:real`: install the pinned Claude Code CLI under test/real (only when it is
// missing or another version), then run the real-client suite. Arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const pinned = JSON.parse(readFileSync(`${here}package.json`, 'utf8')).devDependencies['@anthropic-ai/claude-code'];
const installedManifest = `${here}node_modules/@anthropic-ai/claude-code/package.json`;
const installed = existsSync(installedManifest) ? JSON.parse(readFileSync(installedManifest, 'utf8')).version : null;

if (installed !== pinned) {
  console.log(`installing @anthropic-ai/claude-code@${pinned} under test/real (found ${installed ?? 'none'})`);
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
