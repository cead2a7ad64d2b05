import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from './private-files.js';
import { currentProcess, formatIdentity, isAlive, parseIdentity, processExists, type ProcessIdentity } from '../process/liveness.js';

/**
 * A cross-process mutex on a path, that survives its holder being killed at any instant.
 *
 * The lock is the file `<path>` itself, created atomically with its content (holder pid,
 * start time, host) by link(2) from a private temp file, so it is never seen empty.
 * Releasing unlinks it. A lock whose holder is dead is broken — but only by a process that
 * holds the *breaker* mutex, which makes "check it is stale, then unlink it" atomic with
 * respect to other breakers: nobody else can unlink `<path>` between the check and the
 * unlink (its dead holder will not release it, and every other breaker waits), so the
 * breaker never removes a lock that a live process has just taken.
 *
 * The breaker mutex needs no stale recovery of its own: each contender announces itself
 * with its own file `<path>.break.<pid>.<start>.<rand>`, then lists the others; it holds the
 * breaker only if no other *live* announcer exists. Of two contenders, the later to
 * announce sees the earlier, so at most one holds it; dead announcers are ignored.
 */

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** Called after a stale lock of a dead holder was broken (to clean up what it left). */
  onBrokeStale?: (holder: ProcessIdentity | undefined) => Promise<void> | void;
}

export class LockTimeoutError extends Error {
  constructor(path: string, timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for lock ${path}`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * 12 hex digits that tell one temp, breaker or lock file apart from every other. Not a secret
 * (anyone who can list the directory sees the names), so Math.random serves, and the hooks,
 * which take these locks, do not load node:crypto for it (about 10 ms of every start).
 */
function uniqueToken(): string {
  return Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0');
}

// Every file operation here is a local metadata change of a few microseconds, done
// synchronously: on the thread pool, each would cost a round trip and the first would start
// the pool's threads, which is most of what taking a lock cost a hook. The API stays async:
// waiting for a holder sleeps on timers.
const { closeSync, linkSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } = fs;

/** Create `path` (failing if it exists), private, with `content`. */
function createFile(path: string, content: string): void {
  const fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  try {
    if (content) writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/** unlink(2), ignoring any failure (a leftover is swept later). */
function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or left for sweepDeadLockLeftovers
  }
}

/** unlink(2), where a missing file is fine. */
function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

function createWithContent(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${uniqueToken()}.tmp`;
  createFile(tmp, content);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkQuietly(tmp);
  }
}

function readHolder(path: string): { text: string; holder: ProcessIdentity | undefined } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return { text, holder: parseIdentity(text) };
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function parseBreakerName(name: string, prefix: string): ProcessIdentity | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const [pid, start] = name.slice(prefix.length).split('.');
  if (!pid || !/^\d+$/.test(pid)) return undefined;
  return { pid: Number(pid), startTime: start === '-' ? '' : (start ?? ''), host: currentProcess().host };
}

/**
 * The contents of the locks this process holds right now. A lock file naming this process
 * whose content is not here was left by a release that failed (an I/O error on unlink): no
 * one else will ever remove it while this process lives, so this process breaks it.
 */
const heldHere = new Set<string>();

function isSelf(holder: ProcessIdentity | undefined): boolean {
  const me = currentProcess();
  return holder !== undefined && holder.pid === me.pid && holder.startTime === me.startTime && holder.host === me.host;
}

/** Try to break the lock at `path`, whose content was `staleText` (a dead holder, or one this process leaked). */
function breakStale(path: string, staleText: string): boolean {
  const dir = dirname(path);
  const prefix = `${basename(path)}.break.`;
  const me = currentProcess();
  const mine = `${prefix}${me.pid}.${me.startTime || '-'}.${uniqueToken()}`;
  const minePath = join(dir, mine);
  createFile(minePath, '');
  try {
    for (const name of readdirSync(dir)) {
      if (name === mine) continue;
      const other = parseBreakerName(name, prefix);
      if (!other) continue;
      if (isAlive(other)) return false;
      unlinkQuietly(join(dir, name));
    }
    // We hold the breaker: the lock file cannot change under us unless its holder is alive.
    const now = readHolder(path);
    if (!now || now.text !== staleText) return false;
    const leaked = isSelf(now.holder) && !heldHere.has(now.text);
    if (now.holder && isAlive(now.holder) && !leaked) return false;
    unlinkIfPresent(path);
    return true;
  } finally {
    unlinkQuietly(minePath);
  }
}

