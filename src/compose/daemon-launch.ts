import type { Backend } from '../backend/backend.js';
import { resolveSettings, type Settings } from '../config/settings.js';
import { bindingTarget } from '../daemon/binding.js';
import { createFileLogger, type Logger } from '../log.js';
import type { LoadedPlugin } from '../plugin/load.js';
import { describePlugin } from '../config/plugin-spec.js';
import { getProvider, registerProvider } from '../provider/registry.js';
import type { DaemonHandle, Provider } from '../provider/contract.js';
import type { DaemonHooks } from '../extension/daemon-hooks.js';
import { Daemon, type DaemonOptions, type DaemonExit } from '../daemon/daemon.js';
import { parseLaunchInput, type LaunchInput } from '../daemon/launch.js';
import { daemonLogPath } from '../daemon/spawn.js';
import { existsSync } from 'node:fs';
import { tryLock } from '../fs/lock.js';
import { readPending, removePending } from '../daemon/pending.js';
import { drainLockPath } from '../daemon/resume.js';
import { removeStateIfOwned } from '../daemon/state-store.js';
import { pruneDaemonLogs } from '../daemon/reaper.js';
import { createChokidarWatcher } from '../daemon/watch.js';
import { backlogMeter, raiseJitTier, runsAtBaselineTier } from '../process/jit-tier.js';
import type { LinePrefetcher } from '../sync/chunker.js';

/**
 * What `applySettings` leaves to its caller when asked to `readAhead` (a one-shot backfill):
 * work on lines ahead of the `line` hook for the engine, to close once the upload is done.
 */
export interface SettingsTaps {
  prefetcher?: LinePrefetcher;
  close?(): Promise<void>;
}

/** What the background daemon needs from the rest of confab, injected so core stays small. */
export interface DaemonWiring {
  /**
   * Build the backend for these settings (re-run after an auth failure). `deferIndex`: the
   * embedded store marks what it stores for a later search-index catch-up instead of indexing
   * it as it goes (a backfill).
   */
  openBackend: (settings: Settings, log: Logger, opts?: { deferIndex?: boolean }) => Promise<Backend>;
  createEngine: DaemonOptions['createEngine'];
  /**
   * Install the built-in taps that depend on settings (redaction), on a daemon or on the
   * hooks of a one-shot upload (`confab save`).
   */
  applySettings?: (target: { readonly hooks: DaemonHooks }, settings: Settings, log: Logger, opts?: { readAhead?: boolean }) => SettingsTaps | void;
  /**
   * Load the plugins (installed with `confab plugins`, then those the settings list), lowest
   * precedence first. A listed plugin that fails to load must throw: the daemon does not
   * start with a broken config.
   */
  loadPlugins?: (settings: Settings, log: Logger) => Promise<LoadedPlugin[]>;
}

/**
 * Build a Daemon for a launch: settings from the session's cwd (user config, project
 * config, env), plugins (their providers registered), a chokidar watcher, and the taps in
 * this order: the session provider's, the plugins' `apply`, the settings' (redaction), the
 * project config's `apply`.
 */
export async function createDaemonForLaunch(
  launch: LaunchInput,
  wiring: DaemonWiring,
  log: Logger,
  extra: { drain?: DaemonOptions['drain'] } = {},
): Promise<Daemon | undefined> {
  let settings = await resolveSettings({ cwd: launch.cwd });
  for (const w of settings.warnings) log.warn(w);
  if (!settings.enabled) {
    log.info('sync disabled by project config; exiting', { config: settings.projectFile });
    return undefined;
  }
  const plugins = (await wiring.loadPlugins?.(settings, log)) ?? [];
  for (const plugin of plugins) {
    if (!plugin.provider) continue;
    log.debug('provider from plugin', { provider: plugin.provider.name, plugin: plugin.spec.specifier });
    registerProvider(plugin.provider);
  }
  const provider = await getProvider(launch.provider);
  const binding = bindingTarget(launch, provider, settings);
  if (binding) log.info('session runs from a non-default agent config dir; using its backend binding', { config_dir: binding.configDir });
  const daemon = new Daemon(
    {
      provider: provider.name,
      externalId: launch.external_id,
      transcriptPath: launch.transcript_path,
      cwd: launch.cwd,
      parentPid: extra.drain ? 0 : (launch.parent_pid ?? 0),
      syncIntervalMs: settings.intervalMs,
      syncIntervalJitterMs: settings.jitterMs,
      ...(launch.predecessor_pid ? { predecessor: { pid: launch.predecessor_pid, ...(launch.predecessor_start_time ? { startTime: launch.predecessor_start_time } : {}) } } : {}),
    },
    {
      // Re-read the config each time: after a 401 the user may have logged in again (or
      // bound the session's config dir to a backend).
      backend: async () => {
        settings = await resolveSettings({ cwd: launch.cwd, ...(binding ? { binding } : {}) });
        return wiring.openBackend(settings, log);
      },
      createEngine: wiring.createEngine,
      log,
      handleSignals: true,
      ...(provider.transcriptWait === 'while-agent-runs' ? { timing: { transcriptWaitMs: Infinity } } : {}),
      // A resume of a pending session owns no state file and watches nothing: it syncs what
      // is on disk and stops.
      ...(extra.drain
        ? { manageState: false, drain: extra.drain }
        : {
            manageState: true,
            watch: (onChange: () => void) => createChokidarWatcher(onChange, (err) => log.warn(`file watcher error: ${String(err)}`)),
          }),
    },
  );
  await applySessionTaps(daemon, provider, settings, wiring, log, plugins);
  if (runsAtBaselineTier()) raiseTierOnBacklog(daemon.hooks, log);
  return daemon;
}

