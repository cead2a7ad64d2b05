import { lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addConfabHooks, confabHooksInstalled, cursorHooksInstalled, installCursorHooks, parseHooksJson, removeConfabHooks, uninstallCursorHooks } from '../src/hooks-json.js';

const BIN = '/opt/confab/bin/confab';

const USER_FILES: Record<string, string> = {
  'two spaces, user hooks in the same events': `{
  "version": 1,
  "hooks": {
    "sessionStart": [
      { "command": "./hooks/audit.sh", "type": "command" }
    ],
    "beforeShellExecution": [{"command": "./hooks/guard.sh"}],
    "postToolUse": [
      {
        "command": "./hooks/log.sh",
        "matcher": "Shell"
      }
    ]
  },
  "x-user": {"keep": [1, 2, 3]}
}
`,
  'four spaces, no hooks key, no final newline': `{
    "version": 1,
    "note": "mine"
}`,
  tabs: '{\n\t"version": 1,\n\t"hooks": {\n\t\t"stop": [\n\t\t\t{"command": "say done"}\n\t\t]\n\t}\n}\n',
  'one line': '{"version":1,"hooks":{"afterFileEdit":[{"command":"fmt.sh"}]}}',
  'CRLF line ends': '{\r\n  "version": 1,\r\n  "hooks": {\r\n    "sessionEnd": [{"command": "bye.sh"}]\r\n  }\r\n}\r\n',
};

describe('hooks.json text edits', () => {
  for (const [name, text] of Object.entries(USER_FILES)) {
    it(`adds confab's four hooks and removes them byte for byte (${name})`, () => {
      const added = addConfabHooks(text, BIN);
      const doc = parseHooksJson(added);
      expect(confabHooksInstalled(doc)).toBe(true);
      // The user's content is all still there.
      const before = parseHooksJson(text);
      for (const [k, v] of Object.entries(before)) if (k !== 'hooks') expect(doc[k]).toEqual(v);
      for (const [event, list] of Object.entries((before.hooks ?? {}) as Record<string, unknown[]>)) {
        expect(((doc.hooks as Record<string, unknown[]>)[event] ?? []).slice(0, list.length)).toEqual(list);
      }
      expect((doc.hooks as Record<string, unknown>).preToolUse).toContainEqual({ command: `${BIN} hook pre-tool-use --provider cursor`, type: 'command', matcher: 'Shell' });
      expect(addConfabHooks(added, BIN)).toBe(added);
      expect(removeConfabHooks(added)).toBe(text);
    });
  }

  it('writes a new file as the Go CLI does, and removing everything deletes it', () => {
    const text = addConfabHooks(undefined, BIN);
    expect(JSON.parse(text)).toEqual({
      hooks: {
        postToolUse: [{ command: `${BIN} hook post-tool-use --provider cursor`, type: 'command', matcher: 'Shell' }],
        preToolUse: [{ command: `${BIN} hook pre-tool-use --provider cursor`, type: 'command', matcher: 'Shell' }],
        sessionEnd: [{ command: `${BIN} hook session-end --provider cursor`, type: 'command' }],
        sessionStart: [{ command: `${BIN} hook session-start --provider cursor`, type: 'command' }],
      },
      version: 1,
    });
    expect(text.endsWith('}\n')).toBe(true);
    expect(removeConfabHooks(text)).toBeNull();
  });

  it('upgrades a legacy install (session events only) and replaces an entry for a moved executable', () => {
    const legacy = `{"version":1,"hooks":{"sessionStart":[{"command":"/old/confab hook session-start --provider cursor","type":"command"}],"sessionEnd":[{"command":"/old/confab hook session-end --provider cursor","type":"command"}]}}`;
    expect(confabHooksInstalled(parseHooksJson(legacy))).toBe(false);
    const doc = parseHooksJson(addConfabHooks(legacy, BIN));
    expect(confabHooksInstalled(doc)).toBe(true);
    expect((doc.hooks as Record<string, unknown[]>).sessionStart).toEqual([{ command: `${BIN} hook session-start --provider cursor`, type: 'command' }]);
  });

  it('quotes an executable path with spaces', () => {
    const doc = parseHooksJson(addConfabHooks(undefined, '/Users/a b/confab'));
    expect((doc.hooks as Record<string, { command: string }[]>).sessionEnd?.[0]?.command).toBe("'/Users/a b/confab' hook session-end --provider cursor");
  });

  it('refuses a file that is not JSON, or whose hooks are not arrays', () => {
    expect(() => addConfabHooks('{"hooks": ', BIN)).toThrow(/hooks.json is not valid JSON .*confab left it alone/);
    expect(() => addConfabHooks('{"hooks": {"sessionStart": {}}}', BIN)).toThrow('"hooks.sessionStart" must be an array');
    expect(() => addConfabHooks('[]', BIN)).toThrow('must hold a JSON object');
  });
});

describe('install and uninstall on disk', () => {
  it('writes 0600 atomically, follows a symlinked file, and round-trips it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'confab-cursor-hooks-'));
    const dotfiles = join(dir, 'dotfiles');
    mkdirSync(dotfiles);
    const real = join(dotfiles, 'hooks.json');
    const original = USER_FILES['two spaces, user hooks in the same events'] as string;
    writeFileSync(real, original);
    const cursor = join(dir, 'cursor');
    mkdirSync(cursor);
    symlinkSync(real, join(cursor, 'hooks.json'));

    expect(await installCursorHooks({ command: BIN, configDir: cursor })).toEqual({ path: join(cursor, 'hooks.json'), changed: true });
    expect(lstatSync(join(cursor, 'hooks.json')).isSymbolicLink()).toBe(true);
    expect(statSync(real).mode & 0o777).toBe(0o600);
    expect(await cursorHooksInstalled({ configDir: cursor })).toBe(true);
    expect((await installCursorHooks({ command: BIN, configDir: cursor })).changed).toBe(false);

    expect((await uninstallCursorHooks({ configDir: cursor })).changed).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(original);
    expect(await cursorHooksInstalled({ configDir: cursor })).toBe(false);
  });

  it('creates the file when missing; uninstall with no file changes nothing', async () => {
    const cursor = mkdtempSync(join(tmpdir(), 'confab-cursor-hooks-'));
    expect((await uninstallCursorHooks({ configDir: cursor })).changed).toBe(false);
    await installCursorHooks({ command: BIN, configDir: cursor });
    expect(statSync(join(cursor, 'hooks.json')).mode & 0o777).toBe(0o600);
    await uninstallCursorHooks({ configDir: cursor });
    expect(() => statSync(join(cursor, 'hooks.json'))).toThrow();
  });
});
