/**
 * Files: confab's private files (directories 0700, files 0600 whatever the umask), the one
 * atomic write (`writeFileAtomic`, also for agents' files), and the cross-process file lock
 * (`lock.ts`). Imports nothing of confab but process liveness.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, chmod, link, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * confab's files hold transcripts and keys: directories are 0700 and files 0600 whatever
 * the umask, and replaced files are swapped in atomically under a unique temp name (two
 * writers never share a temp file, unlike the Go CLI's fixed `<path>.tmp`).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

let tempCounter = 0;

/**
 * Unique per process (PID + counter) and unlikely to collide across processes' counters; the
 * file is created with O_EXCL, so a collision fails rather than sharing a file. (No
 * node:crypto: loading it costs every hook several milliseconds.)
 */
function tempNameFor(path: string): string {
  return `${path}.${process.pid}.${(tempCounter++).toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
}

/** mkdir -p with 0700; the leaf is chmod-ed too, since mkdir's mode is filtered by umask. */
export function ensurePrivateDirSync(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(path, PRIVATE_DIR_MODE);
}

export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(path, PRIVATE_DIR_MODE);
}

/**
 * mkdir -p whose new directories are 0700, leaving those that exist as they are (someone
 * else's, such as an agent's project dirs).
 */
export async function ensureDirKeepingExisting(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  for (let dir = path; ; dir = dirname(dir)) {
    await chmod(dir, PRIVATE_DIR_MODE);
    if (dir === first || dirname(dir) === dir) break;
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * For files whose loss after a crash matters: fsync the data before it replaces the file,
   * and the directory after, so the new name survives a crash too.
   */
  durable?: boolean;
}

/** Make a directory's entries (a rename, a created file) durable. */
export async function fsyncDir(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (err) {
    if (!cannotSyncDir(err)) throw err;
  } finally {
    await handle?.close();
  }
}

function fsyncDirSync(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch (err) {
    if (!cannotSyncDir(err)) throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// Some platforms cannot fsync a directory; the rename is still atomic there.
const cannotSyncDir = (err: unknown) => ['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '');

export interface AsyncAtomicWriteOptions extends AtomicWriteOptions {
  /**
   * Create the file's directory private (0700, the default), or leave directories alone
   * (`false`: someone else's, such as an agent's config dir, made by the caller).
   */
  ensureDir?: boolean;
  /**
   * Runs once the new content is on disk, just before it replaces the file. Returning false
   * abandons the write (the temp file is removed and the file stays as it was): e.g. when
   * the file changed since it was read.
   */
  beforeCommit?: () => boolean | Promise<boolean>;
  /**
   * Create the file only if it does not exist: the complete temp file is linked into place
   * (link(2) never replaces), so an existing file, even one made a moment ago, is left as it
   * is and the write returns false.
   */
  exclusive?: boolean;
  /**
   * Runs once the new file is in place, before a durable write syncs its directory: from
   * then on readers see it, whether or not that sync succeeds.
   */
  onCommitted?: () => void;
}

/** Write a whole file atomically: unique temp file in the same dir, then rename over the target. */
export function writeFileAtomicSync(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  ensurePrivateDirSync(dirname(path));
  const tmp = tempNameFor(path);
  const mode = opts.mode ?? PRIVATE_FILE_MODE;
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off);
      if (opts.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, path);
    if (opts.durable) fsyncDirSync(dirname(path));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * The same, asynchronously. True when the file was written, false when `beforeCommit`
 * abandoned the write or (`exclusive`) the file exists. The one atomic write of confab and its providers.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, opts: AsyncAtomicWriteOptions = {}): Promise<boolean> {
  if (opts.ensureDir !== false) await ensurePrivateDir(dirname(path));
  const tmp = tempNameFor(path);
  const mode = opts.mode ?? PRIVATE_FILE_MODE;
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      if (opts.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, mode);
    if (opts.beforeCommit && !(await opts.beforeCommit())) {
      await rm(tmp, { force: true });
      return false;
    }
    if (opts.exclusive) {
      try {
        await link(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      } finally {
        await rm(tmp, { force: true });
      }
    } else {
      await rename(tmp, path);
    }
    opts.onCommitted?.();
    if (opts.durable) await fsyncDir(dirname(path));
    return true;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
