import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { TrackedFileSpec } from '../extension/hook-types.js';
import type { Logger } from '../log.js';
import { DEFAULT_WINDOW_BYTES, LineReader, type LineReaderOptions } from './line-reader.js';

/** A byte position known to be just after line `line` (offset 0 is "before line 1"). */
export interface LinePosition {
  line: number;
  offset: number;
}

interface FileIdentity {
  dev: number;
  ino: number;
}

export type ProbeResult =
  /** No complete line beyond what the backend holds (or the file does not exist yet). */
  | 'idle'
  /** There may be lines to upload: open a reader. */
  | 'changed';

/** The SHA-256 of the (up to `TAIL_FINGERPRINT_BYTES`) bytes just before `offset`. */
interface TailMark {
  offset: number;
  hash: string;
}

/** An opened file positioned at the first line the backend does not have. */
export interface OpenedFile {
  handle: FileHandle;
  reader: LineReader;
  /** False when the file has fewer complete lines than the backend holds (nothing to send). */
  atBackendPosition: boolean;
  /** The bytes before where the reader's current view starts, as confirmed before it was read. */
  anchor: TailMark;
  /** The bytes before the reader's offset as of the last `confirmView` that succeeded. */
  confirmed: TailMark | undefined;
  /** `confirmView` found the file changed while it was read: nothing of this view may be used. */
  torn: boolean;
  log: Logger;
}

/**
 * How many bytes before the end of the last line the backend holds are fingerprinted: enough
 * to cover that line (and usually a few before it), so a file rewritten in place is told from
 * one that was only appended to, even when a `\n` happens to sit at the old offset.
 */
export const TAIL_FINGERPRINT_BYTES = 4096;

async function tailHash(handle: FileHandle, offset: number): Promise<string | undefined> {
  const len = Math.min(offset, TAIL_FINGERPRINT_BYTES);
  const buf = Buffer.allocUnsafe(len);
  const { bytesRead } = await handle.read(buf, 0, len, offset - len);
  if (bytesRead !== len) return undefined;
  return createHash('sha256').update(buf).digest('hex');
}

const EMPTY_HASH = createHash('sha256').digest('hex');

/**
 * The SHA-256 of each [start, end) range as the file holds it now, read in one ascending pass;
 * undefined when the file ends before the last range does.
 */
async function hashRanges(handle: FileHandle, ranges: ReadonlyArray<readonly [number, number]>, windowBytes = DEFAULT_WINDOW_BYTES): Promise<string[] | undefined> {
  const hashes = ranges.map(() => createHash('sha256'));
  const from = Math.min(...ranges.map((r) => r[0]));
  const to = Math.max(...ranges.map((r) => r[1]));
  const window = Buffer.allocUnsafe(Math.max(1, Math.min(windowBytes, to - from)));
  for (let pos = from; pos < to; ) {
    const { bytesRead } = await handle.read(window, 0, Math.min(window.length, to - pos), pos);
    if (bytesRead === 0) return undefined;
    ranges.forEach(([start, end], i) => {
      const a = Math.max(start, pos);
      const b = Math.min(end, pos + bytesRead);
      if (a < b) hashes[i]!.update(window.subarray(a - pos, b - pos));
    });
    pos += bytesRead;
  }
  return hashes.map((h) => h.digest('hex'));
}

