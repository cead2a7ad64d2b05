import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveUserConfig } from '../../src/config/user-config.js';
import { CONFAB_BIN, freePort, REPO_ROOT, waitFor, type RunResult } from '../helpers/sandbox.js';
import { sleep } from './helpers/random.js';
import { ChaosSession, endSession, expectBackendHolds, startSession, waitPendingByDaemon } from './helpers/session.js';
import { pick, useWorld, type World } from './helpers/world.js';

// Security review, as tests: file modes under a permissive umask, the API key kept out of
// every log, argv, message and state file, transcript paths that escape, agent settings never
// clobbered, another user's daemon, and confab serve's auth and file boundary.

const openWorld = useWorld();

/** Every file and directory under `dir` (not following links), with its mode. */
function walk(dir: string, out: { path: string; mode: number; dir: boolean }[] = []): { path: string; mode: number; dir: boolean }[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    out.push({ path, mode: st.mode & 0o777, dir: st.isDirectory() });
    if (st.isDirectory()) walk(path, out);
  }
  return out;
}

function expectPrivate(dir: string, except: (path: string) => boolean = () => false): void {
  const entries = walk(dir).filter((e) => !except(e.path));
  expect(entries.length).toBeGreaterThan(0);
  const wrong = entries.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path.slice(dir.length)} ${e.mode.toString(8)}`);
  expect(wrong).toEqual([]);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, JSON.stringify(stderr)).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('file modes with umask 000', () => {
  it('state, inbox, ready marker, logs, pending records, the embedded store and a served store: dirs 0700, files 0600', async () => {
    const w = await openWorld('local');
    const umask = (args: string[], input: string): Promise<RunResult> =>
      w.sbx.exec('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, CONFAB_BIN, ...args], { input });
    const hook = async (s: ChaosSession, event: string, name: 'SessionStart' | 'SessionEnd' | 'UserPromptSubmit') => {
      const res = await umask(['hook', event], s.payload(name));
      expect(res.code).toBe(0);
      return res;
    };

    // A session to the embedded store; its inbox is looked at while the daemon is stopped.
    const a = new ChaosSession(w);
    a.append(3);
    await hook(a, 'session-start', 'SessionStart');
    await waitFor(async () => (await w.held(a.id)) !== undefined, { what: 'the first sync' });
    await a.work(4);
    const [pid] = w.daemons();
    process.kill(pid!, 'SIGSTOP');
    await hook(a, 'session-end', 'SessionEnd');
    const inbox = join(w.sbx.confabDir, 'sync', 'claude-code', `${a.id}.inbox.jsonl`);
    expect(statSync(inbox).mode & 0o777).toBe(0o600);
    const snapshot = walk(w.sbx.confabDir);
    process.kill(pid!, 'SIGCONT');
    await a.daemonGone();
    await expectBackendHolds(w, a);

    // A session left pending (its store unreachable).
    await w.down();
    const b = new ChaosSession(w);
    b.append(3);
    await hook(b, 'session-start', 'SessionStart');
    await b.work(3);
    await hook(b, 'session-end', 'SessionEnd');
    await waitPendingByDaemon(w, b);
    expect(statSync(w.pendingPath(b.id)).mode & 0o777).toBe(0o600);
    expect(statSync(join(w.sbx.confabDir, 'pending')).mode & 0o777).toBe(0o700);
    await w.up();

    // A served store: keys created and a session synced to `confab serve`, all under umask 000.
    const served = join(w.sbx.root, 'served');
    const key = (await umask(['serve', 'keys', 'create', 'me', '--store', served], '')).stdout.trim();
    const port = await freePort();
    w.sbx.spawn('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, CONFAB_BIN, 'serve', '--port', String(port), '--store', served], { stdio: 'ignore' });
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), { what: 'confab serve', timeoutMs: 15_000 });
    w.writeUserConfig({ backend_url: `http://127.0.0.1:${port}`, api_key: key });
    chmodSync(join(w.sbx.confabDir, 'config.json'), 0o600);
    const c = new ChaosSession(w);
    c.append(4);
    await hook(c, 'session-start', 'SessionStart');
    await c.work(3);
    await hook(c, 'session-end', 'SessionEnd');
    await c.daemonGone();

    // The snapshot taken while a daemon was live (state, ready marker, inbox, store lock...).
    const wrong = snapshot.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600));
    expect(wrong.map((e) => `${e.path} ${e.mode.toString(8)}`)).toEqual([]);
    expect(snapshot.some((e) => e.path.endsWith(`${a.id}.json`))).toBe(true);
    expect(snapshot.some((e) => e.path.endsWith('.ready'))).toBe(true);
    expectPrivate(w.sbx.confabDir);
    expectPrivate(served);
    for (const must of ['logs/confab.log', `logs/claude-code/${a.id}.log`, 'pending/claude-code', 'store/store.json']) {
      expect(existsSync(join(w.sbx.confabDir, must)), must).toBe(true);
    }
    expect(existsSync(join(served, 'keys.json'))).toBe(true);
  });

  it('the user config written by confab is 0600 in a 0700 dir', () => {
    const dir = join(process.env.HOME!, 'umask-config');
    const old = process.umask(0);
    try {
      saveUserConfig({ backend_url: 'http://127.0.0.1:1', api_key: `cfb_${'k'.repeat(40)}` }, join(dir, 'nested', 'config.json'));
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'nested', 'config.json')).mode & 0o777).toBe(0o600);
  });
});

