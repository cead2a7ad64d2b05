import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { beforeEach, describe, expect, it } from 'vitest';
import { addConfabHooks, BLOCK_END, BLOCK_START, CodexConfigError, confabHooksInstalled, removeConfabHooks, trustedHash } from '../src/config-hooks.js';
import { codex } from '../src/index.js';
import { makeCodexHome, type CodexHome } from './fixtures.js';

const CONFAB = '/usr/local/bin/confab';
let home: CodexHome;
let configFile: string;

beforeEach(() => {
  home = makeCodexHome();
  configFile = join(home.dir, 'config.toml');
});

type Table = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const USER_CONFIG = `# My Codex settings — keep these comments!
model = "gpt-5.5"   # default model
approval_policy = "on-request"

[features]
# experimental bits
web_search = true

[[hooks.SessionStart]]
matcher = "startup"
[[hooks.SessionStart.hooks]]
type = "command"
command = "/usr/bin/notify start"

[projects."/work/app"]
trust_level = "trusted"
# trailing comment, no newline at the end`;

describe('trusted hashes', () => {
  it('match the hashes Codex computes for confab’s hooks', () => {
    // Known-good values: what Codex itself reports for these commands.
    expect(trustedHash('session_start', 'startup|resume|clear', '/Users/jackie/.local/bin/confab hook session-start --provider codex', 'Starting Confab sync')).toBe(
      'sha256:d1f33ff2cf043a857782a0bb0661ae66a4d05446ae116f0774b7b5629af0a987',
    );
    expect(trustedHash('pre_tool_use', 'Bash', '/Users/jackie/.local/bin/confab hook pre-tool-use --provider codex', '')).toBe(
      'sha256:983e0ba3cb03265ced2eabc7bfd2436324a26d54360c1ebd358b4f027cf307a8',
    );
    expect(trustedHash('post_tool_use', 'Bash', '/Users/jackie/.local/bin/confab hook post-tool-use --provider codex', '')).toBe(
      'sha256:f52d98fa93210bbcde4824b4d1ff961d299159717d4d74611f592ea482537317',
    );
  });
});

