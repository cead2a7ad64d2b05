import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import type { InboxEvent } from '../extension/hook-types.js';

/**
 * The inbox is how `session-end` hands the daemon the SessionEnd payload: one JSON event per
 * line, appended before the SIGTERM. One write() of a whole line with O_APPEND, so
 * concurrent writers never interleave.
 */
export function appendInboxEvent(inboxPath: string, event: InboxEvent): void {
  ensurePrivateDirSync(dirname(inboxPath));
  const fd = openSync(inboxPath, 'a', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, `${JSON.stringify(event)}\n`);
  } finally {
    closeSync(fd);
  }
}

export interface InboxReadResult {
  events: InboxEvent[];
  /** Lines that were not valid events (skipped). */
  skipped: number;
}

function toEvent(value: unknown): InboxEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.type !== 'string' || typeof v.timestamp !== 'string') return undefined;
  const hookInput = v.hook_input;
  if (hookInput !== undefined && hookInput !== null && (typeof hookInput !== 'object' || Array.isArray(hookInput))) return undefined;
  return {
    type: v.type,
    timestamp: v.timestamp,
    ...(hookInput ? { hook_input: hookInput as Record<string, unknown> } : {}),
  };
}

/** Read every event; a missing inbox is empty; bad lines are counted and skipped. */
export function readInboxEvents(inboxPath: string): InboxReadResult {
  let text: string;
  try {
    text = readFileSync(inboxPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], skipped: 0 };
    throw err;
  }
  const result: InboxReadResult = { events: [], skipped: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      result.skipped++;
      continue;
    }
    const event = toEvent(parsed);
    if (event) result.events.push(event);
    else result.skipped++;
  }
  return result;
}

/** The last `session_end` event that carries a hook input wins (as in the Go CLI). */
export function lastSessionEnd(events: readonly InboxEvent[]): InboxEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as InboxEvent;
    if (e.type === 'session_end' && e.hook_input) return e;
  }
  return undefined;
}

/**
 * Take the inbox's events and remove it, atomically with respect to writers: the file is
 * renamed first, so an event appended afterwards lands in a fresh inbox (for whichever
 * daemon serves the session next) instead of being lost with this one.
 */
export function consumeInbox(inboxPath: string): InboxReadResult {
  const taken = `${inboxPath}.${process.pid}.taken`;
  try {
    renameSync(inboxPath, taken);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], skipped: 0 };
    throw err;
  }
  try {
    return readInboxEvents(taken);
  } finally {
    rmSync(taken, { force: true });
  }
}
