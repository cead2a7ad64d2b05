import type { Backend } from '../backend/backend.js';
import { resolveSettings, type BackendChoice, type Settings } from '../config/settings.js';
import type { DaemonWiring } from '../compose/daemon-launch.js';
import { silentLogger, type Logger } from '../log.js';
import { storeDir } from '../paths.js';

/** A stable key for where a backend choice sends sessions (never contains a key). */
export function backendKey(choice: BackendChoice): string {
  return choice.kind === 'local' ? `local:${storeDir()}` : `http:${choice.url}`;
}

/** For humans: the embedded store's directory, or the server's URL. */
export function backendLabel(choice: BackendChoice): string {
  return choice.kind === 'local' ? `local store ${storeDir()}` : choice.url;
}

/**
 * Decides, per session, what the background daemon would decide: the settings for the
 * session's cwd (user config < project config < env) and the backend they name. Settings are
 * cached per cwd and backends per destination, so a command over hundreds of sessions opens
 * each backend once. Close it when done.
 */
export class SessionRouter {
  private readonly settings = new Map<string, Promise<Settings>>();
  private readonly backends = new Map<string, Promise<Backend>>();

  constructor(
    private readonly wiring: Pick<DaemonWiring, 'openBackend'>,
    private readonly log: Logger = silentLogger,
    /** `deferIndex`: see DaemonWiring.openBackend. */
    private readonly opts: { deferIndex?: boolean } = {},
  ) {}

  /** The settings a daemon for a session in `cwd` would use. Throws on a broken config. */
  settingsFor(cwd: string): Promise<Settings> {
    let s = this.settings.get(cwd);
    if (!s) {
      s = resolveSettings({ cwd });
      this.settings.set(cwd, s);
    }
    return s;
  }

  /** The backend these settings name, opened once. */
  backendFor(settings: Settings): Promise<Backend> {
    const key = backendKey(settings.backend);
    let b = this.backends.get(key);
    if (!b) {
      b = this.wiring.openBackend(settings, this.log, this.opts);
      // A failed open is not cached: the next session may try again.
      b.catch(() => this.backends.delete(key));
      this.backends.set(key, b);
    }
    return b;
  }

  async close(): Promise<void> {
    const open = [...this.backends.values()];
    this.backends.clear();
    await Promise.all(open.map((b) => b.then((x) => x.close()).catch(() => undefined)));
  }
}
