import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/serve/viewer/markdown.js';
import { githubLinks } from '../../src/serve/viewer/session-summary.js';
import { countLines, splitLines } from '../../src/serve/viewer/transcript-lines.js';
import { MAX_INLINE_RAW, renderLines, toolBrief } from '../../src/serve/viewer/transcript-render.js';
import {
  ALICE_KEY,
  assistantLine,
  FIXTURE_AGENT,
  FIXTURE_DIR,
  FIXTURE_SESSION,
  fixtureLines,
  HOST,
  login,
  seedFixtureSession,
  userLine,
  viewerApp,
  type ViewerApp,
} from './viewer-helpers.js';

const MAIN = `${FIXTURE_SESSION}.jsonl`;
const AGENT_FILE = `agent-${FIXTURE_AGENT}.jsonl`;

const render = (lines: string[], files = [{ file_name: MAIN, last_synced_line: lines.length }, { file_name: AGENT_FILE, last_synced_line: 25 }]) =>
  renderLines(splitLines(Buffer.from(lines.map((l) => `${l}\n`).join('')), 1), { sessionId: 'sid-1', fileName: MAIN, files }).value;

const FRAGMENT_TAGS = new Set([
  'section', 'header', 'a', 'span', 'time', 'div', 'details', 'summary', 'pre', 'code', 'p', 'mark', 'strong', 'em',
  'ul', 'ol', 'li', 'blockquote', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'img',
]); // prettier-ignore
const PAGE_TAGS = new Set([...FRAGMENT_TAGS, 'html', 'head', 'meta', 'title', 'link', 'script', 'body', 'nav', 'form', 'input', 'button', 'label', 'main', 'h1', 'b']);
const ATTRS = new Set([
  'class', 'id', 'href', 'title', 'data-msg', 'data-tool-id', 'data-for', 'data-src', 'datetime', 'rel', 'target', 'alt', 'src',
  'lang', 'charset', 'name', 'content', 'method', 'action', 'type', 'value', 'placeholder', 'aria-label', 'autocomplete', 'required',
  'autofocus', 'defer', 'role', 'data-session', 'data-file', 'data-after', 'data-live', 'data-live-url',
]); // prettier-ignore

/**
 * Structural proof that untrusted text stayed text: every tag is one this package writes,
 * with only its own attributes, each value quoted with no quote inside; text between tags
 * has no `<` or `>`; links and images point only where the viewer's own do.
 */
