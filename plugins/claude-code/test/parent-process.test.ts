import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { procLookup, type ProcessInfo } from 'confab-cli/provider';
import { findClaudeParentPid, isClaudeProcess } from '../src/parent-process.js';
import { tempDir } from './fixtures.js';

describe('Claude Code process matcher', () => {
  it.each([
    ['claude', [], true],
    ['/usr/local/bin/claude', [], true],
    ['/home/u/.local/share/claude/versions/2.0.14', [], true],
    ['/home/u/.local/share/other/versions/2.0.14', [], false],
    ['claude', ['--resume', 'abc'], true],
    ['Claude.app', [], true],
    ['/Applications/Claude.app/Contents/MacOS/Claude', [], true],
    ['node', ['/usr/local/lib/node_modules/@anthropic-ai/claude-code/cli.js'], true],
    ['/usr/bin/node', ['--no-warnings', '/opt/claude-code/cli.mjs', '-p', 'hi'], true],
    ['node', ['/home/u/.npm-global/bin/claude'], true],
    ['bun', ['/home/u/.bun/install/global/node_modules/@anthropic-ai/claude-code/cli.js'], true],
    ['claudette', [], false],
    ['preclaude', [], false],
    ['/usr/bin/claude-helper', [], false],
    ['sh', ['-c', 'confab hook session-start --provider claude-code'], false],
    ['/bin/bash', ['-c', '/usr/local/bin/claude-wrapper; claude'], false],
    ['node', ['/usr/lib/node_modules/confab/bin/run.js', 'hook', 'session-start', '--provider', 'claude-code'], false],
    ['node', [], false],
  ] as Array<[string, string[], boolean]>)('%s %j → %s', (argv0, args, expected) => {
    expect(isClaudeProcess({ argv: [argv0, ...args] })).toBe(expected);
  });

  it('matches on the kernel’s process name too (process.title, exec through a link)', () => {
    expect(isClaudeProcess({ comm: 'claude', argv: [] })).toBe(true);
    expect(isClaudeProcess({ comm: 'node', argv: ['node', '/x/@anthropic-ai/claude-code/cli.js'] })).toBe(true);
    expect(isClaudeProcess({ comm: 'sh', argv: ['sh', '-c', 'claude-code'] })).toBe(false);
  });
});

describe('ancestor walk', () => {
  const table = (rows: ProcessInfo[]) => async (pid: number) => rows.find((r) => r.pid === pid);
  const proc = (pid: number, ppid: number, argv: string[]): ProcessInfo => ({ pid, ppid, comm: (argv[0] ?? '').split('/').pop() ?? '', argv });

  it('skips the shell that runs the hook and finds Claude Code above it', async () => {
    const rows = [proc(50, 1, ['claude']), proc(99, 50, ['/bin/sh', '-c', '/usr/local/bin/confab hook session-start --provider claude-code'])];
    expect(await findClaudeParentPid(99, table(rows))).toBe(50);
    expect(await findClaudeParentPid(50, table(rows))).toBe(50);
  });

  it('gives 0 when only a shell mentions claude-code, or the agent is too far up', async () => {
    const shellOnly = [proc(1, 0, ['/sbin/init']), proc(10, 1, ['tmux']), proc(99, 10, ['sh', '-c', 'confab hook session-start --provider claude-code'])];
    expect(await findClaudeParentPid(99, table(shellOnly))).toBe(0);
    const deep = [proc(10, 1, ['claude']), proc(11, 10, ['bash']), proc(12, 11, ['bash']), proc(13, 12, ['bash']), proc(14, 13, ['sh'])];
    expect(await findClaudeParentPid(14, table(deep))).toBe(0);
    expect(await findClaudeParentPid(13, table(deep))).toBe(10);
    expect(await findClaudeParentPid(99, table([]))).toBe(0);
  });

  it('reads a live process from /proc', async () => {
    if (process.platform !== 'linux') return;
    const self = await procLookup(process.pid);
    expect(self?.ppid).toBe(process.ppid);
    expect(self?.argv[0]).toBe(process.argv0);
    expect(await procLookup(2 ** 30)).toBeUndefined();
  });
});

describe('findParentPid, live', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  /**
   * Start a process whose argv[0] is `agentName` that runs `sh -c "<hook>; true"` (the `;`
   * keeps the shell alive as the hook's parent), where the hook prints findParentPid().
   * Resolves with the agent's pid and what the hook found.
   */
  function runUnderAgent(agentName: string): Promise<{ agentPid: number; found: number }> {
    const module = fileURLToPath(new URL('../dist/parent-process.js', import.meta.url));
    const hook = join(tmp.path, 'hook.mjs');
    writeFileSync(hook, `const { findClaudeParentPid } = await import(${JSON.stringify(module)});\nprocess.stdout.write(String(await findClaudeParentPid()));\n`);
    const agent = join(tmp.path, 'agent.cjs');
    writeFileSync(
      agent,
      `const { spawn } = require('node:child_process');
       const child = spawn('/bin/sh', ['-c', ${JSON.stringify(`'${process.execPath}' '${hook}' --provider claude-code; true`)}], { stdio: ['ignore', 'pipe', 'inherit'] });
       let out = '';
       child.stdout.on('data', (b) => (out += b));
       child.on('exit', () => process.stdout.write(JSON.stringify({ agentPid: process.pid, found: Number(out) })));`,
    );
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [agent], { argv0: agentName, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.once('error', reject);
      p.once('exit', () => {
        try {
          resolve(JSON.parse(out) as { agentPid: number; found: number });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  it('finds the Claude Code process above the hook’s shell', async () => {
    const { agentPid, found } = await runUnderAgent('claude');
    expect(found).toBe(agentPid);
  });

  it('finds nothing under another program, although the shell mentions claude-code', async () => {
    const { found } = await runUnderAgent('not-the-agent');
    expect(found).toBe(0);
  });
});
