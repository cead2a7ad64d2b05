import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type Server } from './api-helpers.js';

let s: Server;
let id: string;
const lines = ['{"a":1}', '', '{"b":"ü ✓"}', 'plain text', '', ''];

beforeEach(async () => {
  s = await startServer();
  id = (await s.call('POST', '/api/v1/sync/init', { json: { external_id: 'ext-r', transcript_path: '/t/r.jsonl', metadata: { cwd: '/w', hostname: 'h' } } })).json()
    .session_id as string;
  for (const [first, part] of [
    [1, lines.slice(0, 2)],
    [3, lines.slice(2, 4)],
    [5, lines.slice(4)],
  ] as const) {
    const res = await s.call('POST', '/api/v1/sync/chunk', { json: { session_id: id, file_name: 'sub/t.jsonl', file_type: 'transcript', first_line: first, lines: part } });
    expect(res.status).toBe(200);
  }
});
afterEach(async () => {
  await s.close();
});

describe('reading back (rule 31)', () => {
  it('download returns the merged lines, each terminated by \\n, as an attachment', async () => {
    const res = await s.call('GET', `/api/v1/sessions/${id}/files/download?file_name=${encodeURIComponent('sub/t.jsonl')}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(`${lines.join('\n')}\n`);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="t.jsonl"');
    expect((await s.call('GET', `/api/v1/sessions/${id}/files/download`)).json()).toEqual({ error: 'Missing file_name query parameter' });
    expect((await s.call('GET', `/api/v1/sessions/${id}/files/download?file_name=nope`)).json()).toEqual({ error: 'File not found' });
    expect((await s.call('GET', `/api/v1/sessions/${id}/files/download?file_name=sub/t.jsonl`, { key: s.bob })).status).toBe(404);
    expect((await s.call('GET', `/api/v1/sessions/${id}/files/download?file_name=sub/t.jsonl`, { key: null })).text).toBe('Missing Authorization header\n');
  });

  it('sync/file: whole file at offset 0, the lines after N without a trailing newline, empty at or past the end', async () => {
    const get = (q: string, key?: string | null) => s.call('GET', `/api/v1/sessions/${id}/sync/file?file_name=sub%2Ft.jsonl${q}`, { key });
    expect((await get('')).text).toBe(`${lines.join('\n')}\n`);
    expect((await get('&line_offset=0')).text).toBe(`${lines.join('\n')}\n`);
    expect((await get('&line_offset=1')).text).toBe('\n{"b":"ü ✓"}\nplain text'); // trailing empty lines dropped
    expect((await get('&line_offset=2')).text).toBe('{"b":"ü ✓"}\nplain text');
    expect((await get('&line_offset=3')).text).toBe('plain text');
    for (const n of [4, 5, 6, 7, 1000]) {
      const res = await get(`&line_offset=${n}`);
      expect([res.status, res.text]).toEqual([200, '']);
    }
    expect((await get('&line_offset=abc')).json()).toEqual({ error: 'line_offset must be a valid integer' });
    expect((await get('&line_offset=1.5')).json()).toEqual({ error: 'line_offset must be a valid integer' });
    expect((await get('&line_offset=-1')).json()).toEqual({ error: 'line_offset must be non-negative' });
    expect((await s.call('GET', `/api/v1/sessions/${id}/sync/file?file_name=nope`)).json()).toEqual({ error: 'File not found' });
    expect((await s.call('GET', `/api/v1/sessions/${id}/sync/file`)).json()).toEqual({ error: 'Missing file_name query parameter' });
    // Optional auth: anonymous may sign in; a bad key counts as anonymous; another user sees nothing.
    expect((await get('', null)).json()).toEqual({ error: 'Sign in to view this session' });
    expect((await get('', `cfb_${'z'.repeat(40)}`)).status).toBe(401);
    expect((await get('', s.bob)).json()).toEqual({ error: 'Session not found' });
  });

  it('session detail, files list and lookup by external id', async () => {
    const detail = (await s.call('GET', `/api/v1/sessions/${id}`)).json();
    expect(detail).toMatchObject({
      id,
      external_id: 'ext-r',
      provider: 'claude-code',
      cwd: '/w',
      hostname: 'h',
      transcript_path: '/t/r.jsonl',
      is_owner: true,
      owner_email: 'alice@localhost',
      files: [{ file_name: 'sub/t.jsonl', file_type: 'transcript', last_synced_line: 6 }],
    });
    expect(typeof (detail.files as { updated_at: string }[])[0]!.updated_at).toBe('string');
    expect((await s.call('GET', `/api/v1/sessions/${id}`, { key: null })).status).toBe(401);
    expect((await s.call('GET', '/api/v1/sessions/00000000-0000-4000-8000-000000000000', { key: null })).status).toBe(404);
    expect((await s.call('GET', `/api/v1/sessions/${id}`, { key: s.bob })).json()).toEqual({ error: 'Session not found' });
    const files = (await s.call('GET', `/api/v1/sessions/${id}/files`, { key: s.aliceLaptop })).json();
    expect(files).toEqual({ files: [{ file_name: 'sub/t.jsonl', file_type: 'transcript', last_synced_line: 6, updated_at: expect.any(String) }] });
    expect((await s.call('GET', `/api/v1/sessions/${id}/files`, { key: s.bob })).status).toBe(404);
    expect((await s.call('GET', '/api/v1/sessions/by-external-id/ext-r')).json()).toEqual({ session_id: id });
    expect((await s.call('GET', '/api/v1/sessions/by-external-id/ext-r', { key: s.bob })).json()).toEqual({ error: 'Session not found' });
    expect((await s.call('GET', '/api/v1/sessions/by-external-id/ext-r', { key: null })).text).toBe('Unauthorized\n');
  });

  it('an empty new session lists no files', async () => {
    const other = (await s.call('POST', '/api/v1/sync/init', { json: { external_id: 'empty', transcript_path: '/t' } })).json().session_id as string;
    expect((await s.call('GET', `/api/v1/sessions/${other}/files`)).json()).toEqual({ files: [] });
  });
});

describe('faults (rule 25)', () => {
  const next = (first: number, text: string) =>
    s.call('POST', '/api/v1/sync/chunk', { json: { session_id: id, file_name: 'sub/t.jsonl', file_type: 'transcript', first_line: first, lines: [text] } });

  it('500 before the store stores nothing; 503 likewise', async () => {
    s.faults.add('/api/v1/sync/chunk', { type: 'error-before-store' }).add('/api/v1/sync/chunk', { type: 'storage-unavailable' });
    const before = await s.snapshot();
    expect((await next(7, 'x')).json()).toEqual({ error: 'Failed to upload chunk' });
    const unavailable = await next(7, 'x');
    expect([unavailable.status, unavailable.json()]).toEqual([503, { error: 'Storage temporarily unavailable' }]);
    expect(await s.snapshot()).toBe(before);
    expect((await next(7, 'x')).json()).toEqual({ last_synced_line: 7 });
  });

  it('500 after the store: the chunk is kept, a re-init shows it, a re-send is a continuity error', async () => {
    s.faults.add('/api/v1/sync/chunk', { type: 'error-after-store' });
    const res = await next(7, 'kept');
    expect([res.status, res.json()]).toEqual([500, { error: 'Failed to upload chunk' }]);
    expect((await s.call('POST', '/api/v1/sync/init', { json: { external_id: 'ext-r', transcript_path: '/t/r.jsonl' } })).json().files).toEqual({ 'sub/t.jsonl': { last_synced_line: 7 } });
    expect((await next(7, 'kept')).status).toBe(400);
  });

  it('a lost update keeps nothing committed; re-sent lines must be byte-identical (rule 24)', async () => {
    s.faults.add('/api/v1/sync/chunk', { type: 'lost-update' }, 2);
    const before = await s.snapshot();
    const lost = await next(7, 'orphan');
    expect([lost.status, lost.json()]).toEqual([500, { error: 'Failed to update sync state' }]);
    expect(await s.snapshot()).toBe(before);
    expect((await next(7, 'orphan')).status).toBe(500); // the second lost update, same lines
    expect((await next(7, 'orphan')).json()).toEqual({ last_synced_line: 7 });
    expect(s.violations).toEqual([]);
    s.faults.add('/api/v1/sync/chunk', { type: 'lost-update' });
    expect((await next(8, 'first version')).status).toBe(500);
    expect((await next(8, 'second version')).json()).toEqual({ last_synced_line: 8 });
    expect(s.violations.map((v) => [v.rule, v.message])).toEqual([[24, 'line 8 was re-sent with different content']]);
  });

  it('a lost update refuses what the store would refuse, with the store\'s answer', async () => {
    s.faults.add('/api/v1/sync/chunk', { type: 'lost-update' }, 2);
    const before = await s.snapshot();
    const gap = await next(9, 'x');
    expect([gap.status, gap.json()]).toEqual([400, { error: 'first_line must be 7 (got 9) - chunks must be contiguous' }]);
    const wrongType = await s.call('POST', '/api/v1/sync/chunk', { json: { session_id: id, file_name: 'sub/t.jsonl', file_type: 'agent', first_line: 7, lines: ['x'] } });
    expect([wrongType.status, wrongType.json()]).toEqual([400, { error: 'file_type of sub/t.jsonl is transcript (got agent)' }]);
    expect(await s.snapshot()).toBe(before);
  });

  it('a dropped connection after the store: the client sees a reset, the chunk is kept', async () => {
    s.faults.add('/api/v1/sync/chunk', { type: 'drop-after-store' });
    await expect(next(7, 'dropped')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await s.store.readFile(id, 'sub/t.jsonl', 6)).toString()).toBe('dropped\n');
  });

  it('429 with and without Retry-After, and a delayed response', async () => {
    s.faults.add('/api/v1/sync/init', { type: 'rate-limit' }).add('/api/v1/sync/init', { type: 'rate-limit', retryAfterSeconds: 3 }).add(/sync\/init/, { type: 'delay', ms: 250 });
    const body = { json: { external_id: 'ext-r', transcript_path: '/t/r.jsonl' } };
    const plain = await s.call('POST', '/api/v1/sync/init', body);
    expect([plain.status, plain.text, plain.headers['retry-after']]).toEqual([429, 'Rate limit exceeded. Please try again later.\n', undefined]);
    expect((await s.call('POST', '/api/v1/sync/init', body)).headers['retry-after']).toBe('3');
    const t0 = Date.now();
    expect((await s.call('POST', '/api/v1/sync/init', body)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(s.faults.pending()).toBe(0);
    expect(s.faults.applied.map((a) => a.fault.type)).toEqual(['rate-limit', 'rate-limit', 'delay']);
  });

  it('faults can match on the request body', async () => {
    s.faults.add((ctx) => (ctx.body as { file_name?: string } | undefined)?.file_name === 'agent.jsonl', { type: 'error-before-store' });
    expect((await next(7, 'x')).status).toBe(200);
    const res = await s.call('POST', '/api/v1/sync/chunk', { json: { session_id: id, file_name: 'agent.jsonl', file_type: 'agent', first_line: 1, lines: ['a'] } });
    expect(res.status).toBe(500);
  });
});
