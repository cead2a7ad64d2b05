/**
 * The plugin confab installs into OpenCode, run as OpenCode runs it (transpiled from the
 * installed TypeScript, with a stand-in for Bun's `$` shell that records each command).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { pluginCommands, pluginSource } from '../src/opencode-plugin-file.js';

type Hooks = { event: (arg: { event: unknown }) => Promise<void>; dispose: () => Promise<void> };
type PluginFn = (ctx: { $: unknown }) => Promise<Hooks>;

const CONFAB = '/opt/my tools/confab';

async function loadPlugin(failFirst = 0): Promise<{ hooks: Hooks; commands: { stdin: unknown; argv: string }[] }> {
  const js = (await transform(pluginSource(CONFAB), { loader: 'ts', format: 'esm' })).code;
  const file = join(mkdtempSync(join(tmpdir(), 'confab-oc-plugin-')), 'confab-sync.mjs');
  writeFileSync(file, js);
  const mod = (await import(pathToFileURL(file).href)) as { ConfabSync: PluginFn };
  const commands: { stdin: unknown; argv: string }[] = [];
  let failures = failFirst;
  // Bun's `$`: strings[] and interpolated values, each value one shell word.
  const $ = (strings: TemplateStringsArray, ...values: unknown[]) => {
    expect(strings.map((s) => s.trim())).toEqual(['echo', '|', expect.stringMatching(/^hook session-(start|end) --provider opencode$/)]);
    commands.push({ stdin: JSON.parse(String(values[0])), argv: `${String(values[1])} ${strings[2]!.trim()}` });
    return {
      quiet: async () => {
        if (failures-- > 0) throw new Error('confab: command not found');
      },
    };
  };
  return { hooks: await mod.ConfabSync({ $ }), commands };
}

describe("confab's OpenCode plugin", () => {
  it('starts a sync on session.created and on activity, once per session, and ends each at dispose', async () => {
    const { hooks, commands } = await loadPlugin();
    await hooks.event({ event: { type: 'session.created', properties: { info: { id: 'ses_A', directory: '/work/p' } } } });
    await hooks.event({ event: { type: 'session.created', properties: { info: { id: 'ses_B', directory: '/work/p', parentID: 'ses_A' } } } });
    await hooks.event({ event: { type: 'session.status', properties: { sessionID: 'ses_A' } } });
    // session.updated carries the session in `info`.
    await hooks.event({ event: { type: 'session.updated', properties: { info: { id: 'ses_C' } } } });
    await hooks.event({ event: { type: 'message.updated', properties: { info: { id: 'msg_1', sessionID: 'ses_D' } } } });
    await hooks.dispose();
    expect(commands).toEqual([
      { stdin: { session_id: 'ses_A', cwd: '/work/p', parent_pid: process.pid }, argv: `${CONFAB} hook session-start --provider opencode` },
      { stdin: { session_id: 'ses_B', cwd: '/work/p', parent_pid: process.pid, parent_id: 'ses_A' }, argv: `${CONFAB} hook session-start --provider opencode` },
      { stdin: { session_id: 'ses_C', cwd: '', parent_pid: process.pid }, argv: `${CONFAB} hook session-start --provider opencode` },
      { stdin: { session_id: 'ses_A' }, argv: `${CONFAB} hook session-end --provider opencode` },
      { stdin: { session_id: 'ses_B' }, argv: `${CONFAB} hook session-end --provider opencode` },
      { stdin: { session_id: 'ses_C' }, argv: `${CONFAB} hook session-end --provider opencode` },
    ]);
  });

  it('retries a session-start that failed at the next event', async () => {
    const { hooks, commands } = await loadPlugin(1);
    await hooks.event({ event: { type: 'session.created', properties: { info: { id: 'ses_A', directory: '/p' } } } });
    await hooks.event({ event: { type: 'session.status', properties: { sessionID: 'ses_A' } } });
    await hooks.event({ event: { type: 'session.status', properties: { sessionID: 'ses_A' } } });
    expect(commands.map((c) => (c.stdin as { session_id: string }).session_id)).toEqual(['ses_A', 'ses_A']);
  });

  it('names the confab it runs, so status can check the program exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'confab-oc-cfg-'));
    const { installPluginFile } = await import('../src/opencode-plugin-file.js');
    await installPluginFile({ command: CONFAB, configDir: dir });
    expect(await pluginCommands({ configDir: dir })).toEqual([`'${CONFAB}' hook session-start --provider opencode`, `'${CONFAB}' hook session-end --provider opencode`]);
  });
});
