import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { isBackendError } from '../backend/errors.js';
import { scrubSecrets, silentLogger, type Logger } from '../log.js';
import { createDaemonHooks } from '../extension/daemon-hooks.js';
import { defaultDaemonOptions } from './defaults.js';
import type { DaemonHooks, SyncHooks } from '../extension/daemon-hooks.js';
import type {
  InboxEvent,
  SessionIdentity,
  ShutdownReason,
  SyncReport,
  SyncTrigger,
  TrackedFileSpec,
} from '../extension/hook-types.js';
import { chooseDaemonMode, errText, type DaemonMode } from './daemon-modes.js';
import { DEFAULT_SYNC_INTERVAL_MS, defaultJitter } from '../sync/timing.js';
import type { LinePrefetcher } from '../sync/chunker.js';
import { isProcessAlive, isSameProcessAlive } from '../process/liveness.js';
import { earlySignals, releaseEarlySignals } from './readiness.js';
import type { State } from '../format/state.js';
import { markSessionDeleted } from './deleted.js';
import { readPending, recordPending, removePending } from './pending.js';
import { getInboxPathForProvider, newStateForProvider } from './state-store.js';

export { DEFAULT_SYNC_INTERVAL_MS };

/** What the seed calls `Config`: the session a daemon serves and its timing. */
export interface DaemonConfig {
  provider: string;
  externalId: string;
  transcriptPath: string;
  cwd: string;
  /** Agent process to watch; 0 or absent disables monitoring. */
  parentPid?: number;
  /** Base period between cycles (default 30 s). The file watcher usually syncs sooner. */
  syncIntervalMs?: number;
  /** Extra delay per cycle, uniform in [0, jitter) (default 5 s when the interval is unset too, else 0; 0 disables). */
  syncIntervalJitterMs?: number;
  /**
   * A daemon that served this session before and is still finishing it (its final sync):
   * this one waits for it to exit before it starts, so the two never upload at once.
   */
  predecessor?: { pid: number; startTime?: string };
}

/** The part of the sync engine the daemon drives (implemented by `SyncEngine`). */
export interface SyncSession {
  readonly initialized: boolean;
  readonly sessionId: string | undefined;
  init(opts?: { signal?: AbortSignal }): Promise<void>;
  syncAll(trigger: SyncTrigger, opts?: { signal?: AbortSignal }): Promise<SyncReport>;
  sendSessionEnd(payload: unknown, timestamp: string, opts?: { signal?: AbortSignal }): Promise<void>;
  hasPendingLines(): Promise<boolean>;
  trackedFiles(): TrackedFileSpec[];
  reset(): void;
}

export interface EngineFactoryInput {
  backend: Backend;
  hooks: SyncHooks;
  session: SessionIdentity;
  log: Logger;
  /** Where a multi-line chunk stops growing (default: the engine's for the backend). */
  batchBytes?: number;
  /** Work on lines ahead of the `line` hook, for a large backlog (`confab save`'s redaction on another thread). */
  prefetcher?: LinePrefetcher;
}

/** Watches paths and calls back when they change (chokidar in production). */
export interface PathWatcher {
  add(paths: string[]): void;
  close(): Promise<void>;
}

export interface DaemonTiming {
  /**
   * How long to wait for the transcript to appear (60 s). `Infinity`: as long as the agent
   * process runs (its exit, or a stop, ends the wait), for transcripts confab writes itself.
   */
  transcriptWaitMs: number;
  /** How often to look for it meanwhile (0.5 s: a `-p` session can end within a second). */
  transcriptPollMs: number;
  /** Parent liveness poll (5 s). */
  parentCheckMs: number;
  /** Cap on the final sync + session_end at shutdown (30 s). */
  shutdownTimeoutMs: number;
  /** Consecutive "session not found" cycles before the daemon gives up (3). */
  maxNotFound: number;
  /** Quiet time after a file event before syncing, to coalesce a burst of writes. */
  watchDebounceMs: number;
}