function tailRange(offset: number): [number, number] {
  return [offset - Math.min(offset, TAIL_FINGERPRINT_BYTES), offset];
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Whether a `\n` lies in [from, to). Scans backwards: a file that ends with a complete line
 * answers from its last window, even when a huge line precedes it.
 */
async function hasNewlineBetween(handle: FileHandle, from: number, to: number, windowBytes = DEFAULT_WINDOW_BYTES): Promise<boolean> {
  const window = Buffer.allocUnsafe(Math.max(1, Math.min(windowBytes, to - from)));
  let end = to;
  while (end > from) {
    const start = Math.max(from, end - window.length);
    const { bytesRead } = await handle.read(window, 0, end - start, start);
    if (bytesRead > 0 && window.subarray(0, bytesRead).includes(0x0a)) return true;
    if (bytesRead < end - start) {
      // The file shrank meanwhile: let the reader sort it out.
      return true;
    }
    end = start;
  }
  return false;
}

/**
 * What the engine knows about one followed file. The backend's `last_synced_line` is the
 * truth; the byte offset of that line is ours, kept only as a cache (`position`) and re-derived
 * by rescanning from byte 0 whenever the file shrank, was replaced (new inode), or the byte
 * before the cached offset is no longer a `\n`. So an offset past EOF is never used.
 */
export class TrackedFile {
  spec: TrackedFileSpec;
  /** Lines the backend holds for this file (its `last_synced_line`). */
  lastSyncedLine: number;
  /** A cached line → byte mapping; may lag behind or run ahead of `lastSyncedLine`. */
  position: LinePosition = { line: 0, offset: 0 };
  /** No `\n` lies in [position.offset, scanHorizon) as of the last look. */
  private scanHorizon = 0;
  private identity: FileIdentity | undefined;
  /** A hash of the bytes just before `offset`, taken when the file was last closed there. */
  private fingerprint: { offset: number; hash: string } | undefined;

  constructor(spec: TrackedFileSpec, lastSyncedLine: number) {
    this.spec = spec;
    this.lastSyncedLine = lastSyncedLine;
  }

  /** A new local path for the same backend file: the byte mapping must be rebuilt. */
  relocate(spec: TrackedFileSpec): void {
    const moved = spec.path !== this.spec.path;
    this.spec = spec;
    if (moved) this.forgetPosition();
  }

  forgetPosition(): void {
    this.position = { line: 0, offset: 0 };
    this.scanHorizon = 0;
    this.identity = undefined;
    this.fingerprint = undefined;
  }

  private sameIdentity(st: Stats): boolean {
    return this.identity === undefined || (this.identity.dev === st.dev && this.identity.ino === st.ino);
  }

  /**
   * A stat only: 'idle' when nothing can have changed since we last looked (same file, no new
   * bytes past what is known to hold no `\n`), 'changed' otherwise.
   */
  async statCheck(): Promise<ProbeResult> {
    let st: Stats;
    try {
      st = await stat(this.spec.path);
    } catch (err) {
      if (isMissing(err)) return 'idle';
      throw err;
    }
    if (!st.isFile()) return 'idle';
    if (!this.sameIdentity(st) || st.size < this.position.offset) return 'changed';
    if (this.position.line !== this.lastSyncedLine) return 'changed';
    return st.size <= Math.max(this.scanHorizon, this.position.offset) ? 'idle' : 'changed';
  }

  /**
   * Is there a complete line the backend does not hold? A stat, plus (when the file grew) a
   * backwards scan of the bytes never looked at before.
   */
  async probe(opts: LineReaderOptions): Promise<ProbeResult> {
    if ((await this.statCheck()) === 'idle') return 'idle';
    if (this.position.line !== this.lastSyncedLine) return 'changed';
    let handle: FileHandle;
    try {
      handle = await open(this.spec.path, 'r');
    } catch (err) {
      if (isMissing(err)) return 'idle';
      throw err;
    }
    try {
      const st = await handle.stat();
      if (!this.sameIdentity(st) || st.size < this.position.offset) return 'changed';
      const from = Math.max(this.scanHorizon, this.position.offset);
      if (await hasNewlineBetween(handle, from, st.size, opts.windowBytes)) return 'changed';
      this.scanHorizon = st.size;
      return 'idle';
    } finally {
      await handle.close();
    }
  }

  /**
   * Opens the file and positions a reader just after line `lastSyncedLine`, validating the
   * cached offset first (same file, not shorter, a `\n` just before it). Returns undefined when
   * the file does not exist.
   */
  async openAtBackendPosition(opts: LineReaderOptions, log: Logger): Promise<OpenedFile | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.spec.path, 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const st = await handle.stat();
      const rescan = (reason: string) => {
        log.info('file changed under us; rescanning from the start', { file: this.spec.name, reason, line: this.lastSyncedLine });
        this.forgetPosition();
      };
      if (!this.sameIdentity(st)) rescan('replaced');
      else if (st.size < this.position.offset) rescan('truncated');
      this.identity = { dev: st.dev, ino: st.ino };
      // The backend may be behind our cached position (it lost a chunk, or another writer
      // raced us): only a rescan from byte 0 can find where its line ends.
      if (this.position.line > this.lastSyncedLine) this.forgetPosition();
      const readerAt = (offset: number) => new LineReader(handle, offset, { ...opts, sizeHint: st.size - offset });
      let reader: LineReader;
      let anchor: TailMark = { offset: 0, hash: EMPTY_HASH };
      if (this.position.offset > 0) {
        // The bytes before the cached offset must be those seen when the file was last closed
        // there (a rewrite in place keeps the inode and may keep the size), and the last of
        // them the `\n` ending the cached line. They are hashed before anything after them is
        // read, and again after (`confirmView`).
        const { offset } = this.position;
        const fp = this.fingerprint;
        const now = await tailHash(handle, offset);
        const rewritten = now === undefined || (fp !== undefined && fp.offset === offset && now !== fp.hash);
        // Start one byte early: that byte must be the `\n` ending the cached line.
        reader = readerAt(offset - 1);
        if (rewritten || (await reader.skip(1)) !== 1 || reader.offset !== offset) {
          rescan('rewritten');
          reader = readerAt(0);
        } else {
          anchor = { offset, hash: now };
          reader.restartView();
        }
      } else {
        reader = readerAt(0);
      }
      const need = this.lastSyncedLine - this.position.line;
      const skipped = need > 0 ? await reader.skip(need) : 0;
      this.position = { line: this.position.line + skipped, offset: reader.offset };
      if (skipped < need) this.scanHorizon = reader.scannedTo;
      return { handle, reader, atBackendPosition: skipped === need, anchor, confirmed: undefined, torn: false, log };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Whether the file still holds what the reader saw since the view began, and the bytes before
   * it still are those confirmed before it was read: re-read and compared once the reader is
   * done with them, so a rewrite in place that lands between two reads of one open is never
   * taken for content. When it changed, the cached position is dropped (the next open rescans)
   * and nothing read through `opened` may be used.
   */
  async confirmView(opened: OpenedFile, fingerprintAt = opened.reader.offset): Promise<boolean> {
    const view = opened.reader.view();
    const hashes = await hashRanges(opened.handle, [tailRange(opened.anchor.offset), [view.from, view.to], tailRange(view.to), tailRange(fingerprintAt)]);
    if (hashes === undefined || hashes[0] !== opened.anchor.hash || hashes[1] !== view.sha256) {
      opened.log.info('file changed while it was being read; rescanning from the start', { file: this.spec.name, line: this.lastSyncedLine });
      this.forgetPosition();
      opened.torn = true;
      return false;
    }
    opened.anchor = { offset: view.to, hash: hashes[2]! };
    opened.confirmed = { offset: fingerprintAt, hash: hashes[3]! };
    opened.reader.restartView();
    return true;
  }

  /**
   * Close a file opened by `openAtBackendPosition`, keeping a fingerprint of the bytes before
   * the current position as they were confirmed (best effort), so the next open can tell an
   * append from a rewrite. The fingerprint is never taken from bytes newer than the lines read.
   */
  async close(opened: OpenedFile): Promise<void> {
    try {
      const { offset } = this.position;
      if (opened.torn || offset === 0) {
        this.fingerprint = undefined;
      } else if (opened.confirmed?.offset === offset) {
        this.fingerprint = opened.confirmed;
      } else if (opened.anchor.offset === offset && opened.reader.scannedTo === offset) {
        // Nothing was read past the bytes checked at open.
        this.fingerprint = opened.anchor;
      } else {
        this.fingerprint = (await this.confirmView(opened, offset)) ? opened.confirmed : undefined;
      }
    } catch {
      this.fingerprint = undefined;
    } finally {
      await opened.handle.close();
    }
  }

  /** The backend acknowledged lines up to `position.line`, which ends at `position.offset`. */
  acknowledge(position: LinePosition): void {
    this.lastSyncedLine = position.line;
    this.position = position;
    this.scanHorizon = position.offset;
  }

  /** Everything up to the reader's position is on the backend; remember how far we looked. */
  markIdle(position: LinePosition, scannedTo: number): void {
    this.position = position;
    this.scanHorizon = scannedTo;
  }
}
