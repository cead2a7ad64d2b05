/**
 * The thread behind `IndexThread`: opens the store and the index itself and brings the
 * sessions it is told of up to date, one request at a time, in the order they came.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../process/thread-priority.js';
import { FileStore } from '../store/file-store.js';
import { INDEX_IDLE_CLOSE_MS } from './indexing-store.js';
import { SearchIndex } from './index-db.js';
import { INDEX_THREAD_NICE, type IndexThreadReply, type IndexThreadRequest } from './index-thread.js';

const { storeDir, indexPath } = workerData as { storeDir: string; indexPath: string };
const port = parentPort;
if (!port) throw new Error('index thread: started without a parent');
lowerThreadPriority(INDEX_THREAD_NICE);

let store: Promise<FileStore> | undefined;
let index: SearchIndex | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let queue: Promise<void> = Promise.resolve();

function describe(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}

async function handle({ id, sessions }: IndexThreadRequest): Promise<void> {
  clearTimeout(idleTimer);
  const errors: IndexThreadReply['errors'] = [];
  try {
    const opened = await (store ??= FileStore.open(storeDir));
    for (const sessionId of sessions) {
      try {
        await (index ??= SearchIndex.open(indexPath)).syncSession(opened, sessionId);
      } catch (err) {
        // Reopened for the next session: the file may have been replaced or damaged.
        index?.close();
        index = undefined;
        errors.push(describe(err));
      }
    }
  } catch (err) {
    store = undefined;
    errors.push(describe(err));
  }
  port!.postMessage({ id, errors } satisfies IndexThreadReply);
  // Closed when idle, as the server's own index was, so a rebuild elsewhere is not held up.
  idleTimer = setTimeout(() => {
    index?.close();
    index = undefined;
  }, INDEX_IDLE_CLOSE_MS);
  idleTimer.unref();
}

port.on('message', (request: IndexThreadRequest) => {
  queue = queue.then(() => handle(request));
});
