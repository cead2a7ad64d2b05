import { availableParallelism, freemem } from 'node:os';
import type { DaemonWiring } from '../compose/daemon-launch.js';
import { syncSessionOnce, type OneShotProgress } from '../compose/one-shot.js';
import { listDaemonStatuses } from '../daemon/status.js';
import { hasSpareCore } from '../process/spare-core.js';
import { silentLogger, type Logger } from '../log.js';
import { errorLine } from './format.js';
import type { FoundSession } from './local-sessions.js';
import { backendLabel, type SessionRouter } from './session-router.js';

export type SaveOutcome =
  /** New lines went to the backend, and now it holds every complete line. */
  | 'uploaded'
  /** The backend already held every line: nothing was sent. */
  | 'up-to-date'
  /** Some lines were sent, some could not be (see `error`). */
  | 'incomplete'
  /** Not attempted (a live daemon follows it, or its project opts out). */
  | 'skipped'
  | 'failed';

export interface SessionSaveResult {
  id: string;
  provider: string;
  title?: string;
  outcome: SaveOutcome;
  backend: string;
  backendSessionId?: string;
  chunks: number;
  lines: number;
  bytes: number;
  /** Local size of the transcript, for progress and rate. */
  sizeBytes: number;
  /** Why it was skipped, failed or incomplete. */
  error?: string;
  warnings: string[];
}

export interface SaveSummary {
  sessions: number;
  uploaded: number;
  upToDate: number;
  skipped: number;
  failed: number;
  chunks: number;
  lines: number;
  bytes: number;
  /** Sessions that failed or stayed incomplete. */
  errors: number;
  durationMs: number;
  results: SessionSaveResult[];
  /** Worker processes the sessions were saved in (absent: this process alone; see save-processes.ts). */
  processes?: number;
  /** What became of the search index of the embedded store (`confab save` only; see indexAfterSave). */
  searchIndex?: 'none' | 'indexed' | 'background' | 'unavailable';
}

export interface SaveProgress {
  onSessionStart?(found: FoundSession, index: number, total: number): void;
  onChunk?(found: FoundSession, chunk: OneShotProgress): void;
  onSessionDone?(result: SessionSaveResult, index: number, total: number): void;
}

export interface SaveOptions {
  router: SessionRouter;
  wiring: Pick<DaemonWiring, 'createEngine' | 'applySettings' | 'loadPlugins'>;
  /** Leave alone sessions a running daemon is following (it uploads them itself). */
  skipLive?: boolean;
  log?: Logger;
  signal?: AbortSignal;
  progress?: SaveProgress;
  /** Sessions saved at the same time (default `defaultSaveConcurrency()`). */
  concurrency?: number;
  /** Each save may redact on a thread of its own (default: when there are more cores than sessions saved at once). */
  readAhead?: boolean;
}

/**
 * Memory one session's save may peak at: a 200 MiB session sent over HTTP in 8 MiB chunks
 * peaked at 330 MiB of RSS (bench/BENCHMARKS.md, backfill), the embedded store at less.
 */
export const SAVE_JOB_MEMORY_BYTES = 512 * 1024 * 1024;

/** Memory this process may still use: what the system has available, within a cgroup's limit. */
export function availableMemoryBytes(): number {
  const free = freemem();
  // undefined (Node 20) or 0 (later) without a limit; a huge number under an unlimited cgroup.
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < free ? limit : free;
}

/**
 * Sessions `save --all` works on at once: one per core, at most 4, and no more than the
 * available memory holds at `SAVE_JOB_MEMORY_BYTES` each (never fewer than one). Each session
 * holds one chunk being stored and one read ahead.
 */
export function defaultSaveConcurrency(machine: { cores?: number; memoryBytes?: number } = {}): number {
  const cores = machine.cores ?? availableParallelism();
  const byMemory = Math.floor((machine.memoryBytes ?? availableMemoryBytes()) / SAVE_JOB_MEMORY_BYTES);
  return Math.max(1, Math.min(cores, 4, byMemory));
}

/** Sessions a running daemon follows, as `provider\0externalId`. */
export async function liveSessions(): Promise<Set<string>> {
  const { daemons } = await listDaemonStatuses();
  return new Set(daemons.filter((d) => d.running).map((d) => `${d.provider}\0${d.session}`));
}

