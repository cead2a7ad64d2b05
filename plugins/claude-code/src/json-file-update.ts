import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isProcessAlive, writeFileAtomic } from 'confab-cli/provider';

/**
 * Read-modify-write of a JSON settings file that other programs (Claude Code, editors,
 * other tools) also write:
 *
 * - an invalid file is never replaced: the edit fails with a one-line error instead;
 * - the new content goes to a unique temp file in the same directory (mode 0600) and is
 *   renamed over the file, so readers see the old or the new file, never half of one;
 * - optimistic concurrency: just before the rename the file is read again, and if anyone
 *   changed it since it was parsed the edit starts over from the new content (up to 10
 *   attempts, 5 ms·2ⁿ back-off with jitter);
 * - confab's own editors also take a lock file for the whole edit, so two of them never
 *   interleave at all;
 * - a symlinked file (dotfile managers) is edited at its target, keeping the link.
 */

export class JsonFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonFileError';
  }
}

export type JsonObject = Record<string, unknown>;

export interface JsonFileUpdateOptions {
  attempts?: number;
  /** Called after the new content is written to the temp file, before the re-check (tests). */
  beforeCommit?: () => void | Promise<void>;
  /** How long to wait for another confab editor's lock before failing. */
  lockTimeoutMs?: number;
}

export interface JsonFileUpdateResult {
  changed: boolean;
}

const LOCK_STALE_MS = 30_000;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JsonFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Parse settings text; a missing or blank file is `{}`. */
export function parseJsonObject(text: string | undefined, path: string): JsonObject {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JsonFileError(`${path} is not valid JSON (${(err as Error).message.split('\n')[0]}); fix or remove it, confab left it unchanged`);
  }
  if (!isObject(value)) throw new JsonFileError(`${path} does not hold a JSON object; confab left it unchanged`);
  return value;
}

/** Read and parse a JSON object file (missing → `{}`). */
export async function readJsonObject(path: string): Promise<JsonObject> {
  return parseJsonObject(await readText(path), path);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function backoff(attempt: number): number {
  const base = 5 * 2 ** attempt;
  return base + Math.random() * base * 0.5;
}

/**
 * Create the lock file with our pid already in it: written under a unique name, then
 * hard-linked into place, so no one ever sees a lock without its owner (filesystems without
 * hard links fall back to an exclusive create).
 */
async function createLock(lockPath: string): Promise<boolean> {
  const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, String(process.pid), { mode: 0o600, flag: 'wx' });
    try {
      await link(tmp, lockPath);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw err;
    }
    try {
      await writeFile(lockPath, String(process.pid), { mode: 0o600, flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } catch (err) {
    throw new JsonFileError(`cannot lock ${lockPath}: ${(err as Error).message}`);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function acquireLock(lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await createLock(lockPath)) return () => rm(lockPath, { force: true });
    // A lock left by a process that died, or older than any edit takes, is broken.
    let owner: number;
    let age: number;
    let inode: number;
    try {
      const info = await stat(lockPath);
      inode = info.ino;
      age = Date.now() - info.mtimeMs;
      owner = Number((await readFile(lockPath, 'utf8')).trim());
    } catch {
      continue; // released meanwhile
    }
    // An unreadable owner is a lock being created by the fallback path: alive while young.
    const alive = Number.isSafeInteger(owner) && owner > 0 ? isProcessAlive(owner) : age < 5_000;
    if (!alive || age > LOCK_STALE_MS) {
      // Remove it only if it is still the same file (not a fresh lock someone just took).
      const still = await stat(lockPath).catch(() => undefined);
      if (still?.ino === inode) await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new JsonFileError(`${lockPath} is held by another confab process (pid ${owner}); try again`);
    await sleep(Math.min(backoff(attempt), 100));
  }
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch {
    // create it below
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Apply `mutate` to the JSON object in `path` and write the result (2-space indent; a final
 * newline only if the file had one). `mutate` edits the object in place and returns whether
 * it changed anything; it may run more than once (on a fresh parse each time) and may throw
 * to abort the edit. Nothing is written when nothing changed.
 */
export async function updateJsonFile(path: string, mutate: (value: JsonObject) => boolean, opts: JsonFileUpdateOptions = {}): Promise<JsonFileUpdateResult> {
  const attempts = opts.attempts ?? 10;
  const target = await resolveTarget(path);
  const dir = dirname(target);
  await ensureDir(dir);
  const release = await acquireLock(join(dir, `.${basename(target)}.confab-lock`), opts.lockTimeoutMs ?? 10_000);
  try {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const before = await readText(target);
      const value = parseJsonObject(before, path);
      if (!mutate(value)) return { changed: false };
      const text = JSON.stringify(value, null, 2) + (before?.endsWith('\n') ? '\n' : '');
      // Replaced only if nobody wrote the file since it was read; else start over from theirs.
      const committed = await writeFileAtomic(target, text, {
        durable: true,
        ensureDir: false,
        beforeCommit: async () => {
          await opts.beforeCommit?.();
          return (await readText(target)) === before;
        },
      });
      if (committed) return { changed: true };
      await sleep(backoff(attempt));
    }
    throw new JsonFileError(`${path} kept changing while confab was editing it (${attempts} attempts); try again`);
  } finally {
    await release();
  }
}