function assertOnlyOwnMarkup(markup: string, tags: Set<string>): void {
  const body = markup.replace(/^<!doctype html>/i, '');
  for (const token of body.split(/(<[^>]*>)/)) {
    if (!token.startsWith('<')) {
      expect(token, 'text between tags').not.toMatch(/[<>]/);
      continue;
    }
    const m = /^<\/?([a-z][a-z0-9]*)((?:\s[a-z-]+(?:="[^"]*")?)*)\s*>$/.exec(token);
    expect(m, token).not.toBeNull();
    if (!m) continue;
    expect(tags.has(m[1] ?? ''), token).toBe(true);
    for (const a of (m[2] ?? '').matchAll(/\s([a-z-]+)(?:="([^"]*)")?/g)) {
      const [, name = '', value = ''] = a;
      expect(ATTRS.has(name), `${name} in ${token}`).toBe(true);
      if (name === 'href') expect(value, token).toMatch(/^(\/(?!\/)|#|https?:\/\/|data:,$)/);
      if (name === 'src') expect(value, token).toMatch(/^(data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*$|\/ui\/static\/viewer\.js\?v=[0-9a-f]+$)/);
    }
    if (m[1] === 'script') expect(token).toMatch(/^<script src="\/ui\/static\/viewer\.js\?v=[0-9a-f]+" defer>$|^<\/script>$/);
  }
}

const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&amp;</section></details></pre>';

describe('transcript rendering', () => {
  it('renders the real Claude Code session as a conversation', () => {
    const lines = fixtureLines(MAIN);
    const out = render(lines);
    assertOnlyOwnMarkup(out, FRAGMENT_TAGS);
    // Every line has its element except the ones folded into another:
    // 24 (second half of message msg_fake_0001), 28 and 37 (results shown under their calls).
    const ids = [...out.matchAll(/<section [^>]*id="L(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 65 }, (_, i) => i + 1).filter((n) => ![24, 28, 37].includes(n)));
    // One turn for the message written as two lines.
    expect(out.match(/data-msg="msg_fake_0001"/g)).toHaveLength(1);
    const turn23 = /<section class="turn assistant" id="L23"[\s\S]*?<\/section>/.exec(out)?.[0] ?? '';
    expect(turn23).toContain('I will run the command first.');
    expect(turn23).toContain('<span class="tool-name">Bash</span> <span class="tool-brief">echo hello</span><span class="status ok"');
    // The result's own line (28) keeps its anchor inside the call it was folded into, as does the streamed tool_use line (24).
    expect(turn23).toMatch(/<div class="result-slot"><span class="anchor" id="L28"><\/span><div class="tool-result"><div class="k">result<\/div><pre>hello<\/pre>/);
    expect(turn23).toContain('<span class="anchor" id="L24"></span><div class="tool"');
    expect(out).not.toContain('id="L24" data-msg');
    // The Agent call names its sub-agent file, linked, outside the collapsed details.
    expect(out).toContain(`<span class="tool-name">Agent</span> <span class="tool-brief">general-purpose: Run one command</span>`);
    expect(out).toContain(`</details><div class="agent">↳ sub-agent <a class="agent-link" href="/sessions/sid-1?file=${AGENT_FILE}">${AGENT_FILE}</a> <span class="dim">25 lines</span>`);
    // User turns, and the other line types as compact collapsed rows.
    expect(out).toMatch(/<section class="turn user" id="L4"><header>.*<span class="role">user<\/span>/);
    expect(out).toContain('CONFAB-SCRIPT main: run echo hello, then delegate one task to a sub-agent.');
    for (const kind of ['queue-operation · enqueue', 'attachment · hook_success · SessionStart:startup', 'system · stop_hook_summary', 'atis-latch', 'cost-state', 'mode', 'api-request-shape']) {
      expect(out).toContain(`<summary>${kind} `);
    }
    // Lines too big to inline load on demand.
    expect(out).toMatch(new RegExp(`<details class="raw lazy" data-src="/ui/api/sessions/sid-1/line\\?file=${MAIN.replace(/\./g, '\\.')}&amp;n=18">`));
  });

  it('renders the sub-agent transcript', () => {
    const out = render(fixtureLines(`${FIXTURE_SESSION}/subagents/${AGENT_FILE}`));
    assertOnlyOwnMarkup(out, FRAGMENT_TAGS);
    expect(out).toContain('Sub-agent report: the command printed from-subagent.');
    expect(out).toContain('<span class="tool-brief">echo from-subagent</span>');
  });

  it('renders the interactive session: a background sub-agent and its task notification', () => {
    const dir = join(FIXTURE_DIR, '../interactive/project-dir');
    const lines = readFileSync(join(dir, '5c4343f2-bddd-44b1-907f-39a63c8d00ad.jsonl'), 'utf8').split('\n').filter(Boolean);
    const out = renderLines(splitLines(Buffer.from(lines.map((l) => `${l}\n`).join('')), 1), {
      sessionId: 'sid-2',
      fileName: '5c4343f2-bddd-44b1-907f-39a63c8d00ad.jsonl',
      files: [{ file_name: 'agent-ad39bc2cdea4d6c46.jsonl', last_synced_line: 20 }],
    }).value;
    assertOnlyOwnMarkup(out, FRAGMENT_TAGS);
    expect(out).toContain('<a class="agent-link" href="/sessions/sid-2?file=agent-ad39bc2cdea4d6c46.jsonl">agent-ad39bc2cdea4d6c46.jsonl</a>');
    expect(out).toContain('<div class="tagged"><span class="tag">task-notification</span><pre>&lt;task-notification&gt;');
  });

  it('keeps hostile content as text in every place a line can carry it', () => {
    const lines = [
      userLine(HOSTILE),
      userLine([{ type: 'text', text: `# ${HOSTILE}\n- ${HOSTILE}\n> ${HOSTILE}\n\`\`\`${HOSTILE}\n${HOSTILE}\n\`\`\`\n| ${HOSTILE} |\n|---|\n| ${HOSTILE} |\n[x](javascript:alert(1)) [y](${HOSTILE}) https://ok.example/${HOSTILE}` }]),
      userLine([{ type: 'image', source: { type: 'base64', media_type: `image/png" onerror="alert(1)`, data: 'AAAA' } }, { type: 'image', source: { type: 'base64', media_type: 'image/svg+xml', data: 'PHN2Zz4=' } }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA"onerror=alert(1)' } }]),
      assistantLine(`msg"${HOSTILE}`, [
        { type: 'thinking', thinking: HOSTILE },
        { type: 'text', text: `**${HOSTILE}** *${HOSTILE}* \`${HOSTILE}\`` },
        { type: 'tool_use', id: `toolu"${HOSTILE}`, name: HOSTILE, input: { [HOSTILE]: HOSTILE, nested: { [HOSTILE]: [HOSTILE] } } },
        { type: HOSTILE, [HOSTILE]: HOSTILE },
      ]),
      JSON.stringify({ type: 'assistant', message: { id: HOSTILE, model: HOSTILE, content: [{ type: 'tool_use', id: 'toolu_x', name: 'Task', input: { subagent_type: HOSTILE, description: HOSTILE } }] }, timestamp: HOSTILE }),
      JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: [{ type: 'text', text: HOSTILE }, { type: HOSTILE }], is_error: true }] }, toolUseResult: { agentId: `a"${HOSTILE}` } }),
      JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: `orphan"${HOSTILE}`, content: HOSTILE }] }, toolUseResult: { agentId: 'abc123' } }),
      JSON.stringify({ type: HOSTILE, subtype: HOSTILE, content: HOSTILE, attachment: { type: HOSTILE, hookName: HOSTILE } }),
      JSON.stringify({ type: 'summary', summary: HOSTILE }),
      JSON.stringify({ type: 'system', subtype: 'local_command', content: HOSTILE, timestamp: '2026-01-01T00:00:00Z' }),
      JSON.stringify({ type: 'user', isMeta: true, message: { content: HOSTILE } }),
      JSON.stringify({ type: 'user', isCompactSummary: true, message: { content: HOSTILE } }),
      `${HOSTILE} not json`,
      JSON.stringify({ type: 'x', big: HOSTILE.repeat(Math.ceil(MAX_INLINE_RAW / HOSTILE.length) + 1) }),
    ];
    const out = render(lines);
    assertOnlyOwnMarkup(out, FRAGMENT_TAGS);
    expect(out).not.toMatch(/<script|<img src=x/i);
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // Only the one well-formed sub-agent id became a link.
    expect([...out.matchAll(/class="agent-link"/g)]).toHaveLength(1);
    expect(out).toContain('href="/sessions/sid-1?file=agent-abc123.jsonl"');
  });

  it('never throws on malformed lines, and gives every line a row', () => {
    const odd = [
      'not json',
      '',
      '[1,2,3]',
      '"a string"',
      'null',
      '{}',
      '{"type":123}',
      '{"type":"user"}',
      '{"type":"user","message":null}',
      '{"type":"user","message":{"content":42}}',
      '{"type":"assistant","message":{"content":[null,1,"x",{"type":"tool_use"},{"type":"tool_use","id":7},{"type":"text","text":5}]}}',
      '{"type":"user","message":{"content":[{"type":"tool_result"},{"type":"tool_result","tool_use_id":"t","content":{"weird":true}}]}}',
      '{"type":"summary","summary":{"not":"text"}}',
      '{"type":"assistant","message":{"content":"plain string answer"}}',
      `{"type":"user","message":{"content":"${'deep '.repeat(10)}"},"x":${'['.repeat(500)}${']'.repeat(500)}}`,
      '\uFEFF{"type":"user","message":{"content":"bom"}}',
      '{"type":"user","message":{"content":"truncated',
    ];
    const buf = Buffer.concat([Buffer.from(odd.map((l) => `${l}\n`).join('')), Buffer.from([0xff, 0xfe, 0x41, 0x0a])]);
    const lines = splitLines(buf, 1);
    expect(lines).toHaveLength(odd.length + 1);
    expect(countLines(buf)).toBe(odd.length + 1);
    const out = renderLines(lines, { sessionId: 's', fileName: 'f.jsonl', files: [] }).value;
    assertOnlyOwnMarkup(out, FRAGMENT_TAGS);
    const ids = [...out.matchAll(/<section [^>]*id="L(\d+)"/g)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: odd.length + 1 }, (_, i) => i + 1));
    expect(out).toContain('plain string answer');
    expect(out).toMatch(/id="L1">.*not a JSON object/);
  });

  it('highlights redaction markers wherever they are', () => {
    const out = render([
      userLine('token [REDACTED:GITHUB_TOKEN] here'),
      assistantLine('m1', [
        { type: 'text', text: '```\nexport KEY=[REDACTED:API_KEY]\n```\nand `[REDACTED:AWS_SECRET]` and https://x.example/?t=[REDACTED:TOKEN]' },
        { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'curl -H "Authorization: [REDACTED:BEARER]"' } },
      ]),
      userLine([{ type: 'tool_result', tool_use_id: 't1', content: 'password=[REDACTED:SENSITIVE_FIELD]' }]),
      JSON.stringify({ type: 'queue-operation', content: 'x [REDACTED:PRIVATE_KEY]' }),
    ]);
    assertOnlyOwnMarkup(out, FRAGMENT_TAGS);
    const marks = [...out.matchAll(/<mark class="redacted"[^>]*>([^<]*)<\/mark>/g)].map((m) => m[1]);
    for (const type of ['GITHUB_TOKEN', 'API_KEY', 'AWS_SECRET', 'TOKEN', 'BEARER', 'SENSITIVE_FIELD', 'PRIVATE_KEY']) expect(marks).toContain(`[REDACTED:${type}]`);
  });

  it('keeps a result whose call came in an earlier batch next to a marker the browser uses to move it', () => {
    const call = assistantLine('m1', [{ type: 'tool_use', id: 'toolu_late', name: 'Read', input: { file_path: '/a' } }]);
    const first = render([call]);
    expect(first).toContain('data-tool-id="toolu_late"');
    expect(first).toContain('<span class="status pending"');
    const later = renderLines(splitLines(Buffer.from(`${userLine([{ type: 'tool_result', tool_use_id: 'toolu_late', content: 'late result' }])}\n`), 2), { sessionId: 's', fileName: MAIN, files: [] }).value;
    expect(later).toContain('<div class="standalone-result" data-for="toolu_late">');
    expect(later).toContain('late result');
  });

  it('gives tool calls a one-line brief', () => {
    expect(toolBrief('Bash', { command: 'ls -la', description: 'List' })).toBe('ls -la');
    expect(toolBrief('Edit', { file_path: '/src/a.ts', old_string: 'a', new_string: 'b' })).toBe('/src/a.ts');
    expect(toolBrief('Grep', { pattern: 'TODO', path: 'src' })).toBe('TODO');
    expect(toolBrief('Task', { description: 'Explore', prompt: 'long', subagent_type: 'Explore' })).toBe('Explore: Explore');
    expect(toolBrief('TodoWrite', { todos: [{}, {}] })).toBe('2 todos');
    expect(toolBrief('mcp__x__y', { n: 1, q: 'first string' })).toBe('first string');
  });
});

