import type { Backend } from '../backend/backend.js';
import type { Settings } from '../config/settings.js';
import { silentLogger, type Logger } from '../log.js';
import type { Provider } from '../provider/contract.js';
import { createDaemonHooks } from '../extension/daemon-hooks.js';
import type { DaemonHooks } from '../extension/daemon-hooks.js';
import type { FileSyncReport, SessionIdentity } from '../extension/hook-types.js';
import { hasSpareCore } from '../process/spare-core.js';
import type { LinePrefetcher } from '../sync/chunker.js';
import { BACKFILL_BATCH_TARGET_BYTES } from '../sync/engine.js';
import { applySessionTaps, type DaemonWiring } from './daemon-launch.js';

/** Cycles after which a session that keeps making progress is still cut off (a runaway file). */
const MAX_CYCLES = 10_000;
/** A held-back cycle (pacing, a 429 pause) is retried after at most this long. */
const MAX_HOLD_MS = 60_000;

export interface OneShotProgress {
  fileName: string;
  /** Lines and bytes (as read from disk) of the chunk about to be uploaded. */
  lines: number;
  bytes: number;
}

export interface OneShotOptions {
  provider: Provider;
  session: SessionIdentity;
  backend: Backend;
  /** The session's settings (from its cwd), for the settings taps and the project's `apply`. */
  settings: Settings;
  wiring: Pick<DaemonWiring, 'createEngine' | 'applySettings' | 'loadPlugins'>;
  log?: Logger;
  signal?: AbortSignal;
  /** Called for each chunk just before it is sent. */
  onChunk?(progress: OneShotProgress): void;
  /** Extra taps (tests). */
  tap?(hooks: DaemonHooks): void;
  /**
   * Redact on a second thread what this one reads ahead (default: with more than one core).
   * Off when other saves already keep every core busy.
   */
  readAhead?: boolean;
}

export interface OneShotResult {
  /** The backend's session id. */
  sessionId: string;
  /** Every complete line of every file is on the backend. */
  complete: boolean;
  /** What this run uploaded, per file (files with nothing new included). */
  files: FileSyncReport[];
  chunks: number;
  lines: number;
  bytes: number;
  /** Problems the engine recovered from or skipped past (one line each). */
  warnings: string[];
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/**
 * Upload one session to `backend` in one go (`confab save`): the same sync engine, hooks and
 * taps as the background daemon (see `applySessionTaps`), driven with the `once` trigger
 * until every complete line is on the backend. No daemon, state file or watcher. Resumable
 * by construction: init reports the backend's line count per file and only the rest is read.
 * Throws when the backend refuses the session or stays unreachable.
 */
export async function syncSessionOnce(opts: OneShotOptions): Promise<OneShotResult> {
  const log = opts.log ?? silentLogger;
  const target = { hooks: createDaemonHooks(), config: opts.session };
  const plugins = (await opts.wiring.loadPlugins?.(opts.settings, log)) ?? [];
  // A second core redacts what this one reads ahead; alone on one, it would only add copying.
  const readAhead = opts.readAhead ?? hasSpareCore(1);
  const taps = await applySessionTaps(target, opts.provider, opts.settings, opts.wiring, log, plugins, { readAhead });
  try {
    return await runOnce(opts, target.hooks, log, taps?.prefetcher);
  } finally {
    await taps?.close?.();
  }
}

async function runOnce(opts: OneShotOptions, hooks: DaemonHooks, log: Logger, prefetcher: LinePrefetcher | undefined): Promise<OneShotResult> {
  const warnings: string[] = [];
  hooks.syncError.tap('confab:save', (err, ctx) => {
    warnings.push(`${ctx.fileName ? `${ctx.fileName}: ` : ''}${err.message.replace(/\s+/g, ' ').trim()}`);
  });
  if (opts.onChunk) {
    const onChunk = opts.onChunk;
    // Last stage: sees the chunk exactly as it goes out.
    hooks.chunk.tap({ name: 'confab:save-progress', stage: 1_000 }, (req, ctx) => {
      let bytes = 0;
      for (const line of ctx.rawLines) bytes += Buffer.byteLength(line) + 1;
      onChunk({ fileName: ctx.file.name, lines: ctx.rawLines.length, bytes });
      return req;
    });
  }
  opts.tap?.(hooks);
  // A session kept in a database is written to its files first (see `DaemonHooks.refresh`).
  await hooks.refresh.promise(opts.session);

  const engine = opts.wiring.createEngine({
    backend: opts.backend,
    hooks,
    session: opts.session,
    log,
    // Fewer, larger requests: each spends a turn of the user's upload budget.
    ...(opts.backend.kind === 'http' ? { batchBytes: BACKFILL_BATCH_TARGET_BYTES } : {}),
    ...(prefetcher ? { prefetcher } : {}),
  });
  const signal = opts.signal;
  await engine.init(signal ? { signal } : {});

  const files = new Map<string, FileSyncReport>();
  let complete = false;
  let idleCycles = 0;
  for (let cycle = 0; cycle < MAX_CYCLES && !complete; cycle++) {
    const report = await engine.syncAll('once', signal ? { signal } : {});
    let uploaded = 0;
    for (const f of report.files) {
      const sum = files.get(f.name);
      if (sum) {
        sum.chunks += f.chunks;
        sum.lines += f.lines;
        sum.bytes += f.bytes;
        sum.lastSyncedLine = f.lastSyncedLine;
      } else files.set(f.name, { ...f });
      uploaded += f.chunks;
    }
    complete = report.complete;
    if (complete) break;
    if (report.nextCycleInMs !== undefined) {
      await sleep(Math.min(Math.max(report.nextCycleInMs, 10), MAX_HOLD_MS), signal);
      continue;
    }
    // Lines remain, nothing held them back and nothing moved: the backend refuses them.
    idleCycles = uploaded > 0 ? 0 : idleCycles + 1;
    if (idleCycles >= 2) break;
  }
  const all = [...files.values()];
  return {
    sessionId: engine.sessionId ?? '',
    complete,
    files: all,
    chunks: all.reduce((n, f) => n + f.chunks, 0),
    lines: all.reduce((n, f) => n + f.lines, 0),
    bytes: all.reduce((n, f) => n + f.bytes, 0),
    warnings,
  };
}
