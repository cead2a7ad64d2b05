import { createHash } from 'node:crypto';
import type { EncodedBody } from '../backend/backend.js';
import type { ChunkRequest } from '../format/wire.js';
import { joinUtf8 } from '../format/utf8-join.js';
import type { LineReader, RawLine } from './line-reader.js';
import { decodeLine, encodeWireLine, escapeNewlines, oversizedPlaceholder } from './line-text.js';

/** A line read from disk and made ready for the wire. */
export interface PreparedLine {
  lineNumber: number;
  /** What is uploaded: the `line` hook's output, or a placeholder. */
  wire: string;
  /** The line as read, before any `line` hook (the placeholder itself for an oversized line). */
  raw: string;
  /**
   * `wire` as a JSON string (or its UTF-8 bytes, when worked out ahead on another thread),
   * spliced into the request body as is: kept from when it was measured only for a backend that
   * sends bodies (see LinePreparer.keepJson), else encoded again if a body is ever asked for.
   */
  json: string | Uint8Array | undefined;
  /** Bytes `wire` adds to the request body as a JSON string. */
  wireBytes: number;
  /** Bytes of the file this line spans, its `\n` included. */
  fileBytes: number;
  /** Offset just past this line's `\n`. */
  end: number;
  placeholder: boolean;
  /** Some bytes were not valid UTF-8 and became U+FFFD. */
  inexact: boolean;
}

/** What a `LinePrefetcher` worked out for one line. */
export interface PrefetchedLine {
  /** What the `line` hook is expected to return; undefined: the line as read, unchanged. */
  readonly output?: string;
  /** Bytes that output adds to a request body as a JSON string. */
  readonly wireBytes: number;
  /** That JSON string as UTF-8, when it was asked for (`wireBytes` long). */
  readonly json?: Uint8Array;
}

/**
 * Work on lines done before they reach the `line` hook, a batch at a time: on another thread
 * while this one stores the chunks before them (`confab save`'s redaction). Whatever it
 * answers, a line comes out as the hook makes it: a result stands in only for work whose
 * input and output it matches exactly.
 */
export interface LinePrefetcher {
  /**
   * Starts work on lines as read (their bytes, without the `\n`): one result per line,
   * undefined where nothing is known. `json`: with each result's JSON string (for a backend
   * that sends request bodies). Never rejects.
   */
  prefetch(lines: readonly Buffer[], opts: { json: boolean }): Promise<readonly (PrefetchedLine | undefined)[]>;
  /** Called just before `text`, a line as read, goes through the `line` hook, with its result. */
  expect(text: string, result: PrefetchedLine | undefined): void;
}

/** Bytes of lines handed to a prefetcher at once, and how many such batches may be in its hands. */
export const PREFETCH_BATCH_BYTES = 512 * 1024;
export const PREFETCH_DEPTH = 16;

export interface LinePreparer {
  /** Runs the `line` hook; returns what to upload. */
  transform(text: string, lineNumber: number): string;
  /** Whether a line of `wireBytes` can go in a chunk at all (alone, starting at `lineNumber`). */
  fitsAlone(wireBytes: number, lineNumber: number): boolean;
  /**
   * Keep each line's JSON for the request body. The embedded store takes the lines as strings
   * and needs only the body's size: its lines' JSON is dropped once measured, so it dies young
   * instead of being held (and copied by the garbage collector) until the chunk is stored.
   */
  keepJson?: boolean;
  /** Lines are read ahead in batches and handed to it before they are prepared. */
  prefetcher?: LinePrefetcher;
}

function placeholderLine(lineNumber: number, originalBytes: number, sha256: string, fileBytes: number, end: number): PreparedLine {
  const wire = oversizedPlaceholder(originalBytes, sha256);
  return { lineNumber, wire, raw: wire, ...encodeWireLine(wire), fileBytes, end, placeholder: true, inexact: false };
}