describe('the API key stays secret', () => {
  it('never in argv of hooks or daemons, logs, state or pending files, or messages — even when the server echoes it', async () => {
    const w = await openWorld('http');
    const key = w.key;
    // Sample every process of the sandbox (hooks come and go) while sessions run.
    const argvs = new Map<number, string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const pid of w.sbx.strayPids()) {
          try {
            argvs.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
          } catch {
            // gone
          }
        }
        await sleep(5);
      }
    })();
    const stderr: string[] = [];
    const s = await startSession(w);
    await s.work(4);
    // A server that echoes the Authorization header back in its error bodies.
    const echo: HttpServer = createServer((req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error for ${req.headers.authorization ?? ''}`);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    try {
      w.writeUserConfig({ backend_url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}`, api_key: key });
      const t = new ChaosSession(w);
      t.append(3);
      stderr.push((await t.hook('session-start')).stderr);
      await t.work(3);
      await waitFor(() => /HTTP 500/.test(w.daemonLog(t.id)), { what: 'the echoing server to answer' });
      stderr.push((await t.hook('session-end')).stderr);
      expect(String((await waitPendingByDaemon(w, t)).last_error)).toContain('HTTP 500');
    } finally {
      echo.close();
    }
    // A key with a typo in config: the hook's message names the problem, not the key.
    const typo = `${key.slice(0, 30)} ${key.slice(30)}`;
    w.writeUserConfig({ backend_url: w.url, api_key: typo });
    const u = new ChaosSession(w);
    u.append(1);
    const bad = await u.hook('session-start');
    expect(bad.stderr.split('\n')[0]).toMatch(/not starting a daemon: .*"api_key" is not a confab API key/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    stderr.push(bad.stderr);
    w.writeUserConfig({ backend_url: w.url, api_key: key });
    stderr.push((await s.hook('session-end')).stderr);
    await s.daemonGone();
    sampling = false;
    await sampler;

    const daemonArgv = [...argvs.values()].filter((a) => a.includes('--bg-daemon'));
    expect(daemonArgv.length).toBeGreaterThanOrEqual(2);
    expect([...argvs.values()].filter((a) => a.includes('\0hook\0')).length).toBeGreaterThan(0);
    for (const argv of argvs.values()) {
      expect(argv).not.toContain(key);
      expect(argv).not.toContain(key.slice(4, 24));
    }
    for (const text of stderr) expect(text).not.toContain(key.slice(4, 24));
    for (const { path, dir } of walk(w.sbx.confabDir)) {
      if (dir || path.endsWith('config.json')) continue;
      const text = readFileSync(path, 'latin1');
      expect(text, path).not.toContain(key.slice(4, 24));
    }
  });
});

