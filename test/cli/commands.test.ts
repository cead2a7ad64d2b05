import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { REPO_ROOT, useSandbox, type RunResult, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

const COMMANDS = ['setup', 'login', 'logout', 'status', 'list', 'save', 'session download', 'session list-files', 'demo', 'search', 'index rebuild', 'session show', 'usage', 'restore', 'export', 'serve share create', 'serve share list', 'serve share revoke', 'mcp', 'mcp install', 'mcp remove'];

function oneLineError(res: RunResult, text: string | RegExp): void {
  expect(res.code).not.toBe(0);
  const lines = res.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Error: /);
  if (typeof text === 'string') expect(lines[0]).toContain(text);
  else expect(lines[0]).toMatch(text);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

/** A transcript with its cwd on every line, as Claude Code writes it. */
function writeSession(sbx: Sandbox, id: string, cwd: string): string {
  const dir = join(sbx.claudeDir, 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${id}.jsonl`);
  const lines = [
    { type: 'user', sessionId: id, cwd, uuid: 'u1', message: { role: 'user', content: `hello from ${id.slice(0, 8)}` } },
    { type: 'assistant', sessionId: id, cwd, uuid: 'a1', parentUuid: 'u1', message: { role: 'assistant', content: [{ type: 'text', text: 'hi' }] } },
  ];
  writeFileSync(path, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return path;
}

describe('every command', () => {
  it.each(COMMANDS)('`%s --help` describes it with examples', async (cmd) => {
    const res = await sandbox().run([...cmd.split(' '), '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`$ confab ${cmd}`);
    expect(res.stdout).toContain('DESCRIPTION');
    expect(res.stdout).toContain('EXAMPLES');
  });

  it('lists the new topics and commands in --help', async () => {
    const res = await sandbox().run(['--help']);
    expect(res.stdout).toMatch(/session\s+Read back a synced session/);
    for (const cmd of ['setup', 'login', 'logout', 'status', 'list', 'save', 'demo']) expect(res.stdout).toMatch(new RegExp(`^\\s+${cmd}\\s`, 'm'));
  });
});

describe('errors are one line with a non-zero exit', () => {
  it('unknown provider', async () => {
    oneLineError(await sandbox().run(['list', '--provider', 'nope']), 'unknown provider "nope" (known: claude-code, codex, cursor, opencode)');
    oneLineError(await sandbox().run(['save', '--all', '-p', 'nope']), 'unknown provider "nope"');
  });

  it('bad --since values', async () => {
    for (const v of ['5x', '0d', 'd', '-3h', '1.5h']) oneLineError(await sandbox().run(['list', '--since', v]), `invalid --since "${v}"`);
    oneLineError(await sandbox().run(['list', '--duration', '5x']), 'invalid --since "5x"');
    oneLineError(await sandbox().run(['save', 'abc', '--since', '5d']), '--since applies to --all');
  });

  it('bad flags and missing arguments point at the help', async () => {
    oneLineError(await sandbox().run(['list', '--frob']), 'Nonexistent flag: --frob (see confab list --help)');
    oneLineError(await sandbox().run(['session', 'download']), /Missing 1 required arg.*\(see confab session download --help\)/);
    oneLineError(await sandbox().run(['save']), 'give the ids of the sessions to save');
    oneLineError(await sandbox().run(['save', 'abc', '--all']), 'not both');
    oneLineError(await sandbox().run(['setup', '--config-dir', '/tmp/x']), '--config-dir needs --provider');
    oneLineError(await sandbox().run(['login']), 'Missing required flag backend-url');
    oneLineError(await sandbox().run(['login', '--backend-url', 'ftp://x', '--api-key', '-'], { input: 'cfb_0123456789abcdef0123' }), 'must use http or https');
  });

  it('no such session, and an ambiguous prefix', async () => {
    const sbx = sandbox();
    writeSession(sbx, 'abcd0000-0000-4000-8000-000000000001', '/work/a');
    writeSession(sbx, 'abcd0000-0000-4000-8000-000000000002', '/work/a');
    oneLineError(await sbx.run(['session', 'download', 'nope']), /no session "nope" in .*store/);
    oneLineError(await sbx.run(['session', 'list-files', 'nope']), 'no session "nope"');
    const save = await sbx.run(['save', 'abcd', 'zzzz']);
    expect(save.code).toBe(1);
    expect(save.stderr).toContain('✗ abcd failed: "abcd" is ambiguous: it matches 2 sessions; give more of the id');
    expect(save.stderr).toContain('✗ zzzz failed: no local session matches "zzzz" (see confab list)');

    expect((await sbx.run(['save', '--all'])).code).toBe(0);
    oneLineError(await sbx.run(['session', 'download', 'abcd']), '"abcd" is ambiguous: it matches 2 sessions');
  });

  it('an unreadable config', async () => {
    const sbx = sandbox();
    mkdirSync(sbx.confabDir, { recursive: true });
    writeFileSync(join(sbx.confabDir, 'config.json'), '{ not json');
    const path = join(sbx.confabDir, 'config.json');
    oneLineError(await sbx.run(['list']), `${path} is not valid JSON`);
    oneLineError(await sbx.run(['save', '--all']), `${path} is not valid JSON`);
    oneLineError(await sbx.run(['session', 'list-files', 'x']), `${path} is not valid JSON`);
    oneLineError(await sbx.run(['logout']), `${path} is not valid JSON`);
    const status = await sbx.run(['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ backend: { kind: 'misconfigured', error: `${path} is not valid JSON` } });
    writeFileSync(path, JSON.stringify({ backend_url: 'https://x.example', api_key: 'cfb_0123456789abcdef0123' }));
    chmodSync(path, 0o000);
    if (process.getuid?.() !== 0) oneLineError(await sbx.run(['list']), `cannot read ${path}`);
  });
});

describe('behaviour', () => {
  it('a project that opts out is shown as disabled and skipped by save', async () => {
    const sbx = sandbox();
    const secret = sbx.dir('secret');
    writeFileSync(join(secret, '.confabrc.json'), JSON.stringify({ enabled: false }));
    writeSession(sbx, 'aaaa0000-0000-4000-8000-000000000001', secret);
    writeSession(sbx, 'bbbb0000-0000-4000-8000-000000000002', sbx.dir('open'));
    const list = JSON.parse((await sbx.run(['list', '--json'])).stdout) as { sessions: { id: string; sync: { state: string; reason?: string } }[] };
    const byId = new Map(list.sessions.map((s) => [s.id.slice(0, 4), s.sync]));
    expect(byId.get('aaaa')).toMatchObject({ state: 'disabled', reason: `sync disabled by ${join(secret, '.confabrc.json')}` });
    expect(byId.get('bbbb')).toMatchObject({ state: 'not-synced' });

    const save = await sbx.run(['save', '--all', '--json']);
    expect(save.code).toBe(0);
    expect(JSON.parse(save.stdout)).toMatchObject({ sessions: 2, uploaded: 1, skipped: 1, errors: 0 });
    const store = await FileStore.open(join(sbx.confabDir, 'store'));
    try {
      expect((await store.listSessions()).map((s) => s.external_id)).toEqual(['bbbb0000-0000-4000-8000-000000000002']);
    } finally {
      await store.close();
    }
  });

  it('list --since keeps recent sessions; output has no colour when not on a terminal', async () => {
    const sbx = sandbox();
    const old = writeSession(sbx, 'old00000-0000-4000-8000-000000000001', '/w');
    writeSession(sbx, 'new00000-0000-4000-8000-000000000002', '/w');
    const { utimesSync } = await import('node:fs');
    const when = new Date(Date.now() - 3 * 86_400_000);
    utimesSync(old, when, when);
    const all = await sbx.run(['list']);
    expect(all.stdout).toMatch(/^old00000 .* 3d ago .* not synced$/m);
    expect(all.stdout).not.toContain('\u001b[');
    const recent = await sbx.run(['list', '-d', '2d']);
    expect(recent.stdout).toContain('new00000');
    expect(recent.stdout).not.toContain('old00000');
    expect((await sbx.run(['list', '--since', '4d'])).stdout).toContain('old00000');
  });

  it('save of a live session is left to its daemon with --all, and reported per session without', async () => {
    const sbx = sandbox();
    const s = new ReplayedClaudeSession(sbx.claudeDir);
    s.appendMain(10);
    await sbx.run(['hook', 'session-start'], { input: s.payload('SessionStart') });
    const all = JSON.parse((await sbx.run(['save', '--all', '--json'])).stdout) as { results: { outcome: string; error?: string }[] };
    expect(all.results).toEqual([expect.objectContaining({ outcome: 'skipped', error: 'a running sync daemon is uploading it' })]);
    const one = await sbx.run(['save', s.sessionId, '--json']);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as { results: { outcome: string }[] }).results[0]?.outcome).toMatch(/uploaded|up-to-date/);
  });

  it.skipIf(!existsSync('/usr/bin/script'))('save shows a progress bar on a terminal (sessions, bytes, rate, ETA), plain lines otherwise', async () => {
    const sbx = sandbox();
    for (let i = 0; i < 3; i++) writeSession(sbx, `dddd000${i}-0000-4000-8000-000000000001`, '/w');
    const tty = await sbx.exec('/usr/bin/script', ['-qec', `${process.execPath} ${join(REPO_ROOT, 'bin/run.js')} save --all`, '/dev/null']);
    expect(tty.code).toBe(0);
    // The first and last frames are always drawn (the ones between depend on timing).
    expect(tty.stdout).toContain('0% | 0/3 sessions | 0 B | 0 B/s | ETA …');
    expect(tty.stdout).toMatch(/100% \| 3\/3 sessions \| [\d.]+ (B|KB) \| [\d.]+ (B|KB|MB)\/s \| ETA 0s/);
    expect(tty.stdout).toContain('Saved 3 sessions');

    writeSession(sbx, 'eeee0000-0000-4000-8000-000000000001', '/w');
    const plain = await sbx.run(['save', '--all']);
    expect(plain.stdout + plain.stderr).not.toContain('\u001b[');
    // Progress goes to stderr; stdout holds the result alone.
    expect(plain.stderr).toMatch(/^\[1\/4\] ✓ eeee0000 uploaded 1 chunk, 2 lines/m);
    expect(plain.stderr).toMatch(/^\[2\/4\] ✓ dddd000\d already backed up/m);
    expect(plain.stdout).not.toContain('[1/4]');
    expect(plain.stdout.trim()).toMatch(/^Saved 4 sessions: 1 uploaded, 3 already backed up — 1 chunks, 2 lines, [\d.]+ (B|KB) sent in [\d.]+ s$/);
  });

  it('hints and notes go to stderr: stdout holds only the results', async () => {
    const sbx = sandbox();
    writeSession(sbx, 'ffff0000-0000-4000-8000-000000000001', '/w');
    const list = await sbx.run(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(2); // the header and the session
    expect(list.stderr).toContain('1 session not fully backed up. Back up one with: confab save <id>');
    const status = await sbx.run(['status']);
    expect(status.stdout).toMatch(/Claude Code\s+✓\s+✗/);
    expect(status.stdout).not.toContain('Install the missing hooks');
    expect(status.stderr).toContain('Install the missing hooks with: confab setup');
    const hooks = await sbx.run(['hooks', 'add', '--provider', 'claude-code']);
    expect(hooks.code).toBe(0);
    expect(hooks.stdout).toContain('Hooks run:');
    expect(hooks.stdout).not.toContain('Undo with');
    expect(hooks.stderr).toContain('Undo with: confab hooks remove --provider claude-code');
    const setup = await sbx.run(['setup']);
    expect(setup.stdout).toContain('Sessions go to the local store');
    expect(setup.stdout).not.toMatch(/Undo with|New sessions are now synced/);
    expect(setup.stderr).toContain('New sessions are now synced as they happen');
  });

  it('setup with no agent installed sets up the store and says how to go on', async () => {
    const sbx = sandbox();
    const res = await sbx.run(['setup'], { env: { PATH: '/usr/bin:/bin' } });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Sessions go to the local store');
    expect(res.stderr).toContain('no supported agent found');
    expect(existsSync(join(sbx.confabDir, 'store', 'store.json'))).toBe(true);
    expect(existsSync(sbx.claudeDir)).toBe(false);
  });

  it('setup --provider installs even without detection, and --backend-url local forgets a server', async () => {
    const sbx = sandbox();
    mkdirSync(sbx.confabDir, { recursive: true });
    writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ backend_url: 'https://old.example', api_key: 'cfb_0123456789abcdef0123', log_level: 'debug' }));
    const res = await sbx.run(['setup', '--provider', 'claude-code', '--backend-url', 'local', '--json']);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { backend: Record<string, unknown>; hooks: { provider: string; changed: boolean }[] };
    expect(out.backend).toMatchObject({ kind: 'local', switchedFrom: 'https://old.example' });
    expect(out.hooks).toEqual([expect.objectContaining({ provider: 'claude-code', changed: true })]);
    expect(JSON.parse(readFileSync(join(sbx.confabDir, 'config.json'), 'utf8'))).toEqual({ backend_url: '', api_key: '', log_level: 'debug' });
    expect(existsSync(join(sbx.claudeDir, 'settings.json'))).toBe(true);
  });

  it('logout without a key changes nothing', async () => {
    const sbx = sandbox();
    const res = await sbx.run(['logout']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('No API key stored');
    expect(existsSync(join(sbx.confabDir, 'config.json'))).toBe(false);
  });

  it('status reports the local store, agents, hooks and daemons', async () => {
    const sbx = sandbox();
    mkdirSync(sbx.claudeDir, { recursive: true });
    await sbx.run(['setup']);
    writeSession(sbx, 'cccc0000-0000-4000-8000-000000000001', '/w');
    await sbx.run(['save', '--all']);
    const res = await sbx.run(['status', '--json']);
    expect(res.code).toBe(0);
    const st = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(st).toMatchObject({
      backend: { kind: 'local', source: 'default', storeDir: join(sbx.confabDir, 'store'), exists: true, sessions: 1 },
      redaction: true,
      providers: [
        { provider: 'claude-code', detected: true, hooksInstalled: true, runningDaemons: 0 },
        { provider: 'codex', detected: false, hooksInstalled: false, runningDaemons: 0 },
        { provider: 'cursor', detected: false, hooksInstalled: false, runningDaemons: 0 },
        { provider: 'opencode', detected: false, hooksInstalled: false, runningDaemons: 0 },
      ],
      daemons: { running: 0, stale: 0 },
    });
    expect((st.backend as { sizeBytes: number }).sizeBytes).toBeGreaterThan(0);
    const text = await sbx.run(['status']);
    expect(text.stdout).toMatch(/Backend:\s+local store .* \(1 session, [\d.]+ KB\)/);
    expect(text.stdout).toMatch(/Claude Code\s+✓\s+✓\s+0/);
  });
});
