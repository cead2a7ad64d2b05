import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import type { RedactionOptions, Redactor } from './types.js';

/** What `RedactionAhead` worked out for one line (the shape of the sync engine's prefetched line). */
export interface AheadLine {
  /** The redacted line; undefined: nothing to redact. */
  readonly output?: string;
  /** Bytes the redacted line takes as a JSON string. */
  readonly wireBytes: number;
  /** That JSON string, UTF-8, when it was asked for. */
  readonly json?: Buffer;
  /** Redactions it made, by marker type. */
  readonly counts?: readonly (readonly [string, number])[];
}

/** Main thread → worker: a batch of lines, concatenated; `ends[i]` is where line i ends in `data`. */
export interface AheadBatch {
  id: number;
  data: ArrayBuffer;
  ends: Uint32Array;
  /** Send back each result as a JSON string too (a backend that sends request bodies). */
  json: boolean;
}

/** Worker → main thread: every line's size, and the lines that changed (or counted a redaction). */
export interface AheadReply {
  id: number;
  wireBytes: Uint32Array;
  changed: [index: number, output: string | null, counts: [string, number][]][];
  /** With `json`: every line's JSON string, UTF-8, one after the other (`wireBytes[i]` each). */
  json?: ArrayBuffer;
}

export interface RedactionAheadOptions {
  /** The options `inner` was built from: the worker builds its own redactor from them. */
  options: RedactionOptions;
  inner: Redactor;
  /** The worker's script (tests running from sources point at the built one). */
  workerUrl?: URL;
  /** The worker could not start or failed: lines are redacted on the calling thread from then on. */
  onUnavailable?(reason: string): void;
}

/**
 * Redaction of a backfill on a second thread (`confab save`): the sync engine hands it lines
 * as read, a batch at a time (see the engine's LinePrefetcher), while it stores the chunks
 * before them on this thread. `redactor` is what the `line` hook taps: for a line that reaches
 * it exactly as read, it returns the worker's answer; for anything else (a tap before it changed
 * the line, a line never handed out, a worker that failed) it redacts here, as it would have.
 * A redactor's output depends on its input alone, so the two are the same.
 */
export class RedactionAhead {
  readonly redactor: Redactor;
  private readonly opts: RedactionAheadOptions;
  private worker: Worker | undefined;
  private failed = false;
  private nextId = 0;
  private readonly waiting = new Map<number, (lines: readonly (AheadLine | undefined)[]) => void>();
  private slot: { text: string; line: AheadLine | undefined } | undefined;
  /** Redactions made by the worker whose answers were used. */
  private readonly used = new Map<string, number>();
  private answeredLines = 0;

  constructor(opts: RedactionAheadOptions) {
    this.opts = opts;
    const { inner } = opts;
    const slotFor = (line: string): AheadLine | undefined => {
      const slot = this.slot;
      this.slot = undefined;
      return slot !== undefined && slot.line !== undefined && line === slot.text ? slot.line : undefined;
    };
    const used = this.used;
    const answered = () => this.answeredLines++;
    this.redactor = {
      redactLine(line: string): string {
        const known = slotFor(line);
        if (!known) return inner.redactLine(line);
        answered();
        for (const [type, n] of known.counts ?? []) used.set(type, (used.get(type) ?? 0) + n);
        return known.output ?? line;
      },
      redactText: (text: string) => inner.redactText(text),
      get stats(): ReadonlyMap<string, number> {
        const all = new Map(inner.stats);
        for (const [type, n] of used) all.set(type, (all.get(type) ?? 0) + n);
        return all;
      },
    };
  }

  /** Lines whose redaction came from the worker. */
  get answered(): number {
    return this.answeredLines;
  }

  /**
   * Redact these lines (as read, without `\n`) on the worker; undefined for each when it cannot.
   * `json`: each result's JSON string too.
   */
  prefetch(lines: readonly Buffer[], opts: { json?: boolean } = {}): Promise<readonly (AheadLine | undefined)[]> {
    const worker = this.failed ? undefined : (this.worker ?? this.start());
    if (!worker) return Promise.resolve([]);
    let total = 0;
    for (const line of lines) total += line.length;
    // One buffer of its own, moved to the worker rather than copied a second time.
    const data = new Uint8Array(total);
    const ends = new Uint32Array(lines.length);
    let at = 0;
    lines.forEach((line, i) => {
      data.set(line, at);
      at += line.length;
      ends[i] = at;
    });
    const id = this.nextId++;
    const batch: AheadBatch = { id, data: data.buffer, ends, json: opts.json === true };
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.ref();
      worker.postMessage(batch, [data.buffer, ends.buffer]);
    });
  }

  /** The line about to go through the `line` hook, as read, and what the worker made of it. */
  expect(text: string, line: AheadLine | undefined): void {
    this.slot = { text, line };
  }

  /** Stops the worker; anything still waiting is redacted on this thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.failed = true;
    this.worker = undefined;
    this.settleAll();
    if (worker) await worker.terminate();
  }

  private start(): Worker | undefined {
    try {
      // Taken when first needed: the background daemon, which never reads ahead, does not load it.
      const { Worker } = process.getBuiltinModule('node:worker_threads') as typeof WorkerThreads;
      const worker = new Worker(this.opts.workerUrl ?? new URL('./ahead-worker.js', import.meta.url), { workerData: { options: this.opts.options } });
      worker.on('message', (reply: AheadReply) => this.onReply(reply));
      worker.on('error', (err) => this.fail(err.message));
      worker.on('exit', (code) => this.fail(`the worker exited (code ${code})`));
      worker.unref();
      this.worker = worker;
      return worker;
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      return undefined;
    }
  }

  private onReply({ id, wireBytes, changed, json }: AheadReply): void {
    const resolve = this.waiting.get(id);
    if (!resolve) return;
    this.waiting.delete(id);
    let at = 0;
    const lines: AheadLine[] = Array.from(wireBytes, (n) => {
      if (!json) return { wireBytes: n };
      const line = { wireBytes: n, json: Buffer.from(json, at, n) };
      at += n;
      return line;
    });
    for (const [i, output, counts] of changed) lines[i] = { ...lines[i]!, ...(output === null ? {} : { output }), counts };
    if (this.waiting.size === 0) this.worker?.unref();
    resolve(lines);
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.worker = undefined;
    this.settleAll();
    this.opts.onUnavailable?.(reason);
  }

  private settleAll(): void {
    for (const resolve of this.waiting.values()) resolve([]);
    this.waiting.clear();
  }
}
