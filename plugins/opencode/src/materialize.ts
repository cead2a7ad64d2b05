import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { messagesOf, type MessageRows } from './opencode-db.js';
import type { SqliteDatabase } from 'confab-cli/provider';

/**
 * Turn a session's messages into the file the daemon follows: one line `{"info","parts"}`
 * per finished message, appended in id order, never rewritten. A message still streaming
 * stops the batch (later ones wait for it), so lines never go out of order.
 */

/** A user message is complete at once; an assistant message once it has `finish` or an `error`. */
export function isComplete(info: Record<string, unknown>): boolean {
  if (info.role !== 'assistant') return true;
  return (info.finish !== undefined && info.finish !== null) || (info.error !== undefined && info.error !== null);
}

const TERMINAL_TOOL_STATES = new Set(['completed', 'error']);

/** Tool parts still pending or running when their message settled are left out, as OpenCode's own share does. */
function settledParts(parts: Record<string, unknown>[]): Record<string, unknown>[] {
  return parts.filter((p) => {
    if (p.type !== 'tool') return true;
    const state = p.state as { status?: unknown } | undefined;
    return typeof state?.status === 'string' && TERMINAL_TOOL_STATES.has(state.status);
  });
}

export function messageLine(msg: MessageRows): string {
  return JSON.stringify({ info: msg.info, parts: settledParts(msg.parts) });
}

/** The ids already in the file, and the highest. A partial last line (a crash mid-write) is cut off: it was never complete, so never uploaded. */
function seed(path: string): { emitted: Set<string>; highest: string | undefined } {
  const emitted = new Set<string>();
  let highest: string | undefined;
  if (!existsSync(path)) return { emitted, highest };
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
  for (const line of text.slice(0, end).split('\n')) {
    if (!line) continue;
    try {
      const id = (JSON.parse(line) as { info?: { id?: unknown } }).info?.id;
      if (typeof id === 'string') {
        emitted.add(id);
        if (highest === undefined || id > highest) highest = id;
      }
    } catch {
      // a line confab did not write: kept, ignored
    }
  }
  return { emitted, highest };
}

/**
 * Append the session's newly finished messages to `path`; returns how many lines were added.
 * The file is created (0600, dir 0700) only when there is a first line, so a session
 * without a finished message creates nothing on the backend.
 */
export function materializeSession(db: SqliteDatabase, sessionId: string, path: string): number {
  const { emitted, highest } = seed(path);
  const lines: string[] = [];
  for (const msg of messagesOf(db, sessionId, highest)) {
    if (emitted.has(msg.id)) continue;
    if (!isComplete(msg.info)) break;
    lines.push(messageLine(msg));
  }
  if (lines.length === 0) return 0;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  appendFileSync(path, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  return lines.length;
}
