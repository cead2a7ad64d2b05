import { get as httpGet, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredSession } from '../../src/store/session-store.js';
import { registerViewer, type ViewerOptions } from '../../src/serve/viewer/index.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { freePort, waitFor } from '../helpers/sandbox.js';
import { ALICE_KEY, assistantLine, KEYS, userLine } from './viewer-helpers.js';

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * A Server-Sent Events client reading the stream as EventSource would. It uses node:http
 * with a connection of its own, so closing it closes exactly that socket (fetch's pool
 * would open a spare connection after an abort).
 */
class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: IncomingHttpHeaders = {};
  ended = false;
  private waiters: (() => void)[] = [];
  private req: ClientRequest | undefined;

  static open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const c = new SseClient();
    return new Promise((resolve, reject) => {
      c.req = httpGet(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
        c.status = res.statusCode ?? 0;
        c.headers = res.headers;
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          let at: number;
          while ((at = buf.indexOf('\n\n')) >= 0) {
            c.parse(buf.slice(0, at));
            buf = buf.slice(at + 2);
          }
        });
        const end = () => {
          c.ended = true;
          c.wake();
        };
        res.on('end', end);
        res.on('close', end);
        resolve(c);
      });
      c.req.on('error', (err) => {
        c.ended = true;
        c.wake();
        if (c.status === 0) reject(err);
      });
    });
  }

  private parse(block: string): void {
    const ev: SseEvent = { event: 'message', data: '' };
    let isEvent = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || line === '') continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') ev.event = value;
      else if (field === 'id') ev.id = value;
      else if (field === 'data') {
        ev.data += value;
        isEvent = true;
      }
    }
    if (isEvent) this.push(ev);
  }

  private push(ev: SseEvent): void {
    this.events.push(ev);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next event of this type after the first `skip` of them. */
  async next(event: string, skip = 0, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = this.events.filter((e) => e.event === event)[skip];
      if (found) return found;
      if (this.ended) throw new Error(`stream ended before a "${event}" event`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${event}" event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitEnded(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('stream did not end');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.req?.destroy();
  }
}

describe('live view (Server-Sent Events over HTTP)', () => {
  let app: FastifyInstance | undefined;
  const clients: SseClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await app?.close();
    app = undefined;
  });

  async function start(store: MemoryStore, viewerStore: ViewerOptions['store'] = store, extra: Partial<ViewerOptions> = {}) {
    app = Fastify({ logger: false });
    await registerViewer(app, { store: viewerStore, verifyKey: (key) => (KEYS[key] ? { owner: KEYS[key] } : undefined), livePollMs: 50, ...extra });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${port}`;
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: `key=${ALICE_KEY}`,
    });
    expect(res.status).toBe(303);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const open = async (path: string, headers: Record<string, string> = {}) => {
      const c = await SseClient.open(`${base}${path}`, { cookie, ...headers });
      clients.push(c);
      return c;
    };
    return { base, cookie, open };
  }

  it('sends only the new lines, rendered, as they reach the store', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [userLine('first'), userLine('second')] } } });
    const { open } = await start(store);
    const sse = await open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=2`);
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(sse.headers['content-security-policy']).toContain("default-src 'none'");
    store.reads.length = 0;

    await store.append('alice', id, 't.jsonl', [userLine('third <b>bold?</b>')]);
    const first = await sse.next('lines');
    expect(first.id).toBe('3');
    const data = JSON.parse(first.data) as { from: number; last: number; html: string };
    expect(data).toMatchObject({ from: 3, last: 3 });
    expect(data.html).toContain('id="L3"');
    expect(data.html).toContain('third &lt;b&gt;bold?&lt;/b&gt;');
    expect(data.html).not.toContain('second');
    // Only the lines after what the page had were read from the store.
    expect(store.reads.every((r) => r.afterLine >= 2)).toBe(true);
    expect(store.reads.some((r) => r.afterLine === 2)).toBe(true);

    await store.append('alice', id, 't.jsonl', [assistantLine('m9', [{ type: 'text', text: 'fourth' }]), userLine('fifth')]);
    const second = JSON.parse((await sse.next('lines', 1)).data) as { from: number; last: number; html: string };
    expect(second).toMatchObject({ from: 4, last: 5 });
    expect(second.html).toContain('fourth');
    expect(second.html).toContain('fifth');
    expect(second.html).not.toContain('third');
    expect(store.reads.some((r) => r.afterLine === 3)).toBe(true);
  });

  it('resumes after the last event id on reconnect', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [1, 2, 3, 4].map((n) => userLine(`line ${n}`)) } } });
    const { open } = await start(store);
    // EventSource sends Last-Event-ID on reconnect; it wins over the URL's `after`.
    const sse = await open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=0`, { 'last-event-id': '2' });
    const data = JSON.parse((await sse.next('lines')).data) as { from: number; last: number; html: string };
    expect(data).toMatchObject({ from: 3, last: 4 });
    expect(data.html).not.toContain('line 2<');
  });

  it('announces new and growing files of the session', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [userLine('main')] } } });
    const { open } = await start(store);
    const sse = await open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=1`);
    await store.append('alice', id, 'agent-a7.jsonl', [userLine('sub-agent starts')], 'agent');
    const files = JSON.parse((await sse.next('files')).data) as { html: string };
    expect(files.html).toContain(`href="/sessions/${id}?file=agent-a7.jsonl"`);
    expect(files.html).toContain('1 lines');
    // Lines of another file are not sent on this stream.
    expect(sse.events.filter((e) => e.event === 'lines')).toEqual([]);
  });

  it('ends the stream with "gone" when the session disappears', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [userLine('x')] } } });
    let hidden = false;
    const view = {
      listSessions: (owner?: string) => store.listSessions(owner),
      getSession: async (sid: string, owner?: string): Promise<StoredSession | undefined> => (hidden ? undefined : store.getSession(sid, owner)),
      readFile: (sid: string, name: string, after?: number) => store.readFile(sid, name, after),
    };
    const { open } = await start(store, view);
    const sse = await open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=1`);
    hidden = true;
    await sse.next('gone');
    await sse.waitEnded();
  });

  it('closing the server ends open streams instead of hanging', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [userLine('x')] } } });
    const { open } = await start(store);
    const streams = await Promise.all([1, 2, 3].map(() => open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=1`)));
    const started = Date.now();
    await app?.close();
    app = undefined;
    expect(Date.now() - started).toBeLessThan(3_000);
    for (const s of streams) await s.waitEnded();
  });

  it('limits open streams per user', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [userLine('x')] } } });
    const { open } = await start(store);
    const ok = await Promise.all(Array.from({ length: 32 }, () => open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=1`)));
    expect(ok.every((c) => c.status === 200)).toBe(true);
    const refused = await open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=1`);
    expect(refused.status).toBe(429);
    ok[0]?.close();
    // The closed stream's slot comes back once the server sees the disconnect.
    let again = refused;
    for (let i = 0; i < 50 && again.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      again = await open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=1`);
    }
    expect(again.status).toBe(200);
  });

  it('refuses the stream without a login', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [userLine('x')] } } });
    const { base } = await start(store);
    const res = await fetch(`${base}/ui/api/sessions/${id}/live?file=t.jsonl`);
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });

  it('ends the stream of a login whose key is revoked, at the next poll', async () => {
    const store = new MemoryStore();
    const id = await store.seed('alice', { files: { 't.jsonl': { lines: [userLine('first')] } } });
    let active = true;
    const { open, base, cookie } = await start(store, store, { verifyKey: (key) => (KEYS[key] ? { owner: KEYS[key], keyId: 'k1' } : undefined), keyActive: (keyId) => keyId === 'k1' && active });
    const sse = await open(`/ui/api/sessions/${id}/live?file=t.jsonl&after=1`);
    await store.append('alice', id, 't.jsonl', [userLine('second')]);
    expect(JSON.parse((await sse.next('lines')).data)).toMatchObject({ from: 2, last: 2 });
    active = false;
    await waitFor(() => sse.ended, { what: 'the stream to end' });
    await store.append('alice', id, 't.jsonl', [userLine('third')]);
    expect(sse.events.filter((e) => e.event === 'lines')).toHaveLength(1);
    // The login itself is over: the reconnect EventSource would make is refused.
    const again = await fetch(`${base}/ui/api/sessions/${id}/live?file=t.jsonl`, { headers: { cookie } });
    expect(again.status).toBe(401);
    await again.body?.cancel();
  });
});
