/**
 * The sync engine: follows a session's files (`tracker.ts`), reads only complete lines
 * (`line-reader.ts`), runs them through the `line` hook, packs them into chunks
 * (`chunker.ts`) paced by the backend's budgets (`policy.ts`), and uploads them in order,
 * exactly once. Knows the hook set and the backend interface, not the daemon around it.
 */
import { hostname, userInfo } from 'node:os';
import { basename, isAbsolute } from 'node:path';
import type { Backend, EncodedBody } from '../backend/backend.js';
import { BackendError, isBackendError } from '../backend/errors.js';
import type { Capabilities, ChunkMetadata, ChunkRequest, InitMetadata, InitRequest, InitResponse } from '../format/wire.js';
import type { SyncHooks } from '../extension/daemon-hooks.js';
import type {
  ChunkContext,
  DiscoverContext,
  FileSyncReport,
  MetadataField,
  SessionIdentity,
  SyncPhase,
  SyncReport,
  SyncTrigger,
  TrackedFileSpec,
} from '../extension/hook-types.js';
import { silentLogger, type Logger } from '../log.js';
import { Chunker, demoteToPlaceholder, encodeChunkBody, skeletonBytes, type ChunkDraft, type LinePrefetcher, type LinePreparer, type PreparedLine } from './chunker.js';
import { systemClock, throwIfAborted, type Clock } from './clock.js';
import type { LineReaderOptions } from './line-reader.js';
import { ESTIMATED_LINES_PER_CHUNK, UploadPacer, type FilePace } from './policy.js';
import { TrackedFile } from './tracker.js';

export type { Clock } from './clock.js';
export { systemClock } from './clock.js';

export interface SyncEngineOptions {
  backend: Backend;
  hooks: SyncHooks;
  session: SessionIdentity;
  log?: Logger;
  clock?: Clock;
  /** [0, 1) source for back-off jitter (reproducible simulations). */
  random?: () => number;
  /** Where a multi-line chunk stops growing (default BATCH_TARGET_BYTES, LOCAL_BATCH_TARGET_BYTES for the embedded store). */
  batchBytes?: number;
  /** Work on lines ahead of the `line` hook (see LinePrefetcher), for files with at least `PREFETCH_MIN_BYTES` to read. */
  prefetcher?: LinePrefetcher;
}

/**
 * Below this much to read, a file's lines are prepared one by one: handing batches to a
 * prefetcher (another thread) costs more than it saves on a few chunks.
 */
export const PREFETCH_MIN_BYTES = 8 * 1024 * 1024;

/** Discovery rounds after uploads within one cycle (files found later wait for the next cycle). */
export const MAX_DISCOVERY_ROUNDS = 10;
/** Whatever a backend allows, no request body is built larger than this. */
const HARD_REQUEST_CAP_BYTES = 64 * 1024 * 1024;
/** Room kept in every chunk for what `chunk` taps add as metadata. */
const METADATA_RESERVE_BYTES = 64 * 1024;
/** With `final`/`once`, how many 429s one request may meet before the cycle gives up. */
const URGENT_RATE_LIMIT_RETRIES = 8;
/** A file whose chunks the backend rejects as invalid (not a continuity error) is retried after this, doubling. */
const INVALID_RETRY_BASE_MS = 30_000;
const INVALID_RETRY_MAX_MS = 60 * 60_000;

interface FileEntry {
  tracked: TrackedFile;
  pace: FilePace;
  /** The chunk-count estimate was seeded from the backend's line count. */
  paceSeeded: boolean;
  /** The backend refused the file for good (per-file chunk cap). */
  refused: boolean;
  invalidStreak: number;
  notBefore: number;
}

type FileOutcome =
  /** Every complete line is on the backend. */
  | 'done'
  /** Lines remain, held back by pacing or stopped by an error. */
  | 'pending'
  /** A chunk failed and the engine re-synced its numbers: try this file again. */
  | 'retry';

class CycleState {
  readonly reports = new Map<string, FileSyncReport>();
  readonly pendingFiles = new Set<string>();
  /** Errors per file not (yet) recovered from within this cycle. */
  readonly fileErrors = new Map<string, Error>();
  readonly otherErrors: Error[] = [];
  /** Errors followed by a successful chunk of the same file in this cycle. */
  readonly recovered: Array<{ name: string; err: Error }> = [];
  holdMs: number | undefined;
  /** No further upload this cycle (rate-limited, or the backend's numbers are unknown). */
  stopped = false;

  constructor(
    readonly trigger: SyncTrigger,
    readonly signal: AbortSignal | undefined,
  ) {}

  get urgent(): boolean {
    return this.trigger === 'final' || this.trigger === 'once';
  }

  hold(ms: number): void {
    this.holdMs = this.holdMs === undefined ? ms : Math.min(this.holdMs, ms);
  }

