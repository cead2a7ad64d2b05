/**
 * A daemon's start, out of the way of the hook that spawned it: the agent waits on the hook,
 * not on the daemon, and on a machine of few cores the daemon's start-up (compiling and
 * loading the sync engine) would otherwise compete with the hook's last steps for the CPU.
 */

/** Environment variable naming the process a daemon lets finish before it loads the sync engine. */
export const START_AFTER_EXIT_OF = 'CONFAB_START_AFTER_EXIT_OF';

/** Environment for a daemon spawned by `pid`: it starts loading once `pid` has exited. */
export function startAfterExitOf(env: NodeJS.ProcessEnv, pid: number): NodeJS.ProcessEnv {
  return { ...env, [START_AFTER_EXIT_OF]: String(pid) };
}

/**
 * Resolve once the process named by the environment (see startAfterExitOf) has exited, or
 * after `maxMs` (a hook that hangs does not hold its daemon back for long). Only a direct
 * parent is waited for: its exit re-parents this process, which is what is watched (a
 * zombie not yet reaped still answers signal 0). Removes the variable, so the daemon's own
 * children never see it.
 */
export function spawnerExited(maxMs = 1_000): Promise<void> {
  const pid = Number(process.env[START_AFTER_EXIT_OF]);
  delete process.env[START_AFTER_EXIT_OF];
  if (!Number.isInteger(pid) || pid <= 1 || process.ppid !== pid) return Promise.resolve();
  const deadline = Date.now() + maxMs;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (process.ppid === pid && Date.now() < deadline) return;
      clearInterval(timer);
      resolve();
    }, 2);
  });
}
