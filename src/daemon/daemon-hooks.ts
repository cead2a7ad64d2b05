import type { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
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
 * Every extension point of a daemon, named for the moment it fires. `Daemon` creates them
 * all in its constructor; providers, `confab.config.ts` (`apply`) and plugins tap them.
 */
export interface DaemonHooks {
  /**
   * Before each look for the transcript and before each sync cycle (the final one too):
   * providers whose agent keeps sessions in a database, not in files, write the lines
   * finished since into the files the daemon follows (OpenCode). A tap that throws is
   * logged and retried at the next look.
   */
  readonly refresh: AsyncSeriesHook<[SessionIdentity]>;
  /** The transcript exists and the state file is saved; the sync loop is about to begin. */
  readonly start: AsyncSeriesHook<[State]>;
  /** Before `POST /sync/init`: add metadata (git info, hostname…) to the request. */
  readonly initRequest: AsyncSeriesWaterfallHook<[InitRequest, InitContext]>;
  /** Once per cycle and after each upload round: return the files to follow (add sidechains). */
  readonly discoverFiles: AsyncSeriesWaterfallHook<[TrackedFileSpec[], DiscoverContext]>;
  /** Each complete line, before upload. Redaction taps here; return the line to send. */
  readonly line: SyncWaterfallHook<[string, LineContext]>;
  /** Each metadata string (summary, first user message…) before upload. Redaction taps here too. */
  readonly metadata: SyncWaterfallHook<[string, MetadataContext]>;
  /** A chunk is ready to upload: annotate it (summary, first user message, git info). */
  readonly chunk: AsyncSeriesWaterfallHook<[ChunkRequest, ChunkContext]>;
  /** A sync cycle finished (possibly partially: see `complete`). */
  readonly afterSync: AsyncSeriesHook<[SyncReport]>;
  /** A cycle step failed; the daemon keeps going and retries next cycle. */
  readonly syncError: SyncHook<[Error, SyncErrorContext]>;
  /** An inbox event was read at shutdown (e.g. `session_end` with the SessionEnd payload). */
  readonly inboxEvent: SyncHook<[InboxEvent]>;
  /** The daemon is stopping, after the final sync and before its files are removed. */
  readonly shutdown: AsyncSeriesHook<[ShutdownInfo]>;
}

/** The subset of hooks the sync engine fires (a one-shot `save` uses them too). */
export type SyncHooks = Pick<DaemonHooks, 'initRequest' | 'discoverFiles' | 'line' | 'metadata' | 'chunk' | 'syncError'>;
