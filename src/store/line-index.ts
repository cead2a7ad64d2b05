import { constants as fsConstants } from 'node:fs';
import { open, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreError } from './session-store.js';
import { fsyncDir, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { readRange, writeAll } from './atomic-files.js';
import { joinUtf8 } from '../format/utf8-join.js';

/**
 * A stored file's lines: `<base>.jsonl` holds them exactly as uploaded, each followed by `\n`,
 * and `<base>.idx` a sparse line → byte offset index (16-byte entries: line, offset, both u64
 * LE) so a read from line N does not scan the file from its start. Only the bytes and entries
 * below the committed counts exist; anything past them is an uncommitted write, discarded.
 */

/** An index entry at least every this many bytes of a file. */
const INDEX_STRIDE = 64 * 1024;
const INDEX_ENTRY_BYTES = 16;

/** The committed extent of a file's lines and index (kept in the session's metadata). */
export interface LineExtent {
  last_synced_line: number;
  bytes: number;
  index_entries: number;
  /** Byte offset of the last index entry (0 = the implicit entry for line 1). */
  index_last_offset: number;
}

/** Called before each write to disk (tests simulate a failing disk by throwing). */
export type LineWriteFault = (op: 'data' | 'index', path: string) => void;

/**
 * Write `lines` (numbered from `firstLine`) past the committed end, with their index entries,
 * durably, and advance `file`'s byte and index counts. Commits nothing: the caller does.
 * `whileSyncing` runs once the lines are written, while they are flushed to disk (off this
 * thread): work that needs no result of the write gets done meanwhile. If it throws, the
 * write fails.
 */
export async function appendLines(
  base: string,
  file: LineExtent,
  firstLine: number,
  lines: readonly string[],
  fault: LineWriteFault,
  whileSyncing?: () => void,
): Promise<void> {
  const payload = joinUtf8(lines, '\n', '', '\n');
  fault('data', `${base}.jsonl`);
  const data = await open(`${base}.jsonl`, fsConstants.O_RDWR | fsConstants.O_CREAT, PRIVATE_FILE_MODE);
  try {
    const size = (await data.stat()).size;
    if (size < file.bytes) throw new StoreError(500, `stored file ${base}.jsonl is shorter than its committed length`);
    // A tail past the committed length is a write that never committed: discard it.
    if (size > file.bytes) await data.truncate(file.bytes);
    try {
      await writeAll(data, payload, file.bytes);
      const synced = data.datasync();
      try {
        whileSyncing?.();
      } finally {
        await synced;
      }
    } catch (err) {
      // Give back what the failed write took: on a full disk, the space a pending record,
      // a log line or another session needs.
      await data.truncate(file.bytes).catch(() => undefined);
      throw err;
    }
  } finally {
    await data.close();
  }

  const entries: Buffer[] = [];
  let lastIndexed = file.index_last_offset;
  const end = file.bytes + payload.length;
  if (end - lastIndexed > INDEX_STRIDE) {
    let pos = 0;
    let line = firstLine;
    while (pos < payload.length) {
      const at = file.bytes + pos;
      if (at - lastIndexed >= INDEX_STRIDE) {
        const e = Buffer.alloc(INDEX_ENTRY_BYTES);
        e.writeBigUInt64LE(BigInt(line), 0);
        e.writeBigUInt64LE(BigInt(at), 8);
        entries.push(e);
        lastIndexed = at;
      }
      pos = payload.indexOf(10, pos) + 1;
      line++;
    }
  }
  if (entries.length > 0 || file.index_entries > 0) {
    fault('index', `${base}.idx`);
    const idx = await open(`${base}.idx`, fsConstants.O_RDWR | fsConstants.O_CREAT, PRIVATE_FILE_MODE);
    try {
      const committed = file.index_entries * INDEX_ENTRY_BYTES;
      if ((await idx.stat()).size !== committed) await idx.truncate(committed);
      if (entries.length > 0) {
        await writeAll(idx, Buffer.concat(entries), committed);
        await idx.datasync();
      }
    } finally {
      await idx.close();
    }
  }
  // A file created by this write must have its directory entry durable before the commit.
  if (file.bytes === 0 || (file.index_entries === 0 && entries.length > 0)) await fsyncDir(dirname(base));
  file.bytes = end;
  file.index_entries += entries.length;
  file.index_last_offset = lastIndexed;
}

/** Cut a file's data and index back to the given committed extent (best effort: readers ignore a tail anyway). */
export async function discardUncommitted(base: string, at: Pick<LineExtent, 'bytes' | 'index_entries'>): Promise<void> {
  await truncate(`${base}.jsonl`, at.bytes).catch(() => undefined);
  await truncate(`${base}.idx`, at.index_entries * INDEX_ENTRY_BYTES).catch(() => undefined);
}

/** The committed lines after line `afterLine` (0 = all), each followed by `\n`. */
export async function readLinesAfter(base: string, file: LineExtent, afterLine: number): Promise<Buffer> {
  const data = await open(`${base}.jsonl`, 'r');
  try {
    const start = afterLine === 0 ? 0 : await offsetOfLine(data, base, file, afterLine + 1);
    return await readRange(data, start, file.bytes);
  } finally {
    await data.close();
  }
}

/** Byte offset where line `target` starts: nearest index entry at or before it, then a short scan. */
async function offsetOfLine(data: FileHandle, base: string, file: LineExtent, target: number): Promise<number> {
  let line = 1;
  let offset = 0;
  if (file.index_entries > 0) {
    const idx = await open(`${base}.idx`, 'r');
    try {
      const entry = Buffer.alloc(INDEX_ENTRY_BYTES);
      let lo = 0;
      let hi = file.index_entries - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        await idx.read(entry, 0, INDEX_ENTRY_BYTES, mid * INDEX_ENTRY_BYTES);
        const l = Number(entry.readBigUInt64LE(0));
        if (l <= target) {
          line = l;
          offset = Number(entry.readBigUInt64LE(8));
          lo = mid + 1;
        } else hi = mid - 1;
      }
    } finally {
      await idx.close();
    }
  }
  const block = Buffer.allocUnsafe(64 * 1024);
  while (line < target) {
    const { bytesRead } = await data.read(block, 0, Math.min(block.length, file.bytes - offset), offset);
    if (bytesRead === 0) throw new StoreError(500, 'stored file is shorter than its committed length');
    let pos = 0;
    while (line < target) {
      const nl = block.indexOf(10, pos);
      if (nl === -1 || nl >= bytesRead) break;
      pos = nl + 1;
      line++;
    }
    offset += line < target ? bytesRead : pos;
  }
  return offset;
}
