import { createHash, type Hash } from 'node:crypto';

/** Takes a byte range in file order, piece by piece. */
export interface ByteSink {
  update(bytes: Buffer): void;
}

/** Feeds a range as the file holds it now; `matches()` then says whether it held what was read. */
export interface ViewCheck extends ByteSink {
  matches(): boolean;
}

/** Examined bytes a view keeps at most; past that (a long skip, a huge line) it keeps their SHA-256. */
export const MAX_KEPT_VIEW_BYTES = 32 * 1024 * 1024;

/**
 * The bytes a line reader examined since the view began, in file order, so that re-reading the
 * same range later tells whether the file changed while it was read. They are kept as the copies
 * the reader makes anyway (each line it returns is one), and the check compares bytes: one
 * `memcmp` pass instead of a SHA-256 of both the first and the second read. Past `maxKept`
 * bytes, or once asked to (`fold`, for bytes no one else holds), the view keeps only a running
 * SHA-256 of everything, which is how the second read is then checked.
 */
export class ReadView {
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private digest: Hash | undefined;

  constructor(
    /** File offset of the view's first byte. */
    readonly from: number,
    private readonly maxKept = MAX_KEPT_VIEW_BYTES,
  ) {}

  /** Whether the view keeps the buffers it is given (they must then never change). */
  get keeping(): boolean {
    return this.digest === undefined;
  }

  /** The next examined bytes: kept as they are while keeping (a copy the caller will not change), else hashed. */
  add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.digest === undefined && this.keptBytes + bytes.length > this.maxKept) this.fold();
    if (this.digest !== undefined) {
      this.digest.update(bytes);
      return;
    }
    this.kept.push(bytes);
    this.keptBytes += bytes.length;
  }

  /** Keep a SHA-256 from now on, starting with what was kept. */
  fold(): void {
    if (this.digest !== undefined) return;
    const digest = createHash('sha256');
    for (const b of this.kept) digest.update(b);
    this.digest = digest;
    this.kept = [];
    this.keptBytes = 0;
  }

  /** A check to feed the view's range with, as re-read. */
  check(): ViewCheck {
    if (this.digest !== undefined) {
      const expected = this.digest.copy().digest();
      const again = createHash('sha256');
      return { update: (bytes) => again.update(bytes), matches: () => again.digest().equals(expected) };
    }
    const kept = this.kept;
    let index = 0;
    let at = 0;
    let same = true;
    return {
      update(bytes) {
        for (let off = 0; same && off < bytes.length; ) {
          const k = kept[index];
          if (k === undefined) {
            same = false;
            break;
          }
          const n = Math.min(k.length - at, bytes.length - off);
          if (bytes.compare(k, at, at + n, off, off + n) !== 0) same = false;
          off += n;
          at += n;
          if (at === k.length) {
            index++;
            at = 0;
          }
        }
      },
      matches: () => same && index === kept.length && at === 0,
    };
  }
}
