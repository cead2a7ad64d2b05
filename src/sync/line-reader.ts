import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;

/** One `\n`-terminated line; `start`/`end` are byte offsets (`end` is just past the `\n`). */
export type RawLine =
  | { kind: 'line'; bytes: Buffer; start: number; end: number }
  /** Longer than the reader may hold: only its length and SHA-256 were kept. */
  | { kind: 'oversized'; byteLength: number; sha256: string; start: number; end: number };

export interface LineReaderOptions {
  /** Lines longer than this (bytes, without the `\n`) are hashed while streaming, never held. */
  maxLineBytes: number;
  /** The fixed read window; memory use is this plus at most one held line. */
  windowBytes?: number;
  /** Bytes expected to be read (file size minus start): a small read gets a small window. */
  sizeHint?: number;
}

const MIN_WINDOW_BYTES = 16 * 1024;

/** 1 MiB: large enough that reads, not syscalls, dominate on a multi-GB backfill. */
export const DEFAULT_WINDOW_BYTES = 1024 * 1024;

/**
 * Streams complete lines out of a file from a byte offset through one fixed-size window, so a
 * multi-GB transcript never sits in memory. Only `\n` ends a line: a trailing line without its
 * newline is left for later (the writer may be mid-line), and `\r` stays part of the line.
 */
export class LineReader {
  private readonly window: Buffer;
  private readonly maxLineBytes: number;
  /** File offset of window[0]. */
  private winStart: number;
  private winLen = 0;
  /** Next unexamined byte in the window. */
  private idx = 0;
  private eof = false;
  /** The last read came back short: treat that as the end (a later cycle sees what follows). */
  private shortRead = false;
  private consumedTo: number;
  /** SHA-256 of the bytes examined since `digestFrom`, in order (see `view()`). */
  private digest: Hash = createHash('sha256');
  private digestFrom: number;
  /** Bytes the caller expected there to be from `start` on (its `sizeHint`). */
  readonly expectedBytes: number | undefined;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    opts: LineReaderOptions,
  ) {
    const max = opts.windowBytes ?? DEFAULT_WINDOW_BYTES;
    const hinted = opts.sizeHint === undefined ? max : Math.max(MIN_WINDOW_BYTES, opts.sizeHint + 1);
    this.window = Buffer.allocUnsafe(Math.min(max, hinted));
    this.maxLineBytes = opts.maxLineBytes;
    this.winStart = start;
    this.consumedTo = start;
    this.digestFrom = start;
    this.expectedBytes = opts.sizeHint;
  }

  /**
   * What the reader saw: the SHA-256 of every byte it examined in [from, to), whether it ended
   * up in a line, a skipped line or a partial line at the end. Re-reading that range and
   * comparing tells whether the file changed while it was being read.
   */
  view(): { from: number; to: number; sha256: string } {
    return { from: this.digestFrom, to: this.scannedTo, sha256: this.digest.copy().digest('hex') };
  }

  /** Start the next `view()` here (what was seen so far has been confirmed). */
  restartView(): void {
    this.digest = createHash('sha256');
    this.digestFrom = this.scannedTo;
  }

  /** Marks window bytes [idx, to) examined. */
  private advance(to: number): void {
    this.digest.update(this.window.subarray(this.idx, to));
    this.idx = to;
  }

  /** Offset just past the last complete line returned or skipped. */
  get offset(): number {
    return this.consumedTo;
  }

  /** How far the reader has looked; no `\n` lies between `offset` and here once `next()` returned undefined. */
  get scannedTo(): number {
    return this.winStart + this.idx;
  }

  private async fill(): Promise<boolean> {
    if (this.eof || this.shortRead) {
      this.eof = true;
      return false;
    }
    const pos = this.winStart + this.winLen;
    const { bytesRead } = await this.handle.read(this.window, 0, this.window.length, pos);
    if (bytesRead === 0) {
      this.eof = true;
      return false;
    }
    this.shortRead = bytesRead < this.window.length;
    this.winStart = pos;
    this.winLen = bytesRead;
    this.idx = 0;
    return true;
  }

  /** The next complete line, or undefined when only a partial line (or nothing) is left. */
  async next(): Promise<RawLine | undefined> {
    const start = this.consumedTo;
    const parts: Buffer[] = [];
    let held = 0;
    let total = 0;
    let hash: Hash | undefined;
    for (;;) {
      if (this.idx >= this.winLen && !(await this.fill())) return undefined;
      const view = this.window.subarray(0, this.winLen);
      const nl = view.indexOf(NEWLINE, this.idx);
      const stop = nl === -1 ? this.winLen : nl;
      const piece = view.subarray(this.idx, stop);
      total += piece.length;
      if (hash) {
        hash.update(piece);
      } else if (held + piece.length > this.maxLineBytes) {
        // Too long to hold: keep hashing as the bytes stream past, drop what was held.
        hash = createHash('sha256');
        for (const p of parts) hash.update(p);
        hash.update(piece);
        parts.length = 0;
        held = 0;
      } else {
        // Copy: the window is reused by the next read.
        parts.push(Buffer.from(piece));
        held += piece.length;
      }
      this.advance(nl === -1 ? this.winLen : nl + 1);
      if (nl === -1) continue;
      const end = this.winStart + this.idx;
      this.consumedTo = end;
      if (hash) return { kind: 'oversized', byteLength: total, sha256: hash.digest('hex'), start, end };
      const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, held);
      return { kind: 'line', bytes, start, end };
    }
  }

  /** Skips up to `n` complete lines without holding them; returns how many were skipped. */
  async skip(n: number): Promise<number> {
    let skipped = 0;
    while (skipped < n) {
      if (this.idx >= this.winLen && !(await this.fill())) break;
      const nl = this.window.subarray(0, this.winLen).indexOf(NEWLINE, this.idx);
      if (nl === -1) {
        this.advance(this.winLen);
        continue;
      }
      this.advance(nl + 1);
      skipped++;
      this.consumedTo = this.winStart + this.idx;
    }
    return skipped;
  }
}
