import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import claudeCode from '../src/index.js';
import { updateJsonFile } from '../src/json-file-update.js';
import { firstToken, installHooks, isConfabCommand, uninstallHooks } from '../src/settings-hooks.js';
import { tempDir } from './fixtures.js';

const BIN = '/usr/local/bin/confab';
const hooks = claudeCode.hookInstaller as NonNullable<typeof claudeCode.hookInstaller>;

let tmp: ReturnType<typeof tempDir>;
let configDir: string;
let path: string;

beforeEach(() => {
  tmp = tempDir();
  configDir = join(tmp.path, '.claude');
  path = join(configDir, 'settings.json');
});

afterEach(() => tmp.cleanup());

const cmd = (bin: string, args: string) => ({ command: `${bin} ${args}`, type: 'command' });

/** What the Go CLI writes on a fresh file (keys sorted, as Go maps marshal). */
function goShape(bin: string, provider = ' --provider claude-code'): Record<string, unknown> {
  return {
    hooks: {
      PostToolUse: [
        { hooks: [cmd(bin, 'hook post-tool-use')], matcher: 'Bash' },
        { hooks: [cmd(bin, 'hook post-tool-use')], matcher: 'mcp__github__create_pull_request' },
      ],
      PreToolUse: [
        { hooks: [cmd(bin, 'hook pre-tool-use')], matcher: 'Bash' },
        { hooks: [cmd(bin, 'hook pre-tool-use')], matcher: 'mcp__github__create_pull_request' },
      ],
      SessionEnd: [{ hooks: [cmd(bin, `hook session-end${provider}`)], matcher: '*' }],
      SessionStart: [{ hooks: [cmd(bin, `hook session-start${provider}`)], matcher: '*' }],
      UserPromptSubmit: [{ hooks: [cmd(bin, 'hook user-prompt-submit')] }],
    },
  };
}

function read(): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function write(value: unknown, newline = true): string {
  mkdirSync(configDir, { recursive: true });
  const text = JSON.stringify(value, null, 2) + (newline ? '\n' : '');
  writeFileSync(path, text);
  return text;
}

const USER_SETTINGS = {
  $schema: 'https://json.schemastore.org/claude-code-settings.json',
  model: 'opus',
  permissions: { allow: ['Bash(npm test:*)'], deny: ['Read(./.env)'] },
  hooks: {
    SessionStart: [{ matcher: '*', hooks: [{ type: 'command', command: 'echo "session started" >> ~/log.txt' }] }],
    PreToolUse: [
      { matcher: 'Bash', hooks: [{ type: 'command', command: '~/bin/guard.sh', timeout: 5 }] },
      { matcher: 'Edit|Write', hooks: [{ type: 'command', command: 'npx prettier --check' }] },
    ],
    UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'my-tool hook session-start' }] }],
    Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }],
    Notification: [],
  },
  env: { DISABLE_TELEMETRY: '1' },
  statusLine: { type: 'command', command: '~/.claude/statusline.sh' },
};