  report(entry: FileEntry): FileSyncReport {
    const { spec } = entry.tracked;
    let r = this.reports.get(spec.name);
    if (!r) {
      r = { name: spec.name, type: spec.type, chunks: 0, lines: 0, bytes: 0, lastSyncedLine: entry.tracked.lastSyncedLine };
      this.reports.set(spec.name, r);
    }
    return r;
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err instanceof Error && err.name === 'AbortError');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLineCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A spec returned by a `discoverFiles` tap, checked at runtime (taps are third-party code). */
function validSpec(value: unknown): TrackedFileSpec | string {
  if (!isObject(value)) return 'not an object';
  const { path, name, type } = value;
  if (typeof path !== 'string' || !isAbsolute(path)) return 'path must be an absolute path';
  if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > 512) return 'name must be a non-empty string of at most 512 bytes';
  if (typeof type !== 'string' || type === '' || type.length > 50) return 'type must be a non-empty string';
  return { path, name, type: type as TrackedFileSpec['type'] };
}

let hostInfoCache: { hostname?: string; username?: string } | undefined;
function hostInfo(): { hostname?: string; username?: string } {
  if (hostInfoCache) return hostInfoCache;
  const info: { hostname?: string; username?: string } = {};
  try {
    info.hostname = hostname() || undefined;
  } catch {
    // no hostname: omit it
  }
  try {
    info.username = userInfo().username || undefined;
  } catch {
    // no passwd entry for this uid: omit it
  }
  hostInfoCache = info;
  return info;
}

/**
 * Uploads every complete line of a session's files to a backend, in order and exactly once.
 * The backend's `last_synced_line` per file is the truth: any failed chunk (other than
 * unauthorized/not-found) is followed by a re-init, and uploading resumes from the backend's
 * numbers, so a chunk stored whose response was lost is neither lost nor duplicated.
 * Provider-agnostic: everything agent-specific comes in through the hooks.
 */
/**
 * Target size of a multi-line chunk. A backfill of a huge transcript then holds about a MiB
 * per request in flight (lines, body, compressed body) instead of ~15 MiB several times
 * over (measured on a 200 MiB backfill over HTTP: peak RSS ~160 MiB, against 424 MiB with
 * 15 MiB chunks), at the same throughput; confab-web's 30,000 chunks per file still allow
 * 30 GiB per file at this size.
 */
export const BATCH_TARGET_BYTES = 1024 * 1024;
/**
 * The same for the embedded store: nothing is in flight over a network, and each commit costs
 * a sync to disk and a search-index update whatever its size, so a backfill commits 4 MiB at a
 * time (a quarter of the commits).
 */
export const LOCAL_BATCH_TARGET_BYTES = 4 * 1024 * 1024;
/**
 * The same for a one-shot backfill over HTTP (`confab save`): each request spends a turn of the
 * user's upload budget (~2.78 a second at confab-web), so a 200 MiB session takes 25 turns
 * instead of 200: measured against `confab serve` with its default limits, 10 s instead of 79 s,
 * for a peak RSS of 330 MiB instead of 184 MiB (4 MiB: 20 s, 255 MiB). One process holds it
 * while it runs, not every daemon all the time.
 */
export const BACKFILL_BATCH_TARGET_BYTES = 8 * 1024 * 1024;

