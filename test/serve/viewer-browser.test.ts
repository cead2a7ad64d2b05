import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerViewer } from '../../src/serve/viewer/index.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { freePort, REPO_ROOT } from '../helpers/sandbox.js';
import { CHROMIUM, haveChromium, launchChromium } from './chromium.js';
import { ALICE_KEY, assistantLine, BOB_KEY, FIXTURE_AGENT, KEYS, seedFixtureSession, userLine } from './viewer-helpers.js';

const ARTIFACTS = join(REPO_ROOT, 'test/artifacts/viewer');
if (!haveChromium) console.warn(`viewer browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('viewer in headless Chromium', () => {
  const store = new MemoryStore();
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let closeBrowser: (() => Promise<void>) | undefined;
  let fixtureId: string;
  let hostileId: string;
  const pageErrors: string[] = [];
  const failedResponses: string[] = [];
  const foreignRequests: string[] = [];

  const shot = async (name: string) => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fixtureId = await seedFixtureSession(store, 'alice');
    // A redacted secret, as the daemon uploads it, in the session's main transcript.
    await store.append('alice', fixtureId, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl', [
      userLine('Deploy with token [REDACTED:GITHUB_TOKEN] to the staging host, please.'),
      assistantLine('msg_redacted_1', [{ type: 'text', text: 'I will not repeat **[REDACTED:GITHUB_TOKEN]**; deploying now.' }]),
    ]);
    hostileId = await store.seed('alice', {
      cwd: '/home/alice/src/<b>evil</b>',
      summary: '<script>window.__pwned = "title"</script> hostile session',
      files: {
        'hostile.jsonl': {
          lines: [
            userLine('<script>window.__pwned = "user"</script><img src=x onerror="window.__pwned = \'img\'">'),
            assistantLine('msg_h1', [
              { type: 'text', text: '[click me](javascript:window.__pwned="link") and <iframe src="https://example.invalid"></iframe>' },
              { type: 'tool_use', id: 'toolu_h1', name: '<svg onload=alert(1)>', input: { command: '</pre><script>window.__pwned="tool"</script>' } },
            ]),
            userLine([{ type: 'tool_result', tool_use_id: 'toolu_h1', content: '<script>window.__pwned="result"</script>' }]),
            '{"type":"x-unknown","payload":"<script>window.__pwned=\\"raw\\"</script>"}',
            'not json at all <script>window.__pwned="nonjson"</script>',
          ],
        },
      },
    });
    await store.seed('bob', { summary: 'Bob private session', files: { 'b.jsonl': { lines: [userLine('bob secret plans')] } } });

    app = Fastify({ logger: false });
    await registerViewer(app, { store, verifyKey: (key) => (KEYS[key] ? { owner: KEYS[key] } : undefined), livePollMs: 100 });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;

    ({ browser, close: closeBrowser } = await launchChromium());
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
    });
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.protocol !== 'data:' && url.host !== new URL(base).host) foreignRequests.push(req.url());
    });
    page.on('requestfailed', (req) => failedResponses.push(`failed ${req.url()}`));
    page.on('response', (res) => {
      if (res.status() >= 400) failedResponses.push(`${res.status()} ${new URL(res.url()).pathname}`);
    });
  });

  afterAll(async () => {
    await closeBrowser?.();
    await app?.close();
  });

  it('logs in with the API key and lists only the owner’s sessions', async () => {
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await shot('01-login');
    await page.type('input[name=key]', ALICE_KEY);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/');
    const titles = await page.$$eval('#sessions tbody tr .title-cell a', (as) => as.map((a) => a.textContent));
    expect(titles).toContain('CONFAB-SCRIPT main: run echo hello, then delegate one task to a sub-agent.');
    expect(titles).toContain('<script>window.__pwned = "title"</script> hostile session');
    expect(titles.join('\n')).not.toContain('Bob');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    const cookies = await browser.cookies();
    const session = cookies.find((c) => c.name === 'confab_viewer');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(session?.value).not.toContain(ALICE_KEY);
    await shot('02-sessions');
  });

  it('searches transcript content, not just titles', async () => {
    await page.click('input[name=q]', { count: 3 });
    await page.type('input[name=q]', 'from-subagent');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const rows = await page.$$eval('#sessions tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-session')));
    expect(rows).toEqual([fixtureId]);
    expect(await page.$eval('.snippet mark.hit', (m) => m.textContent)).toBe('from-subagent');
    await shot('03-search');
  });

  it('shows a session as a conversation: tool calls, sub-agent link, redaction markers', async () => {
    await page.goto(`${base}/`);
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-session="${fixtureId}"] .title-cell a`)]);
    const tools = await page.$$eval('.tool .tool-name', (els) => els.map((e) => e.textContent));
    expect(tools).toEqual(['Bash', 'Agent']);
    expect(await page.$eval('.tool .tool-brief', (e) => e.textContent)).toBe('echo hello');
    const agentHref = await page.$eval('a.agent-link', (a) => a.getAttribute('href'));
    expect(agentHref).toContain(`agent-${FIXTURE_AGENT}.jsonl`);
    const marks = await page.$$eval('mark.redacted', (ms) => ms.map((m) => m.textContent));
    expect(marks).toContain('[REDACTED:GITHUB_TOKEN]');
    // Visibly highlighted: the marker has its own background, unlike the text around it.
    const [markBg, textBg] = (await page.evaluate(
      `(() => { const m = document.querySelector('mark.redacted'); return [getComputedStyle(m).backgroundColor, getComputedStyle(m.parentElement).backgroundColor]; })()`,
    )) as [string, string];
    expect(markBg).not.toBe(textBg);
    // The Bash call opens to its input and its result.
    await page.click('.tool[data-tool-id="toolu_01ConfabMainBash0000000001"] summary');
    const result = await page.$eval('.tool[data-tool-id="toolu_01ConfabMainBash0000000001"] .result-slot pre', (p) => p.textContent);
    expect(result).toBe('hello');
    expect(await page.$eval('#live-status', (e) => e.textContent)).toBe('live');
    await shot('04-session');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await shot('04b-session-dark');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  });

  it('opens on the conversation; "show all lines" brings back the bookkeeping rows', async () => {
    await page.goto(`${base}/sessions/${fixtureId}`);
    await page.waitForSelector('#transcript');
    const visibleRows = () =>
      page.$$eval('#transcript > section', (ss) => ss.filter((s) => (s as unknown as { offsetParent: unknown }).offsetParent !== null).map((s) => s.className));
    // Claude Code writes queue operations, attachments, api-request records… before the first prompt.
    const all = await page.$$eval('#transcript > section', (ss) => ss.map((s) => s.className));
    expect(all[0]).toBe('line meta');
    const shown = await visibleRows();
    expect(shown[0]).toBe('turn user');
    expect(shown.filter((c) => c === 'line meta')).toEqual([]);
    expect(shown).toContain('turn assistant');
    expect(await page.$eval('.controls label', (l) => l.textContent?.trim())).toBe('show all lines');
    expect(await page.$eval('#show-all', (b) => (b as unknown as { checked: boolean }).checked)).toBe(false);
    // Tool calls and their results, and the sub-agent link, are part of the conversation.
    expect(await page.$eval('a.agent-link', (a) => (a as unknown as { offsetParent: unknown }).offsetParent !== null)).toBe(true);
    await page.click('#show-all');
    const everything = await visibleRows();
    expect(everything).toHaveLength(all.length);
    expect(everything[0]).toBe('line meta');
    await shot('04c-session-all-lines');
    // The choice is kept for the next page, then put back for the tests that follow.
    await page.reload();
    expect(await page.$eval('#show-all', (b) => (b as unknown as { checked: boolean }).checked)).toBe(true);
    expect(await visibleRows()).toHaveLength(all.length);
    await page.click('#show-all');
    expect((await visibleRows())[0]).toBe('turn user');
  });

  it('shows a bookkeeping line that a link points at, even in the conversation view', async () => {
    await page.goto(`${base}/`);
    await page.goto(`${base}/sessions/${fixtureId}#L1`);
    await page.waitForSelector('#transcript');
    expect(await page.$eval('#L1', (s) => (s as unknown as { offsetParent: unknown }).offsetParent !== null)).toBe(true);
    // Only for that visit: the conversation view stays the default.
    await page.goto(`${base}/`);
    await page.goto(`${base}/sessions/${fixtureId}`);
    await page.waitForSelector('#transcript');
    expect(await page.$eval('#L1', (s) => (s as unknown as { offsetParent: unknown }).offsetParent !== null)).toBe(false);
  });

  it('shows lines appended to the store without a reload', async () => {
    await page.evaluate('window.__sameDocument = true');
    const before = await page.$$eval('#transcript > section', (s) => s.length);
    await store.append('alice', fixtureId, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl', [
      assistantLine('msg_live_1', [
        { type: 'text', text: 'Live line appended while watching.' },
        { type: 'tool_use', id: 'toolu_live_1', name: 'Read', input: { file_path: '/srv/app/README.md' } },
      ]),
    ]);
    await page.waitForFunction(`document.querySelector('#transcript').textContent.includes('Live line appended while watching.')`, { timeout: 10_000 });
    // The result comes in a later sync; it lands under its call.
    await store.append('alice', fixtureId, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl', [
      userLine([{ type: 'tool_result', tool_use_id: 'toolu_live_1', content: 'README contents, streamed live' }]),
    ]);
    await page.waitForFunction(`document.querySelector('.tool[data-tool-id="toolu_live_1"] .result-slot')?.textContent.includes('README contents, streamed live')`, {
      timeout: 10_000,
    });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(await page.$$eval('#transcript > section', (s) => s.length)).toBe(before + 1);
    await page.click('.tool[data-tool-id="toolu_live_1"] summary');
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    await page.screenshot({ path: join(ARTIFACTS, '05-live.png') });
  });

  it('opens the sub-agent transcript from its link', async () => {
    await Promise.all([page.waitForNavigation(), page.click('a.agent-link')]);
    expect(decodeURIComponent(page.url())).toContain(`file=agent-${FIXTURE_AGENT}.jsonl`);
    expect(await page.$eval('#transcript', (e) => e.textContent)).toContain('Sub-agent report: the command printed from-subagent.');
    const files = await page.$$eval('#files a', (as) => as.map((a) => a.textContent));
    expect(files).toContain(`agent-${FIXTURE_AGENT}.jsonl`);
    await shot('06-subagent');
  });

  it('renders hostile transcript content as text, with nothing executed', async () => {
    await page.goto(`${base}/sessions/${hostileId}`);
    await page.waitForSelector('#transcript');
    await page.click('.tool summary');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.$$('#transcript script, #transcript iframe, #transcript img, #transcript svg')).toHaveLength(0);
    const text = await page.$eval('#transcript', (e) => e.textContent ?? '');
    expect(text).toContain('<script>window.__pwned = "user"</script>');
    expect(text).toContain('</pre><script>window.__pwned="tool"</script>');
    const hrefs = await page.$$eval('#transcript a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.some((h) => h.toLowerCase().includes('javascript'))).toBe(false);
    await shot('07-hostile');
  });

  it('logs out: the cookie is gone and pages need a login again', async () => {
    await Promise.all([page.waitForNavigation(), page.click('#logout')]);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect((await browser.cookies()).find((c) => c.name === 'confab_viewer')).toBeUndefined();
    await page.goto(`${base}/sessions/${fixtureId}`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('a second user sees only their own sessions', async () => {
    await page.type('input[name=key]', BOB_KEY);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    // Back where the login was asked for: alice's session, which bob cannot see.
    expect(new URL(page.url()).pathname).toBe(`/sessions/${fixtureId}`);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('404');
    await page.goto(`${base}/`);
    const titles = await page.$$eval('#sessions tbody tr .title-cell a', (as) => as.map((a) => a.textContent));
    expect(titles).toEqual(['Bob private session']);
    const res = await page.goto(`${base}/sessions/${fixtureId}`);
    expect(res?.status()).toBe(404);
  });

  it('ran without script errors or failed requests, offline', () => {
    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    // Only the deliberate 404s (bob asking for alice's session, twice); no other fetch failed.
    expect(failedResponses).toEqual([`404 /sessions/${fixtureId}`, `404 /sessions/${fixtureId}`]);
  });
});