describe('markdown subset', () => {
  it('renders blocks and inline markup, escaping everything else', () => {
    const out = renderMarkdown('## Plan\n\n- one `a<b>`\n- **two**\n  - nested\n1. first\n\n```ts\nconst x = "<tag>";\n```\n\n> quoted <i>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSee [docs](https://example.com/a?b=1&c=2) or https://example.org/x. Not [this](javascript:alert(1)).\n2 * 3 * 4 and __init__ stay as typed.').value;
    expect(out).toContain('<h4>Plan</h4>');
    expect(out).toContain('<ul><li>one <code>a&lt;b&gt;</code></li><li><strong>two</strong></li><li class="d1">nested</li></ul><ol><li>first</li></ol>');
    expect(out).toContain('<pre class="code"><span class="lang">ts</span><code>const x = &quot;&lt;tag&gt;&quot;;</code></pre>');
    expect(out).toContain('<blockquote>quoted &lt;i&gt;</blockquote>');
    expect(out).toContain('<table class="md"><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>');
    expect(out).toContain('<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">docs</a>');
    expect(out).toContain('<a href="https://example.org/x" rel="noopener noreferrer nofollow" target="_blank">https://example.org/x</a>.');
    expect(out).toContain('Not [this](javascript:alert(1)).');
    expect(out).toContain('2 * 3 * 4 and __init__ stay as typed.');
    assertOnlyOwnMarkup(out, FRAGMENT_TAGS);
  });

  it('survives unterminated fences and odd input', () => {
    for (const src of ['```\nnever closed <b>', '|a|\n|-|', '-', '#', '>', '***', '`', '[', '](', '\r\n\r\n', 'x'.repeat(100_000)]) {
      assertOnlyOwnMarkup(renderMarkdown(src).value, FRAGMENT_TAGS);
    }
  });
});

