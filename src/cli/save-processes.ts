import type * as ChildProcessModule from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { hasSpareCore } from '../process/spare-core.js';
import type { LocalSession, Provider } from '../provider/contract.js';
import { errorLine } from './format.js';
import { confabEntryScript } from './executable.js';
import type { FoundSession } from './local-sessions.js';
import { selectProviders } from './providers.js';
import { failedResult, liveSessions, saveOne, summarize, type SaveOptions, type SaveOutcome, type SaveProgress, type SaveSummary, type SessionSaveResult } from './save.js';

/**
 * `confab save` over several processes, so a backfill of many sessions uses every core (one
 * process runs one thread of JavaScript, which redaction and parsing keep busy). The command
 * starts `confab save --worker` processes and hands each one session at a time, largest first,
 * over a pipe of JSON lines; each saves it exactly as `saveSessions` would (same engine, store
 * and backends, which several processes already share safely: daemons do) and reports its
 * chunks and result. Results come back in `targets` order.
 */

/** Below this much to save in all, one process does it: starting others would cost more than it saves. */
export const PROCESS_POOL_MIN_BYTES = 32 * 1024 * 1024;

/** A session as it crosses the pipe: its provider by name, its time as a number. */
type TaskSession = Omit<LocalSession, 'lastActivity'> & { lastActivity: number };

interface SaveTask {
  index: number;
  session: TaskSession;
  /** The worker may redact on a second thread: there are more cores than worker processes. */
  readAhead?: boolean;
}

export type WorkerMessage =
  | { type: 'chunk'; index: number; fileName: string; lines: number; bytes: number }
  | { type: 'done'; index: number; result: SessionSaveResult };

