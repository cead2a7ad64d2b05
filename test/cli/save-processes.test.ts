import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { FoundSession } from '../../src/cli/local-sessions.js';
import { parseWorkerMessage, saveSessionsInProcesses } from '../../src/cli/save-processes.js';
import { availableMemoryBytes, defaultSaveConcurrency, SAVE_JOB_MEMORY_BYTES } from '../../src/cli/save.js';
import type { Provider } from '../../src/provider/contract.js';

const found = (i: number, sizeBytes: number): FoundSession => ({
  provider: { name: 'claude-code' } as Provider,
  session: {
    provider: 'claude-code',
    externalId: `session-${i}`,
    transcriptPath: `/p/session-${i}.jsonl`,
    project: '-p',
    cwd: '/p',
    lastActivity: new Date(1_700_000_000_000 + i),
    sizeBytes,
  },
});

/**
 * A stand-in worker: answers each task as `confab save --worker` does (a chunk, then a result),
 * except that it exits abruptly on a session whose id is `dies`.
 */
const FAKE_WORKER = `
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const { index, session } = JSON.parse(line);
  if (session.externalId === process.argv[1]) process.exit(3);
  const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
  out({ type: 'chunk', index, fileName: 'f.jsonl', lines: 2, bytes: session.sizeBytes });
  out({ type: 'done', index, result: { id: session.externalId, provider: session.provider, outcome: 'uploaded', backend: 'test', chunks: 1, lines: 2, bytes: session.sizeBytes, sizeBytes: session.sizeBytes, warnings: [], worker: process.pid } });
});
`;
const fakeWorker = (dies: string) => () => spawn(process.execPath, ['-e', FAKE_WORKER, dies], { stdio: ['pipe', 'pipe', 'inherit'] });

describe('saving in worker processes', () => {
  it('hands out every session once, largest first, and gives the results in list order', async () => {
    const targets = [found(0, 10), found(1, 500), found(2, 30), found(3, 700), found(4, 20)];
    const started: number[] = [];
    const chunks: string[] = [];
    const summary = await saveSessionsInProcesses(targets, {
      processes: 2,
      spawnWorker: fakeWorker('none'),
      progress: { onSessionStart: (_f, i) => started.push(i), onChunk: (f) => chunks.push(f.session.externalId) },
    });
    expect(summary).toMatchObject({ sessions: 5, uploaded: 5, errors: 0, processes: 2, bytes: 1260 });
    expect(summary.results.map((r) => r.id)).toEqual(targets.map((t) => t.session.externalId));
    expect(started.slice(0, 2).sort()).toEqual([1, 3]);
    expect(started.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(chunks.sort()).toEqual(targets.map((t) => t.session.externalId).sort());
  });

  it('lets each save redact on a second thread only when there are more cores than processes', async () => {
    // Echoes the task's read-ahead flag back as its only warning.
    const ECHO = `
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const { index, session, readAhead } = JSON.parse(line);
  process.stdout.write(JSON.stringify({ type: 'done', index, result: { id: session.externalId, provider: session.provider, outcome: 'uploaded', backend: 'test', chunks: 1, lines: 1, bytes: 1, sizeBytes: 1, warnings: [String(readAhead)] } }) + '\\n');
});`;
    const echo = () => spawn(process.execPath, ['-e', ECHO], { stdio: ['pipe', 'pipe', 'inherit'] });
    const cores = availableParallelism();
    for (const processes of [1, cores]) {
      const summary = await saveSessionsInProcesses([found(0, 10), found(1, 20)], { processes, spawnWorker: echo });
      expect(summary.results.map((r) => r.warnings[0])).toEqual(Array(2).fill(String(cores > processes)));
    }
  });

  it('a worker that dies fails only the session it was saving; the others are saved by the rest', async () => {
    const targets = [found(0, 10), found(1, 20), found(2, 30), found(3, 40)];
    const summary = await saveSessionsInProcesses(targets, { processes: 2, spawnWorker: fakeWorker('session-2') });
    expect(summary.results.map((r) => r.outcome)).toEqual(['uploaded', 'uploaded', 'failed', 'uploaded']);
    expect(summary.results[2]!.error).toMatch(/its save process exited \(code 3\) before it finished/);
    expect(summary).toMatchObject({ sessions: 4, failed: 1, errors: 1 });
  });

  it('when every worker is gone, what is left is reported failed, not dropped', async () => {
    const targets = [found(0, 10), found(1, 20), found(2, 30)];
    const summary = await saveSessionsInProcesses(targets, {
      processes: 1,
      spawnWorker: () => spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: ['pipe', 'pipe', 'inherit'] }),
    });
    expect(summary.results.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed']);
    expect(summary.results.map((r) => r.id)).toEqual(['session-0', 'session-1', 'session-2']);
  });

  it('trusts only well-formed worker lines', () => {
    const result = { id: 'a', provider: 'p', outcome: 'uploaded', backend: 'b', chunks: 1, lines: 1, bytes: 1, sizeBytes: 1, warnings: [] };
    expect(parseWorkerMessage(JSON.stringify({ type: 'done', index: 0, result }), 1)).toMatchObject({ type: 'done', index: 0 });
    expect(parseWorkerMessage(JSON.stringify({ type: 'done', index: 1, result }), 1)).toBeUndefined();
    expect(parseWorkerMessage(JSON.stringify({ type: 'done', index: 0, result: { ...result, outcome: 'great' } }), 1)).toBeUndefined();
    expect(parseWorkerMessage(JSON.stringify({ type: 'chunk', index: 0, fileName: 'f', lines: -1, bytes: 1 }), 1)).toBeUndefined();
    expect(parseWorkerMessage('warning: not JSON', 1)).toBeUndefined();
  });
});

describe('how many sessions save --all works on at once by default', () => {
  const GiB = 1024 ** 3;
  it('one per core, at most 4, and no more than the available memory holds', () => {
    expect(defaultSaveConcurrency({ cores: 2, memoryBytes: 64 * GiB })).toBe(2);
    expect(defaultSaveConcurrency({ cores: 16, memoryBytes: 64 * GiB })).toBe(4);
    expect(defaultSaveConcurrency({ cores: 8, memoryBytes: 3 * SAVE_JOB_MEMORY_BYTES - 1 })).toBe(2);
    // A machine short of memory still saves, one session at a time.
    expect(defaultSaveConcurrency({ cores: 4, memoryBytes: 100 * 1024 * 1024 })).toBe(1);
  });

  it("reads this machine's available memory", () => {
    const bytes = availableMemoryBytes();
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(2 ** 53);
  });
});
