import { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type { DaemonHooks } from './daemon-hooks.js';
import type {
  ChunkContext,
  ChunkRequest,
  DiscoverContext,
  InboxEvent,
  InitContext,
  InitRequest,
  LineContext,
  MetadataContext,
  SessionIdentity,
  ShutdownInfo,
  SyncErrorContext,
  SyncReport,
  TrackedFileSpec,
} from './hook-types.js';
import type { State } from './state.js';

/**
 * A fresh, frozen set of daemon hooks: what every `Daemon` taps into, and what a plugin's
 * tests can call (`hooks.line.call(line, ctx)`) to exercise its `apply` without a daemon.
 */
export function createDaemonHooks(): DaemonHooks {
  return Object.freeze({
    refresh: new AsyncSeriesHook<[SessionIdentity]>(['session']),
    start: new AsyncSeriesHook<[State]>(['state']),
    initRequest: new AsyncSeriesWaterfallHook<[InitRequest, InitContext]>(['request', 'context']),
    discoverFiles: new AsyncSeriesWaterfallHook<[TrackedFileSpec[], DiscoverContext]>(['files', 'context']),
    line: new SyncWaterfallHook<[string, LineContext]>(['line', 'context']),
    metadata: new SyncWaterfallHook<[string, MetadataContext]>(['value', 'context']),
    chunk: new AsyncSeriesWaterfallHook<[ChunkRequest, ChunkContext]>(['chunk', 'context']),
    afterSync: new AsyncSeriesHook<[SyncReport]>(['report']),
    syncError: new SyncHook<[Error, SyncErrorContext]>(['error', 'context']),
    inboxEvent: new SyncHook<[InboxEvent]>(['event']),
    shutdown: new AsyncSeriesHook<[ShutdownInfo]>(['info']),
  });
}
