import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { storedFile } from '../helpers/local-store.js';
import { CONFAB_BIN, useSandbox, type Sandbox } from '../helpers/sandbox.js';

// `confab mcp`, built, spawned the way an agent spawns it, spoken to with the SDK's own client.
// The store is filled by `confab save` from Claude Code transcripts, so what it holds went
// through redaction like every synced line.
const sandbox = useSandbox();

const SECRET = 'ghp_' + 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5'; // format only: 36 base62 characters
const MAIN = '3f0c6a52-9d1e-4b7a-8c2f-5e6d7a8b9c01';
const OTHER = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const LONG = 'x'.repeat(30) + ' zebrafish-telemetry ' + 'y'.repeat(6000);

function writeTranscript(sbx: Sandbox, id: string, cwd: string, texts: string[]): void {
  const dir = join(sbx.claudeDir, 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const lines = texts.map((text, i) => {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    return {
      type: role,
      sessionId: id,
      cwd,
      uuid: `${id.slice(0, 4)}-${i}`,
      timestamp: new Date(Date.UTC(2026, 10, 20, 9, 0, i)).toISOString(),
      message: role === 'user' ? { role, content: text } : { role, content: [{ type: 'text', text }] },
    };
  });
  writeFileSync(join(dir, `${id}.jsonl`), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

/** Two sessions in the sandbox's store: one long (40 lines, a 6 KB line, a GitHub token), one short. */
async function seed(sbx: Sandbox): Promise<void> {
  const texts = Array.from({ length: 40 }, (_, i) => `step ${i + 1} of the flaky checkout test investigation`);
  texts[0] = 'Why does the checkout test flake? The token is ' + SECRET;
  texts[12] = LONG;
  texts[20] = 'found it: the quokka-cache race in the payment mock';
  writeTranscript(sbx, MAIN, '/w/shop', texts);
  writeTranscript(sbx, OTHER, '/w/blog', ['write a post about gardening', 'Here is a post about gardening.']);
  const save = await sbx.run(['save', '--all', '--json'], { timeoutMs: 60_000 });
  expect(save.code, save.stderr).toBe(0);
}

let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

async function connect(sbx: Sandbox): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CONFAB_BIN, 'mcp'], env: sbx.env as Record<string, string>, cwd: sbx.root, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  client = new Client({ name: 'confab-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

type ToolAnswer = { isError?: boolean; content: { type: string; text?: string }[] };

function textOf(res: unknown): string {
  return (res as ToolAnswer).content.map((c) => c.text ?? '').join('');
}

async function call<T>(c: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const res = (await c.callTool({ name, arguments: args })) as ToolAnswer;
  expect(res.isError, textOf(res)).toBeFalsy();
  return JSON.parse(textOf(res)) as T;
}

/** A refusal as MCP has them: an error result (isError) or a JSON-RPC error; the message either way. */
async function refusal(c: Client, name: string, args: unknown): Promise<string> {
  try {
    const res = (await c.callTool({ name, arguments: args as Record<string, unknown> })) as ToolAnswer;
    expect(res.isError, `${name} ${JSON.stringify(args)} answered ${textOf(res)}`).toBe(true);
    return textOf(res);
  } catch (err) {
    expect((err as { code?: unknown }).code, String(err)).toEqual(expect.any(Number));
    return (err as Error).message;
  }
}

interface Page {
  session: { session_id: string; external_id: string; files: { file_name: string; lines: number }[] };
  file: string;
  total_lines: number;
  lines: { line: number; text: string; clipped?: boolean; chars?: number; char_offset?: number }[];
  next?: { from_line?: number; line?: number; char_offset?: number };
}

describe('confab mcp', () => {
  it('lists its tools with schemas, finds a hit, pages a session within its budget and reads a clipped line in full', async () => {
    const sbx = sandbox();
    await seed(sbx);
    const { client: c, stderr } = await connect(sbx);

    const { tools } = await c.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['get_session', 'get_usage', 'list_sessions', 'search_sessions']);
    const search = tools.find((t) => t.name === 'search_sessions')!;
    expect(search.inputSchema.required).toEqual(['query']);
    expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['query', 'project', 'provider', 'since', 'until', 'role', 'limit']));
    for (const t of tools) expect(t.annotations?.readOnlyHint, t.name).toBe(true);

    const found = await call<{ hits: { external_id: string; session_id: string; line: number; snippet: string; role: string }[] }>(c, 'search_sessions', { query: 'quokka-cache', project: 'shop' });
    expect(found.hits).toHaveLength(1);
    expect(found.hits[0]).toMatchObject({ external_id: MAIN, line: 21, role: 'user' });
    expect(found.hits[0]!.snippet).toContain('«quokka-cache»');
    expect((await call<{ hits: unknown[] }>(c, 'search_sessions', { query: 'quokka-cache', project: 'blog' })).hits).toEqual([]);
    expect((await call<{ hits: unknown[] }>(c, 'search_sessions', { query: 'gardening', provider: 'codex' })).hits).toEqual([]);

    const listed = await call<{ sessions: { external_id: string; project: string }[] }>(c, 'list_sessions', { project: 'blog' });
    expect(listed.sessions.map((s) => [s.external_id, s.project])).toEqual([[OTHER, 'blog']]);
    expect((await call<{ sessions: unknown[] }>(c, 'list_sessions', {})).sessions).toHaveLength(2);

    // Two pages: consecutive, no overlap, each within its character budget.
    const sid = found.hits[0]!.session_id;
    const first = await call<Page>(c, 'get_session', { session_id: MAIN, max_lines: 10 });
    expect(first.session.session_id).toBe(sid);
    expect(first.total_lines).toBe(40);
    expect(first.lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.next).toEqual({ from_line: 11 });
    const second = await call<Page>(c, 'get_session', { session_id: sid, ...first.next, max_chars: 3000 });
    expect(second.lines[0]!.line).toBe(11);
    expect(second.lines.map((l) => l.line)).toEqual(second.lines.map((_, i) => 11 + i));
    expect(second.lines.reduce((n, l) => n + l.text.length, 0)).toBeLessThanOrEqual(3000);
    expect(second.next?.from_line).toBe(11 + second.lines.length);

    // Line 13 holds the long text: clipped in the page, whole when asked for by line, in pieces.
    const clipped = second.lines.find((l) => l.line === 13)!;
    expect(clipped.clipped).toBe(true);
    expect(clipped.text.length).toBe(2000);
    const stored = (await storedFile(sbx, MAIN, (first.file)))!.toString('utf8').split('\n')[12]!;
    expect(clipped.chars).toBe(stored.length);
    const whole = await call<Page>(c, 'get_session', { session_id: sid, line: 13, max_chars: 200_000 });
    expect(whole.lines).toEqual([{ line: 13, text: stored, chars: stored.length }]);
    expect(whole.lines[0]!.text).toContain(LONG);
    const piece1 = await call<Page>(c, 'get_session', { session_id: sid, line: 13, max_chars: 5000 });
    expect(piece1.next).toEqual({ line: 13, char_offset: 5000 });
    const piece2 = await call<Page>(c, 'get_session', { session_id: sid, ...piece1.next, max_chars: 5000 });
    expect(piece1.lines[0]!.text + piece2.lines[0]!.text).toBe(stored);
    expect(piece2.next).toBeUndefined();

    const usage = await call<{ group: string; rows: unknown[] }>(c, 'get_usage', { group: 'session' });
    expect(usage.group).toBe('session');
    expect(stderr()).toBe('');
  });

  it('answers bad arguments with MCP errors and keeps answering; a redacted secret never leaves', async () => {
    const sbx = sandbox();
    await seed(sbx);
    const { client: c } = await connect(sbx);

    expect(await refusal(c, 'search_sessions', {})).toMatch(/query/);
    expect(await refusal(c, 'search_sessions', { query: 42 })).toMatch(/query/);
    expect(await refusal(c, 'search_sessions', { query: 'x', limit: 'ten' })).toMatch(/limit/);
    expect(await refusal(c, 'search_sessions', { query: '"unterminated' })).toMatch(/bad query: unterminated phrase/);
    expect(await refusal(c, 'search_sessions', { query: 'x', since: 'yesterday' })).toMatch(/invalid since "yesterday"/);
    expect(await refusal(c, 'get_session', { session_id: '00000000-0000-4000-8000-000000000000' })).toMatch(/no session "00000000-0000-4000-8000-000000000000"/);
    expect(await refusal(c, 'get_session', { session_id: '../etc/passwd' })).toMatch(/invalid session id/);
    expect(await refusal(c, 'get_session', { session_id: '/etc/passwd' })).toMatch(/invalid session id/);
    expect(await refusal(c, 'get_session', { session_id: MAIN, file: '../../store.json' })).toMatch(/has no file/);
    expect(await refusal(c, 'get_session', { session_id: MAIN, from_line: -1 })).toMatch(/from_line/);
    expect(await refusal(c, 'get_session', { session_id: MAIN, line: 99 })).toMatch(/has 40 lines, not 99/);
    expect(await refusal(c, 'get_usage', { group: 'hourly' })).toMatch(/group/);
    expect(await refusal(c, 'no_such_tool', {})).toMatch(/no_such_tool/);

    // Still serving after all that.
    const after = await call<{ hits: unknown[] }>(c, 'search_sessions', { query: 'quokka-cache' });
    expect(after.hits).toHaveLength(1);

    // The token was redacted before it was stored: no tool ever returns it.
    expect((await call<{ hits: unknown[] }>(c, 'search_sessions', { query: SECRET })).hits).toEqual([]);
    const page = await call<Page>(c, 'get_session', { session_id: MAIN, max_lines: 5 });
    expect(page.lines[0]!.text).toContain('checkout test flake');
    expect(page.lines[0]!.text).toContain('REDACTED');
    let all = '';
    for (let from: number | undefined = 1; from !== undefined; ) {
      const p: Page = await call<Page>(c, 'get_session', { session_id: MAIN, from_line: from, max_chars: 200_000, line_max_chars: 200_000, max_lines: 1000 });
      all += JSON.stringify(p);
      from = p.next?.from_line;
    }
    expect(all).toContain('quokka-cache');
    expect(all).not.toContain(SECRET.slice(4));
    for (const name of ['list_sessions', 'get_usage'] as const) expect(textOf(await c.callTool({ name, arguments: {} }))).not.toContain(SECRET.slice(4));
  });

  it('writes nothing but JSON-RPC on stdout and exits when the client closes stdin', async () => {
    const sbx = sandbox();
    await seed(sbx);
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'search_sessions', arguments: { query: 'gardening' } } },
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_session', arguments: { session_id: '../../x' } } },
    ];
    const res = await sbx.run(['mcp'], { input: messages.map((m) => `${JSON.stringify(m)}\n`).join('') });
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.split('\n').filter((l) => l !== '');
    // Calls may be answered in any order (JSON-RPC matches them by id).
    const replies = lines.map((l) => JSON.parse(l) as { jsonrpc: string; id: number; result?: { isError?: boolean } }).sort((a, b) => a.id - b.id);
    expect(replies.every((r) => r.jsonrpc === '2.0')).toBe(true);
    expect(replies.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(JSON.stringify(replies[2])).toContain('gardening');
    expect(replies[3]!.result?.isError).toBe(true);
  });

  it('other commands never load the MCP SDK', async () => {
    const sbx = sandbox();
    // A resolve hook that refuses the SDK: any command importing it fails.
    const dir = sbx.dir('hooks');
    writeFileSync(join(dir, 'refuse-sdk.mjs'), `export async function resolve(s, c, next) { if (s.includes('@modelcontextprotocol/')) throw new Error('MCP SDK loaded: ' + s); return next(s, c); }\n`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'refuse-sdk.mjs')).href)});\n`);
    const withHook = (args: string[]) => sbx.exec(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, CONFAB_BIN, ...args]);
    for (const args of [['--help'], ['search', '--help'], ['mcp', 'install', '--help'], ['list', '--json']]) {
      const res = await withHook(args);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
    }
    // The hook does catch it where it is loaded.
    const mcp = await withHook(['mcp']);
    expect(mcp.code).not.toBe(0);
    expect(mcp.stderr).toContain('MCP SDK loaded');
  });
});
