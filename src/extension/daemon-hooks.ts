/**
 * The daemon's extension model, declared once: every tapable hook a daemon fires, named for
 * the moment it fires, built by one factory into one frozen object (as webpack's
 * `Compiler#hooks`). `DaemonHooks` and `SyncHooks` are derived from that object, so a hook's
 * type is written in exactly one place.
 *
 * A leaf of the layering: the daemon, the sync engine, providers and redaction import it;
 * it imports only the wire and state formats and the context types next to it.
 */
import { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type { State } from '../format/state.js';
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

/**
 * A fresh, frozen set of daemon hooks: what every `Daemon` taps into, and what a plugin's
 * tests can call (`hooks.line.call(line, ctx)`) to exercise its `apply` without a daemon.
 * Providers, `confab.config.ts` (`apply`) and plugins tap them.
 */
export function createDaemonHooks() {
  return Object.freeze({
    /**
     * Before each look for the transcript and before each sync cycle (the final one too):
     * providers whose agent keeps sessions in a database, not in files, write the lines
     * finished since into the files the daemon follows (OpenCode). A tap that throws is
     * logged and retried at the next look.
     */
    refresh: new AsyncSeriesHook<[SessionIdentity]>(['session']),
    /** The transcript exists and the state file is saved; the sync loop is about to begin. */
    start: new AsyncSeriesHook<[State]>(['state']),
    /** Before `POST /sync/init`: add metadata (git info, hostname…) to the request. */
    initRequest: new AsyncSeriesWaterfallHook<[InitRequest, InitContext]>(['request', 'context']),
    /** Once per cycle and after each upload round: return the files to follow (add sidechains). */
    discoverFiles: new AsyncSeriesWaterfallHook<[TrackedFileSpec[], DiscoverContext]>(['files', 'context']),
    /** Each complete line, before upload. Redaction taps here; return the line to send. */
    line: new SyncWaterfallHook<[string, LineContext]>(['line', 'context']),
    /** Each metadata string (summary, first user message…) before upload. Redaction taps here too. */
    metadata: new SyncWaterfallHook<[string, MetadataContext]>(['value', 'context']),
    /** A chunk is ready to upload: annotate it (summary, first user message, git info). */
    chunk: new AsyncSeriesWaterfallHook<[ChunkRequest, ChunkContext]>(['chunk', 'context']),
    /** A sync cycle finished (possibly partially: see `complete`). */
    afterSync: new AsyncSeriesHook<[SyncReport]>(['report']),
    /** A cycle step failed; the daemon keeps going and retries next cycle. */
    syncError: new SyncHook<[Error, SyncErrorContext]>(['error', 'context']),
    /** An inbox event was read at shutdown (e.g. `session_end` with the SessionEnd payload). */
    inboxEvent: new SyncHook<[InboxEvent]>(['event']),
    /** The daemon is stopping, after the final sync and before its files are removed. */
    shutdown: new AsyncSeriesHook<[ShutdownInfo]>(['info']),
  });
}

/** Every extension point of a daemon (see `createDaemonHooks` for when each fires). */
export type DaemonHooks = ReturnType<typeof createDaemonHooks>;

/** The subset of hooks the sync engine fires (a one-shot `save` uses them too). */
export type SyncHooks = Pick<DaemonHooks, 'initRequest' | 'discoverFiles' | 'line' | 'metadata' | 'chunk' | 'syncError'>;

/** A fresh set of the hooks the sync engine fires (for a one-shot upload, or tests). */
export function createSyncHooks(): SyncHooks {
  return createDaemonHooks();
}