export const DEFAULT_DAEMON_TIMING: DaemonTiming = {
  transcriptWaitMs: 60_000,
  transcriptPollMs: 500,
  parentCheckMs: 5_000,
  shutdownTimeoutMs: 30_000,
  maxNotFound: 3,
  watchDebounceMs: 25,
};

/** How often a daemon looks whether its predecessor has exited. */
const PREDECESSOR_POLL_MS = 50;

/** Wiring that is not part of the session's identity: where to upload, logs, watcher, clocks. */
export interface DaemonOptions {
  /** Build the backend; called again after an auth failure (so a new key in config is picked up). */
  backend: () => Promise<Backend>;
  createEngine: (input: EngineFactoryInput) => SyncSession;
  log?: Logger;
  /** Handle SIGTERM/SIGINT (and ignore SIGHUP) in this process: the background daemon does. */
  handleSignals?: boolean;
  /** Create a file watcher that triggers syncs; omit to rely on the interval alone. */
  watch?: (onChange: () => void) => PathWatcher;
  /**
   * Own the session's state file in ~/.confab/sync, its ready marker and its inbox (the
   * background daemon does; library callers do not). Ignored with `drain`. See daemon-modes.ts.
   */
  manageState?: boolean;
  timing?: Partial<DaemonTiming>;
  random?: () => number;
  /**
   * Resume a pending session instead of following a live one: sync until every line is on
   * the backend, send the recorded session_end, clear the pending record, and stop (or give
   * up after `maxMs`, leaving the record for a later resume). No inbox, no state file.
   */
  drain?: { sessionEnd?: InboxEvent; maxMs: number };
  /** Runs once at the start of `run()`, before anything else (e.g. to install taps). */
  prepare?: () => Promise<void>;
}

export interface DaemonExit {
  reason: ShutdownReason;
  /** Some complete lines were still not on the backend when the daemon stopped. */
  pending: boolean;
  /** The session_end event was delivered. */
  sessionEndSent: boolean;
}

class StopSignal {
  reason: ShutdownReason | undefined;
  private wake: (() => void) | undefined;
  trigger(reason: ShutdownReason): void {
    this.reason ??= reason;
    this.wake?.();
  }
  /** Sleep until `ms` passes, the stop signal fires, or `poke` is called. */
  sleep(ms: number, register: (poke: () => void) => void): Promise<void> {
    if (this.reason) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      register(done);
    });
  }
}

/**
 * The background sync process for one session. It waits for the transcript, saves its state,
 * then syncs whenever the transcript grows (file watcher) or the interval fires, until
 * SIGTERM/SIGINT, `stop()`, the agent process exiting, or the backend saying the session
 * is gone. Then it reads its inbox, does a final sync (capped), sends `session_end`, removes
 * its state and inbox, and resolves `run()`. Network errors never stop it.
 *
 * Every extension point is in `hooks`, declared in one place: `extension/daemon-hooks.ts`.
 */
export class Daemon {
  readonly hooks: DaemonHooks;
  readonly config: Readonly<Required<DaemonConfig>>;
  private readonly opts: DaemonOptions;
  private readonly timing: DaemonTiming;
  private readonly log: Logger;
  /** How this daemon's run differs by what it serves (daemon-modes.ts). */
  private readonly mode: DaemonMode;
  private readonly stopSignal = new StopSignal();
  private engine: SyncSession | undefined;
  private state: State | undefined;
  private cycle: Promise<void> | undefined;
  private pokeLoop: (() => void) | undefined;
  private wantSync = false;
  private consecutiveNotFound = 0;
  private watcher: PathWatcher | undefined;
  /** The latest failure not followed by a complete cycle: why lines may still be waiting. */
  private lastError: string | undefined;
  private watched = new Set<string>();
  private refreshError: string | undefined;