describe('transcript paths that escape', () => {
  it('traversal, relative paths, outside paths and symlink escapes are refused by every hook that can start a daemon', async () => {
    const w = await openWorld('local');
    const projects = join(w.sbx.claudeDir, 'projects', '-work-app');
    mkdirSync(projects, { recursive: true });
    const outside = w.sbx.dir('outside');
    writeFileSync(join(outside, 'secret.jsonl'), '{"secret":true}\n');
    symlinkSync(join(outside, 'secret.jsonl'), join(projects, 'link-to-outside.jsonl'));
    symlinkSync(outside, join(w.sbx.claudeDir, 'projects', 'linked-dir'));
    symlinkSync(join(outside, 'missing.jsonl'), join(projects, 'dangling.jsonl'));
    const codexSessions = join(w.sbx.home, '.codex', 'sessions', '2026', '11', '25');
    mkdirSync(codexSessions, { recursive: true });
    const rollout = 'rollout-2026-11-25T10-00-00-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl';
    writeFileSync(join(outside, rollout), '{"type":"session_meta"}\n');
    symlinkSync(join(outside, rollout), join(codexSessions, rollout));

    const escapes = [
      `${projects}/../../../../outside/secret.jsonl`,
      'relative/secret.jsonl',
      join(outside, 'secret.jsonl'),
      '/etc/passwd',
      join(projects, 'link-to-outside.jsonl'),
      join(w.sbx.claudeDir, 'projects', 'linked-dir', 'secret.jsonl'),
      join(projects, 'dangling.jsonl'),
      `${projects}/x\u0000.jsonl`,
    ];
    const s = new ChaosSession(w);
    let n = 0;
    for (const path of escapes) {
      for (const event of ['session-start', 'user-prompt-submit', 'session-end'] as const) {
        const res = await s.hook(event, { transcript_path: path });
        expect(oneLine(res.stderr), `${event} ${path}`).toMatch(/transcript_path/);
        n++;
      }
    }
    for (const path of [join(codexSessions, '..', '..', '..', '..', '..', 'outside', rollout), join(outside, rollout), join(codexSessions, rollout)]) {
      const payload = JSON.stringify({ session_id: '0199a213-81c0-7800-8aa1-bbab2a035a53', transcript_path: path, cwd: '/work/app', hook_event_name: 'SessionStart', source: 'startup', model: 'gpt-5' });
      const res = await w.sbx.run(['hook', 'session-start', '--provider', 'codex'], { input: payload });
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toBeTypeOf('object');
      expect(oneLine(res.stderr), path).toMatch(/transcript_path/);
      n++;
    }
    expect(n).toBe(escapes.length * 3 + 3);
    await sleep(300);
    expect(w.daemons()).toEqual([]);
    expect(existsSync(join(w.sbx.confabDir, 'sync', 'claude-code'))).toBe(false);
    expect(existsSync(join(w.sbx.confabDir, 'pending'))).toBe(false);
    expect(existsSync(join(w.sbx.confabDir, 'store'))).toBe(false);
  });
});

describe("the agents' settings are never clobbered", () => {
  // Files confab cannot edit safely: refused, left byte for byte.
  const claudeBad = ['{ "hooks": ', '[]', '{"hooks": []}', '{"hooks": {"SessionStart": "confab"}}', '\u0000\u0001binary', '{"a":1}{"b":2}', '"just a string"'];
  const codexBad = ['[features\nhooks = true', 'features = 3\n[features]\nx=1', '\u0000', 'a = 1\na = 2\n'];
  // Odd but editable: confab adds its hooks next to the user's entries and takes only its own out.
  const claudeOdd = ['{"hooks": {"SessionStart": [{"hooks": 7}]}}', '{"hooks": {"Unknown": [1, 2]}, "other": {"x": [null]}}', '{}'];
  const codexOdd = ['# only a comment\n', '[hooks]\nSessionStart = 5\n', '[features]\nhooks = false\nother = "x"\n'];

  it('an invalid settings.json or config.toml is left byte for byte, with a clear message', async () => {
    const w = await openWorld('local');
    const settings = join(w.sbx.claudeDir, 'settings.json');
    const toml = join(w.sbx.home, '.codex', 'config.toml');
    mkdirSync(w.sbx.claudeDir, { recursive: true });
    mkdirSync(join(w.sbx.home, '.codex'), { recursive: true });
    for (const [provider, path, contents] of [
      ['claude-code', settings, claudeBad],
      ['codex', toml, codexBad],
    ] as const) {
      for (const content of pick(contents.slice(0, 3), contents)) {
        writeFileSync(path, content);
        for (const cmd of ['add', 'remove']) {
          const res = await w.sbx.run(['hooks', cmd, '--provider', provider]);
          const what = `${provider} ${cmd} ${JSON.stringify(content)}`;
          expect(readFileSync(path, 'utf8'), what).toBe(content);
          expect(res.code, what).not.toBe(0);
          expect(res.stderr, what).toMatch(/unchanged|not valid|fix it by hand|cannot/);
          expect(res.stderr, what).not.toMatch(/\n\s+at /);
        }
      }
    }
  });

  it("an odd but valid file keeps the user's entries through add and remove", async () => {
    const w = await openWorld('local');
    const settings = join(w.sbx.claudeDir, 'settings.json');
    const toml = join(w.sbx.home, '.codex', 'config.toml');
    mkdirSync(w.sbx.claudeDir, { recursive: true });
    mkdirSync(join(w.sbx.home, '.codex'), { recursive: true });
    for (const content of pick(claudeOdd.slice(0, 1), claudeOdd)) {
      writeFileSync(settings, content);
      expect((await w.sbx.run(['hooks', 'add', '--provider', 'claude-code'])).code).toBe(0);
      const added = JSON.parse(readFileSync(settings, 'utf8')) as Record<string, unknown>;
      expect(JSON.stringify(added)).toContain('hook session-start');
      expect((await w.sbx.run(['hooks', 'remove', '--provider', 'claude-code'])).code).toBe(0);
      expect(JSON.parse(readFileSync(settings, 'utf8')), content).toEqual(JSON.parse(content));
    }
    for (const content of pick(codexOdd.slice(0, 1), codexOdd)) {
      writeFileSync(toml, content);
      const add = await w.sbx.run(['hooks', 'add', '--provider', 'codex']);
      if (add.code !== 0) {
        expect(readFileSync(toml, 'utf8'), content).toBe(content);
        continue;
      }
      expect((await w.sbx.run(['hooks', 'remove', '--provider', 'codex'])).code).toBe(0);
      expect(readFileSync(toml, 'utf8'), content).toBe(content);
    }
  });
});