/** A session's result before anything was tried: failed, nothing sent (`error` says why). */
export function failedResult(found: FoundSession, error?: string): SessionSaveResult {
  const { provider, session } = found;
  return {
    id: session.externalId,
    provider: provider.name,
    ...(session.title !== undefined ? { title: session.title } : {}),
    outcome: 'failed',
    backend: '',
    chunks: 0,
    lines: 0,
    bytes: 0,
    sizeBytes: session.sizeBytes,
    ...(error !== undefined ? { error } : {}),
    warnings: [],
  };
}

/** One session of a save (`live`: sessions a running daemon follows, left to it). Never throws but on abort. */
export async function saveOne(found: FoundSession, opts: Omit<SaveOptions, 'concurrency'>, live: ReadonlySet<string>): Promise<SessionSaveResult> {
  const { provider, session } = found;
  const base = failedResult(found);
  try {
    const settings = await opts.router.settingsFor(session.cwd);
    base.backend = backendLabel(settings.backend);
    if (!settings.enabled) return { ...base, outcome: 'skipped', error: `sync disabled by ${settings.projectFile ?? 'project config'}` };
    if (live.has(`${provider.name}\0${session.externalId}`)) return { ...base, outcome: 'skipped', error: 'a running sync daemon is uploading it' };
    const backend = await opts.router.backendFor(settings);
    const log = (opts.log ?? silentLogger).child(`[ext=${session.externalId.slice(0, 8)}]`);
    const res = await syncSessionOnce({
      provider,
      session: { provider: provider.name, externalId: session.externalId, transcriptPath: session.transcriptPath, cwd: session.cwd },
      backend,
      settings,
      wiring: opts.wiring,
      log,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.progress?.onChunk ? { onChunk: (c: OneShotProgress) => opts.progress?.onChunk?.(found, c) } : {}),
      ...(opts.readAhead !== undefined ? { readAhead: opts.readAhead } : {}),
    });
    const outcome: SaveOutcome = !res.complete ? 'incomplete' : res.chunks > 0 ? 'uploaded' : 'up-to-date';
    return {
      ...base,
      outcome,
      backendSessionId: res.sessionId,
      chunks: res.chunks,
      lines: res.lines,
      bytes: res.bytes,
      warnings: res.warnings,
      ...(res.complete ? {} : { error: res.warnings.at(-1) ?? 'some lines could not be uploaded' }),
    };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return { ...base, outcome: 'failed', error: errorLine(err) };
  }
}

/**
 * Back up sessions in one go (`confab save`), several at a time (`concurrency`), each with a
 * one-shot run of the sync engine (`syncSessionOnce`); results come back in `targets` order. A session's failure is recorded and the others go on.
 * Re-running uploads only what the backend is missing.
 */
export async function saveSessions(targets: readonly FoundSession[], opts: SaveOptions): Promise<SaveSummary> {
  const started = Date.now();
  const live = opts.skipLive ? await liveSessions() : new Set<string>();
  const slots: Array<SessionSaveResult | undefined> = new Array<SessionSaveResult | undefined>(targets.length);
  let next = 0;
  const workers = Math.max(1, Math.min(opts.concurrency ?? defaultSaveConcurrency(), targets.length));
  // A save redacts on a second thread only with a core to spare for it.
  const each = { ...opts, readAhead: opts.readAhead ?? hasSpareCore(workers) };
  // Each worker takes the next session in turn; a session's lines stay in order within its
  // own engine, and sessions share nothing but the backend (whose store locks per session).
  const worker = async (): Promise<void> => {
    while (next < targets.length && !opts.signal?.aborted) {
      const i = next++;
      const found = targets[i]!;
      opts.progress?.onSessionStart?.(found, i, targets.length);
      const result = await saveOne(found, each, live);
      slots[i] = result;
      opts.progress?.onSessionDone?.(result, i, targets.length);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return summarize(slots, started);
}

/** The summary of a save's results (`slots` in target order; sessions never reached left out). */
export function summarize(slots: ReadonlyArray<SessionSaveResult | undefined>, started: number): SaveSummary {
  const results = slots.filter((r): r is SessionSaveResult => r !== undefined);
  const count = (o: SaveOutcome) => results.filter((r) => r.outcome === o).length;
  return {
    sessions: results.length,
    uploaded: count('uploaded'),
    upToDate: count('up-to-date'),
    skipped: count('skipped'),
    failed: count('failed'),
    chunks: results.reduce((n, r) => n + r.chunks, 0),
    lines: results.reduce((n, r) => n + r.lines, 0),
    bytes: results.reduce((n, r) => n + r.bytes, 0),
    errors: count('failed') + count('incomplete'),
    durationMs: Date.now() - started,
    results,
  };
}
