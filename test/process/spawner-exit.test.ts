import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, useSandbox, waitFor } from '../helpers/sandbox.js';

const sandbox = useSandbox();
const MODULE = join(REPO_ROOT, 'dist', 'process', 'spawner-exit.js');

/**
 * A parent that spawns a detached child (as a hook spawns its daemon) and names itself, or
 * another process, or nothing in the child's environment. The child waits for its spawner
 * (for up to a minute) and records whether the parent had exited by then, and whether the
 * variable was left in its env. A parent that names itself exits once the child runs; the
 * others stay until the child has recorded what it saw, so a child that waits for them
 * never records anything.
 */
async function spawnedChildSees(dir: string, named: 'parent' | 'other' | 'none'): Promise<{ parentHadExited: boolean; variableLeft: boolean }> {
  const child = `
    const { writeFileSync, existsSync } = await import('node:fs');
    const { spawnerExited, START_AFTER_EXIT_OF } = await import(${JSON.stringify(MODULE)});
    writeFileSync(${JSON.stringify(join(dir, 'started'))}, '');
    await spawnerExited(60_000);
    writeFileSync(${JSON.stringify(join(dir, 'result.json'))}, JSON.stringify({ parentHadExited: existsSync(${JSON.stringify(join(dir, 'exited'))}), variableLeft: START_AFTER_EXIT_OF in process.env }));
  `;
  const parent = `
    const { spawn } = require('node:child_process');
    const { existsSync, writeFileSync } = require('node:fs');
    const named = ${JSON.stringify(named)};
    setTimeout(() => process.exit(3), 20_000);
    const env = { ...process.env };
    if (named !== 'none') env.CONFAB_START_AFTER_EXIT_OF = String(named === 'parent' ? process.pid : 1234567);
    spawn(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(child)}], { detached: true, stdio: 'ignore', env }).unref();
    const poll = setInterval(() => {
      if (!existsSync(${JSON.stringify(join(dir, named === 'parent' ? 'started' : 'result.json'))})) return;
      clearInterval(poll);
      writeFileSync(${JSON.stringify(join(dir, 'exited'))}, '');
      process.exit(0);
    }, 1);
  `;
  const res = await sandbox().exec(process.execPath, ['-e', parent]);
  expect(res.code, res.stderr).toBe(0);
  const result = join(dir, 'result.json');
  await waitFor(() => existsSync(result), { what: 'the child to record what it saw', timeoutMs: 20_000 });
  return JSON.parse(readFileSync(result, 'utf8')) as { parentHadExited: boolean; variableLeft: boolean };
}

describe('a daemon spawned by a hook', () => {
  it('goes on only once the hook that spawned it has exited, and keeps the variable from its own children', async () => {
    expect(await spawnedChildSees(sandbox().dir('waits'), 'parent')).toEqual({ parentHadExited: true, variableLeft: false });
  });

  it('does not wait for a process that is not its parent, nor without the variable', async () => {
    expect(await spawnedChildSees(sandbox().dir('other'), 'other')).toEqual({ parentHadExited: false, variableLeft: false });
    expect(await spawnedChildSees(sandbox().dir('none'), 'none')).toEqual({ parentHadExited: false, variableLeft: false });
  });
});
