import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Server } from './api-helpers.js';

let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The JSON lines a server logged. */
function collector(): { write(line: string): void; entries(): Record<string, unknown>[]; text(): string } {
  const lines: string[] = [];
  return {
    write: (line) => void lines.push(line),
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}

describe('confab serve request log', () => {
  it('logs one line per request, never the key, a cookie, a body or a query string', async () => {
    const log = collector();
    server = await startServer({ api: { requestLog: log } });
    const init = await server.call('POST', '/api/v1/sync/init', {
      json: { provider: 'claude-code', external_id: 'log-test-1', transcript_path: '/t/SECRET-BODY-7f3a.jsonl' },
      headers: { cookie: 'confab_viewer=COOKIE-TOKEN-9c1d' },
    });
    expect(init.status).toBe(200);
    const read = await server.call('GET', `/api/v1/sessions/${String(init.json().session_id)}/sync/file?file_name=SECRET-QUERY-55e1`, { headers: { cookie: 'confab_viewer=COOKIE-TOKEN-9c1d' } });
    expect(read.status).toBe(404);
    const denied = await server.call('GET', '/api/v1/auth/validate', { key: 'cfb_not_a_real_key_0000000000000000000000000' });
    expect(denied.status).toBe(401);

    const requests = log.entries().filter((e) => e.msg === 'request');
    expect(requests.map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/api/v1/sync/init', 200],
      ['GET', `/api/v1/sessions/${String(init.json().session_id)}/sync/file`, 404],
      ['GET', '/api/v1/auth/validate', 401],
    ]);
    expect(requests[0]).toMatchObject({ level: 30, user: 'alice', ip: '127.0.0.1' });
    expect(typeof requests[0]?.ms).toBe('number');
    expect(typeof requests[0]?.reqId).toBe('string');
    const text = log.text();
    for (const secret of [server.alice, 'cfb_not_a_real_key', 'COOKIE-TOKEN-9c1d', 'SECRET-BODY-7f3a', 'SECRET-QUERY-55e1', 'Bearer']) expect(text).not.toContain(secret);
  });

  it('logs a failure with its error (scrubbed of keys), and the request line with the 500', async () => {
    const log = collector();
    server = await startServer({ api: { requestLog: log } });
    const leaked = server.alice;
    server.store.listSessions = async () => {
      throw new Error(`disk gone while reading for ${leaked}`);
    };
    const res = await server.call('GET', '/api/v1/sessions/by-external-id/abc');
    expect(res.status).toBe(500);
    const failure = log.entries().find((e) => e.msg === 'request failed');
    expect(failure).toMatchObject({ level: 50, route: '/api/v1/sessions/by-external-id/:external_id', err: { type: 'Error', message: 'disk gone while reading for cfb_[REDACTED]' } });
    expect(log.entries().find((e) => e.msg === 'request')).toMatchObject({ status: 500, path: '/api/v1/sessions/by-external-id/abc' });
    expect(log.text()).not.toContain(leaked);
  });
});

describe('--trust-proxy (trustProxy)', () => {
  const limits = { global: { ratePerSec: 0.001, burst: 2 } };

  it('off: X-Forwarded-For is ignored, every request counts against the connecting address', async () => {
    const log = collector();
    server = await startServer({ api: { limits, requestLog: log } });
    const statuses: number[] = [];
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) statuses.push((await server.call('GET', '/health', { headers: { 'x-forwarded-for': ip } })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(new Set(log.entries().filter((e) => e.msg === 'request').map((e) => e.ip))).toEqual(new Set(['127.0.0.1']));
  });

  it('on: the client address is the last X-Forwarded-For entry (the one the proxy saw)', async () => {
    const log = collector();
    server = await startServer({ api: { limits, trustProxy: true, requestLog: log } });
    const get = (xff: string) => server!.call('GET', '/health', { headers: { 'x-forwarded-for': xff } }).then((r) => r.status);
    expect([await get('203.0.113.1'), await get('203.0.113.1'), await get('203.0.113.1')]).toEqual([200, 200, 429]);
    // Another client behind the same proxy has its own bucket…
    expect(await get('203.0.113.2')).toBe(200);
    // …and a client cannot pick its address: what it sends comes before the proxy's entry.
    expect(await get('198.51.100.7, 203.0.113.1')).toBe(429);
    expect(log.entries().filter((e) => e.msg === 'request').map((e) => e.ip)).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.1']);
  });
});
