import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashShareToken, ShareLinks } from '../../src/serve/shares.js';
import { registerViewer } from '../../src/serve/viewer/index.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { freePort } from '../helpers/sandbox.js';
import { CHROMIUM, haveChromium, launchChromium } from './chromium.js';
import { ALICE_KEY, FIXTURE_AGENT, FIXTURE_SESSION, KEYS, seedFixtureSession, userLine } from './viewer-helpers.js';

if (!haveChromium) console.warn(`shared-link browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const HOUR = 3_600_000;

describe.skipIf(!haveChromium)('shared links in headless Chromium', () => {
  const store = new MemoryStore();
  const dir = mkdtempSync(join(tmpdir(), 'confab-shares-'));
  let clock = Date.now();
  const now = () => clock;
  let shares: ShareLinks;
  let app: FastifyInstance;
  let browser: Browser;
  let owner: Page;
  let visitorContext: BrowserContext;
  let visitor: Page;
  let base: string;
  let closeBrowser: (() => Promise<void>) | undefined;
  let fixtureId: string;
  let otherId: string;
  let bobId: string;
  let link: string;
  const visitorRequests: string[] = [];

  /** Create a link on the session page as its owner; returns the URL the page shows once. */
  async function createLink(expires: string): Promise<string> {
    await owner.goto(`${base}/sessions/${fixtureId}`);
    // The panel is folded until the session has links.
    if (!(await owner.$('#shares[open]'))) await owner.click('#shares > summary');
    await owner.select('#shares select[name=expires]', expires);
    await Promise.all([owner.waitForNavigation(), owner.click('#create-share')]);
    return owner.$eval('#share-url', (el) => el.getAttribute('value') ?? '');
  }

  /** What a logged-out browser gets at a path: status and where it ended up. */
  async function visit(path: string): Promise<{ status: number | undefined; path: string; text: string }> {
    const res = await visitor.goto(`${base}${path}`);
    return { status: res?.status(), path: new URL(visitor.url()).pathname, text: await visitor.$eval('body', (b) => b.textContent ?? '') };
  }

  beforeAll(async () => {
    fixtureId = await seedFixtureSession(store, 'alice');
    otherId = await store.seed('alice', {
      summary: 'Alice other session',
      files: { 'other.jsonl': { lines: [userLine('alice other private words')] }, 'agent-0ther0ther.jsonl': { lines: [userLine('other sub-agent private words')] } },
    });
    bobId = await store.seed('bob', { summary: 'Bob private session', files: { 'b.jsonl': { lines: [userLine('bob secret plans')] } } });
    shares = await ShareLinks.open(dir, now);

    app = Fastify({ logger: false });
    await registerViewer(app, { store, shares, now, verifyKey: (key) => (KEYS[key] ? { owner: KEYS[key] } : undefined) });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;

    ({ browser, close: closeBrowser } = await launchChromium());
    owner = await browser.newPage();
    await owner.goto(`${base}/login`);
    await owner.type('input[name=key]', ALICE_KEY);
    await Promise.all([owner.waitForNavigation(), owner.click('button[type=submit]')]);
    // The visitor: a separate profile context, never logged in.
    visitorContext = await browser.createBrowserContext();
    visitor = await visitorContext.newPage();
    visitor.on('request', (req) => visitorRequests.push(req.url()));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the owner creates a link on the session page; the store keeps only its hash', async () => {
    link = await createLink('');
    expect(link).toMatch(new RegExp(`^${base}/s/[A-Za-z0-9_-]{43}$`));
    const token = link.split('/s/')[1]!;
    const file = readFileSync(join(dir, 'shares.json'), 'utf8');
    expect(file).not.toContain(token);
    expect(file).toContain(hashShareToken(token));
    await owner.goto(`${base}/sessions/${fixtureId}`);
    expect(await owner.$$eval('#share-list tr[data-share]', (rows) => rows.length)).toBe(1);
    expect(await owner.$eval('#share-list', (el) => el.textContent ?? '')).toContain('never expires');
  });

  it('a logged-out visitor sees the conversation and its sub-agent, and nothing else', async () => {
    const page = await visit(new URL(link).pathname);
    expect(page.status).toBe(200);
    expect(page.path).toBe(new URL(link).pathname);
    expect(page.text).toContain('CONFAB-SCRIPT main: run echo hello');
    expect(await visitor.$$eval('.tool .tool-name', (els) => els.map((e) => e.textContent))).toEqual(['Bash', 'Agent']);
    // No way out of the share: no log-out form, no link to the list, other sessions or the API.
    const hrefs = await visitor.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    const local = hrefs.filter((h) => h.startsWith('/'));
    expect(local.length).toBeGreaterThan(0);
    for (const h of local) expect(h.startsWith(new URL(link).pathname)).toBe(true);
    expect(page.text).not.toContain('Log out');
    // No cwd, host or ids among the session's details on a shared page.
    const meta = await visitor.$eval('.meta-grid', (el) => el.textContent ?? '');
    expect(meta).toContain('claude-code');
    expect(meta).not.toContain('/home/alice');
    expect(meta).not.toContain(FIXTURE_SESSION);
    // The session's own sub-agent, through the link.
    await Promise.all([visitor.waitForNavigation(), visitor.click('a.agent-link')]);
    expect(new URL(visitor.url()).pathname).toBe(new URL(link).pathname);
    expect(new URL(visitor.url()).searchParams.get('file')).toBe(`agent-${FIXTURE_AGENT}.jsonl`);
    expect(await visitor.$eval('main', (m) => m.textContent ?? '')).toContain('from-subagent');
    // Everything the visitor's browser fetched was the shared page or the viewer's public assets.
    for (const r of visitorRequests) {
      const p = new URL(r).pathname;
      expect(p.startsWith('/s/') || p.startsWith('/ui/static/'), r).toBe(true);
    }
  });

  it('no other page, session, API route, raw line or file is reachable with it', async () => {
    const sharePath = new URL(link).pathname;
    for (const path of ['/', '/sessions', `/sessions/${fixtureId}`, `/sessions/${otherId}`, `/sessions/${bobId}`, '/usage', `/sessions/${fixtureId}?file=agent-${FIXTURE_AGENT}.jsonl`]) {
      const res = await visit(path);
      // The login page, or no such page at all.
      expect(res.path === '/login' || res.status === 404, `${path}: ${res.status} ${res.path}`).toBe(true);
      for (const words of ['CONFAB-SCRIPT', 'Alice other session', 'private words', 'Bob private', 'secret plans']) expect(res.text).not.toContain(words);
    }
    for (const path of [
      '/ui/api/sessions',
      `/ui/api/sessions/${fixtureId}`,
      `/ui/api/sessions/${fixtureId}/lines?file=${FIXTURE_SESSION}.jsonl`,
      `/ui/api/sessions/${fixtureId}/line?file=${FIXTURE_SESSION}.jsonl&n=1`,
      `/ui/api/sessions/${fixtureId}/raw?file=${FIXTURE_SESSION}.jsonl`,
      `/ui/api/sessions/${otherId}/raw?file=other.jsonl`,
    ]) {
      const res = await visit(path);
      expect(res.status, path).toBe(401);
    }
    // Files of other sessions, by name, through the link: not found.
    for (const path of [`${sharePath}?file=other.jsonl`, `${sharePath}?file=agent-0ther0ther.jsonl`, `${sharePath}?file=b.jsonl`, `${sharePath}/line?file=agent-0ther0ther.jsonl&n=1`, `${sharePath}/line?file=b.jsonl&n=1`]) {
      const res = await visit(path);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('private words');
      expect(res.text).not.toContain('secret plans');
    }
    // Its own raw lines are there (the page loads long ones from here).
    const own = await visit(`${sharePath}/line?file=${FIXTURE_SESSION}.jsonl&n=1`);
    expect(own.status).toBe(200);
    // A made-up or mangled token is not found.
    expect((await visit(`/s/${'A'.repeat(43)}`)).status).toBe(404);
    expect((await visit(`${sharePath}x`)).status).toBe(404);
  });

  it('the owner revokes the link in the viewer and it answers 404 at once', async () => {
    await owner.goto(`${base}/sessions/${fixtureId}`);
    await Promise.all([owner.waitForNavigation(), owner.click('#share-list .revoke-share')]);
    expect(new URL(owner.url()).pathname).toBe(`/sessions/${fixtureId}`);
    expect(await owner.$('#share-list')).toBeNull();
    const res = await visit(new URL(link).pathname);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('CONFAB-SCRIPT');
  });

  it('an expired link answers 404', async () => {
    const expiring = await createLink('1h');
    expect((await visit(new URL(expiring).pathname)).status).toBe(200);
    await owner.goto(`${base}/sessions/${fixtureId}`);
    expect(await owner.$eval('#share-list', (el) => el.textContent ?? '')).toContain('expires');
    clock += 2 * HOUR;
    const res = await visit(new URL(expiring).pathname);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('CONFAB-SCRIPT');
  });

  it('creating and revoking need the owner’s login and a same-origin form', async () => {
    const before = await shares.list();
    // Logged out: sent to the login page, nothing created.
    const anon = await fetch(`${base}/sessions/${fixtureId}/shares`, { method: 'POST', redirect: 'manual', headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: 'expires=' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toMatch(/^\/login/);
    // Logged in, but from another site: refused.
    const cookies = await owner.cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const cross = await fetch(`${base}/sessions/${fixtureId}/shares`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'expires=' });
    expect(cross.status).toBe(403);
    // Someone else's session: not found.
    const bobs = await fetch(`${base}/sessions/${bobId}/shares`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: 'expires=' });
    expect(bobs.status).toBe(404);
    expect(await shares.list()).toEqual(before);
  });
});
