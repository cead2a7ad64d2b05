#!/usr/bin/env node
// Fills npm's cache with everything installing the packed package needs, so the suite's
// install tests (test/e2e/package-install.test.ts) can install it with `--offline`.
// `npm ci` caches only the tarballs this checkout's lockfile pins; a user's install of the
// package resolves its dependency ranges afresh, which needs the registry's metadata and
// possibly newer tarballs. This is the one step of the test command that may reach the
// registry (like `npm ci` before it); on a machine whose cache already holds it all, it does not.
// No install scripts run: only what npm downloads matters here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'confab-install-cache-'));
const npm = (args, cwd) => spawnSync('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

try {
  const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
  if (packed.status !== 0) throw new Error('npm pack failed');
  const tarball = join(work, JSON.parse(packed.stdout)[0].filename);
  const installed = npm(['install', '--global', '--prefer-offline', '--ignore-scripts', '--prefix', join(work, 'prefix'), tarball], work);
  if (installed.status !== 0) throw new Error('installing the packed package failed');
  console.log('npm cache holds what installing the packed package needs');
} catch (err) {
  console.error(`✗ ${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
