import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { logDir } from '../paths.js';
import { lastSessionEnd, readInboxEvents } from './inbox.js';
import { readPending, recordPending } from './pending.js';
import { deleteState, isDaemonRunning, listAllStatesDetailed, setStateAside, stateAgeMs } from './state-store.js';

/** States younger than this are skipped: their daemon may still be starting. */
export const REAP_MIN_AGE_MS = 5_000;
/** Daemon logs are kept this long after their last write. */
export const LOG_RETENTION_MS = 14 * 24 * 3600 * 1000;

export interface ReapResult {
  reaped: string[];
  /** State files that could not be decoded, moved aside (`<file>.invalid-<time>`). */
  setAside: string[];
  errors: string[];
}

/**
 * Set aside every state file that cannot be decoded (older than REAP_MIN_AGE_MS), and
 * remove the state (and inbox) of every daemon that is dead and older than REAP_MIN_AGE_MS,
 * in every namespace and in legacy layouts (removing the file each was loaded from). A dead
 * daemon may have died with lines not yet uploaded (killed, machine restarted), so its
 * session is recorded as pending first — with the SessionEnd event its inbox holds — and a
 * resume finishes it (or finds it complete and clears the record).
 */
export async function reapStaleStates(now = Date.now()): Promise<ReapResult> {
  const result: ReapResult = { reaped: [], setAside: [], errors: [] };
  const { states, invalid } = await listAllStatesDetailed();
  // A file that cannot be decoded would otherwise sit there for good (a state is written
  // atomically, so an old one is not half-written: it is damaged, or not ours).
  for (const bad of invalid) {
    try {
      if (now - statSync(bad.path).mtimeMs < REAP_MIN_AGE_MS) continue;
      result.setAside.push(setStateAside(bad.path));
    } catch (err) {
      result.errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  for (const state of states) {
    if (stateAgeMs(state, now) < REAP_MIN_AGE_MS) continue;
    if (isDaemonRunning(state)) continue;
    try {
      if (state.transcriptPath && existsSync(state.transcriptPath) && !readPending(state.provider, state.externalId)) {
        const end = state.inboxPath ? lastSessionEnd(readInboxEvents(state.inboxPath).events) : undefined;
        recordPending({
          provider: state.provider,
          external_id: state.externalId,
          transcript_path: state.transcriptPath,
          cwd: state.cwd,
          reason: 'daemon-died',
          ...(end ? { session_end: end } : {}),
        });
      }
      deleteState(state, { withInbox: true });
      result.reaped.push(state.loadedFrom ?? `${state.provider}/${state.externalId}`);
    } catch (err) {
      result.errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return result;
}

/** Delete per-daemon logs untouched for LOG_RETENTION_MS. Best-effort. */
export function pruneDaemonLogs(now = Date.now()): number {
  let removed = 0;
  let providers: string[];
  try {
    providers = readdirSync(logDir());
  } catch {
    return 0;
  }
  for (const p of providers) {
    const dir = join(logDir(), p);
    let files: string[];
    try {
      if (!statSync(dir).isDirectory()) continue;
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith('.log') && !f.endsWith('.log.1')) continue;
      const file = join(dir, f);
      try {
        if (now - statSync(file).mtimeMs > LOG_RETENTION_MS) {
          rmSync(file, { force: true });
          removed++;
        }
      } catch {
        // raced with another pruner
      }
    }
  }
  return removed;
}
