import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { claudeEnv, findClaude, runClaude } from './claude-harness.js';
import { allText, lastUserMessage, startFakeAnthropic, toolResults, type Script, type ToolResult } from './fake-anthropic.js';

// The real Claude Code CLI with confab's MCP server registered by `confab mcp install`: the
// scripted model calls mcp__confab__search_sessions, and the tool result Claude Code sends
// back must hold the stored session's hit.
const claude = findClaude();

const PROMPT = 'CONFAB-SCRIPT mcp: find the session about the quokka-cache race.';
const TOOL = 'mcp__confab__search_sessions';
const CALL_ID = 'toolu_01ConfabMcpSearch000000001';
const SESSION = '5b6c7d8e-9f00-4a1b-8c2d-3e4f5a6b7c8d';
const FINAL = 'Found it.';

/** A Claude Code transcript in the sandbox, backed up into confab's store by `confab save`. */
async function seedStore(sbx: Sandbox): Promise<void> {
  const cwd = '/w/shop';
  const dir = join(sbx.claudeDir, 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const lines = [
    { type: 'user', sessionId: SESSION, cwd, uuid: 'u1', timestamp: '2026-11-20T09:00:00.000Z', message: { role: 'user', content: 'why does checkout flake?' } },
    { type: 'assistant', sessionId: SESSION, cwd, uuid: 'a1', parentUuid: 'u1', timestamp: '2026-11-20T09:00:05.000Z', message: { role: 'assistant', content: [{ type: 'text', text: 'The quokka-cache race in the payment mock.' }] } },
  ];
  writeFileSync(join(dir, `${SESSION}.jsonl`), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const save = await sbx.run(['save', '--all']);
  expect(save.code, save.stderr).toBe(0);
}

/**
 * The model's side: look the tool up with ToolSearch when Claude Code defers MCP tools (it
 * loads them on demand), call confab's search once it is offered, then end. Keeps every tool
 * result Claude Code sends back and the tool list of each turn.
 */
function mcpSession(): { script: Script; results: Map<string, ToolResult>; offered: string[][] } {
  const results = new Map<string, ToolResult>();
  const offered: string[][] = [];
  let searches = 0;
  const script: Script = (req) => {
    const last = lastUserMessage(req);
    for (const r of toolResults(last)) results.set(r.toolUseId, r);
    if (results.has(CALL_ID)) return { step: 'mcp:final', reply: { content: [{ type: 'text', text: FINAL }], stopReason: 'end_turn' } };
    if (!allText(req).includes(PROMPT)) return { step: 'side:text', reply: { content: [{ type: 'text', text: 'Scripted session' }], stopReason: 'end_turn' } };
    offered.push(req.toolNames);
    if (req.toolNames.includes(TOOL)) {
      return { step: 'mcp:search', reply: { content: [{ type: 'tool_use', id: CALL_ID, name: TOOL, input: { query: 'quokka-cache', project: 'shop' } }], stopReason: 'tool_use' } };
    }
    if (req.toolNames.includes('ToolSearch') && searches < 3) {
      searches++;
      const id = `toolu_01ConfabMcpToolSearch0000000${searches}`;
      return { step: 'mcp:tool-search', reply: { content: [{ type: 'tool_use', id, name: 'ToolSearch', input: { query: `select:${TOOL}`, max_results: 5 } }], stopReason: 'tool_use' } };
    }
    return { step: 'mcp:no-tool', reply: { content: [{ type: 'text', text: 'confab tools are missing' }], stopReason: 'end_turn' } };
  };
  return { script, results, offered };
}

describe.skipIf(!claude)(`real Claude Code ${claude?.version ?? '(not installed)'} uses confab's MCP server`, () => {
  let sbx: Sandbox | undefined;
  afterEach(async () => {
    await sbx?.cleanup();
    sbx = undefined;
  });

  it('`confab mcp install` writes the entry `claude mcp add --scope user` writes', async () => {
    sbx = new Sandbox();
    const add = await sbx.run(['mcp', 'install', '--json']);
    expect(add.code, add.stderr).toBe(0);
    const { command } = JSON.parse(add.stdout) as { command: string };
    const ours = (JSON.parse(readFileSync(join(sbx.home, '.claude.json'), 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers.confab;

    const home = mkdtempSync(join(tmpdir(), 'confab-claude-mcp-add-'));
    try {
      const env = claudeEnv({ home, baseUrl: 'http://127.0.0.1:9' });
      const theirs = await runClaude(claude!.bin, ['mcp', 'add', '--scope', 'user', 'confab', '--', command, 'mcp'], { cwd: home, env, timeoutMs: 60_000 });
      expect(theirs.code, theirs.stderr).toBe(0);
      const written = (JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers.confab;
      expect(ours).toEqual(written);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  /** `confab mcp install` in the sandbox, then one `claude -p` turn against the scripted stand-in. */
  async function runWithConfab(permission: string[]): Promise<{ results: Map<string, ToolResult>; offered: string[][]; steps: string[]; stdout: string }> {
    sbx = new Sandbox();
    await seedStore(sbx);
    const add = await sbx.run(['mcp', 'install']);
    expect(add.code, add.stderr).toBe(0);
    // What install tells the user to pass so `claude -p` may call the tools.
    expect(add.stdout).toContain('--allowedTools mcp__confab');
    const { script, results, offered } = mcpSession();
    const api = await startFakeAnthropic(script);
    try {
      const env = claudeEnv({ home: sbx.home, baseUrl: api.url });
      const run = await runClaude(claude!.bin, ['-p', PROMPT, ...permission, '--output-format', 'json'], { cwd: sbx.dir('project'), env, timeoutMs: 120_000 });
      expect(run.code, run.stderr).toBe(0);
      return { results, offered, steps: api.requests.map((r) => r.step), stdout: run.stdout };
    } finally {
      await api.close();
    }
  }

  it('claude -p calls mcp__confab__search_sessions and gets the stored hit back', async () => {
    const run = await runWithConfab(['--allowedTools', 'mcp__confab']);
    expect(run.offered.at(-1), 'the tools Claude Code offered last').toContain(TOOL);
    const result = run.results.get(CALL_ID);
    expect(result, `steps: ${run.steps.join(', ')}`).toBeDefined();
    expect(result!.isError, result!.text).toBe(false);
    const hits = (JSON.parse(result!.text) as { hits: { external_id: string; snippet: string; project: string }[] }).hits;
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ external_id: SESSION, project: 'shop' });
    expect(hits[0]!.snippet).toContain('«quokka-cache»');
    expect((JSON.parse(run.stdout) as { result: string }).result).toBe(FINAL);
  });

  it('without the permission install prints, claude -p refuses the call (why install says how to allow it)', async () => {
    const run = await runWithConfab([]);
    const result = run.results.get(CALL_ID);
    expect(result, `steps: ${run.steps.join(', ')}`).toBeDefined();
    expect(result!.isError).toBe(true);
    expect(result!.text).not.toContain('quokka-cache');
  });
});
