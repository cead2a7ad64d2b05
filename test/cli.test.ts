import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, useSandbox } from './helpers/sandbox.js';

const sandbox = useSandbox();
const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string };

describe('confab CLI', () => {
  it('prints its version', async () => {
    const res = await sandbox().run(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`confab-cli/${pkg.version}`);
  });

  it('lists topics and commands with descriptions in --help', async () => {
    const res = await sandbox().run(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/TOPICS[\s\S]*hook\s+Commands a coding agent runs/);
  });

  it('explains a command with `help <command>` using spaces as the topic separator', async () => {
    const res = await sandbox().run(['help', 'hook', 'session-start']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('$ confab hook session-start');
    expect(res.stdout).toContain('EXAMPLES');
  });

  it('rejects an unknown command with one line and a non-zero exit', async () => {
    const res = await sandbox().run(['frobnicate']);
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('frobnicate');
  });
});

describe('hook commands (fast path)', () => {
  it.each(['session-start', 'session-end', 'user-prompt-submit', 'pre-tool-use', 'post-tool-use'])(
    '%s answers valid JSON and exits 0 on malformed input',
    async (event) => {
      const res = await sandbox().run(['hook', event], { input: '{"session_id": ' });
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ continue: true });
      expect(res.stderr).toMatch(/^confab: hook payload is not valid JSON/);
      expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    },
  );

  it('answers with suppressOutput for user-prompt-submit', async () => {
    const res = await sandbox().run(['hook', 'user-prompt-submit'], {
      input: JSON.stringify({ session_id: 'abc', transcript_path: '/tmp/t.jsonl', prompt: 'hi' }),
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true, stopReason: '', suppressOutput: true });
  });

  it('reports an unknown provider on stderr but still answers JSON', async () => {
    const res = await sandbox().run(['hook', 'session-start', '--provider', 'nope'], { input: '{}' });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ continue: true });
    expect(res.stderr).toContain('unknown provider "nope"');
  });

  it('accepts the Go CLI aliases `sync start|stop`', async () => {
    const res = await sandbox().run(['sync', 'stop'], { input: 'not json' });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ continue: true });
  });

  it('rejects a stray argument without blocking the agent', async () => {
    const res = await sandbox().run(['hook', 'session-end', '--frob'], { input: '{}' });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ continue: true });
    expect(res.stderr).toContain('unexpected argument "--frob"');
  });

  it('falls through to oclif for --help', async () => {
    const res = await sandbox().run(['hook', 'session-end', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('USAGE');
  });
});
