import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';

/** Main thread → worker: bring these sessions' index up to date. */
export interface IndexThreadRequest {
  id: number;
  sessions: string[];
}

/** Worker → main thread: done; the errors met on the way (the index goes on after each). */
export interface IndexThreadReply {
  id: number;
  errors: { name: string; message: string }[];
}

export interface IndexThreadOptions {
  /** The store whose committed lines are indexed (opened again on the worker, read only). */
  storeDir: string;
  /** The index file (see indexPathFor). */
  indexPath: string;
  /** The worker's script (tests running from sources point at the built one). */
  workerUrl?: URL;
}

/**
 * Indexing is catch-up work: while a backfill comes in, the threads that take the uploads in
 * go first (a search sees what is indexed so far). At 10 the thread still gets about a tenth
 * of a core it shares with a busy one, so a server that stays busy does not starve its index.
 */
export const INDEX_THREAD_NICE = 10;

/** An error as the worker met it, with the name that tells an SQLite-less runtime apart. */
export class IndexThreadError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Index updates on a thread of their own (`confab serve`): FTS inserts of a large backfill take
 * seconds of CPU, and on the server's thread they would hold every other request back. The
 * worker opens the store and the index itself and reads what was committed, as a second
 * process would (both are safe for that); the server only names the sessions that changed.
 */
export class IndexThread {
  private readonly opts: IndexThreadOptions;
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (errors: IndexThreadError[]) => void; reject: (err: Error) => void }>();

  constructor(opts: IndexThreadOptions) {
    this.opts = opts;
  }

  /** Index these sessions; resolves with the errors met (one per failed session), rejects if the worker fails. */
  sync(sessions: string[]): Promise<IndexThreadError[]> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, sessions } satisfies IndexThreadRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.failAll(new Error('the index thread was closed'));
  }

  private start(): Worker {
    const { Worker } = process.getBuiltinModule('node:worker_threads') as typeof WorkerThreads;
    const worker = new Worker(this.opts.workerUrl ?? new URL('./index-thread-worker.js', import.meta.url), {
      workerData: { storeDir: this.opts.storeDir, indexPath: this.opts.indexPath },
    });
    worker.on('message', (reply: IndexThreadReply) => this.onReply(reply));
    // A worker that failed is replaced by the next update: what it missed is re-read from the store.
    const lost = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the index thread exited (code ${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onReply({ id, errors }: IndexThreadReply): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker?.unref();
    waiter.resolve(errors.map((e) => new IndexThreadError(e.name, e.message)));
  }

  private failAll(err: Error): void {
    for (const { reject } of this.waiting.values()) reject(err);
    this.waiting.clear();
  }
}
