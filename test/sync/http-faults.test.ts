import { appendFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpBackend } from '../../src/backend/http.js';
import { isBackendError } from '../../src/backend/errors.js';
import type { Fault } from '../../src/serve/faults.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { createSyncHooks } from '../../src/extension/daemon-hooks.js';
import { startServer, type Server } from '../serve/api-helpers.js';
import { jsonLines } from '../helpers/engine-harness.js';
import { tempDir } from '../helpers/sync-fixtures.js';

// The engine and HttpBackend against confab serve's strict API server with injected faults:
// after each scenario the server must hold every line exactly once, in order, byte-identical.
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function scenario(
  faults: { route: string; fault: Fault; times?: number }[],
  opts: { withAgent?: boolean; timeoutMs?: number; allowAbandonedOverlap?: boolean } = {},
) {
  server = await startServer();
  const dir = tempDir();
  const transcript = join(dir, 'session-1.jsonl');
  const agent = join(dir, 'agent-abc123.jsonl');
  appendFileSync(transcript, jsonLines(120));
  if (opts.withAgent) appendFileSync(agent, jsonLines(40, 1000));
  const hooks = createSyncHooks();
  const recovered: Error[] = [];
  hooks.syncError.tap('test', (err) => recovered.push(err));
  if (opts.withAgent) {
    hooks.discoverFiles.tapPromise('test', async (files) => [...files, { path: agent, name: basename(agent), type: 'agent' }]);
  }
  const backend = new HttpBackend({ url: server.base, apiKey: server.alice, sleep: async () => {}, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
  const engine = new SyncEngine({ backend, hooks, session: { provider: 'claude-code', externalId: 'ext-faults', transcriptPath: transcript, cwd: dir } });
  for (const f of faults) server.faults.add(f.route, f.fault, f.times ?? 1);
  const errors: unknown[] = [];
  const cycle = async () => {
    try {
      const r = await engine.syncAll('final');
      return r.complete;
    } catch (err) {
      errors.push(err);
      return false;
    }
  };
  for (let i = 0; i < 30 && !(await cycle()); i++);
  // More lines after the faults: the next cycle continues from the server's numbers.
  appendFileSync(transcript, jsonLines(30, 500));
  for (let i = 0; i < 30 && !(await cycle()); i++);
  const sessions = await server.store.listSessions('alice');
  expect(sessions).toHaveLength(1);
  const s = sessions[0]!;
  expect(await server.store.readFile(s.session_id, basename(transcript))).toEqual(readFileSync(transcript));
  if (opts.withAgent) expect(await server.store.readFile(s.session_id, basename(agent))).toEqual(readFileSync(agent));
  expect(server.faults.pending()).toBe(0);
  // A request the client gave up on (timeout) may still be answering when the client, having
  // re-read the server's numbers, sends the next chunk: the server reports that overlap
  // (rule 21) but the content above proves nothing was stored twice.
  expect(server.violations.filter((v) => !(opts.allowAbandonedOverlap && v.rule === 21))).toEqual([]);
  return { errors, recovered };
}

describe('engine + HttpBackend against the strict server with injected faults', () => {
  it('429s (with and without Retry-After)', async () => {
    await scenario([
      { route: '/api/v1/sync/chunk', fault: { type: 'rate-limit' }, times: 2 },
      { route: '/api/v1/sync/chunk', fault: { type: 'rate-limit', retryAfterSeconds: 1 } },
    ]);
  });

  it('500 before the store', async () => {
    const { errors, recovered } = await scenario([{ route: '/api/v1/sync/chunk', fault: { type: 'error-before-store' }, times: 2 }], { withAgent: true });
    expect([...errors, ...recovered].some((e) => isBackendError(e, 'server'))).toBe(true);
  });

  it('500 after the store (the response is lost): re-init and resume, no duplicate', async () => {
    await scenario([{ route: '/api/v1/sync/chunk', fault: { type: 'error-after-store' }, times: 2 }], { withAgent: true });
  });

  it('connection reset after the store', async () => {
    await scenario([{ route: '/api/v1/sync/chunk', fault: { type: 'drop-after-store' }, times: 2 }], { withAgent: true });
  });

  it('stored-but-not-recorded chunks (orphans) are re-sent byte-identical', async () => {
    await scenario([{ route: '/api/v1/sync/chunk', fault: { type: 'lost-update' }, times: 2 }]);
  });

  it('slow responses', async () => {
    await scenario([{ route: '/api/v1/sync/chunk', fault: { type: 'delay', ms: 300 }, times: 2 }]);
  });

  it('responses slower than the client timeout (stored, then timed out)', async () => {
    const { errors, recovered } = await scenario([{ route: '/api/v1/sync/chunk', fault: { type: 'delay', ms: 1500 } }], { timeoutMs: 500, allowAbandonedOverlap: true });
    expect([...errors, ...recovered].some((e) => isBackendError(e, 'timeout'))).toBe(true);
  });

  it('503 storage unavailable and failures on init', async () => {
    await scenario([
      { route: '/api/v1/sync/init', fault: { type: 'error-before-store' } },
      { route: '/api/v1/sync/chunk', fault: { type: 'storage-unavailable' }, times: 2 },
    ]);
  });
});