/** TurboFan back on for a daemon that meets a backlog (see process/jit-tier.ts). */
function raiseTierOnBacklog(hooks: DaemonHooks, log: Logger): void {
  const isBacklog = backlogMeter();
  hooks.chunk.tap('confab:jit-tier', (request, ctx) => {
    if (isBacklog(ctx.rawLines) && raiseJitTier()) log.info('backlog: optimizing compiler on');
    return request;
  });
}

export { bindingTarget } from '../daemon/binding.js';

/**
 * Tap a session's hooks the way every upload of it is tapped — by the background daemon and
 * by a one-shot `confab save` alike: the provider's taps (sidechains, chunk metadata), the
 * plugins' `apply`, confab's own for these settings (redaction, so it cleans what plugins
 * write), then the project config's `apply`.
 */
export async function applySessionTaps(
  target: DaemonHandle,
  provider: Provider,
  settings: Settings,
  wiring: Pick<DaemonWiring, 'applySettings'>,
  log: Logger,
  plugins: readonly LoadedPlugin[] = [],
  opts: { readAhead?: boolean } = {},
): Promise<SettingsTaps | void> {
  const session = target.config;
  provider.apply?.({ hooks: target.hooks, provider: provider.name, externalId: session.externalId, transcriptPath: session.transcriptPath, cwd: session.cwd });
  for (const plugin of plugins) {
    if (!plugin.apply) continue;
    try {
      await plugin.apply(target);
    } catch (err) {
      throw new Error(`${describePlugin(plugin.spec)}: apply failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, { cause: err });
    }
  }
  const taps = wiring.applySettings?.(target, settings, log, opts);
  try {
    settings.apply?.(target);
  } catch (err) {
    await taps?.close?.();
    throw err;
  }
  return taps;
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
  if (launch.drain) return resumePending(launch, wiring, log);
  let exit: DaemonExit | undefined;
  try {
    log.info('daemon starting', { pid: process.pid, provider: launch.provider });
    pruneOldLogs(log);
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

/** Logs of daemons long gone: a housekeeping step every new daemon does, so no hook waits on it. */
function pruneOldLogs(log: Logger): void {
  try {
    const removed = pruneDaemonLogs();
    if (removed) log.info('pruned old daemon logs', { count: removed });
  } catch (err) {
    log.debug(`could not prune old daemon logs: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** How long one resume of a pending session may try before leaving it for a later hook. */
export const DRAIN_MAX_MS = 5 * 60_000;

/** A `drain` launch: finish a pending session (one resumer at a time), then exit. */
async function resumePending(launch: LaunchInput, wiring: DaemonWiring, log: Logger): Promise<never> {
  const lock = await tryLock(drainLockPath(launch.provider, launch.external_id));
  if (!lock) process.exit(0);
  try {
    const record = readPending(launch.provider, launch.external_id);
    if (!record) process.exit(0);
    if (!existsSync(record.transcript_path)) {
      log.warn('pending session dropped: its transcript no longer exists', { transcript: record.transcript_path });
      removePending(launch.provider, launch.external_id);
      process.exit(0);
    }
    log.info('resuming a pending session', { pid: process.pid, reason: record.reason, attempts: record.attempts });
    const daemon = await createDaemonForLaunch(launch, wiring, log, {
      drain: { maxMs: DRAIN_MAX_MS, ...(record.session_end ? { sessionEnd: record.session_end } : {}) },
    });
    const exit = daemon ? await daemon.run() : undefined;
    log.info('resume finished', { reason: exit?.reason ?? 'disabled', pending: exit?.pending ?? false });
  } catch (err) {
    log.error(`resume failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await lock.release();
  }
  process.exit(0);
}
