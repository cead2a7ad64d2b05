/**
 * A daemon process's entry (`dist/daemon.cjs`, see scripts/bundle-hook.mjs): `bin/run.js`
 * hands it the `--bg-daemon` launch JSON without loading the hook bundle. A daemon lives for
 * the whole session, so every byte of source it loads stays in its heap (V8 keeps it for lazy
 * compilation): one minified bundle is a fraction of the hook bundle plus the ~90 modules of
 * dist/ it would otherwise load.
 */
import { announceDaemonLaunch } from '../daemon/readiness.js';
import { spawnerExited } from '../process/spawner-exit.js';

export async function runDaemonMain(launchJson: string): Promise<never> {
  // Stop signals are caught before the sync engine loads (daemon/readiness.ts).
  announceDaemonLaunch(launchJson);
  await spawnerExited();
  const { runDaemonProcess } = await import('./wiring.js');
  return runDaemonProcess(launchJson);
}
