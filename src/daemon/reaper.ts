import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { logDir } from '../paths.js';
import { deleteState, isDaemonRunning, listAllStatesDetailed, stateAgeMs } from './state-store.js';

/** States younger than this are skipped: their daemon may still be starting. */
export const REAP_MIN_AGE_MS = 5_000;
/** Daemon logs are kept this long after their last write. */
export const LOG_RETENTION_MS = 14 * 24 * 3600 * 1000;

export interface ReapResult {
  reaped: string[];
  errors: string[];
}

/**
 * Remove the state (and inbox) of every daemon that is dead and older than REAP_MIN_AGE_MS,
 * in every namespace and in legacy layouts (removing the file each was loaded from).
 */
export async function reapStaleStates(now = Date.now()): Promise<ReapResult> {
  const result: ReapResult = { reaped: [], errors: [] };
  const { states } = await listAllStatesDetailed();
  for (const state of states) {
    if (stateAgeMs(state, now) < REAP_MIN_AGE_MS) continue;
    if (isDaemonRunning(state)) continue;
    try {
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
