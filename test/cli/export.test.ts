import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SAMPLE_AGENT_ID, SAMPLE_AGENT_LINES, SAMPLE_MAIN_LINES } from '../../src/demo/sample-session.js';
import { FileStore } from '../../src/store/file-store.js';
import { fence } from '../../src/serve/viewer/transcript-markdown.js';
import { useSandbox } from '../helpers/sandbox.js';
import { haveChromium, launchChromium } from '../serve/chromium.js';

const sandbox = useSandbox();

/** The texts a reader sees as turns, in order: each user prompt and each assistant text block. */
function turnTexts(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of lines) {
    const v = JSON.parse(raw) as { type?: string; isMeta?: boolean; message?: { content?: unknown } };
    const content = v.message?.content;
    if (v.type === 'user' && v.isMeta !== true) {
      if (typeof content === 'string' && !content.trimStart().startsWith('<')) out.push(content);
      else if (Array.isArray(content)) for (const b of content as { type?: string; text?: string }[]) if (b.type === 'text' && b.text && !b.text.trimStart().startsWith('<')) out.push(b.text);
    }
    if (v.type === 'assistant' && Array.isArray(content)) for (const b of content as { type?: string; text?: string }[]) if (b.type === 'text' && b.text) out.push(b.text);
  }
  return out;
}

function expectInOrder(doc: string, texts: readonly string[]): void {
  let at = 0;
  for (const t of texts) {
    const found = doc.indexOf(t, at);
    expect(found, `"${t}" after offset ${at}`).toBeGreaterThanOrEqual(0);
    at = found + t.length;
  }
}

