import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// No test may touch the real ~/.claude or ~/.confab: every test file runs with HOME pointed
// at a fresh temp dir (os.homedir() follows HOME), and confab's env overrides cleared.
const home = mkdtempSync(join(tmpdir(), 'confab-test-home-'));
process.env.HOME = home;
for (const key of Object.keys(process.env)) {
  if (key.startsWith('CONFAB_') && key !== 'CONFAB_TEST_SKIP_BUILD') delete process.env[key];
}
// XDG dirs (oclif's plugin data dir, cosmiconfig's global config) then derive from that HOME.
for (const key of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME']) delete process.env[key];
afterAll(() => rmSync(home, { recursive: true, force: true }));
