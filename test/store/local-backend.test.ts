import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BackendError } from '../../src/backend/errors.js';
import type { LocalBackend} from '../../src/backend/local.js';
import { openLocalBackend } from '../../src/backend/local.js';
import { StoreError } from '../../src/store/session-store.js';

let dir: string;
let backend: LocalBackend;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'confab-local-'));
  backend = await openLocalBackend(join(dir, 'store'));
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.CONFAB_STORE_DIR;
});

async function failure(p: Promise<unknown>): Promise<BackendError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BackendError);
  return err as BackendError;
}

it('describes itself: local, its directory, no pacing or chunk budget, confab-web request cap, all capabilities', async () => {
  expect(backend.kind).toBe('local');
  expect(backend.location).toBe(join(dir, 'store'));
  expect(backend.policy).toEqual({ minChunkSpacingMs: 0, maxChunksPerFile: Number.POSITIVE_INFINITY, maxRequestBytes: 16 * 1024 * 1024 });
  expect(await backend.capabilities()).toEqual({ workflow_files: true, workflow_journal: true, opencode_subagents: true });
  process.env.CONFAB_STORE_DIR = join(dir, 'env-store');
  const byEnv = await openLocalBackend();
  expect(byEnv.location).toBe(join(dir, 'env-store'));
});

it('syncs and downloads the exact bytes', async () => {
  const init = await backend.init({ provider: 'claude-code', external_id: 'abc-123', transcript_path: '/t.jsonl' });
  expect(init.files).toEqual({});
  const lines = ['{"a":1}', '', '{"b":"ü"}'];
  expect(await backend.chunk({ session_id: init.session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines })).toEqual({ last_synced_line: 3 });
  await backend.event({ session_id: init.session_id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z' });
  expect((await backend.downloadFile(init.session_id, 't.jsonl')).toString()).toBe(`${lines.join('\n')}\n`);
  expect((await backend.downloadFile('abc-123', 't.jsonl')).toString()).toBe(`${lines.join('\n')}\n`);
  expect((await backend.init({ provider: 'claude-code', external_id: 'abc-123', transcript_path: '/t.jsonl' })).files).toEqual({ 't.jsonl': { last_synced_line: 3 } });
  // 30,000 chunks is confab-web's budget, not the embedded store's: a chunk past it is fine locally.
  expect(backend.policy.maxChunksPerFile).toBe(Infinity);
});

it('maps store refusals onto error kinds with the store status and message', async () => {
  const { session_id } = await backend.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t' });
  const continuity = await failure(backend.chunk({ session_id, file_name: 'f', file_type: 'agent', first_line: 2, lines: ['x'] }));
  expect([continuity.kind, continuity.status, continuity.message]).toEqual(['invalid', 400, 'first_line must be 1 (got 2) - chunks must be contiguous']);
  expect(continuity.cause).toBeInstanceOf(StoreError);
  const missing = await failure(backend.chunk({ session_id: '00000000-0000-4000-8000-000000000000', file_name: 'f', file_type: 'agent', first_line: 1, lines: ['x'] }));
  expect([missing.kind, missing.status]).toEqual(['not-found', 404]);
  const big = await failure(backend.chunk({ session_id, file_name: 'f', file_type: 'agent', first_line: 1, lines: ['x'.repeat(16 * 1024 * 1024)] }));
  expect([big.kind, big.message]).toEqual(['invalid', 'Invalid request body']);
  expect((await failure(backend.downloadFile(session_id, 'nope'))).kind).toBe('not-found');
  expect((await failure(backend.updateSummary('unknown-ext', 's'))).kind).toBe('not-found');
  const aborted = new AbortController();
  aborted.abort();
  expect((await failure(backend.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t' }, { signal: aborted.signal }))).kind).toBe('timeout');
});

it('finds a session by id, external id, or a unique prefix of either', async () => {
  const a = await backend.init({ provider: 'claude-code', external_id: 'aaaa-1111', transcript_path: '/t' });
  const b = await backend.init({ provider: 'claude-code', external_id: 'aaaa-2222', transcript_path: '/t' });
  await backend.chunk({ session_id: a.session_id, file_name: 'f.jsonl', file_type: 'transcript', first_line: 1, lines: ['x'], metadata: { summary: 'S' } });
  expect(await backend.getSession(a.session_id)).toMatchObject({ session_id: a.session_id, external_id: 'aaaa-1111', summary: 'S', files: [{ file_name: 'f.jsonl', last_synced_line: 1 }] });
  expect((await backend.getSession('aaaa-2222')).session_id).toBe(b.session_id);
  expect((await backend.getSession('aaaa-1')).session_id).toBe(a.session_id);
  expect((await backend.getSession(b.session_id.slice(0, 8).toUpperCase())).session_id).toBe(b.session_id);
  const ambiguous = await failure(backend.getSession('aaaa-'));
  expect(ambiguous.kind).toBe('invalid');
  expect(ambiguous.message).toMatch(/matches 2 sessions/);
  expect((await failure(backend.getSession('zzz'))).kind).toBe('not-found');
  // Same external id under two providers: ambiguous by external id.
  await backend.init({ provider: 'codex', external_id: 'aaaa-1111', transcript_path: '/t' });
  expect((await failure(backend.getSession('aaaa-1111'))).message).toMatch(/matches 2 sessions/);
});
