import { existsSync } from 'node:fs';
import type { Logger } from '../log.js';
import { isSessionMarkedDeleted } from './deleted.js';
import { isSameProcessAlive } from './liveness.js';
import { isLockHeld } from './lock.js';
import { listPending, pendingPath, removePending, type PendingSession } from './pending.js';
import { spawnDaemon, type SpawnDaemonOptions } from './spawn.js';
import { isDaemonRunning, loadStateForProvider } from './state-store.js';

/** At most this many resumes are started by one hook (hooks must stay quick). */
export const RESUMES_PER_HOOK = 3;

/** The first resume is immediate; each failed one waits longer (30 s, 1 min, … up to 30 min). */
export function resumeBackoffMs(attempts: number): number {
  return attempts <= 0 ? 0 : Math.min(30_000 * 2 ** (attempts - 1), 30 * 60_000);
}

export function drainLockPath(provider: string, externalId: string): string {
  return `${pendingPath(provider, externalId)}.lock`;
}

/**
 * Start a background resume for pending sessions that need one: not served by a live daemon,
 * not already being resumed, and past their back-off. Returns the sessions resumed.
 */
export async function resumePendingSessions(opts: SpawnDaemonOptions & { log?: Logger; now?: number } = {}): Promise<PendingSession[]> {
  const now = opts.now ?? Date.now();
  const started: PendingSession[] = [];
  for (const rec of listPending((path, error) => opts.log?.warn(`skipped a pending record: ${error}`, { path }))) {
    if (started.length >= RESUMES_PER_HOOK) break;
    if (now - Date.parse(rec.recorded_at) < resumeBackoffMs(rec.attempts)) continue;
    if (await isLockHeld(drainLockPath(rec.provider, rec.external_id))) continue;
    if (isSessionMarkedDeleted(rec.provider, rec.external_id)) {
      removePending(rec.provider, rec.external_id);
      continue;
    }
    // A stopped daemon is still finishing it.
    if (rec.daemon_pid && isSameProcessAlive(rec.daemon_pid, rec.daemon_start_time)) continue;
    // Or it finished between the listing and the check above: a daemon removes its record
    // before it exits, so a record still there now is really left behind.
    if (rec.daemon_pid && !existsSync(pendingPath(rec.provider, rec.external_id))) continue;
    const live = await loadStateForProvider(rec.provider, rec.external_id).catch(() => undefined);
    if (live && isDaemonRunning(live)) continue;
    try {
      spawnDaemon({ provider: rec.provider, external_id: rec.external_id, transcript_path: rec.transcript_path, cwd: rec.cwd, drain: true }, opts);
      started.push(rec);
      opts.log?.info('resuming a pending session', { provider: rec.provider, session: rec.external_id, attempts: rec.attempts });
    } catch (err) {
      opts.log?.warn(`could not resume a pending session: ${err instanceof Error ? err.message : String(err)}`, { session: rec.external_id });
    }
  }
  return started;
}

/** Whether a pending record can still be finished (its transcript is still on disk). */
export function pendingIsResumable(rec: PendingSession): boolean {
  return existsSync(rec.transcript_path);
}
