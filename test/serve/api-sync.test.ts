import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type Res, type Server } from './api-helpers.js';

let s: Server;
beforeEach(async () => {
  s = await startServer();
});
afterEach(async () => {
  await s.close();
});

const initBody = { provider: 'claude-code', external_id: 'ext-1', transcript_path: '/t/ext-1.jsonl' };

function expectJsonError(res: Res, status: number, message: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.json()).toEqual({ error: message });
}

async function nothingStored(fn: () => Promise<void>): Promise<void> {
  const before = await s.snapshot();
  await fn();
  expect(await s.snapshot()).toBe(before);
}

const init = async (body: Record<string, unknown> = initBody, key?: string) => {
  const res = await s.call('POST', '/api/v1/sync/init', { json: body, key });
  expect(res.status, res.text).toBe(200);
  return res.json() as { session_id: string; provider: string; files: Record<string, { last_synced_line: number }> };
};
/** Resolves once the store holds a line of this file. */
async function stored(sessionId: string, fileName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await s.store.getSession(sessionId))?.files.some((f) => f.file_name === fileName && f.last_synced_line > 0)) {
    if (Date.now() > deadline) throw new Error('the chunk was never stored');
    await new Promise((r) => setTimeout(r, 5));
  }
}
const chunk = (body: Record<string, unknown>, key?: string) => s.call('POST', '/api/v1/sync/chunk', { json: body, key });

describe('init (rules 10–14)', () => {
  it('validates in confab-web order with its messages', async () => {
    await nothingStored(async () => {
      const msg = async (body: Record<string, unknown>) => (await s.call('POST', '/api/v1/sync/init', { json: body })).json().error;
      expect(await msg({})).toBe('external_id is required');
      expect(await msg({ external_id: '', transcript_path: '', provider: 'bogus' })).toBe('external_id is required');
      expect(await msg({ external_id: 'e', provider: 'bogus' })).toBe('transcript_path is required');
      expect(await msg({ external_id: 'x'.repeat(513), transcript_path: '/t', provider: 'bogus' })).toBe('external_id exceeds maximum length of 512 characters');
      expect(await msg({ external_id: 'e', transcript_path: 'p'.repeat(8193), provider: 'bogus' })).toBe('transcript_path exceeds maximum length of 8192 characters');
      for (const provider of ['', 'Claude-Code', 'claude', 'gemini']) {
        expect(await msg({ ...initBody, provider })).toBe(`unknown provider "${provider}": must be one of claude-code, codex, opencode, cursor`);
      }
      expect(await msg({ ...initBody, provider: 'bogus', metadata: { cwd: 'c'.repeat(8193) } })).toMatch(/^unknown provider/);
      expect(await msg({ ...initBody, metadata: { cwd: 'c'.repeat(8193), hostname: 'h'.repeat(256) } })).toBe('cwd exceeds maximum length of 8192 characters');
      expect(await msg({ ...initBody, metadata: { hostname: 'h'.repeat(256) } })).toBe('hostname exceeds maximum length of 255 characters');
      expect(await msg({ ...initBody, metadata: { username: 'u'.repeat(256) } })).toBe('username exceeds maximum length of 255 characters');
      expect(await msg({ ...initBody, metadata: { git_info: { is_dirty: false, tracking_remote: 't'.repeat(257) } } })).toBe(
        'git_info.tracking_remote exceeds maximum length of 256 characters',
      );
      expect(await msg({ ...initBody, metadata: { git_info: { is_dirty: false, remotes: [{ name: 'o', fetch_url: 'u'.repeat(2049), push_url: 'u' }] } } })).toBe(
        'git_info.remotes[0].fetch_url exceeds maximum length of 2048 characters',
      );
    });
  });

  it('keys sessions by (key user, provider, external_id), echoes the provider and returns every file', async () => {
    const a = await init({ external_id: 'ext-1', transcript_path: '/t' });
    expect(a).toEqual({ session_id: a.session_id, provider: 'claude-code', files: {} });
    expect((await init({ ...initBody, provider: null })).session_id).toBe(a.session_id);
    expect((await init(initBody, s.aliceLaptop)).session_id).toBe(a.session_id); // same user, other key
    const bobs = await init(initBody, s.bob);
    expect(bobs.session_id).not.toBe(a.session_id);
    const codex = await init({ ...initBody, provider: 'codex' });
    expect(codex).toMatchObject({ provider: 'codex' });
    expect(codex.session_id).not.toBe(a.session_id);
    await chunk({ session_id: a.session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: ['a', 'b'] });
    await chunk({ session_id: a.session_id, file_name: 'agent-1.jsonl', file_type: 'agent', first_line: 1, lines: ['c'] });
    expect((await init()).files).toEqual({ 't.jsonl': { last_synced_line: 2 }, 'agent-1.jsonl': { last_synced_line: 1 } });
  });

  it('flags (rule 14) a re-init that would blank stored metadata on confab-web, and keeps the stored values', async () => {
    const { session_id } = await init({ ...initBody, metadata: { cwd: '/work', git_info: { is_dirty: false, branch: 'main' } } });
    expect(s.violations).toEqual([]);
    await init({ ...initBody, metadata: { cwd: '', git_info: null } });
    expect(s.violations.map((v) => v.rule)).toEqual([14, 14]);
    expect(await s.store.getSession(session_id)).toMatchObject({ cwd: '/work', git_info: { branch: 'main' } });
  });
});

