import type { Backend } from '../backend/backend.js';
import { resolveSettings, type Settings } from '../config/settings.js';
import { createFileLogger, type Logger } from '../log.js';
import type { Provider } from '../provider/contract.js';
import { getProvider } from '../provider/registry.js';
import type { DaemonHooks } from './daemon-hooks.js';
import { Daemon, type DaemonOptions, type DaemonExit } from './daemon.js';
import type { SessionIdentity } from './hook-types.js';
import { parseLaunchInput, type LaunchInput } from './launch.js';
import { daemonLogPath } from './spawn.js';
import { removeStateIfOwned } from './state-store.js';
import { createChokidarWatcher } from './watch.js';

/** What the background daemon needs from the rest of confab, injected so core stays small. */
export interface DaemonWiring {
  /** Build the backend for these settings (re-run after an auth failure). */
  openBackend: (settings: Settings, log: Logger) => Promise<Backend>;
  createEngine: DaemonOptions['createEngine'];
  /**
   * Install the built-in taps that depend on settings (redaction), on a daemon or on the
   * hooks of a one-shot upload (`confab save`).
   */
  applySettings?: (target: { readonly hooks: DaemonHooks }, settings: Settings, log: Logger) => void;
  /** Load configured provider plugins before the provider is looked up. */
  loadPlugins?: (settings: Settings, log: Logger) => Promise<void>;
}

/**
 * Build a Daemon for a launch: settings from the session's cwd (user config, project
 * config, env), the provider's taps, the project's `apply`, a chokidar watcher.
 */
export async function createDaemonForLaunch(launch: LaunchInput, wiring: DaemonWiring, log: Logger): Promise<Daemon | undefined> {
  let settings = await resolveSettings({ cwd: launch.cwd });
  for (const w of settings.warnings) log.warn(w);
  if (!settings.enabled) {
    log.info('sync disabled by project config; exiting', { config: settings.projectFile });
    return undefined;
  }
  await wiring.loadPlugins?.(settings, log);
  const provider = await getProvider(launch.provider);
  const daemon = new Daemon(
    {
      provider: provider.name,
      externalId: launch.external_id,
      transcriptPath: launch.transcript_path,
      cwd: launch.cwd,
      parentPid: launch.parent_pid ?? 0,
      syncIntervalMs: settings.intervalMs,
      syncIntervalJitterMs: settings.jitterMs,
    },
    {
      // Re-read the config each time: after a 401 the user may have logged in again.
      backend: async () => {
        settings = await resolveSettings({ cwd: launch.cwd });
        return wiring.openBackend(settings, log);
      },
      createEngine: wiring.createEngine,
      log,
      handleSignals: true,
      manageState: true,
      watch: (onChange) => createChokidarWatcher(onChange, (err) => log.warn(`file watcher error: ${String(err)}`)),
    },
  );
  applySessionTaps(
    daemon,
    provider,
    { provider: provider.name, externalId: launch.external_id, transcriptPath: launch.transcript_path, cwd: launch.cwd },
    settings,
    wiring,
    log,
  );
  return daemon;
}

/**
 * Tap a session's hooks the way every upload of it is tapped — by the background daemon and
 * by a one-shot `confab save` alike: the provider's taps (sidechains, chunk metadata), then
 * confab's own for these settings (redaction), then the project config's `apply`.
 */
export function applySessionTaps(
  target: { readonly hooks: DaemonHooks },
  provider: Provider,
  session: SessionIdentity,
  settings: Settings,
  wiring: Pick<DaemonWiring, 'applySettings'>,
  log: Logger,
): void {
  provider.apply?.({ hooks: target.hooks, provider: provider.name, externalId: session.externalId, transcriptPath: session.transcriptPath, cwd: session.cwd });
  wiring.applySettings?.(target, settings, log);
  settings.apply?.(target);
}

/**
 * The `--bg-daemon` entry: run one session's daemon to completion, then exit the process
 * (pending sockets must not keep a finished daemon alive).
 */
export async function runBackgroundDaemon(launchJson: string, wiring: DaemonWiring): Promise<never> {
  let launch: LaunchInput;
  try {
    launch = parseLaunchInput(launchJson);
  } catch (err) {
    process.stderr.write(`confab daemon: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const log = createFileLogger(daemonLogPath(launch.provider, launch.external_id)).child(`[ext=${launch.external_id.slice(0, 8)}]`);
  process.on('uncaughtException', (err) => {
    log.error(`uncaught: ${err.message}`);
  });
  process.on('unhandledRejection', (err) => {
    log.error(`unhandled rejection: ${err instanceof Error ? err.message : String(err)}`);
  });
  let exit: DaemonExit | undefined;
  try {
    log.info('daemon starting', { pid: process.pid, provider: launch.provider });
    const daemon = await createDaemonForLaunch(launch, wiring, log);
    if (daemon) exit = await daemon.run();
    else await removeStateIfOwned(launch.provider, launch.external_id, process.pid);
  } catch (err) {
    log.error(`daemon failed to start: ${err instanceof Error ? err.message : String(err)}`);
    await removeStateIfOwned(launch.provider, launch.external_id, process.pid).catch(() => {});
    process.exit(1);
  }
  log.info('daemon exiting', { reason: exit?.reason ?? 'disabled', pending: exit?.pending ?? false });
  process.exit(0);
}
