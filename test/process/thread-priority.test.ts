import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { currentThreadId, lowerThreadPriority } from '../../src/process/thread-priority.js';

/** A worker thread runs the built module: it cannot load the TypeScript sources. */
const built = new URL('../../dist/process/thread-priority.js', import.meta.url).href;

it('never lowers the whole process: on the main thread it does nothing', () => {
  const before = getPriority(process.pid);
  expect(lowerThreadPriority(15)).toBe(false);
  expect(getPriority(process.pid)).toBe(before);
});

it.runIf(process.platform === 'linux')('lowers only the worker thread that asks', async () => {
  expect(currentThreadId()).toBe(process.pid);
  const before = getPriority(process.pid);
  const worker = new Worker(
    `import(${JSON.stringify(built)}).then((m) => {
       const { parentPort } = require('node:worker_threads');
       parentPort.postMessage({ tid: m.currentThreadId(), lowered: m.lowerThreadPriority(15), nice: require('node:os').getPriority(m.currentThreadId()) });
     });`,
    { eval: true },
  );
  try {
    const reply = await new Promise<{ tid: number; lowered: boolean; nice: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(reply.tid).not.toBe(process.pid);
    expect(reply).toMatchObject({ lowered: true, nice: 15 });
    expect(getPriority(process.pid)).toBe(before);
  } finally {
    await worker.terminate();
  }
});
