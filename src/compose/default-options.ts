import { createFileLogger } from '../log.js';
import type { DaemonHandle } from '../provider/contract.js';
import { SyncEngine } from '../sync/engine.js';
import type { DaemonOptions } from '../daemon/daemon.js';
import { daemonLogPath } from '../daemon/spawn.js';
import { createChokidarWatcher } from '../daemon/watch.js';

/**
 * What `new Daemon(config)` runs with when given no options (the Go CLI's `New(cfg)`): the
 * backend the settings for the session's cwd name (the embedded store unless configured
 * otherwise), the real sync engine, the taps every confab daemon has (the provider's,
 * plugins', redaction, the project config's `apply`), a file watcher, its state file, and
 * its log in `~/.confab/logs/<provider>/<id>.log`. Signals stay the embedding program's.
 */
export function defaultDaemonOptions(daemon: DaemonHandle): DaemonOptions {
  const log = createFileLogger(daemonLogPath(daemon.config.provider, daemon.config.externalId));
  // Loaded when the daemon runs, not when confab's entry is imported.
  const wiring = async () => {
    const [{ resolveSettings }, { defaultDaemonWiring }] = await Promise.all([import('../config/settings.js'), import('./wiring.js')]);
    return { resolveSettings, wiring: defaultDaemonWiring() };
  };
  return {
    log,
    manageState: true,
    createEngine: (input) => new SyncEngine(input),
    watch: (onChange) => createChokidarWatcher(onChange, (err) => log.warn(`file watcher error: ${String(err)}`)),
    prepare: async () => {
      const [{ resolveSettings, wiring: w }, { applySessionTaps }, { getProvider, registerProvider }] = await Promise.all([
        wiring(),
        import('./daemon-launch.js'),
        import('../provider/registry.js'),
      ]);
      const settings = await resolveSettings({ cwd: daemon.config.cwd });
      const plugins = (await w.loadPlugins?.(settings, log)) ?? [];
      for (const p of plugins) if (p.provider) registerProvider(p.provider);
      await applySessionTaps(daemon, await getProvider(daemon.config.provider), settings, w, log, plugins);
    },
    // Re-read each time: after an auth failure the user may have logged in again.
    backend: async () => {
      const { resolveSettings, wiring: w } = await wiring();
      return w.openBackend(await resolveSettings({ cwd: daemon.config.cwd }), log);
    },
  };
}
