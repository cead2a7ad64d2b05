/**
 * The OpenCode provider through the CLI: installing and removing confab's OpenCode plugin,
 * `status` detecting OpenCode, and `list`/`save` of sessions in OpenCode's database.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSessionTree, CHILD_ID, OpencodeDb, ROOT_ID } from '../../plugins/opencode/test/fixtures.js';
import { storedSessions, withLocalStore } from '../helpers/local-store.js';
import { useSandbox, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

/** Every entry under `dir`: path, mode, and content for files. */
function snapshot(dir: string): [string, number, string][] {
  const out: [string, number, string][] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push([relative(dir, p), st.mode, st.isFile() ? readFileSync(p, 'base64') : '']);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

function opencodeConfig(sbx: Sandbox, withPluginsDir: boolean): string {
  const dir = join(sbx.home, '.config', 'opencode');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'opencode.json'), '{\n  "$schema": "https://opencode.ai/config.json",\n\t"theme": "tokyonight"  \n}');
  if (withPluginsDir) {
    mkdirSync(join(dir, 'plugins'));
    writeFileSync(join(dir, 'plugins', 'mine.ts'), 'export const Mine = async () => ({})\n', { mode: 0o600 });
  }
  return dir;
}

describe('confab hooks add|remove --provider opencode', () => {
  it.each([
    ['a config dir with plugins of its own', true],
    ['a config dir without a plugins dir', false],
  ])('installs confab-sync.ts and removes it, leaving %s byte for byte as it was', async (_label, withPluginsDir) => {
    const sbx = sandbox();
    const dir = opencodeConfig(sbx, withPluginsDir);
    const before = snapshot(dir);

    const add = await sbx.run(['hooks', 'add', '--provider', 'opencode']);
    expect(add.code).toBe(0);
    const plugin = join(dir, 'plugins', 'confab-sync.ts');
    const source = readFileSync(plugin, 'utf8');
    expect(source).toContain('hook session-start --provider opencode');
    expect(source).toContain('hook session-end --provider opencode');
    // OpenCode's own files are untouched; only the plugin (and its dir, when there was none) is new.
    const added = snapshot(dir).filter(([p]) => !before.some(([q]) => q === p)).map(([p]) => p);
    expect(added).toEqual(withPluginsDir ? ['plugins/confab-sync.ts'] : ['plugins', 'plugins/confab-sync.ts']);
    expect(snapshot(dir).filter(([p]) => !added.includes(p))).toEqual(before);

    // Idempotent.
    expect((await sbx.run(['hooks', 'add', '--provider', 'opencode'])).code).toBe(0);
    expect(readFileSync(plugin, 'utf8')).toBe(source);

    const status = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { providers: { provider: string; detected: boolean; hooksInstalled: boolean; brokenHooks: string[] }[] };
    expect(status.providers.find((p) => p.provider === 'opencode')).toMatchObject({ detected: true, hooksInstalled: true, brokenHooks: [] });

    const remove = await sbx.run(['hooks', 'remove', '--provider', 'opencode']);
    expect(remove.code).toBe(0);
    expect(existsSync(plugin)).toBe(false);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('confab status, list and save with OpenCode', () => {
  it('status detects OpenCode by its database', async () => {
    const sbx = sandbox();
    const before = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { providers: { provider: string; detected: boolean }[] };
    expect(before.providers.find((p) => p.provider === 'opencode')?.detected).toBe(false);
    new OpencodeDb(join(sbx.home, '.local', 'share', 'opencode', 'opencode.db')).close();
    const after = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { providers: { provider: string; detected: boolean }[] };
    expect(after.providers.find((p) => p.provider === 'opencode')?.detected).toBe(true);
  });

  it('lists root sessions and saves one with its child session and its own directory as cwd', async () => {
    const sbx = sandbox();
    const oc = new OpencodeDb(join(sbx.home, '.local', 'share', 'opencode', 'opencode.db'));
    try {
      buildSessionTree(oc, '/work/project');
    } finally {
      oc.close();
    }
    const list = await sbx.run(['list', '--provider', 'opencode', '--json']);
    expect(list.code).toBe(0);
    const sessions = (JSON.parse(list.stdout) as { sessions: { id: string; title?: string; lastActivity: string }[] }).sessions;
    expect(sessions.map((s) => s.id)).toEqual([ROOT_ID]);
    expect(sessions[0]?.title).toBe('fix the bug in <main> & tests');
    // OpenCode's times are epoch milliseconds.
    expect(sessions[0]?.lastActivity).toBe(new Date(1_750_000_000_000).toISOString());

    const save = await sbx.run(['save', ROOT_ID.slice(0, 12), '--json']);
    expect(save.code).toBe(0);
    const stored = await storedSessions(sbx);
    expect(stored.map((s) => [s.external_id, s.provider, s.cwd])).toEqual([[ROOT_ID, 'opencode', '/work/project']]);
    const files = await withLocalStore(sbx, async (store) => {
      const s = stored[0]!;
      const out: Record<string, string> = {};
      for (const f of s.files) out[`${f.file_type}:${f.file_name}`] = (await store.readFile(s.session_id, f.file_name)).toString('utf8');
      return out;
    });
    const ids = (t: string | undefined) => (t ?? '').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { info: { id: string } }).info.id);
    expect(Object.keys(files).sort()).toEqual([`agent:opencode/${CHILD_ID}/messages.jsonl`, 'transcript:messages.jsonl']);
    expect(ids(files['transcript:messages.jsonl'])).toEqual(['msg_01', 'msg_02', 'msg_05']);
    expect(ids(files[`agent:opencode/${CHILD_ID}/messages.jsonl`])).toEqual(['msg_03', 'msg_04']);
  });
});
