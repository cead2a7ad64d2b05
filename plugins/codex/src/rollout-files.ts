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

/** How a head scan ended: complete lines seen, and whether it stopped at the byte cap. */
export interface HeadScan {
  lines: number;
  capped: boolean;
}

/**
 * Call `visit` with each complete line from the start of the file, until it returns true,
 * `maxBytes` have been read, or the file ends. Throws the file system's error (ENOENT when
 * the file is not there).
 */
export async function forEachHeadLine(path: string, maxBytes: number, visit: (line: string, index: number) => boolean | void): Promise<HeadScan> {
  const handle = await open(path, 'r');
  try {
    // The line being assembled, in pieces: a long line is joined once, not once per block.
    let parts: Buffer[] = [];
    let read = 0;
    let index = 0;
    while (read < maxBytes) {
      const block = Buffer.allocUnsafe(Math.min(READ_BLOCK, maxBytes - read));
      const { bytesRead } = await handle.read(block, 0, block.length, null);
      if (bytesRead === 0) return { lines: index, capped: false };
      read += bytesRead;
      const data = block.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
        const piece = data.subarray(start, nl);
        const whole = parts.length === 0 ? piece : Buffer.concat([...parts, piece]);
        parts = [];
        const end = whole.length > 0 && whole[whole.length - 1] === 13 ? whole.length - 1 : whole.length;
        start = nl + 1;
        if (visit(whole.toString('utf8', 0, end), index++) === true) return { lines: index, capped: false };
      }
      if (start < data.length) parts.push(data.subarray(start));
    }
    return { lines: index, capped: true };
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
  let scan: HeadScan;
  try {
    scan = await forEachHeadLine(path, HEAD_SCAN_BYTES, (line, index) => {
      meta = sessionMetaOfLine(line);
      return meta !== undefined || index + 1 >= META_SCAN_LINES;
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing' };
    throw err;
  }
  if (meta) return { status: 'ok', meta };
  // No complete line yet: Codex is still writing the first one, unless it is absurdly long.
  return scan.lines === 0 && !scan.capped ? { status: 'pending' } : { status: 'none' };
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
