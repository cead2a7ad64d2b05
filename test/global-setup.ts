import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Spawned CLI processes (hooks, daemons) run the built dist/, so build it once per run.
// scripts/test.mjs has already built and sets CONFAB_TEST_SKIP_BUILD.
export default function setup(): void {
  // Tests run with a temporary HOME; the install tests read the npm cache `npm ci` filled for
  // this checkout (offline), so where it lives is settled here, under the real HOME.
  if (!process.env.npm_config_cache) {
    const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
    if (cache) process.env.npm_config_cache = cache;
  }
  if (process.env.CONFAB_TEST_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const res = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('build failed; see the output above');
}
