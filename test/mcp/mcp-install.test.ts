import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFAB_BIN, useSandbox } from '../helpers/sandbox.js';

// `confab mcp install` / `remove` on a temp HOME: Claude Code's user config (~/.claude.json)
// and a project's .mcp.json.
const sandbox = useSandbox();

/**
 * The entry install writes: the absolute path of this confab (a `confab` on PATH that is this
 * installation, else its bin/run.js — as the hooks get), run with `mcp`.
 */
function entryIn(path: string): { type: string; command: string; args: string[]; env: object } {
  const entry = (readJson(path).mcpServers as Record<string, { command: string }>).confab!;
  expect(isAbsolute(entry.command)).toBe(true);
  expect(realpathSync(entry.command)).toBe(realpathSync(CONFAB_BIN));
  return { type: 'stdio', command: entry.command, args: ['mcp'], env: {} };
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

describe('confab mcp install / remove', () => {
  it('user scope: adds confab to mcpServers in ~/.claude.json keeping every other key, once; remove takes only it out', async () => {
    const sbx = sandbox();
    const path = join(sbx.home, '.claude.json');
    const before = { numStartups: 7, projects: { '/w/shop': { allowedTools: [], mcpServers: { local: { type: 'stdio', command: 'x', args: [], env: {} } } } }, mcpServers: { other: { type: 'http', url: 'https://example.invalid/mcp' } } };
    writeFileSync(path, `${JSON.stringify(before, null, 2)}\n`, { mode: 0o644 });

    const add = await sbx.run(['mcp', 'install']);
    expect(add.code, add.stderr).toBe(0);
    const ENTRY = entryIn(path);
    expect(add.stdout).toContain(`added the confab MCP server to ${path}`);
    expect(add.stdout).toContain('[mcp_servers.confab]');
    expect(add.stdout).toContain(`command = ${JSON.stringify(ENTRY.command)}`);
    expect(add.stdout).toContain('mcp__confab');
    const after = readJson(path);
    expect(after).toEqual({ ...before, mcpServers: { other: before.mcpServers.other, confab: ENTRY } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');

    const again = await sbx.run(['mcp', 'install', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ scope: 'user', path, changed: false, command: ENTRY.command });
    expect(readFileSync(path, 'utf8')).toBe(text);

    const remove = await sbx.run(['mcp', 'remove']);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stdout).toContain(`removed the confab MCP server from ${path}`);
    expect(readJson(path)).toEqual(before);
    const twice = await sbx.run(['mcp', 'remove', '--json']);
    expect(JSON.parse(twice.stdout)).toMatchObject({ changed: false });
  });

  it('user scope without ~/.claude.json creates it (0600) with only the server', async () => {
    const sbx = sandbox();
    const add = await sbx.run(['mcp', 'install', '--scope', 'user']);
    expect(add.code, add.stderr).toBe(0);
    const path = join(sbx.home, '.claude.json');
    expect(readJson(path)).toEqual({ mcpServers: { confab: entryIn(path) } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('project scope: .mcp.json in the current directory; removing the last server deletes the file it made', async () => {
    const sbx = sandbox();
    const project = sbx.dir('project');
    const add = await sbx.run(['mcp', 'install', '--scope', 'project'], { cwd: project });
    expect(add.code, add.stderr).toBe(0);
    const path = join(project, '.mcp.json');
    const ENTRY = entryIn(path);
    expect(readJson(path)).toEqual({ mcpServers: { confab: ENTRY } });
    expect(existsSync(join(sbx.home, '.claude.json'))).toBe(false);
    expect(JSON.parse((await sbx.run(['mcp', 'install', '--scope', 'project', '--json'], { cwd: project })).stdout)).toMatchObject({ changed: false, path });

    const remove = await sbx.run(['mcp', 'remove', '--scope', 'project'], { cwd: project });
    expect(remove.code, remove.stderr).toBe(0);
    expect(existsSync(path)).toBe(false);

    // A shared .mcp.json with other servers keeps them.
    const shared = { mcpServers: { db: { command: 'db-mcp', args: [] } } };
    writeFileSync(path, JSON.stringify(shared));
    await sbx.run(['mcp', 'install', '--scope', 'project'], { cwd: project });
    expect(readJson(path)).toEqual({ mcpServers: { ...shared.mcpServers, confab: ENTRY } });
    await sbx.run(['mcp', 'remove', '--scope', 'project'], { cwd: project });
    expect(readJson(path)).toEqual(shared);
  });

  it('a broken target file: one-line error, non-zero exit, the file untouched', async () => {
    const sbx = sandbox();
    const path = join(sbx.home, '.claude.json');
    for (const broken of ['{"numStartups": 3,', '[1, 2]', '{"mcpServers": []}']) {
      writeFileSync(path, broken);
      for (const cmd of [['mcp', 'install'], ['mcp', 'remove']]) {
        const res = await sbx.run(cmd);
        expect(res.code, `${cmd.join(' ')} on ${broken}`).toBe(1);
        expect(res.stderr.trim().split('\n'), res.stderr).toHaveLength(1);
        expect(res.stderr).toMatch(new RegExp(`^Error: ${path.replace(/[.]/g, '\\.')}`));
        expect(res.stderr).toContain('left it unchanged');
        expect(readFileSync(path, 'utf8')).toBe(broken);
      }
    }
    const project = sbx.dir('project');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, '.mcp.json'), '{oops');
    const res = await sbx.run(['mcp', 'install', '--scope', 'project'], { cwd: project });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('.mcp.json is not valid JSON');
    expect(readFileSync(join(project, '.mcp.json'), 'utf8')).toBe('{oops');

    const scope = await sbx.run(['mcp', 'install', '--scope', 'global']);
    expect(scope.code).toBe(2);
    expect(scope.stderr.trim().split('\n')).toHaveLength(1);
  }, 240_000);
});
