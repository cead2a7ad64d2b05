import { createDaemonHooks } from '../daemon/create-hooks.js';
import type { SyncHooks } from '../daemon/daemon-hooks.js';

/** A fresh set of the hooks the sync engine fires (for a one-shot upload, or tests). */
export function createSyncHooks(): SyncHooks {
  return createDaemonHooks();
}