export class SyncEngine {
  private readonly backend: Backend;
  private readonly hooks: SyncHooks;
  private readonly session: SessionIdentity;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly pacer: UploadPacer;
  private readonly files = new Map<string, FileEntry>();
  /** Backend line counts (latest init) of files not tracked locally yet. */
  private readonly remoteLines = new Map<string, number>();
  private readonly maxRequestBytes: number;
  private readonly budgetBytes: number;
  private readonly batchBytes: number;
  private readonly prefetcher: LinePrefetcher | undefined;
  private _sessionId: string | undefined;
  private _initialized = false;
  /** A chunk failed and the re-init that should follow did not succeed: re-init before any upload. */
  private stale = false;
  private capabilitiesCache: Capabilities | undefined;
  private capabilitiesProbe: Promise<Capabilities> | undefined;
  private capabilitiesFailedInCycle = -1;
  private capabilitiesFailure: unknown;
  private cycle = 0;
  private currentSignal: AbortSignal | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: SyncEngineOptions) {
    this.backend = opts.backend;
    this.batchBytes = opts.batchBytes ?? (opts.backend.kind === 'local' ? LOCAL_BATCH_TARGET_BYTES : BATCH_TARGET_BYTES);
    this.prefetcher = opts.prefetcher;
    this.hooks = opts.hooks;
    this.session = { ...opts.session };
    this.log = opts.log ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.pacer = new UploadPacer(opts.backend.policy, { clock: this.clock, random: opts.random });
    this.maxRequestBytes = Math.min(opts.backend.policy.maxRequestBytes, HARD_REQUEST_CAP_BYTES);
    this.budgetBytes = this.maxRequestBytes - Math.min(METADATA_RESERVE_BYTES, Math.floor(this.maxRequestBytes / 8));
    this.track({ path: this.session.transcriptPath, name: basename(this.session.transcriptPath), type: 'transcript' });
  }

  get initialized(): boolean {
    return this._initialized;
  }

  get sessionId(): string | undefined {
    return this._sessionId;
  }

  /** 429s this engine has met (after the backend's own retries). */
  get rateLimitedCount(): number {
    return this.pacer.rateLimitedCount;
  }

  /** The files followed so far (the daemon watches their paths). */
  trackedFiles(): TrackedFileSpec[] {
    return [...this.files.values()].map((e) => ({ ...e.tracked.spec }));
  }

  /** Forget the backend session (a new backend or key); file positions are kept. */
  reset(): void {
    this._initialized = false;
    this._sessionId = undefined;
    this.stale = false;
  }

  /** `POST /sync/init`: learn the session id and the backend's line count per file. */
  async init(opts: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.doInit(false, opts.signal);
    } catch (err) {
      // The pacer learns of every 429, so the next cycle waits the pause out.
      if (isBackendError(err, 'rate-limited')) this.pacer.onRateLimited(err.retryAfterMs);
      throw err;
    }
  }

  /**
   * One sync cycle: discover files, upload what is new, discover again (up to
   * `MAX_DISCOVERY_ROUNDS`). Cycles never overlap: a call waits for the one in progress.
   * Throws the first error it could not recover from (after finishing what it could on other
   * files); errors it recovered from within the cycle go to `hooks.syncError` instead. 429s are
   * pacing, not errors: the report's `nextCycleInMs` says when to come back.
   */
  syncAll(trigger: SyncTrigger, opts: { signal?: AbortSignal } = {}): Promise<SyncReport> {
    const run = this.queue.then(() => this.runCycle(trigger, opts.signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** `POST /sync/event` session_end, after the final sync; no-op when not initialized. */
  async sendSessionEnd(payload: unknown, timestamp: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this._initialized || !this._sessionId) return;
    await this.backend.event(
      { session_id: this._sessionId, event_type: 'session_end', timestamp, ...(payload === undefined ? {} : { payload }) },
      { signal: opts.signal },
    );
  }

  /**
   * True when some complete line of a tracked file is not yet on the backend (a stat per file,
   * usually). Files the backend refused for good do not count. Waits for a cycle in progress.
   */
  hasPendingLines(): Promise<boolean> {
    const run = this.queue.then(() => this.checkPending());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async checkPending(): Promise<boolean> {
    for (const entry of this.files.values()) {
      if (entry.refused) continue;
      if ((await entry.tracked.probe(this.readerOptions())) === 'idle') continue;
      const opened = await entry.tracked.openAtBackendPosition(this.readerOptions(), this.log);
      if (!opened) continue;
      try {
        if (!opened.atBackendPosition) continue;
        const offset = opened.reader.offset;
        if ((await opened.reader.skip(1)) > 0) return true;
        // Changed while read: whatever it holds now, a cycle has to look at it.
        if (!(await entry.tracked.confirmView(opened))) return true;
        entry.tracked.markIdle({ line: entry.tracked.lastSyncedLine, offset }, opened.reader.scannedTo);
      } finally {
        await entry.tracked.close(opened);
      }
    }
    return false;
  }

  // ── init ──────────────────────────────────────────────────────────────────────────────

  private track(spec: TrackedFileSpec): FileEntry {
    const lines = this.remoteLines.get(spec.name);
    const entry: FileEntry = {
      tracked: new TrackedFile(spec, lines ?? 0),
      pace: { chunks: 0, lastUploadAt: undefined },
      paceSeeded: false,
      refused: false,
      invalidStreak: 0,
      notBefore: 0,
    };
    if (lines !== undefined) this.seedPace(entry, lines);
    this.files.set(spec.name, entry);
    return entry;
  }

  /**
   * A file the backend already holds was (partly) uploaded by someone else: its chunk count is
   * unknown, so it is estimated from its line count, at most half the per-file cap (pacing is
   * tuned by it; refusal is left to the backend).
   */
  private seedPace(entry: FileEntry, lines: number): void {
    if (entry.paceSeeded) return;
    entry.paceSeeded = true;
    const cap = Number.isFinite(this.backend.policy.maxChunksPerFile) ? Math.floor(this.backend.policy.maxChunksPerFile / 2) : Infinity;
    entry.pace.chunks = Math.max(entry.pace.chunks, Math.min(Math.ceil(lines / ESTIMATED_LINES_PER_CHUNK), cap));
  }

  private async buildInitRequest(refresh: boolean): Promise<InitRequest> {
    const { provider, externalId, transcriptPath, cwd } = this.session;
    const metadata: InitMetadata = {};
    if (cwd) metadata.cwd = cwd;
    const host = hostInfo();
    if (host.hostname) metadata.hostname = host.hostname;
    if (host.username) metadata.username = host.username;
    const draft: InitRequest = { provider, external_id: externalId, transcript_path: transcriptPath, metadata };
    const hooked: unknown = await this.hooks.initRequest.promise(draft, { ...this.session, refresh });
    return this.sanitizeInitRequest(isObject(hooked) ? hooked : { ...draft });
  }

  /** What goes on the wire whatever the taps did: this session's identity, the real cwd, never `git_info: null`. */
  private sanitizeInitRequest(req: Record<string, unknown>): InitRequest {
    const { provider, externalId, transcriptPath, cwd } = this.session;
    const out: InitRequest = {
      provider,
      external_id: externalId,
      transcript_path: typeof req.transcript_path === 'string' && req.transcript_path !== '' ? req.transcript_path : transcriptPath,
    };
    const metadata: Record<string, unknown> = isObject(req.metadata) ? { ...req.metadata } : {};
    for (const [key, value] of Object.entries(metadata)) if (value === undefined || value === null) delete metadata[key];
    // An empty or missing cwd would blank the stored one on re-init.
    if (typeof metadata.cwd !== 'string' || metadata.cwd === '') {
      if (cwd) metadata.cwd = cwd;
      else delete metadata.cwd;
    }
    if (Object.keys(metadata).length > 0) out.metadata = metadata as InitMetadata;
    return out;
  }

  private async doInit(refresh: boolean, signal: AbortSignal | undefined): Promise<void> {
    const req = await this.buildInitRequest(refresh);
    const resp = await this.backend.init(req, { signal });
    this.applyInit(resp);
  }

  private applyInit(resp: InitResponse): void {
    if (typeof resp.session_id !== 'string' || resp.session_id === '' || !isObject(resp.files)) {
      throw new BackendError('protocol', 'init response lacks session_id or files');
    }
    this.remoteLines.clear();
    for (const [name, file] of Object.entries(resp.files)) {
      const n = isObject(file) ? file.last_synced_line : undefined;
      if (!isLineCount(n)) throw new BackendError('protocol', `init response has an invalid last_synced_line for a file`);
      this.remoteLines.set(name, n);
    }
    this._sessionId = resp.session_id;
    this._initialized = true;
    this.stale = false;
    for (const entry of this.files.values()) {
      const n = this.remoteLines.get(entry.tracked.spec.name) ?? 0;
      entry.tracked.lastSyncedLine = n;
      this.seedPace(entry, n);
    }
  }

  // ── capabilities and discovery ────────────────────────────────────────────────────────

  /** Probed lazily, cached once definitive, probed at most once per cycle while it fails. */
  private capabilities(): Promise<Capabilities> {
    if (this.capabilitiesCache) return Promise.resolve(this.capabilitiesCache);
    if (this.capabilitiesFailedInCycle === this.cycle) return Promise.reject(this.capabilitiesFailure);
    this.capabilitiesProbe ??= this.backend
      .capabilities({ signal: this.currentSignal })
      .then((caps) => {
        this.capabilitiesCache = caps;
        return caps;
      })
      .catch((err: unknown) => {
        if (this.capabilitiesFailedInCycle < 0) this.log.info('backend capabilities unknown; probing again next cycle', { error: toError(err).message });
        this.capabilitiesFailedInCycle = this.cycle;
        this.capabilitiesFailure = err;
        throw err;
      })
      .finally(() => {
        this.capabilitiesProbe = undefined;
      });
    return this.capabilitiesProbe;
  }

  private async discover(round: number, state: CycleState): Promise<FileEntry[]> {
    const tracked = new Map<string, TrackedFileSpec>();
    for (const [name, entry] of this.files) tracked.set(name, { ...entry.tracked.spec });
    const ctx: DiscoverContext = { ...this.session, tracked, round, capabilities: () => this.capabilities() };
    let result: unknown;
    try {
      result = await this.hooks.discoverFiles.promise([...tracked.values()], ctx);
    } catch (err) {
      if (isAbort(err, state.signal)) throw err;
      this.log.warn('file discovery failed; following the files known so far', { round, error: toError(err).message });
      this.emitError(toError(err), 'discover', state.trigger);
      return [];
    }
    if (!Array.isArray(result)) {
      this.log.warn('a discoverFiles tap returned something other than an array', { round });
      return [];
    }
    const added: FileEntry[] = [];
    for (const value of result) {
      const spec = validSpec(value);
      if (typeof spec === 'string') {
        this.log.warn('ignoring a discovered file', { round, reason: spec });
        continue;
      }
      const existing = this.files.get(spec.name);
      if (existing) {
        if (existing.tracked.spec.path !== spec.path || existing.tracked.spec.type !== spec.type) existing.tracked.relocate(spec);
        continue;
      }
      this.log.info('following a new file', { file: spec.name, type: spec.type });
      added.push(this.track(spec));
    }
    return added;
  }

  // ── the cycle ─────────────────────────────────────────────────────────────────────────

  private emitError(err: Error, phase: SyncPhase, trigger: SyncTrigger, fileName?: string): void {
    try {
      this.hooks.syncError.call(err, { phase, trigger, ...(fileName === undefined ? {} : { fileName }) });
    } catch (tapErr) {
      this.log.warn('a syncError tap threw', { error: toError(tapErr).message });
    }
  }

  private async runCycle(trigger: SyncTrigger, signal: AbortSignal | undefined): Promise<SyncReport> {
    const started = this.clock.now();
    this.cycle++;
    this.currentSignal = signal;
    const state = new CycleState(trigger, signal);
    try {
      throwIfAborted(signal);
      if (!this._initialized || this.stale) {
        const ok = await this.initForCycle(state);
        if (!ok) return this.finish(state, started);
      }
      let queue = [...this.files.values()];
      const roundZero = await this.discover(0, state);
      queue.push(...roundZero.filter((e) => !queue.includes(e)));
      for (let round = 1; ; round++) {
        for (const entry of queue) {
          if (state.stopped) break;
          await this.syncFile(entry, state);
        }
        if (state.stopped || round > MAX_DISCOVERY_ROUNDS) break;
        queue = await this.discover(round, state);
        if (queue.length === 0) break;
      }
      return this.finish(state, started);
    } finally {
      this.currentSignal = undefined;
    }
  }

  private async initForCycle(state: CycleState): Promise<boolean> {
    const refresh = this._initialized;
    const pause = this.pacer.pauseRemainingMs();
    if (pause > 0 && !state.urgent) {
      // init spends the same per-user budget as chunks: wait the 429 pause out.
      state.hold(pause);
      state.stopped = true;
      return false;
    }
    try {
      await this.withRateLimit(state, () => this.doInit(refresh, state.signal));
      return true;
    } catch (err) {
      if (isBackendError(err, 'rate-limited') && !state.urgent) {
        state.hold(this.pacer.pauseRemainingMs());
        state.stopped = true;
        return false;
      }
      if (isBackendError(err, 'unauthorized')) this.reset();
      throw err;
    }
  }

  private finish(state: CycleState, started: number): SyncReport {
    // Recovered within the cycle: worth a note, not a failed cycle.
    for (const { name, err } of state.recovered) this.emitError(err, 'chunk', state.trigger, name);
    const unrecovered = [...state.fileErrors.values(), ...state.otherErrors];
    if (unrecovered[0]) throw unrecovered[0];
    const files: FileSyncReport[] = [];
    for (const entry of this.files.values()) {
      const r = state.report(entry);
      r.lastSyncedLine = entry.tracked.lastSyncedLine;
      files.push(r);
    }
    const report: SyncReport = {
      trigger: state.trigger,
      files,
      durationMs: Math.max(0, this.clock.now() - started),
      complete: !state.stopped && state.pendingFiles.size === 0,
    };
    if (state.holdMs !== undefined && !report.complete) report.nextCycleInMs = Math.max(1, state.holdMs);
    return report;
  }

  /**
   * Runs a backend call under the rate-limit policy: every 429 feeds the pacer; with a
   * `final`/`once` trigger the engine waits the pause out and retries (bounded), otherwise the
   * error goes back to the caller, which holds uploads until the pause is over.
   */
  private async withRateLimit<T>(state: CycleState, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (state.urgent) {
        const pause = this.pacer.pauseRemainingMs();
        if (pause > 0) await this.clock.sleep(pause, state.signal);
      }
      try {
        return await call();
      } catch (err) {
        if (!isBackendError(err, 'rate-limited')) throw err;
        const pause = this.pacer.onRateLimited(err.retryAfterMs);
        this.log.info('backend rate limit hit; pausing uploads', { pause_ms: pause, level: this.pacer.backoffLevel() });
        if (!state.urgent || attempt >= URGENT_RATE_LIMIT_RETRIES) throw err;
      }
    }
  }

  private readerOptions(): LineReaderOptions {
    return { maxLineBytes: this.budgetBytes };
  }

  private async syncFile(entry: FileEntry, state: CycleState): Promise<void> {
    const name = entry.tracked.spec.name;
    state.report(entry);
    if (entry.refused) return;
    try {
      if ((await entry.tracked.statCheck()) === 'idle') return;
    } catch (err) {
      if (isAbort(err, state.signal)) throw err;
      state.pendingFiles.add(name);
      state.fileErrors.set(name, toError(err));
      return;
    }
    if (!state.urgent && entry.notBefore > this.clock.now()) {
      state.pendingFiles.add(name);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.uploadFile(entry, state, attempt > 1);
      if (outcome === 'done') {
        state.pendingFiles.delete(name);
        this.markRecovered(name, state);
        return;
      }
      state.pendingFiles.add(name);
      // One immediate resume after a re-init; beyond that the next cycle retries.
      if (outcome === 'pending' || attempt >= 2 || state.stopped) return;
    }
  }

  /** `resume`: re-sending after a failed chunk, which pacing must not delay further. */
  private async uploadFile(entry: FileEntry, state: CycleState, resume: boolean): Promise<FileOutcome> {
    const { tracked } = entry;
    if (!state.urgent) {
      const wait = this.pacer.waitMs(entry.pace, { backlog: resume });
      if (wait > 0 || this.backend.budget) {
        // Held back only if there is something to hold (the file may have grown by a partial
        // line); a turn of the shared budget is reserved only then.
        try {
          if ((await tracked.probe(this.readerOptions())) === 'idle') return 'done';
        } catch (err) {
          if (isAbort(err, state.signal)) throw err;
          state.fileErrors.set(tracked.spec.name, toError(err));
          return 'pending';
        }
        if (wait > 0) {
          state.hold(wait);
          return 'pending';
        }
        if (await this.waitsForBudget(state)) return 'pending';
      }
    }
    let opened;
    try {
      opened = await tracked.openAtBackendPosition(this.readerOptions(), this.log);
    } catch (err) {
      if (isAbort(err, state.signal)) throw err;
      state.fileErrors.set(tracked.spec.name, toError(err));
      return 'pending';
    }
    if (!opened) return 'done';
    let ahead: Promise<ChunkDraft | undefined> | undefined;
    try {
      if (!opened.atBackendPosition) return 'done';
      const prefetch = (opened.reader.expectedBytes ?? 0) >= PREFETCH_MIN_BYTES;
      const preparer = this.preparerFor(entry, prefetch ? this.prefetcher : undefined);
      const chunker = new Chunker(opened.reader, preparer, tracked.lastSyncedLine + 1, {
        bytes: this.budgetBytes,
        batchBytes: this.batchBytes,
        skeletonBytes: (firstLine) => this.skeletonBytesFor(entry, firstLine),
      });
      let backlog = false;
      let sent = 0;
      for (;;) {
        throwIfAborted(state.signal);
        if (backlog && !state.urgent) {
          const wait = this.pacer.waitMs(entry.pace, { backlog: true });
          if (wait > 0) {
            state.hold(wait);
            return 'pending';
          }
        }
        let draft: ChunkDraft | undefined;
        let unchanged: boolean;
        try {
          const next = ahead ?? chunker.draft();
          ahead = undefined;
          draft = await next;
          // Nothing read is used unless the file still holds it once read: a rewrite in place
          // between two reads would otherwise mix old lines (or line numbers) with new ones.
          unchanged = await tracked.confirmView(opened);
        } catch (err) {
          // A read error, or a line tap that threw: this file waits, the others go on.
          if (isAbort(err, state.signal)) throw err;
          state.fileErrors.set(tracked.spec.name, toError(err));
          return 'pending';
        }
        if (!unchanged) return 'retry';
        if (!draft) {
          tracked.markIdle({ line: tracked.lastSyncedLine, offset: opened.reader.offset }, opened.reader.scannedTo);
          return 'done';
        }
        // More lines than the turn that opened the file covers: the draft is dropped (nothing
        // was acknowledged) and read again, with whatever came since, at the next turn.
        if (sent > 0 && (await this.waitsForBudget(state))) return 'pending';
        // Read ahead: the next chunk is read and its lines prepared while this one is stored
        // or sent. It is confirmed against the file only after this send settled, as before.
        const readAhead = () => {
          if (!draft?.full) return;
          ahead = chunker.draft();
          ahead.catch(() => undefined);
        };
        const outcome = await this.sendDraft(entry, chunker, draft, state, readAhead);
        if (outcome !== 'sent') return outcome;
        sent++;
        backlog = draft.full;
      }
    } finally {
      // Nothing may still read through the handle once it is closed.
      if (ahead) await ahead.catch(() => undefined);
      await tracked.close(opened);
    }
  }

  /**
   * A non-urgent upload waits for this process's turn of the user's shared budget without
   * holding the cycle: the lines stay in the file, and the cycle that comes back at the turn
   * sends everything appended meanwhile in one request. True when the file must wait.
   */
  private async waitsForBudget(state: CycleState): Promise<boolean> {
    const budget = this.backend.budget;
    if (!budget || state.urgent) return false;
    const wait = await budget.readyInMs();
    if (wait <= 0) return false;
    state.hold(wait);
    return true;
  }

  /** The last skeleton measured: it differs between lines only by the digits of `first_line`. */
  private skeletonCache: { key: string; digits: number; bytes: number } | undefined;

  private skeletonBytesFor(entry: FileEntry, firstLine: number): number {
    const { spec } = entry.tracked;
    const sessionId = this._sessionId ?? '';
    const key = `${sessionId}\0${spec.name}\0${spec.type}`;
    const digits = String(firstLine).length;
    const cached = this.skeletonCache;
    if (cached?.key === key && Number.isInteger(firstLine) && firstLine >= 0) return cached.bytes + digits - cached.digits;
    const bytes = skeletonBytes({ session_id: sessionId, file_name: spec.name, file_type: spec.type, first_line: firstLine });
    if (Number.isInteger(firstLine) && firstLine >= 0) this.skeletonCache = { key, digits, bytes };
    return bytes;
  }

  private preparerFor(entry: FileEntry, prefetcher: LinePrefetcher | undefined): LinePreparer {
    const { spec } = entry.tracked;
    return {
      ...(prefetcher ? { prefetcher } : {}),
      transform: (text, lineNumber) => {
        const out: unknown = this.hooks.line.call(text, { fileName: spec.name, fileType: spec.type, lineNumber });
        if (typeof out !== 'string') throw new TypeError(`a line tap returned ${out === null ? 'null' : typeof out} instead of a string`);
        return out;
      },
      fitsAlone: (wireBytes, lineNumber) => this.skeletonBytesFor(entry, lineNumber) + wireBytes <= this.budgetBytes,
      keepJson: this.backend.kind !== 'local',
    };
  }

  private chunkContext(entry: FileEntry, rawLines: readonly string[]): ChunkContext {
    const spec = { ...entry.tracked.spec };
    return {
      ...this.session,
      file: spec,
      rawLines,
      redactMetadata: (value: string, field: MetadataField) => this.hooks.metadata.call(value, { field, fileName: spec.name }),
      linkSummary: async (externalId: string, summary: string) => {
        try {
          const redacted = this.hooks.metadata.call(summary, { field: 'summary', fileName: spec.name });
          await this.backend.updateSummary(externalId, redacted, { signal: this.currentSignal });
        } catch (err) {
          this.log.warn('could not link a summary to an earlier session', { error: toError(err).message });
        }
      },
    };
  }

  /**
   * Only the metadata of what `chunk` taps return is used: the lines and numbering are the
   * engine's. Free-text fields pass the `metadata` hook (redaction) once more here, and
   * `git_info: null` is never sent (it would erase the stored value).
   */
  private finalizeChunk(base: ChunkRequest, hooked: unknown, fileName: string): ChunkRequest {
    const raw = isObject(hooked) ? hooked.metadata : undefined;
    if (raw === undefined || raw === null) return base;
    if (!isObject(raw)) {
      this.log.warn('a chunk tap set metadata to a non-object; sending the chunk without it', { file: fileName });
      return base;
    }
    const metadata: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) if (value !== undefined && !(key === 'git_info' && value === null)) metadata[key] = value;
    for (const field of ['summary', 'first_user_message'] as const) {
      const value = metadata[field];
      if (typeof value === 'string') metadata[field] = this.hooks.metadata.call(value, { field, fileName });
    }
    return Object.keys(metadata).length > 0 ? { ...base, metadata: metadata as ChunkMetadata } : base;
  }

  /** Runs the chunk hook and fits the request under the size cap, shrinking the draft if metadata pushed it over. */
  private async buildRequest(entry: FileEntry, chunker: Chunker, draft: ChunkDraft): Promise<{ request: ChunkRequest; lines: PreparedLine[]; body: EncodedBody }> {
    const { spec } = entry.tracked;
    let lines = draft.lines;
    for (;;) {
      const base: ChunkRequest = {
        session_id: this._sessionId ?? '',
        file_name: spec.name,
        file_type: spec.type,
        first_line: draft.firstLine,
        lines: lines.map((l) => l.wire),
      };
      const hooked: unknown = await this.hooks.chunk.promise(
        { ...base, lines: [...base.lines] },
        this.chunkContext(
          entry,
          lines.map((l) => l.raw),
        ),
      );
      const request = this.finalizeChunk(base, hooked, spec.name);
      // The body without serializing every line again: a JSON array of strings is its
      // elements' serializations joined by commas, and each line's was made when it was read.
      const body = encodeChunkBody(request, lines);
      const bytes = body.bytes;
      if (bytes <= this.maxRequestBytes) return { request, lines, body };
      if (lines.length > 1) {
        const keep = Math.ceil(lines.length / 2);
        chunker.requeue(lines.slice(keep));
        lines = lines.slice(0, keep);
        draft.full = true;
        continue;
      }
      const only = lines[0] as PreparedLine;
      if (only.placeholder) throw new Error(`chunk metadata from taps exceeds the request size limit (${bytes} bytes)`);
      lines = [demoteToPlaceholder(only)];
    }
  }

  /** `whileSending` runs once the request is final (no line will be requeued), as it goes out. */
  private async sendDraft(entry: FileEntry, chunker: Chunker, draft: ChunkDraft, state: CycleState, whileSending?: () => void): Promise<'sent' | FileOutcome> {
    const { tracked } = entry;
    const name = tracked.spec.name;
    let built;
    try {
      built = await this.buildRequest(entry, chunker, draft);
    } catch (err) {
      if (isAbort(err, state.signal)) throw err;
      state.fileErrors.set(name, toError(err));
      return 'pending';
    }
    const { request, lines, body } = built;
    for (const line of lines) {
      if (line.placeholder) {
        this.log.warn('line too large for any request; uploaded a placeholder in its place', { file: name, line: line.lineNumber, bytes: line.fileBytes - 1 });
      } else if (line.inexact) {
        this.log.warn('line is not valid UTF-8; invalid bytes were sent as U+FFFD', { file: name, line: line.lineNumber });
      }
    }
    const last = request.first_line + lines.length - 1;
    const end = (lines[lines.length - 1] as PreparedLine).end;
    let lastSynced: number;
    whileSending?.();
    try {
      const resp = await this.withRateLimit(state, () => this.backend.chunk(request, { signal: state.signal, encoded: body }));
      lastSynced = resp.last_synced_line;
      if (!isLineCount(lastSynced)) throw new BackendError('protocol', 'chunk response has an invalid last_synced_line');
    } catch (err) {
      return this.onChunkError(entry, toError(err), request.first_line - 1, state);
    }
    this.pacer.onUploaded(entry.pace);
    entry.invalidStreak = 0;
    this.markRecovered(name, state);
    const r = state.report(entry);
    r.chunks++;
    r.lines += lines.length;
    r.bytes += lines.reduce((sum, l) => sum + l.fileBytes, 0);
    this.log.debug('chunk uploaded', { file: name, first_line: request.first_line, lines: lines.length });
    if (lastSynced === last) {
      tracked.acknowledge({ line: last, offset: end });
      return 'sent';
    }
    // The backend counts differently from what we sent: trust it, re-derive offsets next time.
    this.log.warn('backend acknowledged a different line count than sent', { file: name, expected: last, got: lastSynced });
    tracked.position = { line: last, offset: end };
    tracked.lastSyncedLine = lastSynced;
    return 'pending';
  }

  /** A file's earlier error in this cycle was overcome (a later chunk went through, or the file is complete). */
  private markRecovered(name: string, state: CycleState): void {
    const earlier = state.fileErrors.get(name);
    if (!earlier) return;
    state.fileErrors.delete(name);
    state.recovered.push({ name, err: earlier });
  }

  private refuse(entry: FileEntry, state: CycleState, why: string): void {
    if (entry.refused) return;
    entry.refused = true;
    const name = entry.tracked.spec.name;
    this.log.error('the backend will take no more chunks of this file; it is no longer synced', { file: name, reason: why });
    this.emitError(new Error(`${name}: ${why}`), 'chunk', state.trigger, name);
  }

  private async onChunkError(entry: FileEntry, err: Error, sentAfterLine: number, state: CycleState): Promise<FileOutcome> {
    const name = entry.tracked.spec.name;
    if (isAbort(err, state.signal)) throw err;
    if (isBackendError(err, 'unauthorized')) {
      this.reset();
      throw err;
    }
    if (isBackendError(err, 'not-found')) throw err;
    if (isBackendError(err, 'rate-limited')) {
      // Nothing was stored: no re-init needed, only a pause.
      state.hold(this.pacer.pauseRemainingMs());
      state.stopped = true;
      if (state.urgent) state.fileErrors.set(name, err);
      return 'pending';
    }
    if (isBackendError(err, 'invalid') && /too many chunks/i.test(err.message)) {
      this.refuse(entry, state, err.message);
      return 'done';
    }
    this.log.warn('chunk upload failed; re-syncing line numbers with the backend', { file: name, kind: isBackendError(err) ? err.kind : 'error', error: err.message });
    state.fileErrors.set(name, err);
    if (!(await this.refresh(state))) return 'pending';
    if (isBackendError(err, 'invalid') && entry.tracked.lastSyncedLine === sentAfterLine) {
      // Not a continuity problem: the backend rejects this content. Back off this file.
      entry.invalidStreak++;
      const delay = Math.min(INVALID_RETRY_BASE_MS * 2 ** (entry.invalidStreak - 1), INVALID_RETRY_MAX_MS);
      entry.notBefore = this.clock.now() + delay;
      this.log.warn('backend rejected a chunk; retrying this file later', { file: name, retry_in_ms: delay });
      return 'pending';
    }
    return 'retry';
  }

  /** Re-init after a failed chunk, to resume from the backend's numbers. */
  private async refresh(state: CycleState): Promise<boolean> {
    try {
      await this.withRateLimit(state, () => this.doInit(true, state.signal));
      return true;
    } catch (err) {
      if (isAbort(err, state.signal)) throw err;
      this.stale = true;
      state.stopped = true;
      if (isBackendError(err, 'unauthorized')) {
        this.reset();
        throw err;
      }
      if (isBackendError(err, 'rate-limited')) {
        state.hold(this.pacer.pauseRemainingMs());
        if (!state.urgent) return false;
      }
      state.otherErrors.push(toError(err));
      return false;
    }
  }
}