function lockContent(): string {
  return `${formatIdentity(currentProcess())} ${uniqueToken()}\n`;
}

/** Holds `path` until release(). Re-entrance is the caller's business (serialize in-process first). */
export class FileLock {
  private released = false;
  private constructor(
    readonly path: string,
    private readonly content: string,
  ) {
    heldHere.add(content);
  }

  static async acquire(path: string, opts: LockOptions = {}): Promise<FileLock> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    const content = lockContent();
    let wait = 1;
    for (;;) {
      const step = await FileLock.attempt(path, content, opts);
      if (step instanceof FileLock) return step;
      if (step === 'again') {
        wait = 1;
        continue;
      }
      if (Date.now() > deadline) throw new LockTimeoutError(path, timeoutMs);
      await sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 50);
    }
  }

  /**
   * Take the lock unless a live process holds it (then undefined), without waiting for that
   * holder. A stale lock is broken by exactly one of the processes that find it.
   */
  static async tryAcquire(path: string, opts: Omit<LockOptions, 'timeoutMs'> = {}): Promise<FileLock | undefined> {
    const content = lockContent();
    // A lock released (or a stale one broken) between our tries is tried again at once; a
    // stale lock that others are breaking too, after a short random pause — until one of us
    // holds it (then it is 'held' for the others), for a second at most.
    const deadline = Date.now() + 1000;
    let wait = 1;
    for (let i = 0; i < 100 && Date.now() < deadline; i++) {
      const step = await FileLock.attempt(path, content, opts);
      if (step instanceof FileLock) return step;
      if (step === 'held') return undefined;
      if (step === 'contended') {
        await sleep(wait + Math.random() * wait);
        wait = Math.min(wait * 2, 20);
      }
    }
    return undefined;
  }

  /** Is the lock at `path` held by a process that may still run (without taking it)? */
  static async isHeld(path: string): Promise<boolean> {
    const seen = readHolder(path);
    return seen?.holder !== undefined && isAlive(seen.holder) && !(isSelf(seen.holder) && !heldHere.has(seen.text));
  }

  /**
   * One try: the lock; 'again' (it was free or broken: try at once); 'contended' (stale, but
   * another process is breaking it: try again shortly); or 'held' (a live holder).
   */
  private static async attempt(path: string, content: string, opts: Omit<LockOptions, 'timeoutMs'>): Promise<FileLock | 'again' | 'contended' | 'held'> {
    if (createWithContent(path, content)) return new FileLock(path, content);
    const seen = readHolder(path);
    // Released between our attempt and our look: try again at once.
    if (!seen) return 'again';
    // An unparsable lock file cannot come from link(2)-created content; treat it as stale.
    const stale = !seen.holder || !isAlive(seen.holder) || (isSelf(seen.holder) && !heldHere.has(seen.text));
    if (!stale) return 'held';
    if (breakStale(path, seen.text)) {
      await opts.onBrokeStale?.(seen.holder);
      return 'again';
    }
    return 'contended';
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Forgotten first: should the unlink fail, the file left behind is known to be leaked.
    heldHere.delete(this.content);
    unlinkIfPresent(this.path);
  }
}

/** Remove `<lock>.*.tmp` and breaker files left by dead processes in `dir` (best effort). */
export async function sweepDeadLockLeftovers(dir: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
    if (!m) continue;
    if (processExists(Number(m[1]))) continue;
    try {
      const st = statSync(join(dir, name));
      if (Date.now() - st.mtimeMs > 1000) unlinkSync(join(dir, name));
    } catch {
      // gone already
    }
  }
}

/** A promise-chain mutex per key, so one process never waits on its own file lock. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    try {
      await prev;
      return await fn();
    } finally {
      done();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

/**
 * Take the lock file at `path` without waiting (creating its private directory): undefined
 * when another live process holds it. A lock left by a crashed holder is broken by exactly
 * one taker — two processes that find the same stale lock never both end up holding it.
 */
export async function tryLock(path: string): Promise<HeldLock | undefined> {
  ensurePrivateDirSync(dirname(path));
  return FileLock.tryAcquire(path);
}

/** Is the lock at `path` held by a live process (without trying to take it)? */
export function isLockHeld(path: string): Promise<boolean> {
  return FileLock.isHeld(path);
}
