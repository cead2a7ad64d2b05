import type * as ChildProcess from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { logDir } from '../paths.js';
import type { Provider, SessionHookInput } from '../provider/contract.js';
import { isSessionMarkedDeleted } from './deleted.js';
import { encodeLaunchInput, type LaunchInput } from './launch.js';
import { processStartTime } from './liveness.js';
import { tryLock } from './lock.js';
import { getStatePathForProvider, isDaemonRunning, loadStateForProvider, saveState } from './state-store.js';
import { newStateForProvider } from './state-store.js';

/** `<log dir>/<provider>/<external_id>.log`: one log per daemon. */
export function daemonLogPath(provider: string, externalId: string): string {
  return join(logDir(), provider, `${externalId}.log`);
}

export interface SpawnDaemonOptions {
  /** The confab executable to run (`bin/run.js`); defaults to the one running now. */
  entry?: string;
  env?: NodeJS.ProcessEnv;
}

export interface EnsureDaemonOptions extends SpawnDaemonOptions {
  /**
   * Last check before a daemon is spawned (config allows sync, plugins load): a reason not to
   * start one, or undefined. Runs only when no daemon serves the session yet, so the hooks
   * of a session whose daemon runs pay nothing for it.
   */
  beforeSpawn?: (input: SessionHookInput) => Promise<string | undefined>;
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
      [entry, 'hook', 'session-start', '--provider', launch.provider, '--bg-daemon', encodeLaunchInput(launch)],
      {
        detached: true,
        stdio: ['ignore', out, out],
        env: opts.env ?? process.env,
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
  | { status: 'started'; pid: number; parentPid: number }
  | { status: 'starting' }
  | { status: 'skipped'; reason: string };

/**
 * Make sure one daemon serves this session: do nothing if a live daemon owns its state;
 * otherwise, under an O_EXCL lock (so two hooks racing start one daemon), spawn it and
 * write its state — with the child's PID — before returning.
 */
export async function ensureDaemon(provider: Provider, hookInput: SessionHookInput, opts: EnsureDaemonOptions = {}): Promise<EnsureDaemonResult> {
  // One daemon per root session: a sub-agent's hook maps to its root's daemon (Codex).
  const input = provider.resolveRoot ? await provider.resolveRoot(hookInput) : hookInput;
  if (!input.transcriptPath) return { status: 'skipped', reason: 'transcript_path is required to spawn daemon' };
  if (provider.shouldSpawn && !(await provider.shouldSpawn(input))) return { status: 'skipped', reason: 'provider declined this session' };

  if (isSessionMarkedDeleted(provider.name, input.sessionId)) return { status: 'skipped', reason: 'this session was deleted from the backend; it is no longer synced' };

  const existing = await loadStateForProvider(provider, input.sessionId);
  if (existing && isDaemonRunning(existing)) return { status: 'running', pid: existing.pid };

  const lock = tryLock(`${getStatePathForProvider(provider.name, input.sessionId)}.lock`);
  if (!lock) return { status: 'starting' };
  try {
    const again = await loadStateForProvider(provider, input.sessionId);
    if (again && isDaemonRunning(again)) return { status: 'running', pid: again.pid };
    const blocked = await opts.beforeSpawn?.(input);
    if (blocked !== undefined) return { status: 'skipped', reason: blocked };

    const parentPid = input.parentPid && input.parentPid > 0 ? input.parentPid : ((await provider.findParentPid?.()) ?? 0);
    const launch: LaunchInput = {
      provider: provider.name,
      external_id: input.sessionId,
      transcript_path: input.transcriptPath,
      cwd: input.cwd,
      ...(parentPid > 0 ? { parent_pid: parentPid } : {}),
    };
    const pid = spawnDaemon(launch, opts);
    const state = newStateForProvider(provider.name, input.sessionId, input.transcriptPath, input.cwd, parentPid, pid);
    const start = processStartTime(pid);
    if (start) state.pidStartTime = start;
    else delete state.pidStartTime;
    saveState(state);
    return { status: 'started', pid, parentPid };
  } finally {
    lock.release();
  }
}
