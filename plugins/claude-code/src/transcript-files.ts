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
 * The last `count` complete lines of a file, never more than `maxBytes` from the end. Lines
 * come back in file order. The summary-link search calls this for every sibling session in
 * the project directory, so it allocates little: the end of the file is scanned backwards
 * through one block-sized buffer for where those lines start, and only they are decoded.
 */
export async function readTailLines(path: string, count: number, maxBytes = 16 * 1024 * 1024): Promise<string[]> {
  if (count <= 0) return [];
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const limit = Math.max(0, size - maxBytes);
    if (size <= limit) return [];
    const block = Buffer.allocUnsafe(Math.min(READ_SIZE, size - limit));
    // Where the wanted lines start: just after the count-th newline from the end, not
    // counting the one that ends the file. Not found before `limit`: from `limit`, where the
    // first piece may be the cut-off end of an earlier line (dropped below).
    let start = limit;
    let found = false;
    let end = size;
    let newlines = 0;
    let blocks = 0;
    while (end > limit && !found) {
      const len = Math.min(block.length, end - limit);
      const from = end - len;
      await handle.read(block, 0, len, from);
      blocks++;
      for (let at = block.lastIndexOf(0x0a, len - 1); at !== -1; at = at === 0 ? -1 : block.lastIndexOf(0x0a, at - 1)) {
        if (from + at === size - 1) continue;
        if (++newlines === count) {
          start = from + at + 1;
          found = true;
          break;
        }
      }
      end = from;
    }
    let text: string;
    if (blocks === 1) {
      // Still in the buffer: the whole tail was in the file's last block, which filled it.
      text = block.toString('utf8', start - (size - block.length));
    } else {
      const tail = Buffer.allocUnsafe(size - start);
      await handle.read(tail, 0, tail.length, start);
      text = tail.toString('utf8');
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (!found && start > 0) lines.shift();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}
