import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findAncestor, type ProcessInfo } from 'confab-cli/provider';
import { findCodexParentPid, isCodexProcess } from '../src/parent-process.js';

describe('which process is Codex', () => {
  it.each<[string, { comm: string; argv: string[] }, boolean]>([
    ['the native binary', { comm: 'codex', argv: ['codex'] }, true],
    ['the vendored binary (comm cut to 15 chars)', { comm: 'codex-x86_64-un', argv: ['/usr/lib/node_modules/@openai/codex/vendor/x86_64-unknown-linux-musl/codex/codex-x86_64-unknown-linux-musl'] }, true],
    ['npm’s node launcher', { comm: 'node', argv: ['node', '/usr/local/bin/codex', '--model', 'gpt-5.5'] }, true],
    ['the launcher script by path', { comm: 'node', argv: ['/usr/bin/node', '--no-warnings', '/home/u/.npm/_npx/1/node_modules/@openai/codex/bin/codex.js'] }, true],
    ['the macOS app', { comm: '/Applications/Codex.app/Contents/MacOS/Codex', argv: ['/Applications/Codex.app/Contents/MacOS/Codex'] }, true],
    ['the shell running the hook', { comm: 'sh', argv: ['sh', '-c', '/usr/local/bin/confab hook session-start --provider codex'] }, false],
    ['bash running codex as a command string', { comm: 'bash', argv: ['/bin/bash', '-c', 'codex'] }, false],
    ['a login zsh', { comm: 'zsh', argv: ['-zsh'] }, false],
    ['confab’s own hook process', { comm: 'node', argv: ['node', '/opt/confab/bin/run.js', 'hook', 'session-start', '--provider', 'codex'] }, false],
    ['an editor on a file named codex', { comm: 'vim', argv: ['vim', 'codex.md'] }, false],
    ['python running a codex tool', { comm: 'python3', argv: ['python3', 'codex_tool.py'] }, false],
    ['a longer name', { comm: 'codexx', argv: ['codexx'] }, false],
    ['Claude Code', { comm: 'claude', argv: ['claude'] }, false],
  ])('%s → %s', (_label, proc, expected) => {
    expect(isCodexProcess(proc)).toBe(expected);
  });

  it('walks up past the shell to Codex, and gives 0 when no ancestor is Codex', async () => {
    const table = new Map<number, ProcessInfo>([
      [90, { pid: 90, ppid: 80, comm: 'sh', argv: ['sh', '-c', 'confab hook session-start --provider codex'] }],
      [80, { pid: 80, ppid: 70, comm: 'codex', argv: ['/usr/lib/node_modules/@openai/codex/vendor/codex'] }],
      [70, { pid: 70, ppid: 60, comm: 'node', argv: ['node', '/usr/local/bin/codex'] }],
      [60, { pid: 60, ppid: 1, comm: 'bash', argv: ['-bash'] }],
      [50, { pid: 50, ppid: 60, comm: 'sh', argv: ['sh', '-c', 'codex --help'] }],
    ]);
    const lookup = async (pid: number) => table.get(pid);
    expect(await findCodexParentPid(90, lookup)).toBe(80);
    expect(await findCodexParentPid(50, lookup)).toBe(0);
    expect(await findCodexParentPid(12345, lookup)).toBe(0);
    expect(await findAncestor(90, lookup, isCodexProcess, 1)).toBe(0);
  });

  it.skipIf(process.platform !== 'linux')('finds a real process named codex above `sh -c`', async () => {
    const dist = fileURLToPath(new URL('../dist/parent-process.js', import.meta.url));
    expect(existsSync(dist)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'confab-codex-proc-'));
    const fakeCodex = join(dir, 'codex');
    symlinkSync(process.execPath, fakeCodex);
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, `import { findCodexParentPid } from ${JSON.stringify(dist)};\nprocess.stdout.write(String(await findCodexParentPid()));\n`);
    // "codex" (node under that name) runs the hook through a shell, as Codex does.
    const script = `const { execFileSync } = require('node:child_process');
process.stdout.write(process.pid + ' ' + execFileSync('/bin/sh', ['-c', ${JSON.stringify(`'${process.execPath}' '${probe}'; true`)}]).toString());`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(fakeCodex, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('exit', () => resolve(text));
    });
    const [codexPid, found] = out.trim().split(' ');
    expect(Number(found)).toBe(Number(codexPid));
    expect(Number(found)).toBeGreaterThan(1);
  });
});
