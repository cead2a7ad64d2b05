import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort, Sandbox, waitFor } from './helpers/sandbox.js';

describe('test sandbox', () => {
  it('gives each sandbox its own HOME and kills detached processes it started', async () => {
    const sbx = new Sandbox();
    expect(sbx.env.HOME).toBe(sbx.home);
    expect(sbx.home).not.toBe(process.env.HOME);
    // A detached grandchild, as a hook-spawned daemon would be: no handle points to it.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: sbx.env, detached: true, stdio: 'ignore' });
    child.unref();
    const pid = child.pid as number;
    await waitFor(() => sbx.strayPids().includes(pid), { what: 'the detached process to be visible' });
    await sbx.cleanup();
    await waitFor(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { what: 'the detached process to die' },
    );
  });

  it('finds free loopback ports', async () => {
    const a = await freePort();
    expect(a).toBeGreaterThan(0);
  });
});