/**
 * confab's entry point as the other user can run it. A checkout inside a private directory
 * (a clone in a `mktemp -d` dir, as CI makes) is out of that user's reach, which is not what
 * this test is about; what confab runs from is then linked (hard links, cheap) into the
 * test's own open directory.
 */
function confabFor(w: World, nobody: (cmd: string) => { status: number | null }): string {
  if (nobody(`test -r ${CONFAB_BIN}`).status === 0) return CONFAB_BIN;
  const copy = w.sbx.dir('checkout');
  chmodSync(copy, 0o755);
  const parts = ['bin', 'dist', 'package.json', 'node_modules', 'plugins'].map((p) => join(REPO_ROOT, p));
  const linked = spawnSync('cp', ['-al', ...parts, copy], { encoding: 'utf8' });
  if (linked.status !== 0) {
    const copied = spawnSync('cp', ['-a', ...parts, copy], { encoding: 'utf8' });
    if (copied.status !== 0) throw new Error(`cannot give the other user a copy of confab: ${copied.stderr.trim()}`);
  }
  const bin = join(copy, 'bin', 'run.js');
  expect(nobody(`test -r ${bin}`).status).toBe(0);
  return bin;
}

const asNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true']).status === 0;

describe.runIf(asNobody)("another user and a daemon's files", () => {
  it('cannot read its state, write its inbox, or stop it through the hook', async () => {
    const w = await openWorld('local');
    // A home that others may traverse, as many are; confab's own dirs must still keep them out.
    chmodSync(w.sbx.root, 0o755);
    chmodSync(w.sbx.home, 0o755);
    const open = w.sbx.dir('open');
    chmodSync(open, 0o777);
    const s = await startSession(w);
    await s.work(3);
    const [pid] = w.daemons();
    const state = w.statePath(s.id);
    const inbox = join(w.sbx.confabDir, 'sync', 'claude-code', `${s.id}.inbox.jsonl`);
    const nobody = (cmd: string, opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
      spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/bin/sh', '-c', cmd], { encoding: 'utf8', input: opts.input ?? '', env: { ...w.sbx.env, ...opts.env } });

    // The control: the same user can write where the modes allow it.
    expect(nobody(`echo x > ${open}/probe`).status).toBe(0);
    expect(nobody(`cat ${state}`).status).not.toBe(0);
    expect(nobody(`echo '{"type":"session_end","timestamp":"2026-01-01T00:00:00Z"}' >> ${inbox}`).status).not.toBe(0);
    expect(nobody(`ls ${w.sbx.confabDir}/store`).status).not.toBe(0);
    expect(existsSync(inbox)).toBe(false);
    // The hook run by the other user, against this user's HOME: a clean answer, nothing done.
    const res = nobody(`exec ${process.execPath} ${confabFor(w, nobody)} hook session-end`, {
      input: s.payload('SessionEnd'),
      // Not the test's fault-injection preload: it lives in the checkout, and is the victim's.
      env: { NODE_OPTIONS: undefined },
    });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ continue: true });
    oneLine(res.stderr);
    await sleep(300);
    expect(w.daemons()).toEqual([pid]);
    expect(existsSync(inbox)).toBe(false);
    await s.work(2);
    await endSession(w, s);
  });
});

