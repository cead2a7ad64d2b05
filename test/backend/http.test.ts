import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zstdDecompressSync } from '../../src/backend/zstd.js';
import { BackendError, type BackendErrorKind } from '../../src/backend/errors.js';
import { HttpBackend } from '../../src/backend/http.js';
import { goArch, goOs, parseRetryAfter } from '../../src/backend/http-transport.js';
import type { ChunkRequest } from '../../src/format/wire.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { createSyncHooks } from '../../src/extension/daemon-hooks.js';
import { confabVersion } from '../../src/version.js';
import { jsonLines } from '../helpers/engine-harness.js';
import { freePort, REPO_ROOT } from '../helpers/sandbox.js';
import { HttpStub, json, text, type RecordedRequest, type StubReply } from '../helpers/http-stub.js';
import { tempDir } from '../helpers/sync-fixtures.js';

const KEY = 'cfb_0123456789abcdefghijABCDEFGHIJ_-xyzwvu';
const SESSION = '3f2b8c1e-9d4a-4b7e-8f00-123456789abc';

let stub: HttpStub;
let sleeps: number[];

beforeEach(async () => {
  stub = await new HttpStub().start();
  sleeps = [];
});
afterEach(async () => {
  await stub.stop();
});

function backend(opts: Partial<ConstructorParameters<typeof HttpBackend>[0]> = {}): HttpBackend {
  return new HttpBackend({
    url: stub.url,
    apiKey: KEY,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...opts,
  });
}

function chunk(lines: string[]): ChunkRequest {
  return { session_id: SESSION, file_name: 'transcript.jsonl', file_type: 'transcript', first_line: 1, lines };
}

/** The JSON a request carried, decompressing zstd when it says so. */
function bodyOf(req: RecordedRequest): unknown {
  const raw = req.headers['content-encoding'] === 'zstd' ? zstdDecompressSync(req.body) : req.body;
  return JSON.parse(raw.toString('utf8'));
}

async function caught(p: Promise<unknown>): Promise<BackendError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BackendError);
    return err as BackendError;
  }
  throw new Error('expected a rejection');
}

