/**
 * The composition root: where settings, backends, the sync engine, plugins, redaction and
 * the daemon are put together — for a background daemon (`daemon-launch.ts`), a one-shot
 * upload (`one-shot.ts`) and a `Daemon` built without options (`default-options.ts`).
 * Nothing below imports it.
 */
import type { FileUploadBudget } from '../backend/upload-budget.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log.js';
import { applyRedaction, createRedactor, RedactionAhead } from '../redact/index.js';
import { installedPlugins } from '../plugin/installed.js';
import { loadPlugins } from '../plugin/load.js';
import { SyncEngine } from '../sync/engine.js';
import type { DaemonWiring } from './daemon-launch.js';

/** The user's upload budget at this backend, shared with their other daemons (none when the backend has no limit). */
async function uploadBudget(settings: Settings, log: Logger): Promise<FileUploadBudget | undefined> {
  if (settings.backend.kind !== 'http' || !settings.uploadLimit) return undefined;
  const { FileUploadBudget } = await import('../backend/upload-budget.js');
  return new FileUploadBudget({ url: settings.backend.url, apiKey: settings.backend.apiKey, limits: settings.uploadLimit, log });
}

/** The production wiring of a background daemon: real backends, the real sync engine, plugins. */
export function defaultDaemonWiring(): DaemonWiring {
  return {
    // Each backend's code is loaded only by a daemon that uses it: one syncing over HTTP never
    // loads SQLite and the search index, one on the embedded store never loads the HTTP client.
    openBackend: async (settings, log, opts = {}) => {
      if (settings.backend.kind === 'http') {
        const { HttpBackend } = await import('../backend/http.js');
        return new HttpBackend({ url: settings.backend.url, apiKey: settings.backend.apiKey, budget: await uploadBudget(settings, log) });
      }
      const { openLocalBackend } = await import('../backend/local.js');
      return openLocalBackend(undefined, { log, ...(opts.deferIndex ? { deferIndex: true } : {}) });
    },
    createEngine: (input) => new SyncEngine(input),
    // Secrets are redacted by default; only an explicit `enabled: false` turns it off.
    // A one-shot backfill (`readAhead`) redacts on a second thread while this one stores.
    applySettings: (daemon, settings, log, opts = {}) => {
      const redactor = createRedactor(settings.redaction);
      if (!redactor) {
        log.info('redaction is disabled by configuration');
        return;
      }
      if (!opts.readAhead) {
        applyRedaction(daemon.hooks, redactor);
        return;
      }
      const ahead = new RedactionAhead({
        options: settings.redaction ?? {},
        inner: redactor,
        onUnavailable: (reason) => log.warn('redacting on one thread: the redaction worker is unavailable', { reason }),
      });
      applyRedaction(daemon.hooks, ahead.redactor);
      return {
        prefetcher: ahead,
        close: async () => {
          await ahead.close();
          log.debug('redaction on a second thread', { lines: ahead.answered });
        },
      };
    },
    loadPlugins: (settings, log) => loadPlugins([...installedPlugins(), ...settings.plugins], (message) => log.warn(message)),
  };
}

/** `confab hook session-start --bg-daemon <launch JSON>`: become the daemon. */
export async function runDaemonProcess(launchJson: string): Promise<never> {
  const { runBackgroundDaemon } = await import('./daemon-launch.js');
  return runBackgroundDaemon(launchJson, defaultDaemonWiring());
}
