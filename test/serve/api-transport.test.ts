import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zstdCompress } from '../../src/backend/zstd.js';
import { isLoopbackHost } from '../../src/serve/api.js';
import { startServer, type Res, type Server } from './api-helpers.js';
import { rleBomb } from './zstd-fixtures.js';

let s: Server;
beforeEach(async () => {
  s = await startServer();
});
afterEach(async () => {
  await s.close();
});

const initBody = { provider: 'claude-code', external_id: 'ext-1', transcript_path: '/t/ext-1.jsonl' };
const z = (v: unknown) => zstdCompress(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

function expectText(res: Res, status: number, message: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.text).toBe(`${message}\n`);
}

function expectJsonError(res: Res, status: number, message: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.text).toBe(`${JSON.stringify({ error: message })}\n`);
}

async function nothingStored(fn: () => Promise<void>): Promise<void> {
  const before = await s.snapshot();
  await fn();
  expect(await s.snapshot()).toBe(before);
}

async function session(): Promise<string> {
  const res = await s.call('POST', '/api/v1/sync/init', { json: initBody });
  expect(res.status).toBe(200);
  return res.json().session_id as string;
}

describe('rule 1: Content-Type, checked before auth', () => {
  it('415 text/plain without a Content-Type, even without auth', async () => {
    await nothingStored(async () => {
      expectText(await s.call('POST', '/api/v1/sync/init', { raw: JSON.stringify(initBody), key: null }), 415, 'Content-Type header required');
      expectText(await s.call('POST', '/api/v1/sync/init', { raw: JSON.stringify(initBody) }), 415, 'Content-Type header required');
      for (const ct of ['text/plain', 'Application/JSON', 'application/json-patch+json', 'application/x-www-form-urlencoded']) {
        expectText(await s.call('POST', '/api/v1/sync/init', { raw: JSON.stringify(initBody), headers: { 'content-type': ct }, key: null }), 415, 'Content-Type must be application/json');
      }
      expectText(await s.call('PATCH', '/api/v1/sessions/x/summary', { raw: '{}', headers: { 'content-type': 'text/json' } }), 415, 'Content-Type must be application/json');
    });
    const ok = await s.call('POST', '/api/v1/sync/init', { raw: JSON.stringify(initBody), headers: { 'content-type': ' application/json ; charset=utf-8' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.headers['content-type']).toBe('application/json');
    expect(ok.text.endsWith('}\n')).toBe(true);
  });
});

describe('rule 2: zstd bodies on /sync/*', () => {
  it('decodes zstd (case-insensitive) on init, chunk and event', async () => {
    const init = await s.call('POST', '/api/v1/sync/init', { raw: await z(initBody), headers: { 'content-type': 'application/json', 'content-encoding': 'ZSTD' } });
    expect(init.status).toBe(200);
    const id = init.json().session_id as string;
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, text: 'é'.repeat(i) }));
    const chunk = await s.call('POST', '/api/v1/sync/chunk', {
      raw: await z({ session_id: id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines }),
      headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' },
    });
    expect(chunk.json()).toEqual({ last_synced_line: 200 });
    const ev = await s.call('POST', '/api/v1/sync/event', {
      raw: await z({ session_id: id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z', payload: { reason: 'exit' } }),
      headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' },
    });
    expect(ev.json()).toEqual({ success: true });
    expect((await s.store.readFile(id, 't.jsonl')).toString()).toBe(`${lines.join('\n')}\n`);
  });

  it('any other Content-Encoding is 415 JSON, after auth', async () => {
    await nothingStored(async () => {
      for (const ce of ['gzip', 'deflate', 'br', 'identity', 'zstd, identity']) {
        expectJsonError(await s.call('POST', '/api/v1/sync/init', { json: initBody, headers: { 'content-encoding': ce } }), 415, `Unsupported Content-Encoding: ${ce}`);
      }
      expectText(await s.call('POST', '/api/v1/sync/chunk', { json: {}, headers: { 'content-encoding': 'gzip' }, key: null }), 401, 'Missing Authorization header');
    });
  });

  it('caps the decompressed size: a zstd bomb is 400 and allocates nothing near its size', async () => {
    const id = await session();
    await nothingStored(async () => {
      // 32 KiB of zstd that would expand to 1 GiB.
      const res = await s.call('POST', '/api/v1/sync/chunk', { raw: rleBomb(8192), headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' } });
      expectJsonError(res, 400, 'Invalid request body');
      // Valid JSON just over the cap once decompressed: still refused, though tiny on the wire.
      const big = { session_id: id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: ['x'.repeat(16 * 1024 * 1024)] };
      const wire = await z(big);
      expect(wire.length).toBeLessThan(10_000);
      expectJsonError(await s.call('POST', '/api/v1/sync/chunk', { raw: wire, headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' } }), 400, 'Invalid request body');
      const bigInit = { ...initBody, transcript_path: 'p'.repeat(128 * 1024) };
      expectJsonError(await s.call('POST', '/api/v1/sync/init', { raw: await z(bigInit), headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' } }), 400, 'Invalid request body');
      // Not zstd at all.
      expectJsonError(await s.call('POST', '/api/v1/sync/event', { raw: '{"session_id":"x"}', headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' } }), 400, 'Invalid JSON body');
    });
  });
});

describe('rule 3: no request encoding off /sync/*', () => {
  it('a compressed or encoded summary PATCH is 400 Invalid request body', async () => {
    await session();
    await nothingStored(async () => {
      expectJsonError(
        await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { raw: await z({ summary: 'S' }), headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' } }),
        400,
        'Invalid request body',
      );
      expectJsonError(await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: { summary: 'S' }, headers: { 'content-encoding': 'gzip' } }), 400, 'Invalid request body');
    });
    expect((await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: { summary: 'S' } })).json()).toEqual({ status: 'ok' });
  });
});

describe('rule 4: body caps are 400, never 413', () => {
  it('refuses bodies one byte over each cap', async () => {
    const id = await session();
    await nothingStored(async () => {
      const pad = (body: Record<string, unknown>, field: string, size: number) => {
        const base = Buffer.byteLength(JSON.stringify({ ...body, [field]: '' }));
        return { ...body, [field]: 'x'.repeat(size - base) };
      };
      const overInit = pad(initBody, 'transcript_path', 128 * 1024 + 1);
      expect(Buffer.byteLength(JSON.stringify(overInit))).toBe(131_073);
      expectJsonError(await s.call('POST', '/api/v1/sync/init', { json: overInit }), 400, 'Invalid request body');
      const overEvent = pad({ session_id: id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z' }, 'payload', 128 * 1024 + 1);
      expectJsonError(await s.call('POST', '/api/v1/sync/event', { json: overEvent }), 400, 'Invalid JSON body');
      const overSummary = pad({}, 'summary', 128 * 1024 + 1);
      expectJsonError(await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: overSummary }), 400, 'Invalid request body');
      const chunk = { session_id: id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: [''] };
      const base = Buffer.byteLength(JSON.stringify(chunk));
      const over = { ...chunk, lines: ['x'.repeat(16 * 1024 * 1024 + 1 - base)] };
      expect(Buffer.byteLength(JSON.stringify(over))).toBe(16 * 1024 * 1024 + 1);
      expectJsonError(await s.call('POST', '/api/v1/sync/chunk', { json: over }), 400, 'Invalid request body');
    });
    // Exactly at the cap is fine.
    const chunk = { session_id: id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: [''] };
    const atCap = { ...chunk, lines: ['x'.repeat(16 * 1024 * 1024 - Buffer.byteLength(JSON.stringify(chunk)))] };
    expect((await s.call('POST', '/api/v1/sync/chunk', { json: atCap })).json()).toEqual({ last_synced_line: 1 });
  });
});

describe('rules 5 and 6: strict decoding', () => {
  it('malformed JSON, wrong types, unknown or case-variant keys and NULs are 400, nothing stored', async () => {
    const id = await session();
    const chunk = { session_id: id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: ['a'] };
    await nothingStored(async () => {
      const bad = async (path: string, raw: string, message = 'Invalid request body') =>
        expectJsonError(await s.call('POST', path, { raw, headers: { 'content-type': 'application/json' } }), 400, message);
      await bad('/api/v1/sync/init', '{"external_id":');
      await bad('/api/v1/sync/init', '');
      await bad('/api/v1/sync/init', 'null');
      await bad('/api/v1/sync/init', '[]');
      await bad('/api/v1/sync/init', `${JSON.stringify(initBody)} trailing`);
      await bad('/api/v1/sync/init', JSON.stringify({ ...initBody, extra: 1 }));
      await bad('/api/v1/sync/init', JSON.stringify({ ...initBody, External_Id: 'x' }));
      await bad('/api/v1/sync/init', JSON.stringify({ ...initBody, metadata: { cwd: '/x', CWD: '/y' } }));
      await bad('/api/v1/sync/init', JSON.stringify({ ...initBody, external_id: 5 }));
      await bad('/api/v1/sync/chunk', JSON.stringify({ ...chunk, first_line: '1' }));
      await bad('/api/v1/sync/chunk', JSON.stringify({ ...chunk, first_line: 1.5 }));
      await bad('/api/v1/sync/chunk', JSON.stringify({ ...chunk, lines: [1] }));
      await bad('/api/v1/sync/chunk', JSON.stringify({ ...chunk, lines: 'a' }));
      await bad('/api/v1/sync/chunk', JSON.stringify({ ...chunk, Session_Id: id }));
      await bad('/api/v1/sync/chunk', JSON.stringify({ ...chunk, metadata: { summary: 'x', unknown: 1 } }));
      await bad('/api/v1/sync/chunk', JSON.stringify({ ...chunk, metadata: { latest_message_at: 'yesterday' } }));
      await bad('/api/v1/sync/event', '{"session_id":', 'Invalid JSON body');
      await bad('/api/v1/sync/event', JSON.stringify({ session_id: id, event_type: 'session_end', timestamp: '2024-01-01 00:00:00' }), 'Invalid JSON body');
      await bad('/api/v1/sync/event', JSON.stringify({ session_id: id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z', extra: true }), 'Invalid JSON body');
      // Invalid UTF-8 bytes.
      expectJsonError(
        await s.call('POST', '/api/v1/sync/init', { raw: Buffer.concat([Buffer.from('{"external_id":"'), Buffer.from([0xff]), Buffer.from('","transcript_path":"/t"}')]), headers: { 'content-type': 'application/json' } }),
        400,
        'Invalid request body',
      );
      // A leading byte-order mark is not JSON (Go's decoder refuses it too).
      expectJsonError(
        await s.call('POST', '/api/v1/sync/init', { raw: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(initBody))]), headers: { 'content-type': 'application/json' } }),
        400,
        'Invalid request body',
      );
      // NUL in stored fields (rule 6).
      expectJsonError(await s.call('POST', '/api/v1/sync/init', { json: { ...initBody, metadata: { hostname: 'a\u0000' } } }), 400, 'metadata.hostname must not contain NUL characters');
      expectJsonError(await s.call('POST', '/api/v1/sync/chunk', { json: { ...chunk, metadata: { summary: 'a\u0000' } } }), 400, 'metadata.summary must not contain NUL characters');
      expectJsonError(
        await s.call('POST', '/api/v1/sync/event', { json: { session_id: id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z', payload: { a: ['\u0000'] } } }),
        400,
        'payload.a[0] must not contain NUL characters',
      );
      expectJsonError(await s.call('PATCH', '/api/v1/sessions/ext-1/summary', { json: { summary: '\u0000' } }), 400, 'summary must not contain NUL characters');
    });
  });
});

describe('rules 7 and 8: API keys', () => {
  it('parses Bearer strictly, with confab-web text/plain messages', async () => {
    await nothingStored(async () => {
      const post = (authorization: string | undefined) =>
        s.call('POST', '/api/v1/sync/init', { json: initBody, key: null, headers: authorization === undefined ? {} : { authorization } });
      expectText(await post(undefined), 401, 'Missing Authorization header');
      for (const h of [`Basic ${s.alice}`, `bearer ${s.alice}`, `BEARER ${s.alice}`, 'Bearer', s.alice]) {
        expectText(await post(h), 401, 'Invalid Authorization header format');
      }
      for (const h of [`Bearer  ${s.alice}`, `Bearer ${s.alice} x`, `Bearer ${s.alice}x`, `Bearer ${s.alice.slice(0, -1)}`, 'Bearer cfb_short', `Bearer cfb_${'A'.repeat(40)}`]) {
        expectText(await post(h), 401, 'Invalid API key');
      }
    });
    expect((await s.call('GET', '/api/v1/auth/validate')).json()).toEqual({ valid: true, user_id: 1, email: 'alice@localhost', name: 'alice' });
    expect((await s.call('GET', '/api/v1/auth/validate', { key: s.bob })).json()).toMatchObject({ user_id: 2, name: 'bob' });
  });

  it('refuses deactivated and domain-restricted keys with 403, and revoked keys with 401', async () => {
    const dead = await s.keys.create('old', { status: 'deactivated' });
    const domain = await s.keys.create('elsewhere', { status: 'domain_restricted' });
    await nothingStored(async () => {
      expectText(await s.call('POST', '/api/v1/sync/init', { json: initBody, key: dead.key }), 403, 'Account deactivated');
      expectText(await s.call('POST', '/api/v1/sync/init', { json: initBody, key: domain.key }), 403, 'Email domain not permitted');
      expectText(await s.call('GET', '/api/v1/auth/validate', { key: dead.key }), 403, 'Account deactivated');
      await s.keys.revoke('bob');
      expectText(await s.call('POST', '/api/v1/sync/init', { json: initBody, key: s.bob }), 401, 'Invalid API key');
    });
    await s.keys.setStatus(dead.id, 'active');
    expect((await s.call('POST', '/api/v1/sync/init', { json: initBody, key: dead.key })).status).toBe(200);
  });
});

describe('rule 29: rate limits', () => {
  it('upload bucket per user, shared by init/chunk/event; 429 text/plain without Retry-After', async () => {
    await s.close();
    s = await startServer({ api: { limits: { global: false, upload: { ratePerSec: 0.001, burst: 3 } } } });
    const id = await session();
    // Each upload answer says what is left of the user's bucket (the IETF rate-limit fields).
    const first = await s.call('POST', '/api/v1/sync/chunk', { json: { session_id: id, file_name: 'a', file_type: 'agent', first_line: 1, lines: ['x'] } });
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '1', 'ratelimit-policy': '3;w=3000' });
    const event = await s.call('POST', '/api/v1/sync/event', { json: { session_id: id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z' } });
    expect(event.status).toBe(200);
    expect(event.headers['ratelimit-remaining']).toBe('0');
    await nothingStored(async () => {
      const limited = await s.call('POST', '/api/v1/sync/chunk', { json: { session_id: id, file_name: 'a', file_type: 'agent', first_line: 2, lines: ['y'] } });
      expectText(limited, 429, 'Rate limit exceeded. Please try again later.');
      expect(limited.headers['retry-after']).toBeUndefined();
      expect(limited.headers['ratelimit-remaining']).toBe('0');
      expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThan(0);
      // Another key of the same user shares the bucket; another user does not.
      expect((await s.call('POST', '/api/v1/sync/init', { json: initBody, key: s.aliceLaptop })).status).toBe(429);
    });
    expect((await s.call('POST', '/api/v1/sync/init', { json: initBody, key: s.bob })).status).toBe(200);
    // Reads and the summary route are not behind the upload bucket.
    const read = await s.call('GET', `/api/v1/sessions/${id}/files`);
    expect(read.status).toBe(200);
    expect(read.headers['ratelimit-remaining']).toBeUndefined();
  });

  it('validate bucket (counted after auth) and the global per-IP bucket', async () => {
    await s.close();
    s = await startServer({ api: { limits: { global: { ratePerSec: 0.001, burst: 6 }, validate: { ratePerSec: 0.001, burst: 2 } } } });
    expect((await s.call('GET', '/api/v1/auth/validate', { key: null })).status).toBe(401); // not counted
    expect((await s.call('GET', '/api/v1/auth/validate')).status).toBe(200);
    expect((await s.call('GET', '/api/v1/auth/validate')).status).toBe(200);
    expectText(await s.call('GET', '/api/v1/auth/validate'), 429, 'Rate limit exceeded. Please try again later.');
    expect((await s.call('GET', '/health')).status).toBe(200);
    expect((await s.call('GET', '/health')).status).toBe(200); // 6th request from this IP
    expectText(await s.call('GET', '/health'), 429, 'Rate limit exceeded. Please try again later.');
  });
});

describe('discovery (rule 30) and routing', () => {
  it('health, version, capabilities (switchable), unknown routes and methods', async () => {
    expect((await s.call('GET', '/health', { key: null })).json()).toEqual({ status: 'ok' });
    expect((await s.call('GET', '/api/v1/version', { key: null })).json()).toMatchObject({ version: '9.9.9' });
    expect((await s.call('GET', '/api/v1/capabilities', { key: null })).json()).toEqual({ workflow_files: true, workflow_journal: true, opencode_subagents: true });
    expectText(await s.call('GET', '/api/v1/nope'), 404, '404 page not found');
    expectText(await s.call('POST', '/api/v1/sync/complete', { json: {} }), 404, '404 page not found');
    expect((await s.call('GET', '/api/v1/sync/chunk')).status).toBe(405);
    await s.close();
    s = await startServer({ api: { capabilities: false } });
    expectText(await s.call('GET', '/api/v1/capabilities', { key: null }), 404, '404 page not found');
    await s.close();
    s = await startServer({ api: { capabilities: { workflow_files: true } } });
    expect((await s.call('GET', '/api/v1/capabilities', { key: null })).json()).toEqual({ workflow_files: true });
  });

  it('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com', '128.0.0.1', '']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
