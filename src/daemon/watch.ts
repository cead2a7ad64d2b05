import { watch as chokidarWatch } from 'chokidar';
import type { PathWatcher } from './daemon.js';

/**
 * A chokidar watcher for the daemon: inotify/FSEvents based, so an idle session costs no CPU,
 * and a transcript append wakes the daemon within milliseconds instead of at the next tick.
 * Paths that do not exist yet are fine (their parent directory is watched).
 */
export function createChokidarWatcher(onChange: () => void, onError?: (err: unknown) => void): PathWatcher {
  const watcher = chokidarWatch([], {
    ignoreInitial: true,
    persistent: true,
    depth: 0,
    // Polling would burn CPU on idle daemons; native events only.
    usePolling: false,
  });
  watcher.on('all', () => onChange());
  watcher.on('error', (err) => onError?.(err));
  return {
    add(paths) {
      watcher.add(paths);
    },
    close() {
      return watcher.close();
    },
  };
}
