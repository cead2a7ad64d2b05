import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedFile } from '../helpers/local-store.js';
import { docExample } from '../helpers/doc-examples.js';
import { REPO_ROOT, useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

function write(path: string, body: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

/** A provider (plain JavaScript) for a simple agent that writes one JSONL transcript anywhere and passes its path in the payload. */
function jsonlAgentProvider(name: string): string {
  return `import { defineProvider, HookInputError } from 'confab-cli/provider';

export default defineProvider({
  name: ${JSON.stringify(name)},
  displayName: 'JSONL agent ${name}',
  parseHookInput(_event, payload) {
    if (typeof payload !== 'object' || payload === null) throw new HookInputError('payload must be an object');
    if (typeof payload.session_id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload.session_id)) throw new HookInputError('"session_id" is missing or unsafe');
    if (typeof payload.transcript_path !== 'string' || !payload.transcript_path.startsWith('/')) throw new HookInputError('"transcript_path" must be an absolute path');
    return { sessionId: payload.session_id, transcriptPath: payload.transcript_path, cwd: typeof payload.cwd === 'string' ? payload.cwd : '', payload };
  },
  hookResponse: (_event, answer) => ({ ok: true, quiet: answer.suppressOutput === true }),
});
`;
}

function noDaemon(sbx: Sandbox, provider: string, id: string): boolean {
  return !existsSync(join(sbx.confabDir, 'sync', provider, `${id}.json`)) && sbx.strayPids().length === 0;
}

interface AgentSession {
  provider: string;
  /** The session's cwd in the payload. */
  cwd: string;
  transcriptDir: string;
  /** The provider's answer on stdout, and its display name. */
  answer: unknown;
  label: string;
}

/**
 * Run a session of a plugin-provided agent through the built CLI: SessionStart, lines
 * appended while the daemon follows them, SessionEnd; the store must then hold the
 * transcript exactly and the daemon be gone.
 */
async function syncSession(sbx: Sandbox, { provider, cwd, transcriptDir, answer, label }: AgentSession): Promise<void> {
  const id = `${provider}-session-1`;
  mkdirSync(transcriptDir, { recursive: true });
  const transcript = join(transcriptDir, `${id}.jsonl`);
  writeFileSync(transcript, '{"role":"user","text":"hello"}\n{"role":"agent","text":"hi"}\n');
  const payload = JSON.stringify({ session_id: id, transcript_path: transcript, cwd });

  const start = await sbx.run(['hook', 'session-start', '--provider', provider], { input: payload });
  expect(start.code).toBe(0);
  expect(JSON.parse(start.stdout)).toEqual(answer);
  expect(start.stderr).toContain(`${label} sync daemon started in background`);

  await waitFor(async () => (await storedFile(sbx, id, `${id}.jsonl`, provider))?.length, { what: 'the first lines to reach the store', timeoutMs: 20_000 });
  appendFileSync(transcript, '{"role":"user","text":"bye"}\n');
  const end = await sbx.run(['hook', 'session-end', '--provider', provider], { input: payload });
  expect(end.code).toBe(0);
  expect(JSON.parse(end.stdout)).toEqual(answer);
  await waitFor(() => noDaemon(sbx, provider, id), { what: 'the daemon to finish', timeoutMs: 20_000 });
  expect(await storedFile(sbx, id, `${id}.jsonl`, provider)).toEqual(readFileSync(transcript));
}

describe('a provider from a plugin listed in the project config', () => {
  it('is found by the hook from the payload cwd, and its session syncs end to end (the example in docs/plugins.md)', async () => {
    const sbx = sandbox();
    const project = sbx.dir('my-project');
    write(join(project, 'tools', 'my-agent.ts'), docExample('tools/my-agent.ts'));
    write(join(project, 'confab.config.ts'), docExample('confab.config.ts'));
    await syncSession(sbx, { provider: 'my-agent', cwd: project, transcriptDir: join(sbx.home, '.my-agent', 'sessions'), answer: { continue: true }, label: 'My Agent' });

    // The example refuses a transcript outside its agent's data dir.
    const outside = await sbx.run(['hook', 'session-start', '--provider', 'my-agent'], {
      input: JSON.stringify({ session_id: 's2', transcript_path: join(sbx.root, 'elsewhere.jsonl'), cwd: project }),
    });
    expect(JSON.parse(outside.stdout)).toEqual({ continue: true });
    expect(outside.stderr).toBe('confab: "transcript_path" must be a .jsonl file in ~/.my-agent/sessions\n');

    const listed = await sbx.run(['plugins', '--json'], { cwd: project });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { plugins: unknown[] }).plugins).toContainEqual({
      name: './tools/my-agent.ts',
      origin: 'project-config',
      from: join(project, 'confab.config.ts'),
      entry: join(project, 'tools', 'my-agent.ts'),
      providers: ['my-agent'],
      apply: false,
      commands: [],
    });

    // Commands that take --provider know it too (this one has no hooks to install).
    const add = await sbx.run(['hooks', 'add', '--provider', 'my-agent'], { cwd: project });
    expect(add.code).toBe(1);
    // (oclif wraps long error lines.)
    expect(add.stderr.replace(/\s+›\s+/g, ' ')).toContain('my-agent: this provider has no hooks to install');
  });

  it('is unknown outside that project, and the answer is still JSON', async () => {
    const sbx = sandbox();
    const project = sbx.dir('my-project');
    write(join(project, 'tools', 'my-agent.ts'), docExample('tools/my-agent.ts'));
    write(join(project, 'confab.config.ts'), docExample('confab.config.ts'));
    const res = await sbx.run(['hook', 'session-start', '--provider', 'my-agent'], { input: JSON.stringify({ session_id: 'x', transcript_path: '/tmp/x.jsonl', cwd: sbx.dir('elsewhere') }) });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ continue: true });
    expect(res.stderr).toBe('confab: unknown provider "my-agent" (known: claude-code, codex, cursor, opencode)\n');
  });

  it('a plugin that fails to load: one line naming it on the hook stderr, no daemon', async () => {
    const sbx = sandbox();
    const project = sbx.dir('my-project');
    write(join(project, 'confab.config.ts'), `export default { plugins: ['./tools/typo.ts'] };\n`);
    const dir = join(sbx.claudeDir, 'projects', '-p');
    mkdirSync(dir, { recursive: true });
    const id = '0d9c8b7a-6f5e-4d3c-9b2a-1f0e9d8c7b6a';
    const transcript = join(dir, `${id}.jsonl`);
    writeFileSync(transcript, '{"type":"user"}\n');
    const res = await sbx.run(['hook', 'session-start'], { input: JSON.stringify({ session_id: id, transcript_path: transcript, cwd: project }) });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    expect(res.stderr).toBe(
      `confab: not starting a daemon: plugin "./tools/typo.ts" (from ${join(project, 'confab.config.ts')}): cannot be found from ${project}\n`,
    );
    expect(noDaemon(sbx, 'claude-code', id)).toBe(true);
  });
});

