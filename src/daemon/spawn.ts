import type * as ChildProcess from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { logDir } from '../paths.js';
import type { Provider, SessionHookInput } from '../provider/contract.js';
import { isSessionMarkedDeleted } from './deleted.js';
import { encodeLaunchInput, type LaunchInput } from './launch.js';
import { isProcessAlive, isSameProcessAlive } from '../process/liveness.js';
import { startAfterExitOf } from '../process/spawner-exit.js';
import { BASELINE_TIER_FLAG } from '../process/jit-tier.js';
import { tryLock } from '../fs/lock.js';
import { readPending } from './pending.js';
import { StateFormatError, type State } from '../format/state.js';
import { getStatePathForProvider, isDaemonRunning, loadStateForProvider, newStateForProvider, saveState, setStateAside } from './state-store.js';
import { terminateDaemon } from './stop.js';

/** `<log dir>/<provider>/<external_id>.log`: one log per daemon. */
export function daemonLogPath(provider: string, externalId: string): string {
  return join(logDir(), provider, `${externalId}.log`);
}

export interface SpawnDaemonOptions {
  /** The confab executable to run (`bin/run.js`); defaults to the one running now. */
  entry?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The daemon loads its sync engine only once this process has exited (a hook about to
   * answer its agent, which should not have to share the CPU with the daemon's start-up).
   */
  afterExitOf?: number;
}

export interface EnsureDaemonOptions extends SpawnDaemonOptions {
  /**
   * Last check before a daemon is spawned (config allows sync, plugins load): a reason not to
   * start one, or undefined. Runs only when no daemon serves the session yet, so the hooks
   * of a session whose daemon runs pay nothing for it.
   */
  beforeSpawn?: (input: SessionHookInput) => Promise<string | undefined>;
  /** One-line warnings (a state file set aside). */
  onWarning?: (message: string) => void;
}

/**
 * glibc's allocator tuned for a process that idles after bursts, unless the user set it: one
 * arena (by default each thread that allocates, e.g. a compression on the thread pool, gets
 * its own, and keeps what it grew), and a fixed mmap threshold (the default one rises after a
 * large buffer is freed, so later chunk-sized buffers come from the heap and stay resident).
 * An idle daemon that synced 2.6 MB over HTTP: 26.9 → about 13 MiB of anonymous memory
 * (bench/daemon-idle.mjs). Other C libraries ignore these variables.
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '65536', ...env };
}

/**
 * Start `confab hook session-start --provider P --bg-daemon <launch JSON>` detached: its own
 * session (setsid), stdin closed, stdout/stderr to the daemon's log, environment inherited
 * (that is how CONFAB_* settings reach it). Returns the child's PID without waiting.
 */
export function spawnDaemon(launch: LaunchInput, opts: SpawnDaemonOptions = {}): number {
  const entry = opts.entry ?? process.argv[1];
  if (!entry) throw new Error('cannot locate the confab executable to start a daemon');
  const logPath = daemonLogPath(launch.provider, launch.external_id);
  ensurePrivateDirSync(dirname(logPath));
  const out = openSync(logPath, 'a', PRIVATE_FILE_MODE);
  try {
    // Loaded on first use: most hooks (tool hooks, a daemon already running) never spawn.
    const { spawn } = process.getBuiltinModule('node:child_process') as typeof ChildProcess;
    const child = spawn(
      process.execPath,
      // A daemon idles far more than it works: a 1 MiB young generation keeps the memory a
      // sync burst grows from staying resident while it waits (bench/daemon-idle.mjs), and it
      // compiles no optimized code until it meets a backlog (process/jit-tier.ts).
      ['--max-semi-space-size=1', BASELINE_TIER_FLAG, entry, 'hook', 'session-start', '--provider', launch.provider, '--bg-daemon', encodeLaunchInput(launch)],
      {
        detached: true,
        stdio: ['ignore', out, out],
        env: daemonEnv(opts.afterExitOf ? startAfterExitOf(opts.env ?? process.env, opts.afterExitOf) : (opts.env ?? process.env)),
        // Not the session's cwd: it may not exist here, and a daemon should not keep a project
        // directory busy. Everything the daemon reads uses absolute paths from the launch JSON.
        cwd: '/',
      },
    );
    child.on('error', () => {
      // Reported through the missing PID below; never crash the hook.
    });
    child.unref();
    if (!child.pid) throw new Error('failed to start the sync daemon');
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export type EnsureDaemonResult =
  | { status: 'running'; pid: number }
  | { status: 'started'; pid: number; parentPid: number; replaced?: { pid: number; reason: string } }
  | { status: 'starting' }
  | { status: 'skipped'; reason: string };

/**
 * Make sure one live daemon serves this session for the agent process that runs it now.
 *
 * - A live daemon serving this agent process: nothing to do.
 * - A live daemon serving an agent process that has exited, or another one than this hook's
 *   (a session resumed under the same id — `codex exec resume`, `claude --resume` — within
 *   the seconds before that daemon notices its agent is gone): it would stop moments later
 *   and leave the resumed session's lines behind. It is handed over: SIGTERMed (it uploads
 *   what is on disk and exits) and a successor is started that waits for it to exit, then
 *   continues from the backend's numbers — nothing lost, nothing doubled.
 * - A daemon stopped by SessionEnd that is still finishing (its pending record names it) is
 *   likewise waited for by the new daemon.
 * - No daemon, or a dead one: start one.
 *
 * Under a lock (so two hooks racing start one daemon), the daemon is spawned and its state
 * — with the child's PID — written before returning. A state file that cannot be decoded is
 * set aside (reported through `onWarning`) instead of blocking the session for good.
 */
export async function ensureDaemon(provider: Provider, hookInput: SessionHookInput, opts: EnsureDaemonOptions = {}): Promise<EnsureDaemonResult> {
  // One daemon per root session: a sub-agent's hook maps to its root's daemon (Codex).
  const input = provider.resolveRoot ? await provider.resolveRoot(hookInput) : hookInput;
  if (!input.transcriptPath) return { status: 'skipped', reason: 'transcript_path is required to spawn daemon' };
  if (provider.shouldSpawn && !(await provider.shouldSpawn(input))) return { status: 'skipped', reason: 'provider declined this session' };

  if (isSessionMarkedDeleted(provider.name, input.sessionId)) return { status: 'skipped', reason: 'this session was deleted from the backend; it is no longer synced' };

  let agentPid: number | undefined;
  const agent = async (): Promise<number> => (agentPid ??= input.parentPid && input.parentPid > 0 ? input.parentPid : ((await provider.findParentPid?.()) ?? 0));

  const existing = await loadStateForProvider(provider, input.sessionId).catch((err: unknown) => {
    if (err instanceof StateFormatError) return undefined; // set aside under the lock below
    throw err;
  });
  if (existing && isDaemonRunning(existing) && !(await handOverReason(existing, agent))) return { status: 'running', pid: existing.pid };

  const statePath = getStatePathForProvider(provider.name, input.sessionId);
  const lock = await tryLock(`${statePath}.lock`);
  if (!lock) return { status: 'starting' };
  try {
    let again: State | undefined;
    try {
      again = await loadStateForProvider(provider, input.sessionId);
    } catch (err) {
      if (!(err instanceof StateFormatError)) throw err;
      const aside = setStateAside(statePath);
      opts.onWarning?.(`${err.message}; set aside as ${aside} and starting a new daemon`);
    }
    let predecessor: { pid: number; startTime?: string } | undefined;
    let replaced: { pid: number; reason: string } | undefined;
    if (again && isDaemonRunning(again)) {
      const reason = await handOverReason(again, agent);
      if (!reason) return { status: 'running', pid: again.pid };
      const blocked = await opts.beforeSpawn?.(input);
      // Not allowed to start a successor: leave the old daemon be (it stops with its agent).
      if (blocked !== undefined) return { status: 'skipped', reason: blocked };
      predecessor = { pid: again.pid, ...(again.pidStartTime ? { startTime: again.pidStartTime } : {}) };
      replaced = { pid: again.pid, reason };
    } else {
      const blocked = await opts.beforeSpawn?.(input);
      if (blocked !== undefined) return { status: 'skipped', reason: blocked };
      predecessor = stoppingDaemon(provider.name, input.sessionId);
    }

    const parentPid = await agent();
    const launch: LaunchInput = {
      provider: provider.name,
      external_id: input.sessionId,
      transcript_path: input.transcriptPath,
      cwd: input.cwd,
      ...(parentPid > 0 ? { parent_pid: parentPid } : {}),
      ...(predecessor ? { predecessor_pid: predecessor.pid, ...(predecessor.startTime ? { predecessor_start_time: predecessor.startTime } : {}) } : {}),
    };
    const pid = spawnDaemon(launch, opts);
    // Records the child's start time too (a reused PID is not mistaken for it).
    const state = newStateForProvider(provider.name, input.sessionId, input.transcriptPath, input.cwd, parentPid, pid);
    saveState(state);
    // Only now that the state names the successor: the old daemon removes the state on its
    // way out if it still names the old one.
    if (again && replaced) await terminateDaemon(again);
    return { status: 'started', pid, parentPid, ...(replaced ? { replaced } : {}) };
  } finally {
    await lock.release();
  }
}

/**
 * Why a live daemon can no longer serve the session, or undefined when it can: the agent
 * process it watches has exited (it is about to stop), or this hook runs under another agent
 * process. A daemon that watches no process (parent monitoring off) stops only at SessionEnd,
 * so it keeps serving. Works on Go CLI states too (`parent_pid` is a Go key).
 */
async function handOverReason(state: State, agent: () => Promise<number>): Promise<string | undefined> {
  if (state.parentPid <= 0) return undefined;
  if (!isProcessAlive(state.parentPid)) return `its agent process ${state.parentPid} has exited`;
  const now = await agent();
  if (now > 0 && now !== state.parentPid) return `the session now runs in agent process ${now}, not ${state.parentPid}`;
  return undefined;
}

/** A daemon a SessionEnd stopped that is still doing its final sync (its pending record names it). */
function stoppingDaemon(provider: string, externalId: string): { pid: number; startTime?: string } | undefined {
  let rec: ReturnType<typeof readPending>;
  try {
    rec = readPending(provider, externalId);
  } catch {
    return undefined;
  }
  if (!rec?.daemon_pid || !isSameProcessAlive(rec.daemon_pid, rec.daemon_start_time)) return undefined;
  return { pid: rec.daemon_pid, ...(rec.daemon_start_time ? { startTime: rec.daemon_start_time } : {}) };
}