  /** Without `options`, the daemon is wired as confab's own are (see `defaultDaemonOptions`). */
  constructor(config: DaemonConfig, options?: DaemonOptions) {
    this.hooks = createDaemonHooks();
    this.config = Object.freeze({
      provider: config.provider || 'claude-code',
      externalId: config.externalId,
      transcriptPath: config.transcriptPath,
      cwd: config.cwd,
      parentPid: config.parentPid ?? 0,
      syncIntervalMs: config.syncIntervalMs && config.syncIntervalMs > 0 ? config.syncIntervalMs : DEFAULT_SYNC_INTERVAL_MS,
      syncIntervalJitterMs: defaultJitter(config.syncIntervalMs && config.syncIntervalMs > 0 ? config.syncIntervalMs : undefined, config.syncIntervalJitterMs),
      predecessor: config.predecessor ?? { pid: 0 },
    });
    this.opts = options ?? defaultDaemonOptions(this);
    this.timing = { ...DEFAULT_DAEMON_TIMING, ...this.opts.timing };
    this.log = this.opts.log ?? silentLogger;
    this.mode = chooseDaemonMode(this.opts, { provider: this.config.provider, externalId: this.config.externalId, log: this.log });
  }

  /** Ask the daemon to shut down (idempotent). `run()` resolves once it has. */
  stop(reason: ShutdownReason = 'stop-called'): void {
    this.stopSignal.trigger(reason);
  }

  /** Request a sync soon (the watcher calls this when a file grows). */
  poke(): void {
    this.wantSync = true;
    this.pokeLoop?.();
  }

  async run(): Promise<DaemonExit> {
    const removeSignals = this.opts.handleSignals ? this.installSignalHandlers() : () => {};
    try {
      await this.waitForPredecessor();
      await this.opts.prepare?.();
      // An unbounded wait (a transcript the provider writes itself) lasts as long as the agent runs.
      const stopWaitMonitor = Number.isFinite(this.timing.transcriptWaitMs) ? () => {} : this.monitorParent();
      if (!(await this.waitForTranscript().finally(stopWaitMonitor))) {
        const reason = this.stopSignal.reason ?? 'transcript-missing';
        this.log.warn('transcript never appeared; stopping without syncing', { reason });
        await this.mode.abandon();
        return { reason, pending: false, sessionEndSent: false };
      }
      this.saveOwnState();
      if (this.state) await this.hooks.start.promise(this.state);
      const stopParentMonitor = this.monitorParent();
      this.startWatcher();
      try {
        await this.loop();
      } finally {
        stopParentMonitor();
        await this.watcher?.close();
      }
      return await this.shutdown(this.stopSignal.reason ?? 'stop-called');
    } finally {
      removeSignals();
    }
  }