describe('a plugin linked with `confab plugins link`', () => {
  /** A plugin package as its author has it: built JS, an oclif command, its dependencies installed. */
  function helloPlugin(sbx: Sandbox): string {
    const dir = sbx.dir('confab-plugin-hello');
    write(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'confab-plugin-hello', version: '1.0.0', type: 'module', exports: { '.': './index.js' }, oclif: { commands: './commands' } }),
    );
    write(join(dir, 'index.js'), jsonlAgentProvider('hello-agent'));
    write(
      join(dir, 'commands', 'hello.js'),
      `import { Args, Command } from '@oclif/core';
export default class Hello extends Command {
  static description = 'Greet from a plugin';
  static args = { who: Args.string({ default: 'world' }) };
  async run() {
    const { args } = await this.parse(Hello);
    this.log('hello ' + args.who + ' from confab-plugin-hello');
  }
}
`,
    );
    mkdirSync(join(dir, 'node_modules', '@oclif'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules', '@oclif', 'core'), join(dir, 'node_modules', '@oclif', 'core'));
    return dir;
  }

  it('adds its command and its provider, is listed, and its sessions sync', async () => {
    const sbx = sandbox();
    const dir = helloPlugin(sbx);
    // --no-install: the package's dependencies are already there (installing needs the npm registry).
    const link = await sbx.run(['plugins', 'link', dir, '--no-install']);
    expect(link.code).toBe(0);
    expect(JSON.parse(readFileSync(join(sbx.home, '.local', 'share', 'confab', 'package.json'), 'utf8')).oclif.plugins).toEqual([
      { name: 'confab-plugin-hello', root: dir, type: 'link' },
    ]);

    const hello = await sbx.run(['hello', 'plugins']);
    expect(hello).toMatchObject({ code: 0, stdout: 'hello plugins from confab-plugin-hello\n', stderr: '' });

    const listed = await sbx.run(['plugins', '--json']);
    expect(listed.code).toBe(0);
    const plugins = (JSON.parse(listed.stdout) as { plugins: { name: string; origin: string; providers: string[] }[] }).plugins;
    expect(plugins.map((p) => [p.name, p.origin, p.providers])).toEqual([
      ['@confab/plugin-claude-code', 'builtin', ['claude-code']],
      ['@confab/plugin-codex', 'builtin', ['codex']],
      ['@confab/plugin-cursor', 'builtin', ['cursor']],
      ['@confab/plugin-opencode', 'builtin', ['opencode']],
      ['confab-plugin-hello', 'oclif-link', ['hello-agent']],
    ]);
    expect(plugins.find((p) => p.name === 'confab-plugin-hello')).toMatchObject({ from: dir, entry: join(dir, 'index.js'), commands: ['hello'], apply: false });
    const table = await sbx.run(['plugins']);
    expect(table.stdout).toMatch(/confab-plugin-hello\s+linked\s+hello-agent\s+-\s+hello\s+/);

    await syncSession(sbx, {
      provider: 'hello-agent',
      cwd: sbx.dir('work'),
      transcriptDir: sbx.dir('agent-data'),
      answer: { ok: true, quiet: false },
      label: 'JSONL agent hello-agent',
    });

    const unlink = await sbx.run(['plugins', 'uninstall', 'confab-plugin-hello']);
    expect(unlink.code).toBe(0);
    const gone = await sbx.run(['hook', 'session-start', '--provider', 'hello-agent'], { input: '{}' });
    expect(gone.stderr).toContain('unknown provider "hello-agent"');
  });

  it('without plugins, `confab plugins` lists the built-in providers', async () => {
    const res = await sandbox().run(['plugins', '--json']);
    expect(res.code).toBe(0);
    expect((JSON.parse(res.stdout) as { plugins: { name: string }[] }).plugins.map((p) => p.name)).toEqual(['@confab/plugin-claude-code', '@confab/plugin-codex', '@confab/plugin-cursor', '@confab/plugin-opencode']);
  });
});