describe('settings.json hooks', () => {
  it('writes exactly the Go CLI entries into a fresh file, privately', async () => {
    const result = await hooks.install({ command: BIN, configDir });
    expect(result).toEqual({ path, changed: true });
    expect(read()).toEqual(goShape(BIN));
    // Byte for byte what Go writes: sorted keys, 2-space indent, no final newline.
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify(goShape(BIN), null, 2));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(configDir).mode & 0o777).toBe(0o700);
    expect(await hooks.isInstalled({ configDir })).toBe(true);
  });

  it('add then remove leaves a file with user hooks as it was', async () => {
    const original = write(USER_SETTINGS);
    await hooks.install({ command: BIN, configDir });
    const installed = read() as typeof USER_SETTINGS & { hooks: Record<string, Array<{ hooks: Array<{ command: string }> }>> };
    // Installed next to the user's hooks, in the groups with the same matcher.
    expect(installed.hooks.SessionStart?.[0]?.hooks.map((x) => x.command)).toEqual(['echo "session started" >> ~/log.txt', `${BIN} hook session-start --provider claude-code`]);
    expect(installed.hooks.PreToolUse?.[0]?.hooks.map((x) => x.command)).toEqual(['~/bin/guard.sh', `${BIN} hook pre-tool-use`]);
    expect(installed.hooks.PreToolUse).toHaveLength(3);
    expect(installed.hooks.UserPromptSubmit?.[0]?.hooks.map((x) => x.command)).toEqual(['my-tool hook session-start', `${BIN} hook user-prompt-submit`]);
    expect(installed.model).toBe('opus');
    expect(await hooks.isInstalled({ configDir })).toBe(true);

    expect(await hooks.uninstall({ configDir })).toEqual({ path, changed: true });
    expect(read()).toEqual(USER_SETTINGS);
    // The user's key order survives too, so the text is identical.
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(await hooks.isInstalled({ configDir })).toBe(false);
  });

  it('add then remove on a file without hooks removes the hooks key again', async () => {
    write({ model: 'sonnet' }, false);
    await hooks.install({ command: BIN, configDir });
    await hooks.uninstall({ configDir });
    expect(readFileSync(path, 'utf8')).toBe('{\n  "model": "sonnet"\n}');
  });

  it('replaces a Go-installed entry in place instead of adding another', async () => {
    // An older Go install: no --provider on session-start/end, plus a user-set timeout.
    const go = goShape('/usr/local/bin/confab', '') as { hooks: Record<string, Array<{ hooks: Array<Record<string, unknown>> }>> };
    (go.hooks.SessionStart?.[0]?.hooks[0] as Record<string, unknown>).timeout = 30;
    write(go);
    expect(await hooks.isInstalled({ configDir })).toBe(true);
    const NEW = '/home/u/.npm-global/bin/confab';
    expect((await hooks.install({ command: NEW, configDir })).changed).toBe(true);
    const after = read() as typeof go;
    expect(after).toEqual(
      (() => {
        const expected = goShape(NEW) as typeof go;
        (expected.hooks.SessionStart?.[0]?.hooks[0] as Record<string, unknown>).timeout = 30;
        return expected;
      })(),
    );
    for (const groups of Object.values(after.hooks)) for (const g of groups) expect(g.hooks).toHaveLength(1);
  });

  it('is idempotent: a second install changes nothing and does not rewrite the file', async () => {
    await hooks.install({ command: BIN, configDir });
    const before = statSync(path);
    const text = readFileSync(path, 'utf8');
    expect(await hooks.install({ command: BIN, configDir })).toEqual({ path, changed: false });
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(statSync(path).ino).toBe(before.ino);
  });

  it('never clobbers invalid JSON', async () => {
    mkdirSync(configDir, { recursive: true });
    const broken = '{\n  "model": "opus",\n  "hooks": {\n';
    writeFileSync(path, broken);
    await expect(hooks.install({ command: BIN, configDir })).rejects.toThrow(/settings\.json is not valid JSON .*confab left it unchanged/);
    await expect(hooks.uninstall({ configDir })).rejects.toThrow(/not valid JSON/);
    await expect(hooks.isInstalled({ configDir })).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(path, 'utf8')).toBe(broken);
    expect(readdirSync(configDir)).toEqual(['settings.json']);
  });

  it.each([
    ['a list', []],
    ['a string', 'none'],
    ['null', null],
  ])('refuses a "hooks" value that is %s', async (_name, value) => {
    const text = write({ model: 'opus', hooks: value });
    await expect(hooks.install({ command: BIN, configDir })).rejects.toThrow(/"hooks" in .*settings\.json is not an object/);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('refuses an event that is not a list, and a file that is not an object', async () => {
    const text = write({ hooks: { SessionStart: { matcher: '*' } } });
    await expect(hooks.install({ command: BIN, configDir })).rejects.toThrow(/"hooks\.SessionStart" .* is not a list/);
    expect(readFileSync(path, 'utf8')).toBe(text);
    write([1, 2]);
    await expect(hooks.install({ command: BIN, configDir })).rejects.toThrow(/does not hold a JSON object/);
  });

  it('uninstall keeps hooks that merely look like confab’s, and removes older confab variants', async () => {
    write({
      hooks: {
        SessionStart: [
          {
            matcher: '*',
            hooks: [
              { type: 'command', command: 'my-tool hook session-start' },
              { type: 'command', command: 'CONFAB_LOG_LEVEL=debug /opt/confab-dev sync start' },
              { type: 'command', command: '/usr/local/bin/confab sync start' },
            ],
          },
        ],
        SessionEnd: [{ matcher: '*', hooks: [{ type: 'command', command: 'confabulate hook session-end' }] }],
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: '/usr/lib/node_modules/confab/bin/run.js hook pre-tool-use' }] }],
      },
    });
    await hooks.uninstall({ configDir });
    expect(read()).toEqual({
      hooks: {
        SessionStart: [{ matcher: '*', hooks: [{ type: 'command', command: 'my-tool hook session-start' }] }],
        SessionEnd: [{ matcher: '*', hooks: [{ type: 'command', command: 'confabulate hook session-end' }] }],
      },
    });
  });

  it('uninstall without a settings file touches nothing', async () => {
    expect(await hooks.uninstall({ configDir })).toEqual({ path, changed: false });
    expect(existsSync(configDir)).toBe(false);
    expect(await hooks.isInstalled({ configDir })).toBe(false);
  });

  it('quotes a program path with spaces and still recognizes it', async () => {
    const spaced = '/Users/Jane Doe/.local/bin/confab';
    await hooks.install({ command: spaced, configDir });
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(JSON.stringify(`'${spaced}' hook session-start --provider claude-code`));
    expect(await hooks.isInstalled({ configDir })).toBe(true);
    expect((await hooks.install({ command: spaced, configDir })).changed).toBe(false);
    await hooks.uninstall({ configDir });
    expect(read()).toEqual({});
  });

  it('edits the target of a symlinked settings file and keeps the link', async () => {
    const dotfiles = join(tmp.path, 'dotfiles');
    mkdirSync(dotfiles);
    writeFileSync(join(dotfiles, 'claude-settings.json'), '{"model":"opus"}\n');
    mkdirSync(configDir);
    symlinkSync(join(dotfiles, 'claude-settings.json'), path);
    await hooks.install({ command: BIN, configDir });
    expect(statSync(path).isFile()).toBe(true);
    expect(readFileSync(join(dotfiles, 'claude-settings.json'), 'utf8')).toContain('hook session-start');
    const { lstatSync } = await import('node:fs');
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
  });

  it.each([
    ['confab hook session-start', true],
    ['/usr/local/bin/confab hook pre-tool-use', true],
    ['"/opt/my tools/confab" hook x', true],
    ["'/opt/my tools/confab' hook x", true],
    ['/usr/lib/node_modules/confab/bin/run.js hook session-end', true],
    ['/srv/other/bin/run.js hook session-end', false],
    ['confabulate', false],
    ['echo confab', false],
    ['', false],
  ])('isConfabCommand(%j) is %s', (command, expected) => {
    expect(isConfabCommand(command)).toBe(expected);
  });

  it('recognizes the program it installs even under another name', () => {
    expect(isConfabCommand('/opt/wrappers/cf hook pre-tool-use', '/opt/wrappers/cf')).toBe(true);
    expect(isConfabCommand('/opt/wrappers/cf hook pre-tool-use')).toBe(false);
    expect(firstToken(`'/a b/c'\\''d' x`)).toBe("/a b/c'd");
  });
});

