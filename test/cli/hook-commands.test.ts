import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installIntoSettings } from '../../plugins/claude-code/src/settings-hooks.js';
import { addConfabHooks, confabHookCommands } from '../../plugins/codex/src/config-hooks.js';
import { isInPackageCache } from '../../src/cli/executable.js';
import { brokenHookPrograms } from '../../src/cli/status.js';
import { commandProgram } from '../../src/provider/hook-commands.js';
import { CONFAB_BIN, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

interface StatusJson {
  providers: { provider: string; hooksInstalled: boolean | null; brokenHooks: { program: string; problem: string }[] }[];
}

describe('hook commands that no longer resolve', () => {
  it('knows npm caches and the program of a hook command', () => {
    expect(isInPackageCache('/home/u/.npm/_npx/0a1b2c/node_modules/.bin/confab', {})).toBe(true);
    expect(isInPackageCache('/var/cache/npm-x/lib/confab', { npm_config_cache: '/var/cache/npm-x' })).toBe(true);
    expect(isInPackageCache('/usr/local/lib/node_modules/confab-cli/bin/run.js', { npm_config_cache: '/var/cache/npm-x' })).toBe(false);
    expect(commandProgram(`'/a b/c'\\''d' hook session-start`)).toBe("/a b/c'd");
    expect(brokenHookPrograms([`${CONFAB_BIN} hook pre-tool-use`, '/nowhere/confab hook session-end', '/nowhere/confab hook pre-tool-use'])).toEqual([
      { program: '/nowhere/confab', problem: 'missing' },
    ]);
  });

  it('reads the commands of the Codex managed block', () => {
    const text = addConfabHooks('model = "o3"\n', '/home/u/.codex/config.toml', '/opt/confab/bin/confab');
    const commands = confabHookCommands(text);
    expect(commands.length).toBeGreaterThan(1);
    expect(new Set(commands.map(commandProgram))).toEqual(new Set(['/opt/confab/bin/confab']));
    expect(confabHookCommands('model = "o3"\n')).toEqual([]);
  });

  it('`confab status` reports hooks whose program is gone, and `confab hooks add` repairs them', async () => {
    const sbx = sandbox();
    // What `npx confab setup` used to write: a program inside npm's npx cache, since cleared.
    const gone = join(sbx.home, '.npm', '_npx', '5f1e2d', 'node_modules', '.bin', 'confab');
    const settings: Record<string, unknown> = {};
    installIntoSettings(settings, gone);
    mkdirSync(sbx.claudeDir, { recursive: true });
    writeFileSync(join(sbx.claudeDir, 'settings.json'), JSON.stringify(settings, null, 2));

    const before = await sbx.run(['status', '--json']);
    expect(before.code).toBe(0);
    const claude = (JSON.parse(before.stdout) as StatusJson).providers.find((p) => p.provider === 'claude-code');
    expect(claude).toMatchObject({ hooksInstalled: true, brokenHooks: [{ program: gone, problem: 'missing' }] });
    const text = await sbx.run(['status']);
    expect(text.stderr).toContain(`Claude Code's hooks run ${gone}, which no longer exists. Repair them with: confab hooks add --provider claude-code`);

    const add = await sbx.run(['hooks', 'add', '--provider', 'claude-code']);
    expect(add.code).toBe(0);
    const written = readFileSync(join(sbx.claudeDir, 'settings.json'), 'utf8');
    expect(written).not.toContain(gone);
    const after = (JSON.parse((await sbx.run(['status', '--json'])).stdout) as StatusJson).providers.find((p) => p.provider === 'claude-code');
    expect(after).toMatchObject({ hooksInstalled: true, brokenHooks: [] });
  });
});
