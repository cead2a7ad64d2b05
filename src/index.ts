/**
 * confab's public API: what provider plugins, `confab.config.ts` and programs embedding
 * confab may import. Everything else is internal.
 *
 * Plugin authors: the provider contract (`defineProvider`, `Provider`, `HookInputError`, the
 * hook payload and answer types, `PluginApply`/`DaemonHandle`), the daemon hooks and their
 * context types and the wire types come from `confab-cli/provider` and are re-exported here.
 */
import { defaultDaemonOptions } from './compose/default-options.js';
import { setDefaultDaemonOptions } from './daemon/defaults.js';

// `new Daemon(config)` without options runs wired as confab's own daemons are.
setDefaultDaemonOptions(defaultDaemonOptions);

export { confabVersion } from './version.js';
export * from './provider/public.js';
export { getProvider, registerProvider, knownProviderNames, UnknownProviderError } from './provider/registry.js';
export { createDaemonHooks } from './extension/daemon-hooks.js';
export type { Backend, RemoteSession, UploadPolicy, RequestOptions } from './backend/backend.js';
export { BackendError, isBackendError, type BackendErrorKind } from './backend/errors.js';
export type { State } from './format/state.js';
// The daemon API, as the Go CLI's `pkg/daemon` (README "Library API").
export { Daemon, DEFAULT_SYNC_INTERVAL_MS, type DaemonConfig, type DaemonExit, type DaemonOptions } from './daemon/daemon.js';
export {
  getInboxPathForProvider,
  getStatePathForProvider,
  getSyncDir,
  isDaemonRunning,
  isParentRunning,
  listAllStates,
  loadStateForProvider,
  newStateForProvider,
  saveState,
} from './daemon/state-store.js';
export { NoDaemonError, StaleDaemonError, stopDaemon, stopDaemonForProvider, type StopResult } from './daemon/stop.js';
export { defineConfig, type ProjectConfig, type ProjectRedactionPattern } from './config/define.js';
export {
  applyRedaction,
  createRedactor,
  DEFAULT_PATTERNS,
  mergeRedactionOptions,
  REDACTION_TAP,
  RedactionConfigError,
  redactionOptionsFromUserConfig,
  type RedactionOptions,
  type RedactionPatternSpec,
  type Redactor,
} from './redact/index.js';