/** Decode, run the `line` hook, and fall back to a placeholder when even a chunk of its own could not carry the line. */
export function prepareLine(raw: RawLine, lineNumber: number, preparer: LinePreparer, prefetched?: PrefetchedLine): PreparedLine {
  const fileBytes = raw.end - raw.start;
  if (raw.kind === 'oversized') return placeholderLine(lineNumber, raw.byteLength, raw.sha256, fileBytes, raw.end);
  const { text, exact, ascii } = decodeLine(raw.bytes);
  preparer.prefetcher?.expect(text, prefetched);
  const wire = escapeNewlines(preparer.transform(text, lineNumber));
  // The prefetched size (and JSON) stands for a line that came out as predicted (most are the same string).
  const keepJson = preparer.keepJson !== false;
  const predicted = prefetched !== undefined && wire === (prefetched.output ?? text) && (!keepJson || prefetched.json !== undefined) ? prefetched : undefined;
  const { json, wireBytes } = predicted ? { json: undefined, wireBytes: predicted.wireBytes } : encodeWireLine(wire, ascii && wire === text);
  if (!preparer.fitsAlone(wireBytes, lineNumber)) {
    return placeholderLine(lineNumber, raw.bytes.length, createHash('sha256').update(raw.bytes).digest('hex'), fileBytes, raw.end);
  }
  return {
    lineNumber,
    wire,
    raw: text,
    // A prefetched JSON comes as UTF-8 bytes, worked out on another thread.
    json: keepJson ? (predicted?.json ?? json) : undefined,
    wireBytes,
    fileBytes,
    end: raw.end,
    placeholder: false,
    inexact: !exact,
  };
}

/**
 * A placeholder for a line that fitted alone but not once a `chunk` tap added metadata. The
 * raw bytes are gone by then; the hash is of the line's decoded text (identical to the file's
 * bytes for valid UTF-8).
 */
export function demoteToPlaceholder(line: PreparedLine): PreparedLine {
  const bytes = Buffer.from(line.raw, 'utf8');
  return placeholderLine(line.lineNumber, bytes.length, createHash('sha256').update(bytes).digest('hex'), line.fileBytes, line.end);
}

/** Bytes of the serialized request body without its lines (`"lines":[]`) and metadata. */
export function skeletonBytes(skeleton: Omit<ChunkRequest, 'lines' | 'metadata'>): number {
  return Buffer.byteLength(JSON.stringify({ ...skeleton, lines: [] }), 'utf8');
}

/**
 * The request serialized in one pass: the body without its lines, then each line's JSON as
 * encoded when it was prepared. Equal to `JSON.stringify(request)` up to the order of keys
 * (`lines` last), which JSON does not give a meaning to.
 */
export function encodeChunkBody(request: ChunkRequest, lines: readonly PreparedLine[]): EncodedBody {
  const rest: Partial<ChunkRequest> = { ...request };
  delete rest.lines;
  const head = JSON.stringify({ ...rest, lines: [] });
  const bytes = Buffer.byteLength(head, 'utf8') + lines.reduce((n, l) => n + l.wireBytes, 0) + Math.max(0, lines.length - 1);
  let body: Buffer | undefined;
  // `head` ends with `[]}`: the lines go between the brackets. Only a backend that sends the
  // body asks for it (the embedded store needs its size only).
  return {
    bytes,
    body: () =>
      (body ??= joinUtf8(
        lines.map((l) => l.json ?? JSON.stringify(l.wire)),
        ',',
        head.slice(0, -2),
        ']}',
      )),
  };
}

export interface ChunkDraft {
  firstLine: number;
  lines: PreparedLine[];
  /** Stopped because the next line did not fit (more lines are waiting), not at the end of the file. */
  full: boolean;
}

