import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../fs/private-files.js';
import { confabDir } from '../paths.js';
import type { InboxEvent } from '../extension/hook-types.js';
import { formatRfc3339 } from '../format/rfc3339.js';

/**
 * A session whose daemon stopped before every line reached the backend (backend down, a
 * daemon killed, a machine restart). The Go CLI silently dropped such sessions; confab
 * records them here and the next hook of any session resumes them in the background
 * (`~/.confab/pending/<provider>/<external_id>.json`).
 */
export interface PendingSession {
  provider: string;
  external_id: string;
  transcript_path: string;
  cwd: string;
  /** RFC 3339: when the session was recorded as pending. */
  recorded_at: string;
  /** Why: the daemon's shutdown reason, or `daemon-died` when a dead daemon's state was found. */
  reason: string;
  /** The SessionEnd event to send once every line is on the backend. */
  session_end?: InboxEvent;
  /** The last sync failure before the daemon stopped (one line, no secrets): why it is pending. */
  last_error?: string;
  /** Resume attempts so far (a resume that cannot finish leaves the record for the next one). */
  attempts: number;
  /**
   * The daemon still finishing the session (a stopped daemon doing its final sync), with its
   * start time: no resume starts while it lives. If it dies before it is done (killed, the
   * machine shut down), the record is what is left of the session, and a resume finishes it.
   */
  daemon_pid?: number;
  daemon_start_time?: string;
}

const SAFE = /^[A-Za-z0-9_-]+$/;

export function pendingDir(): string {
  return join(confabDir(), 'pending');
}

export function pendingPath(provider: string, externalId: string): string {
  if (!SAFE.test(provider) || !SAFE.test(externalId)) throw new Error(`unsafe pending session name ${provider}/${externalId}`);
  return join(pendingDir(), provider, `${externalId}.json`);
}

function validate(raw: unknown, file: string): PendingSession {
  const r = raw as Record<string, unknown> | null;
  const str = (k: string) => {
    if (typeof r?.[k] !== 'string') throw new Error(`invalid pending record ${file}: "${k}" must be a string`);
    return r[k] as string;
  };
  const record: PendingSession = {
    provider: str('provider'),
    external_id: str('external_id'),
    transcript_path: str('transcript_path'),
    cwd: str('cwd'),
    recorded_at: str('recorded_at'),
    reason: str('reason'),
    attempts: typeof r?.attempts === 'number' && Number.isInteger(r.attempts) ? r.attempts : 0,
  };
  if (!SAFE.test(record.provider) || !SAFE.test(record.external_id)) throw new Error(`invalid pending record ${file}: unsafe names`);
  if (typeof r?.last_error === 'string' && r.last_error !== '') record.last_error = r.last_error;
  if (typeof r?.daemon_pid === 'number' && Number.isInteger(r.daemon_pid) && r.daemon_pid > 0) {
    record.daemon_pid = r.daemon_pid;
    if (typeof r.daemon_start_time === 'string') record.daemon_start_time = r.daemon_start_time;
  }
  const end = r?.session_end as InboxEvent | undefined;
  if (end && typeof end === 'object' && typeof end.type === 'string' && typeof end.timestamp === 'string') record.session_end = end;
  return record;
}

/**
 * Record (or update) a pending session. An existing record keeps its session_end event
 * unless a newer one is given: a resumed daemon that fails again must not lose it.
 */
export function recordPending(record: Omit<PendingSession, 'attempts' | 'recorded_at'> & { attempts?: number }): void {
  const path = pendingPath(record.provider, record.external_id);
  let previous: PendingSession | undefined;
  try {
    previous = readPending(record.provider, record.external_id);
  } catch {
    // An unreadable record is replaced, not kept forever.
  }
  const merged: PendingSession = {
    ...record,
    recorded_at: formatRfc3339(Date.now()),
    attempts: record.attempts ?? previous?.attempts ?? 0,
    ...(record.session_end ?? previous?.session_end ? { session_end: record.session_end ?? previous?.session_end } : {}),
  };
  writeFileAtomicSync(path, `${JSON.stringify(merged, null, 2)}\n`);
}

export function readPending(provider: string, externalId: string): PendingSession | undefined {
  const path = pendingPath(provider, externalId);
  try {
    return validate(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function removePending(provider: string, externalId: string): void {
  rmSync(pendingPath(provider, externalId), { force: true });
}

/** Every pending session, oldest first. Unreadable records are skipped (and reported). */
export function listPending(onInvalid?: (path: string, error: string) => void): PendingSession[] {
  const root = pendingDir();
  if (!existsSync(root)) return [];
  const out: PendingSession[] = [];
  for (const provider of readdirSync(root)) {
    if (!SAFE.test(provider)) continue;
    let files: string[];
    try {
      files = readdirSync(join(root, provider));
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith('.json')) continue;
      const path = join(root, provider, f);
      try {
        out.push(validate(JSON.parse(readFileSync(path, 'utf8')), path));
      } catch (err) {
        onInvalid?.(path, err instanceof Error ? err.message : String(err));
      }
    }
  }
  return out.sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
}
