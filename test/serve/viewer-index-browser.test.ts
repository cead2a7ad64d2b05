import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalBackend } from '../../src/backend/local.js';
import { KeyRing } from '../../src/serve/keys.js';
import { startServer, type RunningServer } from '../../src/serve/serve.js';
import { freePort, REPO_ROOT } from '../helpers/sandbox.js';
import { CHROMIUM, haveChromium, launchChromium } from './chromium.js';

const ARTIFACTS = join(REPO_ROOT, 'test/artifacts/viewer');
const CC = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
if (!haveChromium) console.warn(`viewer index browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const userLine = (text: string, i: number) =>
  JSON.stringify({ type: 'user', uuid: `u${i}`, timestamp: new Date(Date.parse('2026-11-20T10:00:00Z') + i * 1000).toISOString(), message: { role: 'user', content: text } });

describe.skipIf(!haveChromium)('the viewer searches the index', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let closeBrowser: (() => Promise<void>) | undefined;
  let key: string;
  let fixtureId: string;
  let longId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'confab-viewer-index-'));
    const store = join(dir, 'store');
    key = (await (await KeyRing.open(store)).create('browser')).key;
    const backend = await openLocalBackend(store);
    const fixture = await backend.init({ provider: 'claude-code', external_id: '958a0291-14d6-41d4-abad-e3757ff1ad70', transcript_path: '/gone.jsonl' });
    fixtureId = fixture.session_id;
    const put = async (id: string, name: string, type: 'transcript' | 'agent', lines: string[]) => {
      for (let i = 0; i < lines.length; i += 500) await backend.chunk({ session_id: id, file_name: name, file_type: type, first_line: i + 1, lines: lines.slice(i, i + 500) });
    };
    const read = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l !== '');
    await put(fixtureId, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl', 'transcript', read(join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl')));
    await put(fixtureId, 'subagents/agent-aa8934ac9a2623aee.jsonl', 'agent', read(join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70/subagents/agent-aa8934ac9a2623aee.jsonl')));
    // A long session whose one mention of the word is far past the first window of lines.
    const long = await backend.init({ provider: 'claude-code', external_id: 'long-session', transcript_path: '/long.jsonl' });
    longId = long.session_id;
    await put(longId, 'long.jsonl', 'transcript', Array.from({ length: 2600 }, (_, i) => userLine(i === 2399 ? 'the zanzibar deployment is ready' : `routine message number ${i}`, i)));
    await backend.close();

    server = await startServer({ store, host: '127.0.0.1', port: await freePort() });
    await server.searchReady;
    ({ browser, close: closeBrowser } = await launchChromium());
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    await page.goto(`${server.url}/login`);
    await page.type('input[name=key]', key);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }, 120_000);

  afterAll(async () => {
    await closeBrowser?.();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rowsShown = () => page.$$eval('#sessions tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-session')));

  it('finds as you type, ranked, and opens a hit deep in a long session at its line', async () => {
    await page.type('input[name=q]', 'zanzibar');
    await page.waitForFunction(`document.querySelector('#sessions tr[data-session="${longId}"] .snippet') !== null`, { timeout: 20_000 });
    expect(await rowsShown()).toEqual([longId]);
    expect(new URL(page.url()).searchParams.get('q')).toBe('zanzibar');
    expect(await page.$eval('.snippet mark.hit', (m) => m.textContent)).toBe('zanzibar');
    await page.screenshot({ path: join(ARTIFACTS, '20-index-search.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-session="${longId}"] .title-cell a`)]);
    const url = new URL(page.url());
    expect(url.hash).toBe('#L2400');
    const line = await page.$eval('#L2400', (el) => el.textContent ?? '');
    expect(line).toContain('zanzibar deployment');
    expect(await page.evaluate(`document.querySelector(':target')?.id`)).toBe('L2400');
  });

  it('opens a sub-agent tool result at its line, even where the viewer folds it under its call', async () => {
    await page.goto(`${server.url}/`);
    await page.type('input[name=q]', 'from-subagent');
    await page.waitForFunction(`document.querySelector('#sessions tr[data-session="${fixtureId}"] .snippet') !== null`, { timeout: 20_000 });
    expect(await rowsShown()).toEqual([fixtureId]);
    expect(await page.$eval('.snippet .badge', (b) => b.textContent)).toBe('subagents/agent-aa8934ac9a2623aee.jsonl:17');
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-session="${fixtureId}"] .title-cell a`)]);
    expect(new URL(page.url()).hash).toBe('#L17');
    const target = (await page.evaluate(
      `(() => { const t = document.getElementById('L17'); return t ? { inCall: t.closest('.tool') !== null, text: t.closest('.tool')?.textContent ?? '' } : undefined; })()`,
    )) as { inCall: boolean; text: string } | undefined;
    expect(target?.inCall).toBe(true);
    expect(target?.text).toContain('from-subagent');
  });

  it('the usage page renders its charts from the index, with the chart library served locally', async () => {
    const requests: string[] = [];
    const onRequest = (req: { url(): string }) => requests.push(req.url());
    page.on('request', onRequest);
    await page.goto(`${server.url}/usage`);
    page.off('request', onRequest);
    await page.waitForFunction(`window.Chart && window.Chart.getChart(document.getElementById('usage-daily')) && window.Chart.getChart(document.getElementById('usage-models'))`, { timeout: 20_000 });
    const charts = (await page.evaluate(`(() => {
      const daily = window.Chart.getChart(document.getElementById('usage-daily'));
      const models = window.Chart.getChart(document.getElementById('usage-models'));
      const canvas = document.getElementById('usage-daily');
      return { labels: daily.data.labels, input: daily.data.datasets[0].data, output: daily.data.datasets[1].data, models: models.data.labels, drawn: canvas.width > 0 && canvas.height > 0 };
    })()`)) as { labels: string[]; input: number[]; output: number[]; models: string[]; drawn: boolean };
    // The recorded session: 7 responses of 25 input tokens, 220 output tokens in all (hand-counted).
    expect(charts).toEqual({ labels: ['2026-11-25'], input: [175], output: [220], models: ['claude-opus-5-5'], drawn: true });
    expect(requests.every((u) => u.startsWith(server.url))).toBe(true);
    expect(requests.some((u) => u.includes('/chart.umd.min.js'))).toBe(true);
    expect(await page.$eval('table.usage tr.total td:last-child', (td) => td.textContent)).toBe('no price');
    await page.screenshot({ path: join(ARTIFACTS, '21-usage.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('a bad query is a clear message, not a failure', async () => {
    const res = await page.goto(`${server.url}/?q=${encodeURIComponent('"unterminated')}`);
    expect(res?.status()).toBe(400);
    expect(await page.$eval('.wrap', (w) => w.textContent)).toContain('Bad search: unterminated phrase');
    expect(pageErrors).toEqual([]);
  });
});