  private installSignalHandlers(): () => void {
    const onTerm = () => this.stop('signal');
    const onHup = () => {};
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
    process.on('SIGHUP', onHup);
    // A stop requested while the process was still booting.
    releaseEarlySignals();
    if (earlySignals().length) this.stop('signal');
    return () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      process.off('SIGHUP', onHup);
    };
  }

  /**
   * A session handed over from a daemon still doing its final sync (its agent process exited,
   * or a SessionEnd stopped it, and the session resumed at once): wait until that daemon has
   * exited — it consumes its inbox, uploads what is on disk and settles its pending record —
   * then start from the backend's numbers. Lines written meanwhile wait in the file. The wait
   * is capped (a predecessor's shutdown is) and ends early if this daemon is asked to stop.
   */
  private async waitForPredecessor(): Promise<void> {
    const { pid, startTime } = this.config.predecessor;
    if (pid <= 0 || pid === process.pid) return;
    const deadline = Date.now() + this.timing.shutdownTimeoutMs + 5_000;
    if (!isSameProcessAlive(pid, startTime)) return;
    this.log.info('waiting for the previous daemon of this session to finish', { predecessor_pid: pid });
    while (isSameProcessAlive(pid, startTime) && !this.stopSignal.reason && Date.now() < deadline) {
      await this.stopSignal.sleep(PREDECESSOR_POLL_MS, () => {});
    }
  }

  /**
   * Wait for the transcript (agents create it only once the session has content). A stop
   * during the wait still syncs if the file exists by then: a short session may end before
   * the first poll sees its transcript.
   */
  private async waitForTranscript(): Promise<boolean> {
    const deadline = Date.now() + this.timing.transcriptWaitMs;
    for (;;) {
      if (this.hooks.refresh.isUsed()) await this.refresh();
      try {
        await stat(this.config.transcriptPath);
        return true;
      } catch {
        // not there yet
      }
      if (this.stopSignal.reason || Date.now() >= deadline) {
        // What the agent finished just before the stop is written too.
        if (this.hooks.refresh.isUsed()) await this.refresh();
        return stat(this.config.transcriptPath).then(
          () => true,
          () => false,
        );
      }
      await this.stopSignal.sleep(Math.min(this.timing.transcriptPollMs, Math.max(0, deadline - Date.now())), () => {});
    }
  }

  /** Fire `refresh` (a provider writing its files from a database); a failure is logged once per distinct message. */
  private async refresh(): Promise<void> {
    const { provider, externalId, transcriptPath, cwd } = this.config;
    try {
      await this.hooks.refresh.promise({ provider, externalId, transcriptPath, cwd });
      if (this.refreshError) this.log.info('refresh recovered');
      this.refreshError = undefined;
    } catch (err) {
      const msg = errText(err);
      if (msg !== this.refreshError) this.log.warn(`refresh failed: ${msg}`);
      this.refreshError = msg;
    }
  }

  private saveOwnState(): void {
    const { provider, externalId, transcriptPath, cwd, parentPid } = this.config;
    this.state = newStateForProvider(provider, externalId, transcriptPath, cwd, parentPid);
    // Already asked to stop (a short session): the session was handed over by the stopper;
    // claiming it again would make a resumed session's hook think we still serve it.
    if (this.stopSignal.reason) return;
    this.mode.saveState(this.state);
  }

  private monitorParent(): () => void {
    const parent = this.config.parentPid;
    if (parent <= 0) return () => {};
    const timer = setInterval(() => {
      if (!isProcessAlive(parent)) {
        this.log.info('parent process exited', { parent_pid: parent });
        this.stop('parent-exited');
      }
    }, this.timing.parentCheckMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private startWatcher(): void {
    if (!this.opts.watch) return;
    let debounce: NodeJS.Timeout | undefined;
    this.watcher = this.opts.watch(() => {
      clearTimeout(debounce);
      debounce = setTimeout(() => this.poke(), this.timing.watchDebounceMs);
    });
    this.watchTracked([this.config.transcriptPath]);
  }

  private watchTracked(paths: string[]): void {
    if (!this.watcher) return;
    const fresh: string[] = [];
    // The files themselves, not their directories: a project's directory holds the transcript
    // of every session of the project, and watching it would wake every daemon of the project
    // on every append of any of them (N sessions, N² wake-ups). A file replaced under its
    // name, or one not created yet, is still found: chokidar watches a missing path's parent
    // until it appears, and the interval is the backstop.
    for (const p of paths) {
      const target = resolve(p);
      if (!this.watched.has(target)) {
        this.watched.add(target);
        fresh.push(target);
      }
    }
    if (fresh.length) this.watcher.add(fresh);
  }

  private nextDelay(report: SyncReport | undefined): number {
    const jitter = this.config.syncIntervalJitterMs > 0 ? Math.floor((this.opts.random ?? Math.random)() * this.config.syncIntervalJitterMs) : 0;
    const base = this.config.syncIntervalMs + jitter;
    return report?.nextCycleInMs !== undefined ? Math.min(base, Math.max(0, report.nextCycleInMs)) : base;
  }

  private async loop(): Promise<void> {
    let trigger: SyncTrigger = 'startup';
    const done = this.mode.startCycles();
    while (!this.stopSignal.reason) {
      this.wantSync = false;
      const report = await this.runCycle(trigger);
      const finished = done(report);
      if (finished) this.stop(finished);
      if (this.stopSignal.reason) break;
      if (!this.wantSync) {
        await this.stopSignal.sleep(this.nextDelay(report), (poke) => {
          this.pokeLoop = poke;
        });
        this.pokeLoop = undefined;
      }
      trigger = this.wantSync ? 'watch' : 'interval';
    }
  }

  /** One cycle; never throws (failures are logged, reported via `syncError`, and retried). */
  private runCycle(trigger: SyncTrigger): Promise<SyncReport | undefined> {
    const run = this.cycleBody(trigger);
    this.cycle = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private async ensureEngine(trigger: SyncTrigger, signal?: AbortSignal): Promise<SyncSession | undefined> {
    if (!this.engine) {
      try {
        const backend = await this.opts.backend();
        this.engine = this.opts.createEngine({
          backend,
          hooks: this.hooks,
          session: {
            provider: this.config.provider,
            externalId: this.config.externalId,
            transcriptPath: this.config.transcriptPath,
            cwd: this.config.cwd,
          },
          log: this.log,
        });
      } catch (err) {
        this.reportError(err, 'config', trigger);
        return undefined;
      }
    }
    const engine = this.engine;
    if (!engine.initialized) {
      try {
        await engine.init(signal ? { signal } : {});
      } catch (err) {
        this.reportError(err, 'init', trigger);
        if (isBackendError(err, 'unauthorized')) this.dropEngine();
        return undefined;
      }
      this.onInitialized(engine);
    }
    return engine;
  }

  private onInitialized(engine: SyncSession): void {
    const sess = engine.sessionId ?? '';
    this.log.info('session initialized on backend', { ext: this.config.externalId.slice(0, 8), sess: sess.slice(0, 8) });
    if (this.state && sess && this.state.confabSessionId !== sess) {
      this.state.confabSessionId = sess;
      this.mode.saveState(this.state);
    }
  }

  private dropEngine(): void {
    this.engine?.reset();
    this.engine = undefined;
  }

  private async cycleBody(trigger: SyncTrigger, signal?: AbortSignal): Promise<SyncReport | undefined> {
    if (this.hooks.refresh.isUsed()) await this.refresh();
    const engine = await this.ensureEngine(trigger, signal);
    if (!engine) return undefined;
    try {
      const report = await engine.syncAll(trigger, signal ? { signal } : {});
      this.consecutiveNotFound = 0;
      if (report.complete) this.lastError = undefined;
      this.watchTracked(engine.trackedFiles().map((f) => f.path));
      await this.hooks.afterSync.promise(report);
      return report;
    } catch (err) {
      this.reportError(err, 'chunk', trigger);
      if (isBackendError(err, 'unauthorized')) {
        this.dropEngine();
      } else if (isBackendError(err, 'not-found')) {
        this.consecutiveNotFound++;
        if (this.consecutiveNotFound >= this.timing.maxNotFound) {
          this.log.warn('session deleted from backend; stopping', { not_found: this.consecutiveNotFound });
          this.stop('session-deleted');
        }
      } else {
        this.consecutiveNotFound = 0;
      }
      return undefined;
    }
  }

  private reportError(err: unknown, phase: 'config' | 'init' | 'chunk', trigger: SyncTrigger): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.lastError = scrubSecrets(errText(error)).slice(0, 300);
    this.log.warn(`sync ${phase} failed: ${errText(error)}`, { trigger });
    try {
      this.hooks.syncError.call(error, { phase, trigger });
    } catch (tapErr) {
      this.log.warn(`a syncError tap threw: ${errText(tapErr)}`);
    }
  }

  private async shutdown(reason: ShutdownReason): Promise<DaemonExit> {
    this.log.info('shutting down', { reason });
    // A signal may arrive mid-cycle: let that cycle finish (no torn cycle) before the final one.
    await this.cycle;

    const inboxPath = this.state?.inboxPath ?? getInboxPathForProvider(this.config.provider, this.config.externalId);
    const sessionEnd = this.mode.sessionEnd(inboxPath, (event) => {
      try {
        this.hooks.inboxEvent.call(event);
      } catch (err) {
        this.log.warn(`an inboxEvent tap threw: ${errText(err)}`);
      }
    });

    // A session_end an earlier daemon of this session still owed (it stopped before the
    // backend took it, and the session resumed at once): sent before ours, since clearing
    // the pending record below would otherwise drop it.
    const earlier = this.mode.owedByPredecessor(sessionEnd);
    let earlierSent = false;
    let pending = true;
    let sessionEndSent = false;
    if (reason !== 'session-deleted') {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timing.shutdownTimeoutMs);
      try {
        const final = (async () => {
          const report = await this.cycleBody('final', controller.signal);
          const engine = this.engine;
          if (!engine?.initialized) return;
          pending = report ? !report.complete : await engine.hasPendingLines().catch(() => true);
          if (earlier?.hook_input && !pending) {
            await engine.sendSessionEnd(earlier.hook_input, earlier.timestamp, { signal: controller.signal });
            earlierSent = true;
          }
          if (sessionEnd?.hook_input && !pending) {
            await engine.sendSessionEnd(sessionEnd.hook_input, sessionEnd.timestamp, { signal: controller.signal });
            sessionEndSent = true;
          }
        })();
        await Promise.race([
          final.catch((err) => this.log.error(`final sync failed: ${errText(err)}`)),
          new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true })),
        ]);
        if (controller.signal.aborted) this.log.warn('shutdown timed out; giving up on the final sync', { timeout_ms: this.timing.shutdownTimeoutMs });
      } finally {
        clearTimeout(timer);
      }
    } else {
      pending = false;
    }

    try {
      await this.hooks.shutdown.promise({ reason, pending });
    } catch (err) {
      this.log.warn(`a shutdown tap threw: ${errText(err)}`);
    }
    await this.mode.release(this.state);
    // One event slot per record: an earlier event not delivered goes first (ours, if it was
    // not delivered either, is then lost: both failing at once is the one case left).
    if (earlier && !earlierSent) this.settlePending(reason, pending, earlier, false);
    else this.settlePending(reason, pending, sessionEnd, sessionEndSent);
    if (reason === 'session-deleted' && this.mode.marksDeleted) {
      try {
        markSessionDeleted(this.config.provider, this.config.externalId);
      } catch (err) {
        this.log.warn(`could not mark the session as deleted: ${errText(err)}`);
      }
    }
    this.log.info('daemon stopped', { reason, pending, session_end_sent: sessionEndSent });
    return { reason, pending, sessionEndSent };
  }

  /**
   * A session must never be silently dropped: lines still not on the backend (or a
   * session_end not yet delivered) leave a pending record that the next hook of any session
   * resumes; a session that is complete clears its record.
   */
  private settlePending(reason: ShutdownReason, pending: boolean, sessionEnd: InboxEvent | undefined, sessionEndSent: boolean): void {
    const keep = this.mode.pending;
    if (!keep) return;
    const { provider, externalId, transcriptPath, cwd } = this.config;
    try {
      const owedEvent = Boolean(sessionEnd?.hook_input) && !sessionEndSent;
      if (reason !== 'session-deleted' && (pending || owedEvent)) {
        let previous: ReturnType<typeof readPending>;
        try {
          previous = readPending(provider, externalId);
        } catch {
          // unreadable: replaced below
        }
        recordPending({
          provider,
          external_id: externalId,
          transcript_path: transcriptPath,
          cwd,
          reason,
          ...(owedEvent && sessionEnd ? { session_end: sessionEnd } : {}),
          ...(this.lastError ? { last_error: this.lastError } : {}),
          attempts: (previous?.attempts ?? 0) + keep.attempt,
        });
        this.log.warn('session recorded as pending: it will be resumed by a later hook', { reason, lines_pending: pending, session_end_owed: owedEvent });
      } else {
        removePending(provider, externalId);
      }
    } catch (err) {
      this.log.error(`could not record the session's pending state: ${errText(err)}`);
    }
  }
}