describe('confab export', () => {
  it('exports the demo session as Markdown (every turn, in order, sub-agent inline), HTML that loads nothing, and the stored JSONL byte for byte', async () => {
    const sbx = sandbox();
    const demo = await sbx.run(['demo', '--json'], { timeoutMs: 60_000 });
    expect(demo.code).toBe(0);
    const { externalId, backendSessionId, storeDir } = JSON.parse(demo.stdout) as { externalId: string; backendSessionId: string; storeDir: string };

    const md = await sbx.run(['export', externalId]);
    expect(md.stderr).toBe('');
    expect(md.code).toBe(0);
    const main = turnTexts(SAMPLE_MAIN_LINES);
    expect(main.length).toBeGreaterThanOrEqual(6);
    expect(main).toContain('Run echo hello, then delegate one task to a sub-agent.');
    // The sub-agent's turns sit under the call that started it, before the main transcript goes on.
    const agentTurns = turnTexts(SAMPLE_AGENT_LINES);
    expect(agentTurns.length).toBeGreaterThan(0);
    expectInOrder(md.stdout, main);
    const agentAt = md.stdout.indexOf(agentTurns[agentTurns.length - 1]!);
    expect(agentAt).toBeGreaterThan(md.stdout.indexOf(main[0]!));
    expect(agentAt).toBeLessThan(md.stdout.indexOf(main[main.length - 1]!));
    expect(md.stdout).toContain(`Sub-agent agent-${SAMPLE_AGENT_ID}.jsonl`);
    // The shell command the assistant ran, as code, folded with its result.
    expect(md.stdout).toMatch(/<details>\n<summary><code>Bash<\/code> echo hello/);
    expect(md.stdout).toContain('```sh\necho hello\n```');
    // Bookkeeping lines are not turns.
    expect(md.stdout).not.toContain('queue-operation');
    expect(md.stdout).not.toContain('deferred_tools_delta');

    // jsonl: the stored bytes, exactly.
    const store = await FileStore.open(storeDir);
    let stored: Buffer;
    try {
      stored = await store.readFile(backendSessionId, `${externalId}.jsonl`);
    } finally {
      await store.close();
    }
    const out = join(sbx.dir('out'), 'transcript.jsonl');
    const jsonl = await sbx.run(['export', externalId.slice(0, 8), '--format', 'jsonl', '--output', out]);
    expect(jsonl.code).toBe(0);
    expect(readFileSync(out).equals(stored)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const piped = await sbx.run(['export', externalId, '-f', 'jsonl']);
    expect(piped.stdout).toBe(stored.toString('utf8'));

    // html: a page that stands alone.
    const htmlPath = join(sbx.dir('out'), 'session.html');
    const html = await sbx.run(['export', externalId, '--format', 'html', '-o', htmlPath]);
    expect(html.code).toBe(0);
    expect(statSync(htmlPath).mode & 0o777).toBe(0o600);
    const page = readFileSync(htmlPath, 'utf8');
    expect(page).not.toMatch(/<link rel="stylesheet"|<script\s+src|@import/);
    expect(page).toContain('id="file-1"');
    // One page, several files: every anchor is still unique (line 1 of the sub-agent is not line 1 of the transcript).
    const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toContain('L4');
    expect(ids).toContain('file-1-L1');
    expect(ids.length).toBe(new Set(ids).size);
    if (haveChromium) await expectOfflinePage(htmlPath, main);
  }, 120_000);

  it('exports what the store holds after redaction: no secret in any format', async () => {
    const sbx = sandbox();
    const id = '7f3c1a52-9b1e-4d6f-8a2c-3e5b7d9f1a24';
    const dir = join(sbx.claudeDir, 'projects', '-tmp-proj');
    mkdirSync(dir, { recursive: true });
    const token = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
    const aws = 'AKIAIOSFODNN7EXAMPLE';
    const base = { sessionId: id, cwd: '/tmp/proj', timestamp: '2026-11-25T22:12:08.763Z' };
    const lines = [
      { ...base, type: 'user', uuid: 'u1', message: { role: 'user', content: `Deploy with ${token} please` } },
      { ...base, type: 'assistant', uuid: 'a1', message: { id: 'm1', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: `Using key ${aws} now.` }, { type: 'tool_use', id: 't1', name: 'Bash', input: { command: `GH_TOKEN=${token} gh release list` } }] } },
      { ...base, type: 'user', uuid: 'u2', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: `token ${token} accepted` }] } },
      { ...base, type: 'assistant', uuid: 'a2', message: { id: 'm2', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'Done.' }] } },
    ];
    writeFileSync(join(dir, `${id}.jsonl`), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const save = await sbx.run(['save', id, '--json'], { timeoutMs: 60_000 });
    expect(save.code).toBe(0);

    for (const format of ['md', 'html', 'jsonl']) {
      const res = await sbx.run(['export', id, '--format', format]);
      expect(res.code).toBe(0);
      expect(res.stdout).not.toContain(token);
      expect(res.stdout).not.toContain(aws);
      expect(res.stdout).toContain('[REDACTED:');
      expect(res.stdout).toContain(format === 'jsonl' ? 'gh release list' : 'Done.');
    }
  }, 90_000);

  it('refuses an unknown session or format with one line and a non-zero exit', async () => {
    const sbx = sandbox();
    const res = await sbx.run(['export', 'no-such-session']);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('no session "no-such-session"');
    const bad = await sbx.run(['export', 'x', '--format', 'pdf']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('Markdown code fences', () => {
  it('are longer than any run of backticks in their content', () => {
    expect(fence('a ``` b', 'sh')).toBe('````sh\na ``` b\n````');
    expect(fence('plain')).toBe('```\nplain\n```');
    expect(fence('`````')).toBe('``````\n`````\n``````');
  });
});

/** Opens the exported file in headless Chromium: it renders the conversation and requests nothing but itself and data: URLs. */
async function expectOfflinePage(path: string, turns: readonly string[]): Promise<void> {
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    const url = pathToFileURL(path).href;
    await page.goto(url, { waitUntil: 'load' });
    expect(requests.filter((r) => r !== url && !r.startsWith('data:'))).toEqual([]);
    expect(errors).toEqual([]);
    const shown = await page.$eval('#transcript', (el) => el.textContent ?? '');
    for (const t of turns) expect(shown.replace(/\s+/g, ' ')).toContain(t.replace(/\s+/g, ' ').replace(/\*\*/g, ''));
    // The inlined stylesheet applies (bookkeeping rows hidden) and the inlined script runs (show all lines).
    const hiddenRows = `[...document.querySelectorAll('#transcript > .line.meta:not(.bad)')].filter((e) => getComputedStyle(e).display === 'none').length`;
    const hidden = (await page.evaluate(hiddenRows)) as number;
    expect(hidden).toBeGreaterThan(0);
    await page.click('#show-all');
    const stillHidden = (await page.evaluate(hiddenRows)) as number;
    expect(stillHidden).toBe(0);
    // The sub-agent link jumps within the page.
    const agentHref = await page.$eval('a.agent-link', (a) => a.getAttribute('href'));
    expect(agentHref).toBe('#file-1');
    expect(requests.filter((r) => r !== url && !r.startsWith('data:'))).toEqual([]);
  } finally {
    await close();
  }
}