describe('chunk (rules 15–24)', () => {
  it('validates in confab-web order, then ownership (404 / 403)', async () => {
    const { session_id } = await init();
    const bobs = await init(initBody, s.bob);
    const base = { session_id, file_name: 'a.jsonl', file_type: 'agent', first_line: 1, lines: ['x'] };
    await nothingStored(async () => {
      const msg = async (patch: Record<string, unknown>) => (await chunk({ ...base, ...patch })).json().error;
      expect(await msg({ session_id: '', file_name: '', file_type: '', first_line: 0, lines: [] })).toBe('session_id is required');
      expect(await msg({ session_id: null, file_name: '' })).toBe('session_id is required');
      expect(await msg({ file_name: '', file_type: '' })).toBe('file_name is required');
      expect(await msg({ file_type: '', first_line: 0 })).toBe('file_type is required');
      expect(await msg({ file_type: 'todo' })).toBe('todo file sync is no longer supported');
      expect(await msg({ first_line: 0, lines: [] })).toBe('first_line must be >= 1');
      expect(await msg({ first_line: -5 })).toBe('first_line must be >= 1');
      expect(await msg({ lines: [] })).toBe('lines array cannot be empty');
      expect(await msg({ lines: null })).toBe('lines array cannot be empty');
      expect(await msg({ file_name: 'f'.repeat(513), metadata: { summary: 's'.repeat(3000) } })).toBe('file_name exceeds maximum length of 512 characters');
      expect(await msg({ metadata: { summary: 's'.repeat(2049) }, session_id: '00000000-0000-4000-8000-000000000000' })).toBe(
        'summary exceeds maximum length of 2048 characters',
      );
      expectJsonError(await chunk({ ...base, session_id: '00000000-0000-4000-8000-000000000000' }), 404, 'Session not found');
      expectJsonError(await chunk({ ...base, session_id: 'not-a-uuid' }), 404, 'Session not found');
      expectJsonError(await chunk({ ...base, session_id: bobs.session_id }), 403, 'Access denied');
      expectJsonError(await chunk({ ...base, metadata: { codex_rollout: { thread_uuid: '11111111-1111-4111-8111-111111111111', rollout_path: '/r' } } }), 400, 'codex_rollout metadata is only supported for codex sessions');
    });
  });

  it('continuity: the exact message for gaps, overlaps and an exact re-send (rules 16, 22)', async () => {
    const { session_id } = await init();
    const c = (first_line: number, lines: string[]) => chunk({ session_id, file_name: 't.jsonl', file_type: 'transcript', first_line, lines });
    expectJsonError(await c(2, ['a']), 400, 'first_line must be 1 (got 2) - chunks must be contiguous');
    expect((await c(1, ['a', 'b'])).json()).toEqual({ last_synced_line: 2 });
    await nothingStored(async () => {
      expectJsonError(await c(1, ['a', 'b']), 400, 'first_line must be 3 (got 1) - chunks must be contiguous');
      expectJsonError(await c(2, ['b', 'c']), 400, 'first_line must be 3 (got 2) - chunks must be contiguous');
      expectJsonError(await c(4, ['d']), 400, 'first_line must be 3 (got 4) - chunks must be contiguous');
    });
    expect((await c(3, ['c'])).json()).toEqual({ last_synced_line: 3 });
    expect((await s.store.getSession(session_id))!.files[0]).toMatchObject({ last_synced_line: 3, chunk_count: 2 });
  });

  it('file rules: types, one transcript, newlines, unsafe and prefix names, line ceiling (rules 17–20)', async () => {
    const { session_id } = await init();
    const base = { session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: ['x'] };
    expect((await chunk(base)).status).toBe(200);
    await nothingStored(async () => {
      const msg = async (patch: Record<string, unknown>) => (await chunk({ ...base, ...patch })).json().error;
      expect(await msg({ file_type: 'agent', first_line: 2 })).toBe('file_type of t.jsonl is transcript (got agent)');
      expect(await msg({ file_name: 'second.jsonl' })).toMatch(/^session already has a transcript file/);
      expect(await msg({ file_name: 'n.jsonl', file_type: 'notes' })).toBe('file_type must be one of transcript, agent, workflow_journal');
      expect(await msg({ file_name: 'x'.repeat(60), file_type: 'x'.repeat(60) })).toBe('file_type must be one of transcript, agent, workflow_journal');
      expect(await msg({ file_name: 'subagents/workflows/r/other.jsonl', file_type: 'workflow_journal' })).toMatch(/^workflow_journal files must be named/);
      expect(await msg({ first_line: 2, lines: ['ok', 'two\nlines'] })).toBe('lines[1] contains a newline character');
      for (const name of ['/etc/passwd', '../x', 'a/./b', 'a//b', 'a\\b', 'a\u0007b', 't.jsonl/child']) {
        expect(await msg({ file_name: name, file_type: 'agent' }), name).toMatch(/^file_name (must|t\.jsonl\/child conflicts)/);
      }
      expect(await msg({ first_line: 99_999_999, lines: ['a', 'b'] })).toBe('last line 100000000 exceeds the maximum line number 99999999');
    });
    // The storage key of a long external id plus a long file name would exceed 1,024 bytes.
    const long = await init({ ...initBody, external_id: 'e'.repeat(500) });
    await nothingStored(async () => {
      expect((await chunk({ ...base, session_id: long.session_id, file_name: 'f'.repeat(500), file_type: 'agent' })).json().error).toMatch(/exceed 1024 bytes/);
    });
  });

  it('the chunk limit answers confab-web message (rule 20)', async () => {
    await s.close();
    s = await startServer({ storeOptions: { chunkLimit: 2 } });
    const { session_id } = await init();
    for (const n of [1, 2]) expect((await chunk({ session_id, file_name: 'a', file_type: 'agent', first_line: n, lines: ['x'] })).status).toBe(200);
    expectJsonError(await chunk({ session_id, file_name: 'a', file_type: 'agent', first_line: 3, lines: ['x'] }), 400, 'File has too many chunks (limit: 2). Consider starting a new session.');
  });

  it('uses 30,000 as the default chunk limit', async () => {
    // 30,000 real chunks take minutes; the store's default is what the server enforces.
    const { DEFAULT_CHUNK_LIMIT } = await import('../../src/store/validate.js');
    expect(DEFAULT_CHUNK_LIMIT).toBe(30_000);
  });

  it('concurrent uploads to one file are serialized and flagged, never raced (rule 21)', async () => {
    const { session_id } = await init();
    // Hold the first response back so the second arrives while the first is in flight.
    s.faults.add('/api/v1/sync/chunk', { type: 'delay', ms: 400 });
    const c = (line: string) => chunk({ session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: [line] });
    const first = c('first');
    await stored(session_id, 't.jsonl'); // the first is stored and its answer held back
    const second = await c('second');
    expectJsonError(second, 400, 'first_line must be 2 (got 1) - chunks must be contiguous');
    expect((await first).json()).toEqual({ last_synced_line: 1 });
    expect(s.violations.map((v) => v.rule)).toEqual([21]);
    expect((await s.store.readFile(session_id, 't.jsonl')).toString()).toBe('first\n');
  });

  it('applies transcript metadata (rule 23) and reports it in the session detail', async () => {
    const { session_id } = await init();
    const lines = [JSON.stringify({ type: 'user', timestamp: '2024-03-01T10:00:00Z' }), JSON.stringify({ type: 'pr-link', prRepository: 'o/r', prNumber: 7, prUrl: 'https://github.com/o/r/pull/7' })];
    await chunk({ session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines, metadata: { summary: 'one', first_user_message: 'hi', git_info: { is_dirty: false, branch: 'b' } } });
    await chunk({ session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 3, lines: ['{}'], metadata: { summary: 'two', first_user_message: 'later', summary_unused: undefined } });
    const detail = (await s.call('GET', `/api/v1/sessions/${session_id}`)).json();
    expect(detail).toMatchObject({ id: session_id, summary: 'two', first_user_message: 'hi', git_info: { branch: 'b' }, last_message_at: '2024-03-01T10:00:00.000Z', is_owner: true });
    expect((await s.store.getSession(session_id))!.github_links).toMatchObject([{ source: 'transcript', owner: 'o', repo: 'r', ref: '7', title: 'o/r#7' }]);
  });
});