/** Lines read ahead and handed to a prefetcher, with what it made of them once it answered. */
interface PrefetchBatch {
  raw: (RawLine | undefined)[];
  results: readonly (PrefetchedLine | undefined)[];
  next: number;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Packs consecutive lines into chunks whose serialized body (the whole ChunkRequest, JSON
 * escaping included) stays within `budgetBytes`. Lines that did not make it into a chunk
 * stay queued for the next one, so each is read and transformed once.
 */
export class Chunker {
  private readonly queue: PreparedLine[] = [];
  /** With a prefetcher: the batch being prepared, and those handed to it after. */
  private batch: PrefetchBatch | undefined;
  private readonly inflight: Promise<PrefetchBatch>[] = [];
  private readerDone = false;

  constructor(
    private readonly reader: LineReader,
    private readonly preparer: LinePreparer,
    private nextLine: number,
    /**
     * `bytes`: the hard cap on a request body. `batchBytes`: where a chunk of several lines
     * stops growing — smaller, to bound the memory a chunk in flight holds (its lines, the
     * JSON body, the compressed body); a single line larger than that still goes alone.
     */
    private readonly budget: { bytes: number; batchBytes?: number; skeletonBytes(firstLine: number): number },
  ) {}

  private async pull(): Promise<PreparedLine | undefined> {
    const queued = this.queue.shift();
    if (queued) return queued;
    const prefetcher = this.preparer.prefetcher;
    if (prefetcher) return this.pullPrefetched(prefetcher);
    const raw = await this.reader.next();
    if (!raw) return undefined;
    return prepareLine(raw, this.nextLine++, this.preparer);
  }

  private async pullPrefetched(prefetcher: LinePrefetcher): Promise<PreparedLine | undefined> {
    for (;;) {
      const batch = this.batch;
      if (batch && batch.next < batch.raw.length) {
        const i = batch.next++;
        const raw = batch.raw[i] as RawLine;
        // Held no longer than needed: a batch is half a MiB of lines.
        batch.raw[i] = undefined;
        return prepareLine(raw, this.nextLine++, this.preparer, batch.results[i]);
      }
      this.batch = undefined;
      // Keep the prefetcher busy with the next batches while this one is prepared.
      await this.handOut(prefetcher);
      const next = this.inflight.shift();
      if (!next) return undefined;
      this.batch = await next;
    }
  }

  /** Reads batches of lines and hands them to the prefetcher until `PREFETCH_DEPTH` are out. */
  private async handOut(prefetcher: LinePrefetcher): Promise<void> {
    while (this.inflight.length < PREFETCH_DEPTH && !this.readerDone) {
      const raw: RawLine[] = [];
      let bytes = 0;
      while (bytes < PREFETCH_BATCH_BYTES) {
        const line = await this.reader.next();
        if (!line) {
          this.readerDone = true;
          break;
        }
        raw.push(line);
        bytes += line.end - line.start;
      }
      if (raw.length === 0) return;
      const results = prefetcher.prefetch(
        raw.map((l) => (l.kind === 'line' ? l.bytes : NO_BYTES)),
        { json: this.preparer.keepJson !== false },
      );
      // A prefetcher that fails anyway costs its speed, never a line: nothing known, all prepared here.
      this.inflight.push(results.then((r) => ({ raw, results: r, next: 0 }), () => ({ raw, results: [], next: 0 })));
    }
  }

  async draft(): Promise<ChunkDraft | undefined> {
    const first = await this.pull();
    if (!first) return undefined;
    const lines = [first];
    let size = this.budget.skeletonBytes(first.lineNumber) + first.wireBytes;
    for (;;) {
      const line = await this.pull();
      if (!line) return { firstLine: first.lineNumber, lines, full: false };
      if (size + 1 + line.wireBytes > Math.min(this.budget.bytes, this.budget.batchBytes ?? Infinity)) {
        this.queue.unshift(line);
        return { firstLine: first.lineNumber, lines, full: true };
      }
      lines.push(line);
      size += 1 + line.wireBytes;
    }
  }

  /** Lines drafted but not sent go back to the front, in order. */
  requeue(lines: readonly PreparedLine[]): void {
    this.queue.unshift(...lines);
  }
}