describe('pages with hostile metadata', () => {
  let v: ViewerApp;
  afterEach(async () => {
    await v?.app.close();
  });

  it('escapes titles, projects, file names and the search query in every page', async () => {
    v = await viewerApp();
    const id = await v.store.seed('alice', {
      externalId: HOSTILE,
      cwd: `/home/${HOSTILE}/proj"x`,
      summary: HOSTILE,
      files: {
        [`${HOSTILE}.jsonl`]: { lines: [userLine(HOSTILE), '{"type":"x-unknown","v":"</script><script>alert(1)</script>"}'] },
        [`agent-${HOSTILE}.jsonl`]: { type: 'agent', lines: [userLine(HOSTILE)] },
      },
    });
    const cookie = await login(v.app, ALICE_KEY);
    const pages = [
      '/',
      `/?q=${encodeURIComponent(HOSTILE)}`,
      `/?q=${encodeURIComponent('alert')}`,
      `/sessions/${id}`,
      `/sessions/${id}?file=${encodeURIComponent(`agent-${HOSTILE}.jsonl`)}`,
      `/sessions/${id}?file=${encodeURIComponent(`nope${HOSTILE}`)}`,
      `/sessions/${encodeURIComponent(HOSTILE)}`,
    ];
    for (const url of pages) {
      const res = await v.app.inject({ url, headers: { host: HOST, cookie } });
      expect([200, 404], url).toContain(res.statusCode);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      assertOnlyOwnMarkup(res.body, PAGE_TAGS);
      expect(res.body.match(/<script/g), url).toHaveLength(1);
    }
    const search = await v.app.inject({ url: `/?q=${encodeURIComponent('alert')}`, headers: { host: HOST, cookie } });
    expect(search.body).toContain(`data-session="${id}"`);
    // Raw views are text/plain with nosniff: a browser never renders them as HTML.
    for (const url of [`/ui/api/sessions/${id}/raw?file=${encodeURIComponent(`${HOSTILE}.jsonl`)}`, `/ui/api/sessions/${id}/line?file=${encodeURIComponent(`${HOSTILE}.jsonl`)}&n=2`]) {
      const res = await v.app.inject({ url, headers: { host: HOST, cookie } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body).toContain('</script><script>alert(1)</script>');
    }
    const raw = await v.app.inject({ url: `/ui/api/sessions/${id}/raw?file=${encodeURIComponent(`${HOSTILE}.jsonl`)}`, headers: { host: HOST, cookie } });
    expect(raw.headers['content-disposition']).toMatch(/^attachment; filename="[A-Za-z0-9._-]+"$/);
  });

  it('pages a long transcript and shows the live view only on its last page', async () => {
    v = await viewerApp({ pageLines: 10 });
    const lines = Array.from({ length: 25 }, (_, i) => userLine(`message number ${i + 1}`));
    const id = await v.store.seed('alice', { files: { 't.jsonl': { lines } } });
    const cookie = await login(v.app, ALICE_KEY);
    const first = await v.app.inject({ url: `/sessions/${id}`, headers: { host: HOST, cookie } });
    expect(first.body).toContain('message number 10<');
    expect(first.body).not.toContain('message number 11<');
    expect(first.body).toContain('lines 1–10 of 25');
    expect(first.body).toContain('data-live="0"');
    expect(first.body).toContain(`href="/sessions/${id}?file=t.jsonl&amp;from=11"`);
    const last = await v.app.inject({ url: `/sessions/${id}?file=t.jsonl&from=21`, headers: { host: HOST, cookie } });
    expect(last.body).toContain('message number 25<');
    expect(last.body).not.toContain('message number 20<');
    expect(last.body).toContain('data-live="1"');
    expect(last.body).toContain(`data-live-url="/ui/api/sessions/${id}/live?file=t.jsonl&amp;after=25"`);
    // The JSON route gives rendered lines after a given line.
    const more = await v.app.inject({ url: `/ui/api/sessions/${id}/lines?file=t.jsonl&after=23`, headers: { host: HOST, cookie } });
    expect(more.json()).toMatchObject({ from: 24, last: 25 });
    expect(more.json().html).toContain('message number 24');
    expect(more.json().html).not.toContain('message number 23<');
  });

  it('shows the pull requests and commits recorded for a session, GitHub URLs only', async () => {
    v = await viewerApp();
    const id = await v.store.seed('alice', { files: { 't.jsonl': { lines: [userLine('x')] } } });
    await v.store.recordGithubLink('alice', id, { url: 'https://github.com/acme/app/pull/12', source: 'cli_hook', title: '<b>Fix</b> "parser"' });
    await v.store.recordGithubLink('alice', id, { url: 'https://github.com/acme/app/commit/0123456789abcdef', source: 'manual' });
    const cookie = await login(v.app, ALICE_KEY);
    const res = await v.app.inject({ url: `/sessions/${id}`, headers: { host: HOST, cookie } });
    assertOnlyOwnMarkup(res.body, PAGE_TAGS);
    expect(res.body).toContain('<span>PR <a href="https://github.com/acme/app/pull/12" rel="noopener noreferrer nofollow" target="_blank" title="&lt;b&gt;Fix&lt;/b&gt; &quot;parser&quot;">acme/app#12</a></span>');
    expect(res.body).toContain('>acme/app@0123456</a>');
    const session = await v.store.getSession(id, 'alice');
    const forged = { ...session, github_links: [{ url: 'javascript:alert(1)', owner: 'a', repo: 'b', ref: '1', link_type: 'pull_request' }, { url: 'https://evil.example/x', owner: 'a', repo: 'b', ref: '1' }, null, 'x'] };
    expect(githubLinks(forged as never)).toEqual([]);
  });

  it('lists sessions with provider, project, title, times, lines and size', async () => {
    v = await viewerApp();
    await seedFixtureSession(v.store, 'alice');
    const noTitle = await v.store.seed('alice', { provider: 'codex', files: {} });
    const cookie = await login(v.app, ALICE_KEY);
    const res = await v.app.inject({ url: '/ui/api/sessions', headers: { host: HOST, cookie } });
    const rows = res.json().sessions as Record<string, unknown>[];
    const fixture = rows.find((r) => r.title !== '(untitled session)');
    expect(fixture).toMatchObject({
      provider: 'claude-code',
      project: 'fixture-app',
      title: 'CONFAB-SCRIPT main: run echo hello, then delegate one task to a sub-agent.',
      last_activity: '2026-11-25T22:12:15.756Z',
      lines: 65 + 25,
      files: 2,
    });
    const onDisk = statSync(join(FIXTURE_DIR, MAIN)).size + statSync(join(FIXTURE_DIR, FIXTURE_SESSION, 'subagents', AGENT_FILE)).size;
    expect(fixture?.bytes).toBe(onDisk);
    expect(rows.find((r) => r.id === noTitle)).toMatchObject({ provider: 'codex', project: '-home-u-app', title: '(untitled session)', lines: 0, bytes: 0 });
    const page = await v.app.inject({ url: '/', headers: { host: HOST, cookie } });
    expect(page.body).toContain('<td>fixture-app</td><td><span class="badge">claude-code</span></td>');
    expect(page.body).toContain('<time datetime="2026-11-25T22:12:15.756Z">2026-11-25 22:12:15</time>');
    expect(page.body).toContain(`<td class="num">90</td><td class="num" title="2 files">${Math.round(onDisk / 1024)} KB</td>`);
  });
});
