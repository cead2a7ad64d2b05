import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HookInputError } from 'confab-cli/provider';
import { parseHookInput } from '../src/hook-payload.js';
import { opencodeConfigDir, opencodeDbPath } from '../src/opencode-paths.js';
import { isOpencodeProcess } from '../src/parent-process.js';

describe('OpenCode hook payloads', () => {
  it("maps the plugin's payload; the transcript is the file confab writes for the session", () => {
    const input = parseHookInput('session-start', { session_id: 'ses_01ABC', cwd: '/work/p', parent_pid: 4242, parent_id: 'ses_00P' });
    expect(input).toEqual({
      sessionId: 'ses_01ABC',
      transcriptPath: join(homedir(), '.confab', 'opencode', 'ses_01ABC', 'messages.jsonl'),
      cwd: '/work/p',
      parentPid: 4242,
      payload: { session_id: 'ses_01ABC', cwd: '/work/p', parent_pid: 4242, parent_id: 'ses_00P' },
    });
    expect(parseHookInput('session-end', { session_id: 'ses_01ABC' })).toMatchObject({ sessionId: 'ses_01ABC', cwd: '' });
  });

  it.each([
    [[], 'hook payload must be a JSON object'],
    [{}, 'hook payload "session_id" is required'],
    [{ session_id: '../../etc' }, 'hook payload "session_id" must match ^[A-Za-z0-9_-]+$ (at most 200 characters)'],
    [{ session_id: 'ses_1', cwd: 3 }, 'hook payload "cwd" must be a string'],
    [{ session_id: 'ses_1', parent_id: 'a/b' }, 'hook payload "parent_id" must match ^[A-Za-z0-9_-]+$'],
    [{ session_id: 'ses_1', parent_pid: -1 }, 'hook payload "parent_pid" must be a non-negative integer'],
  ])('refuses %j in one line', (payload, message) => {
    expect(() => parseHookInput('session-start', payload)).toThrow(new HookInputError(message));
  });
});

describe("OpenCode's directories", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CONFAB_OPENCODE_CONFIG_DIR', 'CONFAB_OPENCODE_DB']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('the plugin goes where OpenCode loads plugins from: CONFAB_OPENCODE_CONFIG_DIR, else $XDG_CONFIG_HOME/opencode, else ~/.config/opencode', () => {
    delete process.env.CONFAB_OPENCODE_CONFIG_DIR;
    delete process.env.XDG_CONFIG_HOME;
    expect(opencodeConfigDir()).toBe(join(homedir(), '.config', 'opencode'));
    process.env.XDG_CONFIG_HOME = '/xdg/config';
    expect(opencodeConfigDir()).toBe('/xdg/config/opencode');
    process.env.CONFAB_OPENCODE_CONFIG_DIR = '/oc/config';
    expect(opencodeConfigDir()).toBe('/oc/config');
  });

  it('the database: CONFAB_OPENCODE_DB, else $XDG_DATA_HOME/opencode, else ~/.local/share/opencode', () => {
    delete process.env.CONFAB_OPENCODE_DB;
    delete process.env.XDG_DATA_HOME;
    expect(opencodeDbPath()).toBe(join(homedir(), '.local', 'share', 'opencode', 'opencode.db'));
    process.env.XDG_DATA_HOME = '/xdg/data';
    expect(opencodeDbPath()).toBe('/xdg/data/opencode/opencode.db');
    process.env.CONFAB_OPENCODE_DB = '/oc/my.db';
    expect(opencodeDbPath()).toBe('/oc/my.db');
  });
});

describe('finding the OpenCode process', () => {
  it.each([
    ['the native binary', { comm: 'opencode', argv: ['/usr/local/bin/opencode'] }, true],
    ['bun running OpenCode', { comm: 'bun', argv: ['bun', '/home/u/.opencode/bin/opencode'] }, true],
    ['the shell running the hook', { comm: 'sh', argv: ['sh', '-c', 'confab hook session-start --provider opencode'] }, false],
    ["confab's own hook process", { comm: 'node', argv: ['node', '/opt/confab/bin/run.js', 'hook', 'session-start', '--provider', 'opencode'] }, false],
  ])('%s: %s', (_label, proc, expected) => {
    expect(isOpencodeProcess(proc)).toBe(expected);
  });
});
