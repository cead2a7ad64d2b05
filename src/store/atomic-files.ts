import { open, type FileHandle } from 'node:fs/promises';
import { StoreError } from './session-store.js';
import { PRIVATE_FILE_MODE } from '../fs/private-files.js';

/**
 * The store's file primitives that survive a kill at any instant: new files flushed before
 * they are published, and reads and writes at fixed positions that loop until done. Whole
 * files replaced or published atomically use `writeFileAtomic` (`fs/private-files.ts`).
 */

export const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

export async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, position + off);
    off += bytesWritten;
  }
}

/** Bytes [start, end) of a file that must hold them (its committed length says so). */
export async function readRange(fh: FileHandle, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(end - start);
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
    if (bytesRead === 0) throw new StoreError(500, 'stored file is shorter than its committed length');
    off += bytesRead;
  }
  return buf;
}

/** A new private file with `text`, flushed to disk; fails if the path exists. */
export async function writeNewFile(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
