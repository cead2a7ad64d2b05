import type { DaemonHandle } from '../provider/contract.js';
import type { DaemonOptions } from './daemon.js';

type DefaultOptions = (daemon: DaemonHandle) => DaemonOptions;

let defaults: DefaultOptions | undefined;

/**
 * Install what `new Daemon(config)` runs with when given no options. The production wiring
 * (settings, backends, plugins) sits above the daemon in the layering, so it registers itself
 * here — confab's public entry does — rather than the daemon importing it.
 */
export function setDefaultDaemonOptions(options: DefaultOptions): void {
  defaults = options;
}

/** The options of a `Daemon` constructed without any (see `setDefaultDaemonOptions`). */
export function defaultDaemonOptions(daemon: DaemonHandle): DaemonOptions {
  if (!defaults) throw new Error('a Daemon without options needs confab\'s default wiring: import Daemon from "confab-cli"');
  return defaults(daemon);
}