describe('concurrent edits', () => {
  it('loses nothing when a writer changes the file while confab edits it', async () => {
    write({ model: 'opus' });
    let calls = 0;
    const result = await installHooks({
      command: BIN,
      configDir,
      beforeCommit: () => {
        // Claude Code (or an editor) saves its own change right before confab's rename.
        if (calls++ === 0) write({ model: 'opus', alwaysThinkingEnabled: true, hooks: { Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }] } });
      },
    });
    expect(result.changed).toBe(true);
    expect(calls).toBe(2);
    const after = read() as { alwaysThinkingEnabled?: boolean; hooks: Record<string, unknown> };
    expect(after.alwaysThinkingEnabled).toBe(true);
    expect(Object.keys(after.hooks).sort()).toEqual(['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'Stop', 'UserPromptSubmit']);
    expect(readdirSync(configDir).sort()).toEqual(['settings.json']);
  });

  it('gives up with a clear error when the file never stops changing, leaving the other writer’s content', async () => {
    write({ n: 0 });
    let n = 0;
    await expect(
      updateJsonFile(path, (s) => ((s.mine = true), true), {
        attempts: 3,
        beforeCommit: () => {
          write({ n: ++n });
        },
      }),
    ).rejects.toThrow(/kept changing while confab was editing it \(3 attempts\)/);
    expect(read()).toEqual({ n: 3 });
    expect(readdirSync(configDir).sort()).toEqual(['settings.json']);
  });

  it('serializes installers and other confab edits racing in one process', async () => {
    write({ model: 'opus' });
    const jobs: Array<Promise<unknown>> = [];
    for (let i = 0; i < 8; i++) {
      jobs.push(installHooks({ command: BIN, configDir }));
      jobs.push(updateJsonFile(path, (s) => ((s[`key${i}`] = i), true)));
    }
    await Promise.all(jobs);
    const after = read() as Record<string, unknown>;
    for (let i = 0; i < 8; i++) expect(after[`key${i}`]).toBe(i);
    expect(after).toMatchObject(goShape(BIN));
  });

  it('loses nothing with installers racing in separate processes', async () => {
    write({ model: 'opus' });
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    const script = `
      const { installHooks } = await import(${JSON.stringify(join(dist, 'settings-hooks.js'))});
      const { updateJsonFile } = await import(${JSON.stringify(join(dist, 'json-file-update.js'))});
      const [configDir, path, id] = process.argv.slice(1);
      for (let i = 0; i < 5; i++) {
        await installHooks({ command: '/usr/local/bin/confab', configDir });
        await updateJsonFile(path, (s) => { s['p' + id + '_' + i] = true; return true; });
      }`;
    const run = (id: number) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, configDir, path, String(id)], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.once('error', reject);
        child.once('exit', resolve);
      });
    expect(await Promise.all([0, 1, 2, 3].map(run))).toEqual([0, 0, 0, 0]);
    const after = read() as Record<string, unknown>;
    for (let id = 0; id < 4; id++) for (let i = 0; i < 5; i++) expect(after[`p${id}_${i}`]).toBe(true);
    expect(after).toMatchObject(goShape(BIN));
    expect(readdirSync(configDir).sort()).toEqual(['settings.json']);
  });

  it('breaks a lock left by a process that died', async () => {
    write({});
    writeFileSync(join(configDir, '.settings.json.confab-lock'), '999999999');
    expect((await uninstallHooks({ configDir })).changed).toBe(false);
    expect((await installHooks({ command: BIN, configDir, lockTimeoutMs: 500 })).changed).toBe(true);
    expect(existsSync(join(configDir, '.settings.json.confab-lock'))).toBe(false);
  });
});
