import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerViewer } from '../../src/serve/viewer/index.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { ALICE_KEY, BOB_KEY, HOST, KEYS, login, ORIGIN, userLine, viewerApp, type ViewerApp } from './viewer-helpers.js';

const form = (body: string, headers: Record<string, string> = {}) => ({
  headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded', ...headers },
  payload: body,
});

function setCookieOf(res: { headers: Record<string, unknown> }): string {
  const h = res.headers['set-cookie'];
  return (Array.isArray(h) ? h.join('\n') : String(h ?? '')).trim();
}

describe('viewer login, cookie and access', () => {
  let v: ViewerApp;
  afterEach(async () => {
    await v?.app.close();
  });

  async function twoUsers(extra: Parameters<typeof viewerApp>[0] = {}) {
    v = await viewerApp(extra);
    const alice = await v.store.seed('alice', { summary: 'Alice refactors the parser', files: { 'a.jsonl': { lines: [userLine('alice text')] } } });
    const bob = await v.store.seed('bob', { summary: 'Bob plans the launch', files: { 'b.jsonl': { lines: [userLine('bob text')] } } });
    return { alice, bob };
  }

  it('sends pages to the login form and answers JSON routes 401 without a login', async () => {
    const { alice } = await twoUsers();
    const page = await v.app.inject({ url: '/', headers: { host: HOST } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2F');
    const session = await v.app.inject({ url: `/sessions/${alice}?file=a.jsonl`, headers: { host: HOST } });
    expect(session.statusCode).toBe(303);
    expect(session.headers.location).toBe(`/login?next=${encodeURIComponent(`/sessions/${alice}?file=a.jsonl`)}`);
    for (const url of [
      '/ui/api/sessions',
      `/ui/api/sessions/${alice}`,
      `/ui/api/sessions/${alice}/lines?file=a.jsonl`,
      `/ui/api/sessions/${alice}/line?file=a.jsonl&n=1`,
      `/ui/api/sessions/${alice}/raw?file=a.jsonl`,
      `/ui/api/sessions/${alice}/live?file=a.jsonl`,
    ]) {
      const res = await v.app.inject({ url, headers: { host: HOST } });
      expect(res.statusCode, url).toBe(401);
      expect(res.json(), url).toEqual({ error: 'Unauthorized' });
    }
    const form = await v.app.inject({ url: '/login?next=%2Fsessions%2Fx', headers: { host: HOST } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post" action="/login">');
    expect(form.body).toContain('name="next" value="/sessions/x"');
    expect(form.headers['content-security-policy']).toContain("script-src 'self'");
    expect(form.headers['x-frame-options']).toBe('DENY');
  });

  it('logs in with a valid key: HTTP-only SameSite=Strict cookie holding a random token, not the key', async () => {
    await twoUsers();
    const res = await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}&next=%2Fsessions%2Fabc`, { origin: ORIGIN }) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sessions/abc');
    const cookie = setCookieOf(res);
    expect(cookie).toMatch(/^confab_viewer=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).toMatch(/Max-Age=43200/);
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain(ALICE_KEY);
    expect(cookie).not.toContain('alice');
    // Two logins with the same key get different tokens.
    const again = setCookieOf(await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}`, { origin: ORIGIN }) }));
    expect(again.split(';')[0]).not.toBe(cookie.split(';')[0]);
  });

  it('refuses a wrong, empty, oversized or failing key with 401 and no cookie', async () => {
    v = await viewerApp({
      verifyKey: (key) => {
        if (key === 'cfb_throws') throw new Error('key ring unreadable');
        return KEYS[key] ? { owner: KEYS[key] } : undefined;
      },
    });
    for (const body of ['key=cfb_wrong', 'key=', '', `key=${'x'.repeat(600)}`, 'key=cfb_throws']) {
      const res = await v.app.inject({ method: 'POST', url: '/login', ...form(body, { origin: ORIGIN }) });
      expect(res.statusCode, body).toBe(401);
      expect(res.headers['set-cookie'], body).toBeUndefined();
      expect(res.body).toContain('Invalid API key.');
    }
  });

  it('never redirects off-site after login', async () => {
    await twoUsers();
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/login?next=/x']) {
      const res = await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}&next=${encodeURIComponent(next)}`, { origin: ORIGIN }) });
      expect(res.statusCode, next).toBe(303);
      expect(res.headers.location, next).toBe('/');
    }
  });

  it('CSRF: login and logout only from a page of this host', async () => {
    await twoUsers();
    const refused: Record<string, string>[] = [
      {},
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { referer: 'http://evil.example/page' },
      { origin: ORIGIN, 'sec-fetch-site': 'cross-site' },
      { origin: `http://${HOST.replace('8123', '8124')}` },
    ];
    for (const headers of refused) {
      const res = await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}`, headers) });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const viaReferer = await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}`, { referer: `${ORIGIN}/login` }) });
    expect(viaReferer.statusCode).toBe(303);

    const cookie = await login(v.app, ALICE_KEY);
    const forged = await v.app.inject({ method: 'POST', url: '/logout', ...form('', { cookie, origin: 'http://evil.example' }) });
    expect(forged.statusCode).toBe(403);
    expect((await v.app.inject({ url: '/', headers: { host: HOST, cookie } })).statusCode).toBe(200);
  });

  it('shows each user only their own sessions, and other owners’ ids are not found', async () => {
    const { alice, bob } = await twoUsers();
    const cookie = await login(v.app, ALICE_KEY);
    const list = await v.app.inject({ url: '/', headers: { host: HOST, cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Alice refactors the parser');
    expect(list.body).not.toContain('Bob plans the launch');
    const json = await v.app.inject({ url: '/ui/api/sessions', headers: { host: HOST, cookie } });
    expect(json.json().sessions.map((s: { id: string }) => s.id)).toEqual([alice]);

    const own = await v.app.inject({ url: `/sessions/${alice}`, headers: { host: HOST, cookie } });
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('alice text');
    for (const url of [`/sessions/${bob}`, `/sessions/${bob}?file=b.jsonl`]) {
      const res = await v.app.inject({ url, headers: { host: HOST, cookie } });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('bob text');
    }
    for (const url of [
      `/ui/api/sessions/${bob}`,
      `/ui/api/sessions/${bob}/lines?file=b.jsonl`,
      `/ui/api/sessions/${bob}/line?file=b.jsonl&n=1`,
      `/ui/api/sessions/${bob}/raw?file=b.jsonl`,
      `/ui/api/sessions/${bob}/live?file=b.jsonl`,
    ]) {
      const res = await v.app.inject({ url, headers: { host: HOST, cookie } });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toEqual({ error: 'Session not found' });
    }
    // A file name not in the session is refused, whatever it looks like.
    for (const file of ['../b.jsonl', 'b.jsonl', '/etc/passwd']) {
      const res = await v.app.inject({ url: `/ui/api/sessions/${alice}/raw?file=${encodeURIComponent(file)}`, headers: { host: HOST, cookie } });
      expect(res.statusCode, file).toBe(404);
    }
    const bobCookie = await login(v.app, BOB_KEY);
    const bobList = await v.app.inject({ url: '/', headers: { host: HOST, cookie: bobCookie } });
    expect(bobList.body).toContain('Bob plans the launch');
    expect(bobList.body).not.toContain('Alice refactors the parser');
  });

  it('logout revokes the token server-side and clears the cookie', async () => {
    await twoUsers();
    const cookie = await login(v.app, ALICE_KEY);
    const res = await v.app.inject({ method: 'POST', url: '/logout', ...form('', { cookie, origin: ORIGIN }) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    const cleared = setCookieOf(res);
    expect(cleared).toMatch(/^confab_viewer=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
    // A replayed copy of the old cookie no longer works.
    expect((await v.app.inject({ url: '/', headers: { host: HOST, cookie } })).statusCode).toBe(303);
    expect((await v.app.inject({ url: '/ui/api/sessions', headers: { host: HOST, cookie } })).statusCode).toBe(401);
  });

  it('logins expire', async () => {
    let now = 1_000_000;
    await twoUsers({ now: () => now, loginTtlMs: 60_000 });
    const cookie = await login(v.app, ALICE_KEY);
    now += 59_000;
    expect((await v.app.inject({ url: '/', headers: { host: HOST, cookie } })).statusCode).toBe(200);
    now += 1_000;
    expect((await v.app.inject({ url: '/', headers: { host: HOST, cookie } })).statusCode).toBe(303);
  });

  it('a forged or garbage cookie is no login', async () => {
    await twoUsers();
    for (const cookie of ['confab_viewer=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', `confab_viewer=${ALICE_KEY}`, 'confab_viewer=', `confab_viewer=${'x'.repeat(5000)}`]) {
      expect((await v.app.inject({ url: '/ui/api/sessions', headers: { host: HOST, cookie } })).statusCode, cookie.slice(0, 40)).toBe(401);
    }
  });

  it('secureCookies marks the cookie Secure under a __Host- name', async () => {
    await twoUsers({ secureCookies: true });
    const res = await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}`, { origin: ORIGIN }) });
    const cookie = setCookieOf(res);
    expect(cookie).toMatch(/^__Host-confab_viewer=/);
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Domain');
    const token = cookie.split(';')[0] ?? '';
    expect((await v.app.inject({ url: '/', headers: { host: HOST, cookie: token } })).statusCode).toBe(200);
  });

  it('slows down key guessing: after 10 failures in a minute even a good key waits', async () => {
    let now = 5_000_000;
    await twoUsers({ now: () => now });
    for (let i = 0; i < 10; i++) {
      expect((await v.app.inject({ method: 'POST', url: '/login', ...form(`key=cfb_guess_${i}`, { origin: ORIGIN }) })).statusCode).toBe(401);
    }
    const blocked = await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}`, { origin: ORIGIN }) });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['set-cookie']).toBeUndefined();
    now += 61_000;
    expect((await v.app.inject({ method: 'POST', url: '/login', ...form(`key=${ALICE_KEY}`, { origin: ORIGIN }) })).statusCode).toBe(303);
  });

  it('serves its stylesheet and script to anyone, from this process, cacheable by version', async () => {
    await twoUsers();
    const page = await v.app.inject({ url: '/login', headers: { host: HOST } });
    const css = /href="(\/ui\/static\/viewer\.css\?v=[0-9a-f]+)"/.exec(page.body)?.[1];
    const js = /src="(\/ui\/static\/viewer\.js\?v=[0-9a-f]+)"/.exec(page.body)?.[1];
    expect(css && js).toBeTruthy();
    const cssRes = await v.app.inject({ url: css as string });
    expect(cssRes.statusCode).toBe(200);
    expect(cssRes.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(cssRes.headers['cache-control']).toContain('immutable');
    expect(cssRes.body).toContain('prefers-color-scheme: dark');
    const jsRes = await v.app.inject({ url: js as string });
    expect(jsRes.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(jsRes.body).toContain('EventSource');
    // No external origin is referenced by the page or its assets.
    for (const body of [page.body, cssRes.body, jsRes.body]) expect(body).not.toMatch(/(src|href)=["']?https?:|url\(\s*["']?https?:|@import/);
  });

  it('lives beside an API that replaced the content-type parsers and the 404 handler', async () => {
    const app = Fastify({ logger: false });
    // What confab-web's API server does to its app: JSON-only parsing for everything,
    // its own 404 text, its own auth on /api/.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch {
        done(Object.assign(new Error('Invalid request body'), { statusCode: 400 }), undefined);
      }
    });
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/api/') && request.headers.authorization !== 'Bearer ok') return reply.code(401).send('Invalid API key\n');
    });
    app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain').send('404 page not found\n'));
    app.get('/api/v1/ping', async () => ({ ok: true }));
    const store = new MemoryStore();
    await store.seed('alice', { summary: 'coexisting', files: { 'a.jsonl': { lines: [userLine('hi')] } } });
    await registerViewer(app, { store, verifyKey: (key) => (KEYS[key] ? { owner: KEYS[key] } : undefined) });
    await app.ready();
    v = { app, store };
    const cookie = await login(app, ALICE_KEY);
    expect((await app.inject({ url: '/', headers: { host: HOST, cookie } })).body).toContain('coexisting');
    // The API keeps its own auth and answers; the viewer's cookie means nothing there.
    expect((await app.inject({ url: '/api/v1/ping', headers: { cookie } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/ping', headers: { authorization: 'Bearer ok' } })).json()).toEqual({ ok: true });
    expect((await app.inject({ url: '/api/v1/ping', headers: { authorization: 'Bearer ok' } })).headers['content-security-policy']).toBeUndefined();
    expect((await app.inject({ url: '/nope' })).body).toBe('404 page not found\n');
  });
});
