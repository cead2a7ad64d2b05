import { open } from 'node:fs/promises';

/**
 * Bounded reads of JSONL files: transcripts reach hundreds of megabytes, and confab only
 * ever needs their first or last few lines.
 */

const READ_SIZE = 64 * 1024;

export interface HeadOptions {
  /** Stop after this many lines. */
  maxLines: number;
  /** Stop after reading this many bytes (a line cut by the limit is dropped). */
  maxBytes: number;
}

/**
 * Call `visit` with each complete line from the start of a file until it returns true, the
 * file ends, or `maxBytes` have been read (a line cut by that limit is not visited). A last
 * line without `\n` is visited only at end of file. A missing file has no lines; other
 * errors throw.
 */
export async function forEachHeadLine(path: string, maxBytes: number, visit: (line: string) => boolean | void): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const buf = Buffer.allocUnsafe(READ_SIZE);
    let pending: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl === -1 || nl >= bytesRead) break;
        pending.push(buf.subarray(start, nl));
        const line = Buffer.concat(pending).toString('utf8');
        pending = [];
        if (visit(line) === true) return;
        start = nl + 1;
      }
      if (start < bytesRead) pending.push(Buffer.from(buf.subarray(start, bytesRead)));
      if (total >= maxBytes) return;
    }
    if (pending.length > 0) visit(Buffer.concat(pending).toString('utf8'));
  } finally {
    await handle.close();
  }
}

/** The first complete lines of a file, up to the limits (see `forEachHeadLine`). */
export async function readHeadLines(path: string, opts: HeadOptions): Promise<string[]> {
  const lines: string[] = [];
  if (opts.maxLines <= 0) return lines;
  await forEachHeadLine(path, opts.maxBytes, (line) => {
    lines.push(line);
    return lines.length >= opts.maxLines;
  });
  return lines;
}

/**
 * The last `count` complete lines of a file, read backwards in blocks, never more than
 * `maxBytes` from the end. Lines come back in file order.
 */
export async function readTailLines(path: string, count: number, maxBytes = 16 * 1024 * 1024): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let end = size;
    const parts: Buffer[] = [];
    let newlines = 0;
    let read = 0;
    // One newline more than lines wanted, plus the terminator of the last line.
    while (end > 0 && newlines <= count && read < maxBytes) {
      const len = Math.min(READ_SIZE, end, maxBytes - read);
      const buf = Buffer.allocUnsafe(len);
      await handle.read(buf, 0, len, end - len);
      end -= len;
      read += len;
      parts.unshift(buf);
      for (const byte of buf) if (byte === 0x0a) newlines++;
    }
    const text = Buffer.concat(parts).toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    // The first piece may be the cut-off end of an earlier line.
    if (end > 0) lines.shift();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}