describe('confab serve: keys and the store boundary', () => {
  it('refuses requests without a valid key and never serves a file outside the session', async () => {
    const w = await openWorld('local');
    const served = join(w.sbx.root, 'served');
    const key = (await w.sbx.run(['serve', 'keys', 'create', 'me', '--store', served])).stdout.trim();
    const revoked = (await w.sbx.run(['serve', 'keys', 'create', 'old', '--store', served])).stdout.trim(); // the same user as `me`
    const other = (await w.sbx.run(['serve', 'keys', 'create', 'eve', '--user', 'eve', '--store', served])).stdout.trim();
    await w.sbx.run(['serve', 'keys', 'revoke', 'old', '--store', served]);
    const port = await freePort();
    w.sbx.spawn(process.execPath, [CONFAB_BIN, 'serve', '--port', String(port), '--store', served], { stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => fetch(`${base}/health`).then((r) => r.ok, () => false), { what: 'confab serve', timeoutMs: 15_000 });
    w.writeUserConfig({ backend_url: base, api_key: key });
    const s = new ChaosSession(w);
    s.append(4);
    s.append(2, 'agent');
    await s.hook('session-start');
    await s.work(2);
    await s.hook('session-end');
    await s.daemonGone();
    const id = ((await (await fetch(`${base}/api/v1/sessions/by-external-id/${s.id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { session_id: string }).session_id;

    const secrets = [readFileSync(join(served, 'keys.json'), 'utf8'), readFileSync(join(served, 'store.json'), 'utf8'), readFileSync(join(served, 'sessions', id, 'meta.json'), 'utf8')];
    const fingerprints = secrets.map((t) => t.slice(0, 40)).concat(['root:x:0:0']);
    const reads = (file: string) => [
      `/api/v1/sessions/${id}`,
      `/api/v1/sessions/${id}/files`,
      `/api/v1/sessions/${id}/files/download?file_name=${encodeURIComponent(file)}`,
      `/api/v1/sessions/${id}/sync/file?file_name=${encodeURIComponent(file)}`,
      `/api/v1/sessions/by-external-id/${s.id}`,
    ];
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });

    // No key, a malformed one, a revoked one, another user's: nothing.
    for (const path of reads(s.transcriptName)) {
      for (const auth of [undefined, 'Bearer', `Bearer ${key}x`, `Bearer ${revoked}`, `Basic ${key}`, `bearer ${key}`]) {
        const res = await get(path, auth === undefined ? {} : { authorization: auth });
        expect([401, 403], `${path} ${auth}`).toContain(res.status);
      }
      const res = await get(path, { authorization: `Bearer ${other}` });
      expect(res.status, path).toBe(404);
    }
    // With the right key, a file name that tries to leave the session finds nothing.
    const traversals = ['../../keys.json', '../../../store.json', '../meta.json', 'meta.json', 'files/1.jsonl', '1.jsonl', '/etc/passwd', '..%2f..%2fkeys.json', `${s.transcriptName}/../../meta.json`, '\u0000', '.'];
    for (const file of traversals) {
      for (const path of reads(file).slice(2, 4)) {
        const res = await get(path, { authorization: `Bearer ${key}` });
        const body = await res.text();
        expect([400, 404], `${path}`).toContain(res.status);
        for (const f of fingerprints) expect(body).not.toContain(f);
      }
    }
    for (const badId of ['..', '..%2F..%2Fkeys.json', '%2e%2e', `${id}%2F..%2F..%2Fkeys.json`]) {
      const res = await get(`/api/v1/sessions/${badId}/files/download?file_name=keys.json`, { authorization: `Bearer ${key}` });
      expect([400, 404], badId).toContain(res.status);
      const body = await res.text();
      for (const f of fingerprints) expect(body).not.toContain(f);
    }

    // The viewer: nothing without a login; logged in, the same boundary.
    expect((await get(`/ui/api/sessions/${id}/raw?file=${encodeURIComponent(s.transcriptName)}`)).status).toBe(401);
    expect((await get(`/sessions/${id}`)).status).toBe(303);
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, host: `127.0.0.1:${port}` },
      body: `key=${encodeURIComponent(key)}&next=%2F`,
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const ok = await get(`/ui/api/sessions/${id}/raw?file=${encodeURIComponent(s.transcriptName)}`, { cookie });
    expect(ok.status).toBe(200);
    for (const file of traversals) {
      for (const path of [`/sessions/${id}?file=`, `/ui/api/sessions/${id}/raw?file=`, `/ui/api/sessions/${id}/lines?file=`, `/ui/api/sessions/${id}/line?n=1&file=`]) {
        const res = await get(`${path}${encodeURIComponent(file)}`, { cookie });
        const body = await res.text();
        expect([400, 404], `${path}${file}`).toContain(res.status);
        for (const f of fingerprints) expect(body).not.toContain(f);
      }
    }
  });
});
