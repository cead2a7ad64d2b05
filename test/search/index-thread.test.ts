import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { indexPathFor, SearchIndex } from '../../src/search/index-db.js';
import { IndexingStore } from '../../src/search/indexing-store.js';
import type * as IndexingStoreModule from '../../src/search/indexing-store.js';
import { INDEX_THREAD_NICE, IndexThread } from '../../src/search/index-thread.js';
import { search } from '../../src/search/query.js';
import { FileStore } from '../../src/store/file-store.js';
import { REPO_ROOT } from '../helpers/sandbox.js';

/** The worker runs the built script: a worker thread cannot load the TypeScript sources. */
const workerUrl = new URL('../../dist/search/index-thread-worker.js', import.meta.url);
const FIXTURE = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir/958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl');
const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l !== '');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-index-thread-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A store whose commits are indexed by `indexing`; the same session uploaded in chunks of 5. */
async function upload(storeDir: string, make: (store: FileStore) => IndexingStore): Promise<IndexingStore> {
  const store = make(await FileStore.open(storeDir));
  const { session_id } = await store.init('alice', { provider: 'claude-code', external_id: 'threaded', transcript_path: '/t/a.jsonl', metadata: { cwd: '/home/dev/webshop' } });
  for (let i = 0; i < lines.length; i += 5) {
    await store.appendChunk('alice', { session_id, file_name: 'a.jsonl', file_type: 'transcript', first_line: i + 1, lines: lines.slice(i, i + 5) });
  }
  await store.flush();
  return store;
}

/** What an index holds, in a form two indexes of the same lines can be compared by. */
function contents(storeDir: string): { entries: unknown[]; indexed: unknown[]; hits: string[] } {
  const index = SearchIndex.open(indexPathFor(storeDir));
  try {
    return {
      entries: index.db.all('SELECT line, time, role, tool, text FROM entries ORDER BY line, id'),
      indexed: index.db.all('SELECT file_name, indexed_lines FROM files'),
      // Addresses without the session id (each store has its own).
      hits: search(index.db, 'hello', { limit: 100 }).map((h) => h.address.replace(/^[^:]+:/, '')),
    };
  } finally {
    index.close();
  }
}

it('indexes on a thread of its own exactly what indexing on this thread does', async () => {
  const here = join(dir, 'here');
  const there = join(dir, 'there');
  const errors: unknown[] = [];
  await (await upload(here, (s) => new IndexingStore(s, { path: indexPathFor(here) }))).close();
  const threaded = await upload(there, (s) => new IndexingStore(s, { path: indexPathFor(there), thread: new IndexThread({ storeDir: there, indexPath: indexPathFor(there), workerUrl }), onError: (e) => errors.push(e) }));
  await threaded.close();
  expect(errors).toEqual([]);
  const expected = contents(here);
  expect(expected.entries.length).toBeGreaterThan(10);
  expect(expected.hits.length).toBeGreaterThan(0);
  expect(expected.indexed).toEqual([{ file_name: 'a.jsonl', indexed_lines: lines.length }]);
  expect(contents(there)).toEqual(expected);
});

it('a thread that cannot start costs the thread, never the index: this thread takes over', async () => {
  const storeDir = join(dir, 'store');
  const errors: Error[] = [];
  const missing = new URL('./no-such-worker.js', workerUrl);
  const store = await upload(storeDir, (s) => new IndexingStore(s, { path: indexPathFor(storeDir), thread: new IndexThread({ storeDir, indexPath: indexPathFor(storeDir), workerUrl: missing }), onError: (e) => errors.push(e as Error) }));
  await store.close();
  // Told once; every line indexed all the same.
  expect(errors).toHaveLength(1);
  expect(contents(storeDir).indexed).toEqual([{ file_name: 'a.jsonl', indexed_lines: lines.length }]);
});

it('reports each session it could not index and goes on with the next', async () => {
  const storeDir = join(dir, 'store');
  await (await FileStore.open(storeDir)).close();
  const unknown = '00000000-0000-4000-8000-000000000000';
  const thread = new IndexThread({ storeDir, indexPath: indexPathFor(storeDir), workerUrl });
  // An unknown session has nothing to index: no error, nothing done.
  expect(await thread.sync([unknown])).toEqual([]);
  await thread.close();
  // An index path that cannot be a database: one error per session, by name and message.
  const broken = new IndexThread({ storeDir, indexPath: join(storeDir, 'sessions'), workerUrl });
  const errors = await broken.sync([unknown, unknown]);
  await broken.close();
  expect(errors).toHaveLength(2);
  expect(errors[0]?.message).toBeTruthy();
});

it("never keeps the caller's process alive once it has answered", () => {
  const storeDir = join(dir, 'store');
  const script = `
const { IndexThread } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/search/index-thread.js'))});
const { FileStore } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/store/file-store.js'))});
await (await FileStore.open(process.argv[2])).close();
const thread = new IndexThread({ storeDir: process.argv[2], indexPath: process.argv[2] + '/index.db' });
const errors = await thread.sync(['00000000-0000-4000-8000-000000000000']);
process.stdout.write(JSON.stringify(errors));
`;
  // A file, not -e: a worker inherits the process's flags, and --input-type is refused for a file.
  const file = join(dir, 'caller.mjs');
  writeFileSync(file, script);
  const run = spawnSync(process.execPath, [file, storeDir], { encoding: 'utf8', timeout: 20_000 });
  expect(run.signal).toBeNull();
  expect(run.status).toBe(0);
  expect(run.stdout).toBe('[]');
});

it("the built package's serve store indexes on its thread, found beside it", async () => {
  const dist = (await import(join(REPO_ROOT, 'dist/search/indexing-store.js'))) as typeof IndexingStoreModule;
  const storeDir = join(dir, 'store');
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m), child: () => log };
  const store = await upload(storeDir, (s) => dist.indexingStoreFor(s, storeDir, log, { thread: true }));
  await store.close();
  // A thread that could not start would have been told here before this thread took over.
  expect(warnings).toEqual([]);
  expect(contents(storeDir).indexed).toEqual([{ file_name: 'a.jsonl', indexed_lines: lines.length }]);
});

/** The nice value of each of this process's threads (Linux: each has its own), by thread id. */
function threadNices(): Map<number, number> {
  return new Map(readdirSync('/proc/self/task').map((tid) => [Number(tid), getPriority(Number(tid))]));
}

it.runIf(process.platform === 'linux')('runs at a lower priority than the process that took the lines in, which keeps its own', async () => {
  const storeDir = join(dir, 'store');
  const before = threadNices();
  const thread = new IndexThread({ storeDir, indexPath: indexPathFor(storeDir), workerUrl });
  try {
    const store = await upload(storeDir, (s) => new IndexingStore(s, { path: indexPathFor(storeDir), thread }));
    const during = threadNices();
    const lowered = [...during].filter(([tid, nice]) => !before.has(tid) && nice === INDEX_THREAD_NICE);
    expect(lowered).toHaveLength(1);
    expect(getPriority(process.pid)).toBe(before.get(process.pid));
    for (const [tid, nice] of before) if (during.has(tid)) expect(during.get(tid)).toBe(nice);
    await store.close();
    expect(contents(storeDir).indexed).toEqual([{ file_name: 'a.jsonl', indexed_lines: lines.length }]);
  } finally {
    await thread.close();
  }
});