describe('config.toml hooks', () => {
  it('creates config.toml with the managed block, the feature flag and trusted state', async () => {
    const res = await codex.hookInstaller!.install({ command: CONFAB });
    expect(res).toEqual({ path: configFile, changed: true });
    const text = readFileSync(configFile, 'utf8');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(text.startsWith(`${BLOCK_START}\n[features]\nhooks = true\n`)).toBe(true);
    expect(text.endsWith(`${BLOCK_END}\n`)).toBe(true);
    const toml = parse(text) as Table;
    expect(toml.features).toEqual({ hooks: true });
    expect(toml.hooks.SessionStart).toEqual([
      { matcher: 'startup|resume|clear', hooks: [{ type: 'command', command: `${CONFAB} hook session-start --provider codex`, statusMessage: 'Starting Confab sync' }] },
    ]);
    expect(toml.hooks.SessionEnd).toEqual([{ hooks: [{ type: 'command', command: `${CONFAB} hook session-end --provider codex`, statusMessage: '' }] }]);
    expect(toml.hooks.PreToolUse[0]).toEqual({ matcher: 'Bash', hooks: [{ type: 'command', command: `${CONFAB} hook pre-tool-use --provider codex`, statusMessage: '' }] });
    expect(toml.hooks.PostToolUse[0].hooks[0].command).toBe(`${CONFAB} hook post-tool-use --provider codex`);
    expect(toml.hooks.state).toEqual({
      [`${configFile}:session_start:0:0`]: { trusted_hash: trustedHash('session_start', 'startup|resume|clear', `${CONFAB} hook session-start --provider codex`, 'Starting Confab sync') },
      [`${configFile}:session_end:0:0`]: { trusted_hash: trustedHash('session_end', undefined, `${CONFAB} hook session-end --provider codex`, '') },
      [`${configFile}:pre_tool_use:0:0`]: { trusted_hash: trustedHash('pre_tool_use', 'Bash', `${CONFAB} hook pre-tool-use --provider codex`, '') },
      [`${configFile}:post_tool_use:0:0`]: { trusted_hash: trustedHash('post_tool_use', 'Bash', `${CONFAB} hook post-tool-use --provider codex`, '') },
    });
    expect(await codex.hookInstaller!.isInstalled()).toBe(true);
  });

  it('keeps user content and comments, and removing the hooks gives back the exact original bytes', async () => {
    writeFileSync(configFile, USER_CONFIG);
    await codex.hookInstaller!.install({ command: CONFAB });
    const installed = readFileSync(configFile, 'utf8');
    const toml = parse(installed) as Table;
    expect(toml.model).toBe('gpt-5.5');
    expect(toml.features).toEqual({ web_search: true, hooks: true });
    expect(toml.projects['/work/app']).toEqual({ trust_level: 'trusted' });
    // The user's SessionStart group stays first; confab's trust key points at group 1.
    expect(toml.hooks.SessionStart.map((g: Table) => g.hooks[0].command)).toEqual(['/usr/bin/notify start', `${CONFAB} hook session-start --provider codex`]);
    expect(Object.keys(toml.hooks.state)).toEqual([`${configFile}:session_start:1:0`, `${configFile}:session_end:0:0`, `${configFile}:pre_tool_use:0:0`, `${configFile}:post_tool_use:0:0`]);
    expect(installed).toContain('# My Codex settings — keep these comments!\nmodel = "gpt-5.5"   # default model\n');
    expect(installed).toContain('[features]\nhooks = true # confab codex hooks: added\n# experimental bits\n');

    const res = await codex.hookInstaller!.uninstall({});
    expect(res.changed).toBe(true);
    expect(readFileSync(configFile, 'utf8')).toBe(USER_CONFIG);
    expect(await codex.hookInstaller!.isInstalled()).toBe(false);
  });

  it.each([
    ['no [features] table, trailing newline', 'model = "o3"\n\n[tui]\nnotifications = true\n'],
    ['hooks = false in [features], kept verbatim on removal', '[features]\nhooks   = false  # I turned this off\nother = 1\n'],
    ['hooks already true', '[features]\nhooks = true\n'],
    ['[features] as the last line without newline', 'model = "o3"\n[features]'],
    ['CRLF line endings', 'model = "o3"\r\n[features]\r\nx = 1\r\n'],
    ['an empty file', ''],
    ['user hook state entries', '[hooks.state."/x/config.toml:stop:0:0"]\ntrusted_hash = "sha256:00"\n'],
  ])('round-trips byte for byte: %s', (_label, original) => {
    const added = addConfabHooks(original, configFile, CONFAB);
    const toml = parse(added) as Table;
    expect(toml.features.hooks).toBe(true);
    expect(removeConfabHooks(added)).toBe(original);
    // Installing again replaces the block rather than adding a second one.
    const twice = addConfabHooks(added, configFile, CONFAB);
    expect(twice).toBe(added);
    expect(twice.split(BLOCK_START)).toHaveLength(2);
  });

  it('replaces an older block when the confab path changes, and reports no change when nothing changes', async () => {
    writeFileSync(configFile, USER_CONFIG);
    await codex.hookInstaller!.install({ command: '/old/path/confab' });
    expect((await codex.hookInstaller!.install({ command: '/old/path/confab' })).changed).toBe(false);
    await codex.hookInstaller!.install({ command: '/opt/confab tools/confab' });
    const text = readFileSync(configFile, 'utf8');
    expect(text).not.toContain('/old/path/confab');
    expect(text.split(BLOCK_START)).toHaveLength(2);
    const toml = parse(text) as Table;
    // A path with a space is quoted for the shell Codex runs hooks with.
    expect(toml.hooks.SessionStart[1].hooks[0].command).toBe("'/opt/confab tools/confab' hook session-start --provider codex");
    await codex.hookInstaller!.uninstall({});
    expect(readFileSync(configFile, 'utf8')).toBe(USER_CONFIG);
  });

  it('never touches a config.toml that does not parse', async () => {
    const broken = '# mine\nmodel = "gpt-5.5\n[features\n';
    writeFileSync(configFile, broken);
    const err = await codex.hookInstaller!.install({ command: CONFAB }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodexConfigError);
    expect((err as Error).message).toMatch(/^config\.toml is not valid TOML \(line \d+, column \d+: .+\)$/);
    expect((err as Error).message).not.toContain('\n');
    await expect(codex.hookInstaller!.uninstall({})).rejects.toThrow(CodexConfigError);
    expect(readFileSync(configFile, 'utf8')).toBe(broken);
    expect(readdirSync(home.dir)).toEqual(['config.toml']);
    expect(await codex.hookInstaller!.isInstalled()).toBe(false);
  });

  it('refuses layouts it cannot extend without breaking them', async () => {
    const inline = '[hooks]\nSessionStart = [{ hooks = [{ type = "command", command = "/bin/true" }] }]\n';
    writeFileSync(configFile, inline);
    await expect(codex.hookInstaller!.install({ command: CONFAB })).rejects.toThrow(/inline tables/);
    expect(readFileSync(configFile, 'utf8')).toBe(inline);
    const dotted = 'features.web_search = true\n';
    expect(() => addConfabHooks(dotted, configFile, CONFAB)).toThrow(/without a \[features\] table/);
    await expect(codex.hookInstaller!.install({ command: 'confab' })).rejects.toThrow(/absolute path/);
  });

  it('writes through a symlinked config.toml (dotfiles) and keeps the link', async () => {
    const dotfiles = mkdtempSync(join(tmpdir(), 'confab-dotfiles-'));
    const real = join(dotfiles, 'codex.toml');
    writeFileSync(real, USER_CONFIG);
    mkdirSync(home.dir, { recursive: true });
    symlinkSync(real, configFile);
    await codex.hookInstaller!.install({ command: CONFAB });
    expect(lstatSync(configFile).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain(BLOCK_START);
    expect(await codex.hookInstaller!.isInstalled()).toBe(true);
    await codex.hookInstaller!.uninstall({});
    expect(readFileSync(real, 'utf8')).toBe(USER_CONFIG);
  });

  it('uninstalling without a config.toml changes nothing; installing into a custom Codex dir works', async () => {
    expect(await codex.hookInstaller!.uninstall({})).toEqual({ path: configFile, changed: false });
    expect(readdirSync(home.dir)).toEqual([]);
    const other = join(mkdtempSync(join(tmpdir(), 'confab-codex-other-')), 'codex');
    const res = await codex.hookInstaller!.install({ command: CONFAB, configDir: other });
    expect(res.path).toBe(join(other, 'config.toml'));
    const toml = parse(readFileSync(res.path, 'utf8')) as Table;
    expect(Object.keys(toml.hooks.state)[0]).toBe(`${join(other, 'config.toml')}:session_start:0:0`);
    expect(await codex.hookInstaller!.isInstalled({ configDir: other })).toBe(true);
    expect(await codex.hookInstaller!.isInstalled()).toBe(false);
  });

  it('is not "installed" when the hooks feature is off or an event is missing', () => {
    const added = addConfabHooks('[features]\nweb_search = true\n', configFile, CONFAB);
    const off = added.replace('hooks = true # confab codex hooks: added', 'hooks = false');
    expect(parse(off)).toBeTruthy();
    expect(confabHooksInstalled(off)).toBe(false);
    const noPost = added.replace(/\[\[hooks\.PostToolUse\]\][\s\S]*?statusMessage = ""\n/, '');
    expect(confabHooksInstalled(noPost)).toBe(false);
    expect(confabHooksInstalled(added)).toBe(true);
  });
});
