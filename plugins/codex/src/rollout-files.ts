import { open } from 'node:fs/promises';
import { sessionMetaOfLine, type SessionMeta } from './rollout.js';

/**
 * Bounded reads of a rollout's head. Rollouts grow without limit and Codex may be writing
 * the last line while confab reads, so only complete (`\n`-terminated) lines count.
 */

const READ_BLOCK = 64 * 1024;
/** A session_meta line embeds the base instructions: tens of KiB, far below this. */
export const HEAD_SCAN_BYTES = 8 * 1024 * 1024;
/** session_meta is the first line; a few more are allowed for older layouts with a header line. */
const META_SCAN_LINES = 8;

/**
 * Call `visit` with each complete line from the start of the file, until it returns true,
 * `maxBytes` have been read, or the file ends. Returns how many complete lines were seen.
 * Throws the file system's error (ENOENT when the file is not there).
 */
export async function forEachHeadLine(path: string, maxBytes: number, visit: (line: string, index: number) => boolean | void): Promise<number> {
  const handle = await open(path, 'r');
  try {
    let pending = Buffer.alloc(0);
    let read = 0;
    let index = 0;
    const block = Buffer.alloc(READ_BLOCK);
    while (read < maxBytes) {
      const { bytesRead } = await handle.read(block, 0, Math.min(READ_BLOCK, maxBytes - read), null);
      if (bytesRead === 0) break;
      read += bytesRead;
      pending = pending.length === 0 ? Buffer.from(block.subarray(0, bytesRead)) : Buffer.concat([pending, block.subarray(0, bytesRead)]);
      let start = 0;
      for (let nl = pending.indexOf(10, start); nl !== -1; nl = pending.indexOf(10, start)) {
        let end = nl;
        if (end > start && pending[end - 1] === 13) end--;
        const line = pending.toString('utf8', start, end);
        start = nl + 1;
        if (visit(line, index++) === true) return index;
      }
      pending = start === 0 ? pending : pending.subarray(start);
    }
    return index;
  } finally {
    await handle.close();
  }
}

export type SessionMetaRead =
  /** The file is not there (yet). */
  | { status: 'missing' }
  /** The file exists but holds no complete line yet: Codex is still creating it. */
  | { status: 'pending' }
  /** Complete lines, none of them a session_meta: not a rollout confab understands. */
  | { status: 'none' }
  | { status: 'ok'; meta: SessionMeta };

/** Read a rollout's session_meta. Errors other than "not there" are thrown. */
export async function readSessionMeta(path: string): Promise<SessionMetaRead> {
  let meta: SessionMeta | undefined;
  let lines: number;
  try {
    lines = await forEachHeadLine(path, HEAD_SCAN_BYTES, (line, index) => {
      meta = sessionMetaOfLine(line);
      return meta !== undefined || index + 1 >= META_SCAN_LINES;
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing' };
    throw err;
  }
  if (meta) return { status: 'ok', meta };
  return lines === 0 ? { status: 'pending' } : { status: 'none' };
}

export interface WaitOptions {
  /** Reads after the first one, while the file is missing or has no complete line. */
  retries: number;
  intervalMs: number;
}

/**
 * Codex fires SessionStart a few milliseconds before it writes the rollout's first line.
 * Read the session_meta, retrying briefly while it is not there yet.
 */
export async function readSessionMetaSoon(path: string, wait: WaitOptions): Promise<SessionMetaRead> {
  let res = await readSessionMeta(path);
  for (let i = 0; i < wait.retries && (res.status === 'missing' || res.status === 'pending'); i++) {
    await new Promise((resolve) => setTimeout(resolve, wait.intervalMs));
    res = await readSessionMeta(path);
  }
  return res;
}
