import { AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type { SyncHooks } from '../daemon/daemon-hooks.js';

/** A fresh set of the hooks the sync engine fires (for a one-shot upload, or tests). */
export function createSyncHooks(): SyncHooks {
  return {
    initRequest: new AsyncSeriesWaterfallHook(['request', 'context']),
    discoverFiles: new AsyncSeriesWaterfallHook(['files', 'context']),
    line: new SyncWaterfallHook(['line', 'context']),
    metadata: new SyncWaterfallHook(['value', 'context']),
    chunk: new AsyncSeriesWaterfallHook(['request', 'context']),
    syncError: new SyncHook(['error', 'context']),
  };
}
