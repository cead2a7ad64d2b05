import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, useSandbox } from '../helpers/sandbox.js';
import { CHROMIUM, haveChromium, launchChromium } from './chromium.js';
import { startServe, type ServeProcess } from './serve-process.js';

const ARTIFACTS = join(REPO_ROOT, 'test/artifacts/viewer');
const sandbox = useSandbox();

/** The `confab …` commands `confab demo` suggests, as argument lists (their comments dropped). */
function suggested(stdout: string): string[][] {
  return stdout
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('confab '))
    .map((l) => l.split(/\s+/).slice(1));
}

if (!haveChromium) console.warn(`demo-to-viewer browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('from `confab demo` to the session in the viewer', () => {
  let server: ServeProcess | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await closeBrowser?.();
    server?.stop();
  });

  it.each([
    ['the default store', [] as string[]],
    ['a --store directory', ['--store', 'demo-store']],
  ])('follows the hints of `confab demo` (%s): the key it suggests logs in to a list holding the demo session, which opens on its conversation', async (_, storeArgs) => {
    const sbx = sandbox();
    const demo = await sbx.run(['demo', ...storeArgs.map((a) => (a === 'demo-store' ? join(sbx.root, a) : a))], { timeoutMs: 60_000 });
    expect(demo.code, demo.stderr).toBe(0);
    const hints = suggested(demo.stdout);
    const createKey = hints.find((args) => args.join(' ').startsWith('serve keys create '));
    const serve = hints.find((args) => args[0] === 'serve' && args[1] !== 'keys');
    expect(createKey).toBeDefined();
    expect(serve).toBeDefined();

    const created = await sbx.run(createKey!);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    server = await startServe(sbx, serve!.slice(1)); // the hint's flags (`serve` itself dropped), on a free port

    const { browser, close } = await launchChromium();
    closeBrowser = close;
    const page = await browser.newPage();
    await page.goto(server.url);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.type('input[name=key]', key);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(await page.$eval('h1', (h) => h.textContent?.replace(/\s+/g, ' ').trim())).toBe('Sessions 1');
    const title = await page.$eval('#sessions tbody tr .title-cell a', (a) => a.textContent);
    expect(title).toBe('Run echo hello, then delegate one task to a sub-agent.');

    await Promise.all([page.waitForNavigation(), page.click('#sessions tbody tr .title-cell a')]);
    await page.waitForSelector('#transcript');
    const first = await page.$$eval('#transcript > section', (ss) => {
      const shown = ss.find((s) => (s as unknown as { offsetParent: unknown }).offsetParent !== null);
      return shown && { cls: shown.className, text: shown.querySelector('.body')?.textContent?.trim() };
    });
    expect(first).toEqual({ cls: 'turn user', text: 'Run echo hello, then delegate one task to a sub-agent.' });
    expect(await page.$$eval('.tool .tool-name', (els) => els.map((e) => e.textContent))).toEqual(['Bash', 'Agent']);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `08-demo-session${storeArgs.length ? '-store' : ''}.png`), fullPage: true });
    await close();
    closeBrowser = undefined;
    server.stop();
    server = undefined;
  });
});
