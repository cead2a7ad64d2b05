import { readFile, stat } from 'node:fs/promises';
import { FileLock } from './lock.js';
import { writeFileAtomic } from './private-files.js';

export interface SharedJsonFileOptions<F> {
  /** The content of a file that does not exist yet. */
  empty: () => F;
  /** Runtime check of what the file holds. */
  valid: (value: unknown) => value is F;
  /** The error for a file that is not valid JSON or fails `valid`. */
  invalid: (path: string) => Error;
}

/**
 * A small JSON file (0600) that any process may change and a server reads on every request:
 * changes run under a cross-process lock and are written atomically and durably; reads see
 * the file as it is now, re-parsing it only when it changed (inode, size, mtime), so a change
 * made by another process applies on the server's next request.
 */
export class SharedJsonFile<F> {
  private cache: { stamp: string; derived: unknown } | undefined;

  constructor(
    readonly path: string,
    private readonly opts: SharedJsonFileOptions<F>,
  ) {}

  /** The file's content, read now (empty when there is no file). */
  async read(): Promise<F> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.opts.empty();
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.opts.invalid(this.path);
    }
    if (!this.opts.valid(parsed)) throw this.opts.invalid(this.path);
    return parsed;
  }

  /** Change the file: `fn` edits the current content in place, under the lock. */
  async update<T>(fn: (file: F) => T): Promise<T> {
    const lock = await FileLock.acquire(`${this.path}.lock`);
    try {
      const file = await this.read();
      const result = fn(file);
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, { durable: true });
      this.cache = undefined;
      return result;
    } finally {
      await lock.release();
    }
  }

  /**
   * `derive(content)` of the file as it is now, computed again only when the file changed;
   * undefined when there is no file. Callers pass the same `derive` every time.
   */
  async current<D>(derive: (file: F) => D): Promise<D | undefined> {
    let stamp: string;
    try {
      const st = await stat(this.path, { bigint: true });
      stamp = `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (!this.cache || this.cache.stamp !== stamp) this.cache = { stamp, derived: derive(await this.read()) };
    return this.cache.derived as D;
  }
}