const OUTCOMES: readonly SaveOutcome[] = ['uploaded', 'up-to-date', 'incomplete', 'skipped', 'failed'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isResult(v: unknown): v is SessionSaveResult {
  return (
    isObject(v) &&
    typeof v.id === 'string' &&
    typeof v.provider === 'string' &&
    typeof v.backend === 'string' &&
    OUTCOMES.includes(v.outcome as SaveOutcome) &&
    [v.chunks, v.lines, v.bytes, v.sizeBytes].every(isCount) &&
    Array.isArray(v.warnings) &&
    v.warnings.every((w) => typeof w === 'string') &&
    (v.error === undefined || typeof v.error === 'string')
  );
}

/** A worker's line, checked; undefined for anything else (never trusted as a result). */
export function parseWorkerMessage(line: string, sessions: number): WorkerMessage | undefined {
  const v = parseJson(line);
  if (!isObject(v) || !isCount(v.index) || v.index >= sessions) return undefined;
  if (v.type === 'chunk' && typeof v.fileName === 'string' && isCount(v.lines) && isCount(v.bytes)) {
    return { type: 'chunk', index: v.index, fileName: v.fileName, lines: v.lines, bytes: v.bytes };
  }
  if (v.type === 'done' && isResult(v.result)) return { type: 'done', index: v.index, result: v.result };
  return undefined;
}

function parseTask(line: string): SaveTask | undefined {
  const v = parseJson(line);
  if (!isObject(v) || !isCount(v.index) || !isObject(v.session)) return undefined;
  const s = v.session;
  const strings = ['provider', 'externalId', 'transcriptPath', 'project', 'cwd'] as const;
  if (!strings.every((k) => typeof s[k] === 'string') || !isCount(s.sizeBytes) || typeof s.lastActivity !== 'number') return undefined;
  if (s.title !== undefined && typeof s.title !== 'string') return undefined;
  if (v.readAhead !== undefined && typeof v.readAhead !== 'boolean') return undefined;
  return { index: v.index, session: s as unknown as TaskSession, ...(v.readAhead !== undefined ? { readAhead: v.readAhead } : {}) };
}

export interface ProcessPoolOptions {
  /** Worker processes (at most one per session). */
  processes: number;
  /** Leave alone sessions a running daemon is following. */
  skipLive?: boolean;
  signal?: AbortSignal;
  progress?: SaveProgress;
  /** Starts one worker; the default runs `confab save --worker` with this Node. */
  spawnWorker?: (skipLive: boolean) => ChildProcess;
}

function spawnSaveWorker(skipLive: boolean): ChildProcess {
  const { spawn } = process.getBuiltinModule('node:child_process') as typeof ChildProcessModule;
  return spawn(process.execPath, [confabEntryScript(), 'save', '--worker', ...(skipLive ? ['--all'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** Save `targets` across `opts.processes` worker processes; see the module comment. */
export async function saveSessionsInProcesses(targets: readonly FoundSession[], opts: ProcessPoolOptions): Promise<SaveSummary> {
  const started = Date.now();
  const slots = new Array<SessionSaveResult | undefined>(targets.length);
  // Largest first: what is left for the end is small, so the processes finish close together.
  const queue = targets.map((_, i) => i).sort((a, b) => targets[b]!.session.sizeBytes - targets[a]!.session.sizeBytes);
  const settle = (i: number, result: SessionSaveResult) => {
    slots[i] = result;
    opts.progress?.onSessionDone?.(result, i, targets.length);
  };

  // Each process has a core of its own; a second thread per save only pays with cores to spare.
  const readAhead = hasSpareCore(opts.processes);
  const runWorker = () =>
    new Promise<void>((resolve) => {
      const child = (opts.spawnWorker ?? spawnSaveWorker)(opts.skipLive === true);
      let current: number | undefined;
      const onAbort = () => child.kill('SIGINT');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const next = () => {
        current = opts.signal?.aborted ? undefined : queue.shift();
        if (current === undefined) {
          child.stdin?.end();
          return;
        }
        const { session } = targets[current]!;
        opts.progress?.onSessionStart?.(targets[current]!, current, targets.length);
        const task: SaveTask = { index: current, session: { ...session, lastActivity: session.lastActivity.getTime() }, readAhead };
        child.stdin?.write(`${JSON.stringify(task)}\n`);
      };
      // A worker that died leaves its pipe closed: writing to it must not throw here.
      child.stdin?.on('error', () => undefined);
      child.on('error', () => undefined);
      if (child.stdout) {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const msg = parseWorkerMessage(line, targets.length);
          if (!msg || msg.index !== current) return;
          if (msg.type === 'chunk') {
            opts.progress?.onChunk?.(targets[msg.index]!, { fileName: msg.fileName, lines: msg.lines, bytes: msg.bytes });
            return;
          }
          settle(msg.index, msg.result);
          next();
        });
      }
      child.on('close', (code, signal) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (current !== undefined && slots[current] === undefined) {
          settle(current, failedResult(targets[current]!, `its save process exited (${signal ?? `code ${code}`}) before it finished`));
        }
        current = undefined;
        resolve();
      });
      next();
    });

  const count = Math.max(1, Math.min(opts.processes, targets.length));
  await Promise.all(Array.from({ length: count }, runWorker));
  // Every worker died before the queue was empty.
  if (!opts.signal?.aborted) for (const i of queue.splice(0)) settle(i, failedResult(targets[i]!, 'no save process was left to save it'));
  return { ...summarize(slots, started), processes: count };
}

/**
 * The worker side (`confab save --worker`): read tasks from `input`, save each in turn, write
 * its chunks and its result to `output` as JSON lines. Returns when `input` ends.
 */
export async function runSaveWorker(
  input: Readable,
  output: Writable,
  opts: Pick<SaveOptions, 'router' | 'wiring' | 'log' | 'signal'> & { skipLive?: boolean },
): Promise<void> {
  const live = opts.skipLive ? await liveSessions() : new Set<string>();
  const providers = new Map<string, Promise<Provider>>();
  const providerNamed = (name: string) => {
    let p = providers.get(name);
    if (!p) {
      p = selectProviders(name).then((list) => list[0]!);
      providers.set(name, p);
    }
    return p;
  };
  const send = (msg: WorkerMessage) => output.write(`${JSON.stringify(msg)}\n`);
  for await (const line of createInterface({ input })) {
    if (opts.signal?.aborted) break;
    const task = parseTask(line);
    if (!task) continue;
    const session: LocalSession = { ...task.session, lastActivity: new Date(task.session.lastActivity) };
    let provider: Provider;
    try {
      provider = await providerNamed(session.provider);
    } catch (err) {
      send({ type: 'done', index: task.index, result: failedResult({ provider: { name: session.provider } as Provider, session }, errorLine(err)) });
      continue;
    }
    const found: FoundSession = { provider, session };
    const result = await saveOne(
      found,
      {
        ...opts,
        progress: { onChunk: (_f, c) => send({ type: 'chunk', index: task.index, fileName: c.fileName, lines: c.lines, bytes: c.bytes }) },
        ...(task.readAhead !== undefined ? { readAhead: task.readAhead } : {}),
      },
      live,
    );
    send({ type: 'done', index: task.index, result });
  }
}