describe('HttpBackend: requests', () => {
  it('sends bearer auth, the User-Agent and JSON on every sync call', async () => {
    stub.handler = (req) =>
      req.url === '/api/v1/sync/init' ? json({ session_id: SESSION, provider: 'claude-code', files: { 'a.jsonl': { last_synced_line: 3 } } }) : json({ last_synced_line: 1 });
    const b = backend();
    const init = await b.init({ provider: 'claude-code', external_id: 'e1', transcript_path: '/t/a.jsonl', metadata: { cwd: '/t' } });
    expect(init).toEqual({ session_id: SESSION, provider: 'claude-code', files: { 'a.jsonl': { last_synced_line: 3 } } });
    await b.chunk(chunk(['{}']));
    expect(stub.requests).toHaveLength(2);
    for (const req of stub.requests) {
      expect(req.method).toBe('POST');
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(req.headers['user-agent']).toBe(`confab/${confabVersion()} (${goOs()}; ${goArch()})`);
      expect(req.headers['user-agent']).toMatch(/^confab\/[\w.+-]+ \((linux|darwin|windows|\w+); (amd64|arm64|386|arm|\w+)\)$/);
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['content-encoding']).toBeUndefined();
    }
    expect(bodyOf(stub.requests[1] as RecordedRequest)).toEqual(chunk(['{}']));
  });

  it('keeps one connection alive across requests, and re-sends once when the server had closed it', async () => {
    // A raw server: answers the first request on a connection with keep-alive, then resets
    // the connection when a second request arrives on it (a server that closed an idle socket
    // just as the client reused it).
    const connections: number[] = [];
    const bodies: string[] = [];
    const raw = createNetServer((socket) => {
      const id = connections.length;
      connections.push(0);
      let buffered = '';
      socket.on('data', (data) => {
        buffered += data.toString('latin1');
        for (;;) {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
          if (buffered.length < end + 4 + length) return;
          const body = buffered.slice(end + 4, end + 4 + length);
          buffered = buffered.slice(end + 4 + length);
          connections[id] = (connections[id] ?? 0) + 1;
          if (connections[id] === 2) {
            socket.resetAndDestroy();
            return;
          }
          bodies.push(body);
          const reply = `${JSON.stringify({ last_synced_line: bodies.length })}\n`;
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${reply.length}\r\nConnection: keep-alive\r\n\r\n${reply}`);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const port = (raw.address() as AddressInfo).port;
      const b = backend({ url: `http://127.0.0.1:${port}` });
      expect(await b.chunk({ ...chunk(['{"n":1}']), first_line: 1 })).toEqual({ last_synced_line: 1 });
      expect(await b.chunk({ ...chunk(['{"n":2}']), first_line: 2 })).toEqual({ last_synced_line: 2 });
      expect(await b.chunk({ ...chunk(['{"n":3}']), first_line: 3 })).toEqual({ last_synced_line: 3 });
      // Each request after the first reuses the connection the one before it used, is reset
      // there, and is answered on a fresh one: every line arrives once, in order.
      expect(connections).toEqual([2, 2, 1]);
      expect(bodies.map((body) => (JSON.parse(body) as ChunkRequest).first_line)).toEqual([1, 2, 3]);
    } finally {
      raw.close();
    }
  });

  it('a response cut off mid-body is a network error, not a short body', async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"last_synced');
        setTimeout(() => socket.destroy(), 20);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const b = backend({ url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` });
      const err = await caught(b.chunk(chunk(['{}'])));
      expect(err.kind).toBe('network');
      expect(err.message).toMatch(/^POST \/api\/v1\/sync\/chunk: network error: /);
    } finally {
      raw.close();
    }
  });

  it('uses node:http, never fetch (undici and web streams cost an idle daemon about 20 MiB)', async () => {
    stub.handler = () => json({ last_synced_line: 1 });
    const transport = pathToFileURL(join(REPO_ROOT, 'dist', 'backend', 'http-transport.js')).href;
    const script = `
      const { HttpTransport } = await import(${JSON.stringify(transport)});
      const t = new HttpTransport({ url: ${JSON.stringify(stub.url)}, apiKey: 'k' });
      const r = await t.request({ method: 'POST', path: '/api/v1/sync/chunk', json: { lines: ['x'.repeat(4096)] }, compress: true });
      console.log(JSON.stringify({ status: r.status, undici: process.moduleLoadList.some((m) => m.includes('undici')) }));`;
    // Not spawnSync: the stub answering the child runs on this event loop.
    const child = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ status: 200, undici: false });
    expect(stub.requests[0]?.headers['content-encoding']).toBe('zstd');
  });

  it('maps Node platform names to Go names', () => {
    expect(goOs('darwin')).toBe('darwin');
    expect(goOs('linux')).toBe('linux');
    expect(goArch('x64')).toBe('amd64');
    expect(goArch('arm64')).toBe('arm64');
  });

  it('zstd-compresses /sync/* bodies of 1 KiB or more, exactly those', async () => {
    stub.handler = (req) =>
      req.url === '/api/v1/sync/init' ? json({ session_id: SESSION, files: {} }) : req.url === '/api/v1/sync/event' ? json({ success: true }) : json({ last_synced_line: 1 });
    const b = backend();
    // Find the exact threshold: a body of 1023 bytes stays plain, 1024 is compressed.
    const base = JSON.stringify(chunk(['']));
    const under = chunk(['x'.repeat(1023 - base.length)]);
    const at = chunk(['x'.repeat(1024 - base.length)]);
    expect(JSON.stringify(under)).toHaveLength(1023);
    expect(JSON.stringify(at)).toHaveLength(1024);
    await b.chunk(under);
    await b.chunk(at);
    await b.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t', metadata: { cwd: 'c'.repeat(2000) } });
    await b.event({ session_id: SESSION, event_type: 'session_end', timestamp: '2025-01-01T00:00:00Z', payload: { big: 'p'.repeat(3000) } });
    const [r1, r2, r3, r4] = stub.requests as [RecordedRequest, RecordedRequest, RecordedRequest, RecordedRequest];
    expect(r1.headers['content-encoding']).toBeUndefined();
    expect(r1.body.toString()).toBe(JSON.stringify(under));
    for (const r of [r2, r3, r4]) {
      expect(r.headers['content-encoding']).toBe('zstd');
      expect(r.body.subarray(0, 4).toString('hex')).toBe('28b52ffd');
    }
    expect(bodyOf(r2)).toEqual(at);
    expect((bodyOf(r3) as { metadata: { cwd: string } }).metadata.cwd).toHaveLength(2000);
    expect(r2.body.length).toBeLessThan(200);
    expect(stub.requests.every((r) => r.headers['content-encoding'] !== 'gzip')).toBe(true);
  });

  it('never compresses the summary PATCH, whatever its size', async () => {
    stub.handler = () => json({ status: 'ok' });
    const summary = 's'.repeat(2000);
    await backend().updateSummary('ext/with slash', summary);
    const req = stub.requests[0] as RecordedRequest;
    expect(req.method).toBe('PATCH');
    expect(req.url).toBe('/api/v1/sessions/ext%2Fwith%20slash/summary');
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body.toString())).toEqual({ summary });
  });

  it('works under a path prefix', async () => {
    stub.handler = (req) => (req.url === '/confab/api/v1/sync/chunk' ? json({ last_synced_line: 9 }) : text('no', 404));
    const b = backend({ url: `${stub.url}/confab/` });
    expect(b.location).toBe(`${stub.url}/confab`);
    await expect(b.chunk(chunk(['{}']))).resolves.toEqual({ last_synced_line: 9 });
  });
});

describe('HttpBackend: 429', () => {
  it('retries with Retry-After honoured, re-sending the same compressed body', async () => {
    let n = 0;
    stub.handler = () => (++n <= 2 ? { ...text('Rate limit exceeded. Please try again later.\n', 429), headers: { 'Retry-After': '3' } } : json({ last_synced_line: 1 }));
    const req = chunk(['y'.repeat(5000)]);
    await expect(backend().chunk(req)).resolves.toEqual({ last_synced_line: 1 });
    expect(sleeps).toEqual([3000, 3000]);
    expect(stub.requests).toHaveLength(3);
    expect(stub.requests.every((r) => r.body.equals((stub.requests[0] as RecordedRequest).body))).toBe(true);
  });

  it('backs off exponentially with jitter without Retry-After, then fails as rate-limited', async () => {
    stub.handler = () => text('Rate limit exceeded. Please try again later.\n', 429);
    const err = await caught(backend().chunk(chunk(['{}'])));
    expect(err.kind).toBe('rate-limited');
    expect(err.status).toBe(429);
    expect(stub.requests).toHaveLength(6);
    expect(sleeps).toHaveLength(5);
    [1000, 2000, 4000, 8000, 16000].forEach((base, i) => {
      expect(sleeps[i]).toBeGreaterThanOrEqual(base * 0.8);
      expect(sleeps[i]).toBeLessThanOrEqual(base * 1.2);
    });
  });

  it('retries only 429 within a request: 5xx and timeouts are left to the next cycle', async () => {
    for (const status of [500, 502, 503, 504]) {
      stub.requests.length = 0;
      stub.handler = () => text('unavailable', status);
      expect((await caught(backend().capabilities())).kind).toBe('server');
      expect(stub.requests).toHaveLength(1);
    }
    stub.requests.length = 0;
    stub.handler = () => ({ hang: true });
    expect((await caught(backend({ timeoutMs: 200 }).capabilities())).kind).toBe('timeout');
    expect(stub.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('bounds a retried attempt by the timeout too', async () => {
    let n = 0;
    stub.handler = () => (++n === 1 ? text('Rate limit exceeded.', 429) : n === 2 ? { hang: true } : json({ last_synced_line: 1 }));
    const b = backend({ timeoutMs: 300 });
    expect((await caught(b.chunk(chunk(['{}'])))).message).toBe('POST /api/v1/sync/chunk: timed out after 300 ms');
    expect(stub.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('parses Retry-After as seconds (1–3600) or an HTTP date', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter('0')).toBeUndefined();
    expect(parseRetryAfter('99999')).toBeUndefined();
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('HttpBackend: errors', () => {
  const cases: Array<[number, BackendErrorKind]> = [
    [400, 'invalid'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [404, 'not-found'],
    [409, 'conflict'],
    [413, 'invalid'],
    [415, 'invalid'],
    [500, 'server'],
    [503, 'server'],
    [507, 'storage'],
  ];
  for (const [status, kind] of cases) {
    it(`maps HTTP ${status} to ${kind}, quoting the body's first 256 bytes`, async () => {
      stub.handler = () => json({ error: `first_line must be 4 (got 2) - chunks must be contiguous ${'z'.repeat(400)}` }, status);
      const err = await caught(backend().chunk(chunk(['{}'])));
      expect(err.kind).toBe(kind);
      expect(err.status).toBe(status);
      expect(err.message).toMatch(new RegExp(`^POST /api/v1/sync/chunk: HTTP ${status}: \\{"error":"first_line must be 4`));
      expect(err.message).not.toContain('\n');
      expect(err.message.length).toBeLessThan(40 + 256);
    });
  }

  it('an empty or invalid 2xx body is a protocol error', async () => {
    const b = backend();
    stub.handler = () => ({ status: 200, body: '' });
    expect(await caught(b.chunk(chunk(['{}'])))).toMatchObject({ kind: 'protocol' });
    stub.handler = () => ({ status: 200, body: '<html>' });
    expect(await caught(b.chunk(chunk(['{}'])))).toMatchObject({ kind: 'protocol' });
    stub.handler = () => json({ last_synced_line: '3' });
    expect((await caught(b.chunk(chunk(['{}'])))).message).toContain('last_synced_line missing');
    stub.handler = () => json({ files: {} });
    expect((await caught(b.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t' }))).kind).toBe('protocol');
    stub.handler = () => json({ session_id: SESSION, files: { a: { last_synced_line: -1 } } });
    expect((await caught(b.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t' }))).kind).toBe('protocol');
    stub.handler = () => json({ success: false });
    expect((await caught(b.event({ session_id: SESSION, event_type: 'session_end', timestamp: '2025-01-01T00:00:00Z' }))).kind).toBe('protocol');
  });

  it('the API key never appears in an error, even when the server echoes it', async () => {
    const b = backend({ timeoutMs: 300 });
    const messages: string[] = [];
    stub.handler = (req) => text(`bad header ${req.headers.authorization} key=${KEY.slice(4)}`, 401);
    messages.push((await caught(b.chunk(chunk(['{}'])))).message);
    stub.handler = (req) => json({ error: `unknown key ${req.headers.authorization}` }, 500);
    messages.push((await caught(b.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t' }))).message);
    stub.handler = () => ({ hang: true });
    const timeout = await caught(b.chunk(chunk(['{}'])));
    expect(timeout.kind).toBe('timeout');
    messages.push(timeout.message);
    const dead = new HttpBackend({ url: `http://127.0.0.1:${await freePort()}`, apiKey: KEY });
    const refused = await caught(dead.capabilities());
    expect(refused.kind).toBe('network');
    messages.push(refused.message, String(refused.cause ?? ''));
    for (const m of messages) {
      expect(m).not.toContain(KEY);
      expect(m).not.toContain(KEY.slice(4));
    }
    expect(messages[0]).toContain('[REDACTED]');
    expect(messages[2]).toBe('POST /api/v1/sync/chunk: timed out after 300 ms');
    expect(messages[3]).toMatch(/^GET \/api\/v1\/capabilities: network error: ECONNREFUSED$/);
  });

  it('a caller abort rejects with the abort reason, not a backend error', async () => {
    stub.handler = () => ({ hang: true });
    const ac = new AbortController();
    const p = backend().chunk(chunk(['{}']), { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('shutting down')), 50);
    await expect(p).rejects.toThrow('shutting down');
  });

  it('rejects a backend URL that is not http(s)', () => {
    expect(() => new HttpBackend({ url: 'ftp://x', apiKey: KEY })).toThrow('http:// or https://');
    expect(() => new HttpBackend({ url: 'http://user:pw@host', apiKey: KEY })).toThrow('credentials');
  });
});

describe('HttpBackend: capabilities and reads', () => {
  it('404 means all false (definitive); missing keys are false; both OpenCode spellings count', async () => {
    const b = backend();
    stub.handler = () => text('404 page not found\n', 404);
    expect(await b.capabilities()).toEqual({ workflow_files: false, workflow_journal: false, opencode_subagents: false });
    stub.handler = () => json({ workflow_files: true });
    expect(await b.capabilities()).toEqual({ workflow_files: true, workflow_journal: false, opencode_subagents: false });
    stub.handler = () => json({ workflow_journal: true, opencode_subagent_files: true });
    expect(await b.capabilities()).toEqual({ workflow_files: false, workflow_journal: true, opencode_subagents: true });
    stub.handler = () => json({ workflow_files: true, workflow_journal: true, opencode_subagents: true });
    expect(await b.capabilities()).toEqual({ workflow_files: true, workflow_journal: true, opencode_subagents: true });
  });

  it('anything else throws, so the caller probes again later', async () => {
    const b = backend();
    stub.handler = () => text('unavailable', 503);
    expect((await caught(b.capabilities())).kind).toBe('server');
    stub.handler = () => json(['not', 'a', 'map']);
    expect((await caught(b.capabilities())).kind).toBe('protocol');
    stub.handler = () => json({ workflow_files: 'yes' });
    expect((await caught(b.capabilities())).kind).toBe('protocol');
  });

  it('getSession takes a session UUID directly, or resolves an external id first', async () => {
    const detail = {
      id: SESSION,
      external_id: 'ext-1',
      provider: 'claude-code',
      summary: 'S',
      first_seen: '2025-01-01T00:00:00Z',
      files: [{ file_name: 'a.jsonl', file_type: 'transcript', last_synced_line: 4, updated_at: '2025-01-01T00:00:01Z' }],
      owner_email: 'me@example.com',
    };
    stub.handler = (req) => (req.url === '/api/v1/sessions/by-external-id/ext-1' ? json({ session_id: SESSION }) : json(detail));
    const expected = {
      session_id: SESSION,
      external_id: 'ext-1',
      provider: 'claude-code',
      summary: 'S',
      first_seen: '2025-01-01T00:00:00Z',
      files: [{ file_name: 'a.jsonl', file_type: 'transcript', last_synced_line: 4, updated_at: '2025-01-01T00:00:01Z' }],
    };
    expect(await backend().getSession(SESSION)).toEqual(expected);
    expect(stub.requests.map((r) => r.url)).toEqual([`/api/v1/sessions/${SESSION}`]);
    expect(await backend().getSession('ext-1')).toEqual(expected);
    expect(stub.requests.map((r) => r.url).slice(1)).toEqual(['/api/v1/sessions/by-external-id/ext-1', `/api/v1/sessions/${SESSION}`]);
  });

  it('getSession looks a UUID the server does not know as a session id up as an external id (Claude Code ids are UUIDs)', async () => {
    const external = '0b4c7f5e-1f0e-4a7e-9a39-3f2a1c0d9e11';
    const detail = { id: SESSION, external_id: external, provider: 'claude-code', files: [] };
    stub.handler = (req) =>
      req.url === `/api/v1/sessions/${external}`
        ? { status: 404, body: '{"error":"Session not found"}' }
        : req.url === `/api/v1/sessions/by-external-id/${external}`
          ? json({ session_id: SESSION })
          : json(detail);
    expect((await backend().getSession(external)).session_id).toBe(SESSION);
    expect(stub.requests.map((r) => r.url)).toEqual([`/api/v1/sessions/${external}`, `/api/v1/sessions/by-external-id/${external}`, `/api/v1/sessions/${SESSION}`]);
  });

  it('downloadFile returns the bytes, and refuses more than 32 MiB', async () => {
    stub.handler = (req) =>
      req.url.includes('big') ? { status: 200, headers: { 'Content-Type': 'text/plain' }, body: Buffer.alloc(33 * 1024 * 1024, 'a') } : { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'a\n\nb\r\n' };
    const b = backend();
    expect((await b.downloadFile(SESSION, 'sub/agent 1.jsonl')).toString()).toBe('a\n\nb\r\n');
    expect(stub.requests[0]?.url).toBe(`/api/v1/sessions/${SESSION}/files/download?file_name=sub%2Fagent+1.jsonl`);
    const err = await caught(b.downloadFile(SESSION, 'big.jsonl'));
    expect(err.kind).toBe('protocol');
    expect(err.message).toContain('larger than 32 MiB');
  });

  it('downloadFile does not retry 429', async () => {
    stub.handler = () => text('Rate limit exceeded.', 429);
    expect((await caught(backend().downloadFile(SESSION, 'a'))).kind).toBe('rate-limited');
    expect(stub.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('HttpBackend in an engine', () => {
  it('syncs a transcript end to end over HTTP, recovering from a response lost after the store', async () => {
    const lines: string[] = [];
    let dropNextChunkResponse = false;
    stub.handler = (req) => {
      const body = bodyOf(req) as Record<string, unknown>;
      if (req.url === '/api/v1/sync/init') return json({ session_id: SESSION, files: lines.length ? { 't.jsonl': { last_synced_line: lines.length } } : {} });
      if (req.url !== '/api/v1/sync/chunk') return text('404 page not found', 404);
      const c = body as unknown as ChunkRequest;
      if (c.first_line !== lines.length + 1) return json({ error: `first_line must be ${lines.length + 1} (got ${c.first_line}) - chunks must be contiguous` }, 400);
      lines.push(...c.lines);
      if (dropNextChunkResponse) {
        dropNextChunkResponse = false;
        return { hang: true };
      }
      return json({ last_synced_line: lines.length });
    };
    const dir = tempDir();
    const path = join(dir, 't.jsonl');
    const content = jsonLines(400);
    writeFileSync(path, content);
    const engine = new SyncEngine({
      backend: backend({ timeoutMs: 500 }),
      hooks: createSyncHooks(),
      session: { provider: 'claude-code', externalId: 'e2e', transcriptPath: path, cwd: dir },
    });
    expect((await engine.syncAll('startup')).complete).toBe(true);
    writeFileSync(path, content + jsonLines(50, 401));
    dropNextChunkResponse = true;
    // The first attempt times out after the server stored it; the re-init resumes past it.
    // (`once` skips pacing: this is about recovery, not about confab-web's budgets.)
    expect((await engine.syncAll('once')).complete).toBe(true);
    expect(`${lines.join('\n')}\n`).toBe(content + jsonLines(50, 401));
    const zstdBodies = stub.requests.filter((r) => r.headers['content-encoding'] === 'zstd');
    expect(zstdBodies.length).toBeGreaterThan(0);
    expect(stub.requests.filter((r) => r.url === '/api/v1/sync/init')).toHaveLength(2);
  });
});

describe('HttpBackend: the shared upload budget', () => {
  it('spends a turn before each init, chunk and event and each retry of one, tells it of every 429, and never for reads', async () => {
    const calls: string[] = [];
    const budget = {
      readyInMs: () => Promise.resolve(0),
      take: () => {
        calls.push('take');
        return Promise.resolve(undefined);
      },
      onRateLimited: (retryAfterMs?: number) => {
        calls.push(`429 ${retryAfterMs ?? '-'}`);
        return Promise.resolve();
      },
      onServerRemaining: () => Promise.reject(new Error('no turn was numbered')),
    };
    let chunkTries = 0;
    stub.handler = (req) => {
      if (req.url === '/api/v1/sync/init') return json({ session_id: SESSION, files: {} });
      if (req.url === '/api/v1/sync/chunk') return ++chunkTries === 1 ? { status: 429, headers: { 'retry-after': '2' }, body: 'Rate limit exceeded.\n' } : json({ last_synced_line: 1 });
      if (req.url === '/api/v1/sync/event') return json({ success: true });
      return json({ workflow_files: true });
    };
    const b = backend({ budget });
    expect(b.budget).toBe(budget);
    await b.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t' });
    expect(calls).toEqual(['take']);
    await b.chunk(chunk(['{}']));
    expect(calls).toEqual(['take', 'take', '429 2000', 'take']);
    await b.event({ session_id: SESSION, event_type: 'session_end', timestamp: '2026-01-01T00:00:00Z' });
    await b.capabilities();
    expect(calls).toEqual(['take', 'take', '429 2000', 'take', 'take']);
    expect(stub.requests).toHaveLength(5);
  });

  it("tells the budget what the server's RateLimit-Remaining says is left, with the number of the turn it answers", async () => {
    const heard: string[] = [];
    let ticket = 0;
    const budget = {
      readyInMs: () => Promise.resolve(0),
      take: () => Promise.resolve(++ticket),
      onRateLimited: () => {
        heard.push('429');
        return Promise.resolve();
      },
      onServerRemaining: (remaining: number, turn: number) => {
        heard.push(`${remaining} after turn ${turn}`);
        return Promise.resolve();
      },
    };
    let chunkTries = 0;
    stub.handler = (req): StubReply => {
      if (req.url === '/api/v1/sync/init') return { ...json({ session_id: SESSION, files: {} }), headers: { 'content-type': 'application/json', 'ratelimit-remaining': '1999' } };
      if (req.url === '/api/v1/sync/chunk') {
        if (++chunkTries === 1) return { status: 429, headers: { 'ratelimit-remaining': '0' }, body: 'Rate limit exceeded.\n' };
        return { ...json({ last_synced_line: 1 }), headers: { 'content-type': 'application/json', 'ratelimit-remaining': ' 1996 ' } };
      }
      // Not a plain count: ignored.
      return { ...json({ success: true }), headers: { 'content-type': 'application/json', 'ratelimit-remaining': '12.5, 3' } };
    };
    const b = backend({ budget });
    await b.init({ provider: 'claude-code', external_id: 'e', transcript_path: '/t' });
    await b.chunk(chunk(['{}']));
    await b.event({ session_id: SESSION, event_type: 'session_end', timestamp: '2026-01-01T00:00:00Z' });
    // The 429's own count is not taken: the 429 itself empties the bucket.
    expect(heard).toEqual(['1999 after turn 1', '429', '1996 after turn 3']);
    expect(ticket).toBe(4);
  });
});