describe('event, summary, github links (rules 26–28)', () => {
  it('records every session_end event, with confab-web validation', async () => {
    const { session_id } = await init();
    const bobs = await init(initBody, s.bob);
    const ev = { session_id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z', payload: { reason: 'exit' } };
    await nothingStored(async () => {
      const msg = async (body: Record<string, unknown>) => (await s.call('POST', '/api/v1/sync/event', { json: body })).json().error;
      expect(await msg({ ...ev, session_id: '', event_type: '' })).toBe('session_id is required');
      expect(await msg({ ...ev, event_type: '' })).toBe('event_type is required');
      expect(await msg({ ...ev, event_type: 'session_start' })).toBe("invalid event_type: must be 'session_end'");
      expect(await msg({ ...ev, timestamp: undefined })).toBe('timestamp is required');
      expect(await msg({ ...ev, timestamp: '0001-01-01T00:00:00Z' })).toBe('timestamp is required');
      expectJsonError(await s.call('POST', '/api/v1/sync/event', { json: { ...ev, session_id: bobs.session_id } }), 403, 'Access denied');
      expectJsonError(await s.call('POST', '/api/v1/sync/event', { json: { ...ev, session_id: '00000000-0000-4000-8000-000000000000' } }), 404, 'Session not found');
    });
    for (let i = 0; i < 2; i++) expect((await s.call('POST', '/api/v1/sync/event', { json: ev })).json()).toEqual({ success: true });
    const events = await s.store.listEvents(session_id);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z', payload: { reason: 'exit' } });
  });

  it('flags a session_end sent while a chunk is unanswered (rule 26)', async () => {
    const { session_id } = await init();
    s.faults.add('/api/v1/sync/chunk', { type: 'delay', ms: 400 });
    const pending = chunk({ session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: ['x'] });
    await stored(session_id, 't.jsonl');
    expect((await s.call('POST', '/api/v1/sync/event', { json: { session_id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z' } })).status).toBe(200);
    await pending;
    expect(s.violations.map((v) => v.rule)).toEqual([26]);
  });

  it('PATCH summary: every provider session of the user, 404 / 403 by external id, API key only', async () => {
    const a = await init();
    const b = await init({ ...initBody, provider: 'codex' });
    await init({ ...initBody, external_id: 'bobs' }, s.bob);
    expect((await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: { summary: 'linked' } })).json()).toEqual({ status: 'ok' });
    expect((await s.store.getSession(a.session_id))!.summary).toBe('linked');
    expect((await s.store.getSession(b.session_id))!.summary).toBe('linked');
    await nothingStored(async () => {
      expectJsonError(await s.call('PATCH', '/api/v1/sessions/none/summary', { json: { summary: 'x' } }), 404, 'Session not found');
      expectJsonError(await s.call('PATCH', '/api/v1/sessions/bobs/summary', { json: { summary: 'x' } }), 403, 'Access denied');
      expectJsonError(await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: { summary: 's'.repeat(2049) } }), 400, 'summary exceeds maximum length of 2048 characters');
      expectJsonError(await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: {} }), 400, 'Invalid request body');
      expect((await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: { summary: 'x' }, key: null })).status).toBe(401);
    });
    expect((await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: { summary: '' } })).status).toBe(200);
    expect((await s.store.getSession(a.session_id))!.summary).toBe('');
  });

  it('POST github-links: 201 with the link, upsert, validation, Unauthorized for a bad key', async () => {
    const { session_id } = await init();
    const bobs = await init(initBody, s.bob);
    const path = `/api/v1/sessions/${session_id}/github-links`;
    const created = await s.call('POST', path, { json: { url: 'https://github.com/o/r/pull/12', source: 'cli_hook', title: 'First' } });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ session_id, link_type: 'pull_request', url: 'https://github.com/o/r/pull/12', owner: 'o', repo: 'r', ref: '12', title: 'First', source: 'cli_hook' });
    const again = await s.call('POST', path, { json: { url: 'http://github.com/o/r/pull/12', link_type: 'pull_request', source: 'manual', title: 'Second' } });
    expect(again.json()).toMatchObject({ id: created.json().id, url: 'http://github.com/o/r/pull/12', source: 'manual', title: 'Second' });
    expect((await s.call('POST', path, { json: { url: 'https://github.com/o/r/commit/0abc', source: 'manual' } })).json()).toMatchObject({ link_type: 'commit', ref: '0abc' });
    await nothingStored(async () => {
      expectJsonError(await s.call('POST', path, { json: { source: 'manual' } }), 400, 'URL is required');
      expectJsonError(await s.call('POST', path, { json: { url: 'https://github.com/o/r/issues/1', source: 'manual' } }), 400, 'invalid GitHub URL: must be a PR or commit URL');
      expectJsonError(await s.call('POST', path, { json: { url: 'https://github.com/o/r/commit/ABC', source: 'manual' } }), 400, 'invalid GitHub URL: must be a PR or commit URL');
      expect((await s.call('POST', path, { json: { url: 'https://github.com/o/r/pull/1', link_type: 'commit', source: 'manual' } })).json().error).toMatch(/^link_type "commit" does not match/);
      expectJsonError(await s.call('POST', path, { json: { url: 'https://github.com/o/r/pull/1', source: 'web' } }), 400, "source must be 'cli_hook' or 'manual'");
      expectJsonError(await s.call('POST', `/api/v1/sessions/${bobs.session_id}/github-links`, { json: { url: 'https://github.com/o/r/pull/1', source: 'manual' } }), 404, 'Session not found');
      const unauthorized = await s.call('POST', path, { json: { url: 'https://github.com/o/r/pull/1', source: 'manual' }, key: `cfb_${'x'.repeat(40)}` });
      expect([unauthorized.status, unauthorized.text]).toEqual([401, 'Unauthorized\n']);
      expect((await s.call('POST', path, { json: { url: 'https://github.com/o/r/pull/1', source: 'manual' }, key: null })).text).toBe('Unauthorized\n');
    });
    expect((await s.store.getSession(session_id))!.github_links).toHaveLength(2);
  });
});
