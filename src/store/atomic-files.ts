import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { StoreError } from './session-store.js';
import { PRIVATE_FILE_MODE } from '../fs/private-files.js';

/**
 * The store's file primitives that survive a kill at any instant: whole files that appear
 * complete or not at all, and reads and writes at fixed positions that loop until done.
 */

export const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** Make a directory's entries (a rename, a created file) durable. */
export async function fsyncDir(path: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch (err) {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errno(err) ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}

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

const tempNameFor = (path: string) => `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;

/**
 * Replace `path` with `text` by rename: readers see the old file or the new one, whole.
 * `onRenamed` runs once the new file is visible, before the rename is made durable.
 */
export async function replaceFile(path: string, dir: string, text: string, onRenamed?: () => void): Promise<void> {
  const tmp = tempNameFor(path);
  try {
    await writeNewFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  onRenamed?.();
  await fsyncDir(dir);
}

/**
 * Create `path` with `text` unless it exists, by link(2) of a complete temp file, so a racing
 * creator's reader sees it whole or not at all. An existing file is left as it is.
 */
export async function publishFileOnce(path: string, dir: string, text: string): Promise<void> {
  const tmp = tempNameFor(path);
  await writeNewFile(tmp, text);
  try {
    await link(tmp, path);
    await fsyncDir(dir);
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
