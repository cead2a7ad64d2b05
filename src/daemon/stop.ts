import type { Provider } from '../provider/contract.js';
import { appendInboxEvent } from './inbox.js';
import { recordPending } from './pending.js';
import { waitUntilReady } from './readiness.js';
import { writesReadyMarker, type State } from '../format/state.js';
import { deleteState, isDaemonRunning, loadStateForProvider } from './state-store.js';
import { formatRfc3339 } from '../format/rfc3339.js';

/**
 * How long a stop waits for a booting daemon to become ready. Agents give SessionEnd hooks
 * about 1.5 s in all (Claude Code), and a daemon boots in ~0.1–0.3 s.
 */
const READY_GRACE_MS = 1000;

/**
 * SIGTERM a session's daemon, which then does its final sync. One of ours that is still
 * booting would die of the signal without one, so it gets a short grace period to announce
 * it is ready; a Go CLI daemon (its state has no `pid_start_time`) never announces it, so
 * it is signalled at once instead of after a useless wait. A daemon already gone is fine.
 */
export async function terminateDaemon(state: State): Promise<void> {
  if (writesReadyMarker(state)) await waitUntilReady(state.provider, state.externalId, state.pid, READY_GRACE_MS);
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export class NoDaemonError extends Error {
  constructor(externalId: string) {
    super(`no daemon found for session ${externalId}`);
    this.name = 'NoDaemonError';
  }
}

export class StaleDaemonError extends Error {
  constructor() {
    super('daemon not running (stale state cleaned up)');
    this.name = 'StaleDaemonError';
  }
}

export interface StopResult {
  pid: number;
  /** The state file the daemon was found through. */
  statePath: string | undefined;
}

/**
 * Ask a session's daemon to stop: append a `session_end` event carrying the hook payload to
 * its inbox, then SIGTERM it. The daemon does the final sync; the caller never waits.
 * A state whose daemon is dead is removed and reported as StaleDaemonError.
 */
export async function stopDaemonForProvider(
  provider: string | Provider,
  externalId: string,
  hookInput?: Record<string, unknown>,
): Promise<StopResult> {
  const state = await loadStateForProvider(provider, externalId);
  if (!state) throw new NoDaemonError(externalId);
  if (!isDaemonRunning(state)) {
    deleteState(state);
    throw new StaleDaemonError();
  }
  const sessionEnd = hookInput ? { type: 'session_end', timestamp: formatRfc3339(Date.now()), hook_input: hookInput } : undefined;
  // From the SIGTERM on, the state is gone and the daemon is the only one who knows what is
  // left to upload: should it die during its final sync (killed, the machine shutting down),
  // this record is how the next hook finishes the session. The daemon removes it when done.
  // (Only for our daemons: a Go CLI daemon never would.)
  if (state.transcriptPath && state.pidStartTime) {
    try {
      recordPending({
        provider: state.provider,
        external_id: state.externalId,
        transcript_path: state.transcriptPath,
        cwd: state.cwd,
        reason: 'stopping',
        ...(sessionEnd ? { session_end: sessionEnd } : {}),
        daemon_pid: state.pid,
        daemon_start_time: state.pidStartTime,
      });
    } catch {
      // Best effort: the daemon records the session itself if its final sync falls short.
    }
  }
  if (sessionEnd && state.inboxPath) {
    try {
      appendInboxEvent(state.inboxPath, sessionEnd);
    } catch {
      // The SIGTERM alone still gets a final sync; only the event payload is lost.
    }
  }
  await terminateDaemon(state);
  // Hand the session over now: the stopping daemon finishes its final sync on its own, and a
  // session resumed right away (same id) must be able to start a new daemon meanwhile.
  try {
    // Unless a resumed session's hook has meanwhile handed the session to a successor.
    const now = await loadStateForProvider(provider, externalId);
    if (now && now.pid === state.pid) deleteState(now);
  } catch {
    // the daemon removes it itself on exit
  }
  return { pid: state.pid, statePath: state.loadedFrom };
}

/** The Go CLI's StopDaemon: Claude Code sessions (namespaced or legacy layout). */
export function stopDaemon(externalId: string, hookInput?: Record<string, unknown>): Promise<StopResult> {
  return stopDaemonForProvider('claude-code', externalId, hookInput);
}
