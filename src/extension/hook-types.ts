/**
 * What the daemon's hooks pass to their taps (see `daemon-hooks.ts`): the session, the
 * files it follows, each line's and chunk's context, cycle reports, shutdown reasons.
 */
import type { Capabilities, ChunkRequest, FileType, InitRequest } from '../format/wire.js';

/** One file the daemon follows: the transcript, or a sidechain a provider discovered. */
export interface TrackedFileSpec {
  /** Absolute local path. */
  path: string;
  /** The backend `file_name` (may be path-encoded with `/`). */
  name: string;
  type: FileType;
}

export interface SessionIdentity {
  provider: string;
  externalId: string;
  transcriptPath: string;
  cwd: string;
}

export interface InitContext extends SessionIdentity {
  /** True when the engine re-inits to recover from a failed chunk (metadata may be skipped). */
  refresh: boolean;
}

export interface DiscoverContext extends SessionIdentity {
  /** Files tracked so far, keyed by backend file name. */
  tracked: ReadonlyMap<string, TrackedFileSpec>;
  /** 0 for the start of a cycle, then 1, 2, … after each round of uploads (bounded). */
  round: number;
  /** The backend's capabilities, probed lazily and cached once definitive. Throws when unknown. */
  capabilities(): Promise<Capabilities>;
}

export interface LineContext {
  fileName: string;
  fileType: FileType;
  /** 1-based line number in the file. */
  lineNumber: number;
}

export type MetadataField = 'summary' | 'first_user_message' | 'title' | (string & {});

export interface MetadataContext {
  field: MetadataField;
  fileName?: string;
}

export interface ChunkContext extends SessionIdentity {
  file: TrackedFileSpec;
  /** The chunk's lines as read from disk, before any `line` tap (redaction) ran. */
  rawLines: readonly string[];
  /** Apply the `metadata` hook (redaction) to a string a tap wants to send as metadata. */
  redactMetadata(value: string, field: MetadataField): string;
  /**
   * Best-effort `PATCH /sessions/<externalId>/summary` on the current backend (Claude Code's
   * summary lines that describe an earlier session). Never throws.
   */
  linkSummary(externalId: string, summary: string): Promise<void>;
}

export interface FileSyncReport {
  name: string;
  type: FileType;
  chunks: number;
  lines: number;
  bytes: number;
  lastSyncedLine: number;
}

export type SyncTrigger = 'startup' | 'interval' | 'watch' | 'final' | 'once';

export interface SyncReport {
  trigger: SyncTrigger;
  files: FileSyncReport[];
  durationMs: number;
  /** True when every complete line of every tracked file is on the backend. */
  complete: boolean;
  /**
   * When the upload policy held lines back (pacing for the backend's budgets), how soon the
   * engine wants another cycle. The daemon schedules the next cycle no later than this.
   */
  nextCycleInMs?: number;
}

export type SyncPhase = 'init' | 'discover' | 'chunk' | 'event' | 'config';

export interface SyncErrorContext {
  phase: SyncPhase;
  fileName?: string;
  trigger: SyncTrigger;
}

export interface InboxEvent {
  type: string;
  timestamp: string;
  hook_input?: Record<string, unknown>;
}

export type ShutdownReason =
  | 'signal'
  | 'session-end'
  | 'parent-exited'
  | 'session-deleted'
  | 'stop-called'
  | 'transcript-missing'
  | 'disabled'
  /** A resumed (pending) session is now fully on the backend. */
  | 'drained'
  /** A resumed session could not be finished in its time budget; it stays pending. */
  | 'drain-timeout';

export interface ShutdownInfo {
  reason: ShutdownReason;
  /** Lines that were still not on the backend when the daemon stopped (the session is recorded as pending). */
  pending: boolean;
}

export type { ChunkRequest, InitRequest };
