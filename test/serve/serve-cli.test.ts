import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { freePort, useSandbox, waitFor } from '../helpers/sandbox.js';
import { startServe } from './serve-process.js';

const sandbox = useSandbox();

describe('confab serve', () => {
  it('refuses to start without a key, with one clear line', async () => {
    const res = await sandbox().run(['serve', '--port', String(await freePort())]);
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('no API keys');
    expect(res.stderr).toContain('confab serve keys create');
  });

  it('creates keys that are shown once, lists them without the key, and revokes them', async () => {
    const sbx = sandbox();
    const created = await sbx.run(['serve', 'keys', 'create', 'laptop', '--user', 'alice']);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^cfb_[A-Za-z0-9_-]{40}$/);
    const list = await sbx.run(['serve', 'keys', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({ keys: [{ name: 'laptop', user: 'alice', status: 'active' }] });
    expect(list.stdout).not.toContain(key);
    expect(readFileSync(join(sbx.confabDir, 'store', 'keys.json'), 'utf8')).not.toContain(key);
    const revoke = await sbx.run(['serve', 'keys', 'revoke', 'laptop']);
    expect(revoke.code).toBe(0);
    const again = await sbx.run(['serve', 'keys', 'revoke', 'nope']);
    expect(again.code).not.toBe(0);
  });

  it('is a backend a daemon syncs to over HTTP: the same bytes as the embedded store, plus session_end', async () => {
    const sbx = sandbox();
    const serveStore = sbx.dir('served');
    const key = (await sbx.run(['serve', 'keys', 'create', 'me', '--store', serveStore])).stdout.trim();
    const server = await startServe(sbx, ['--store', serveStore]);
    try {
      mkdirSync(sbx.confabDir, { recursive: true });
      writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ backend_url: server.url, api_key: key }));
      const session = new ReplayedClaudeSession(sbx.claudeDir);
      await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
      session.appendMainUntil(session.agentReferenceLine);
      session.appendAgent(10);
      session.appendRest();
      const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
      expect(end.code).toBe(0);
      await waitFor(() => sbx.strayPids().filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--bg-daemon')).length === 0, {
        what: 'the daemon to finish',
        timeoutMs: 20_000,
      });
      const store = await FileStore.open(serveStore);
      try {
        const [s] = await store.listSessions();
        expect(s?.owner).toBe('local'); // a key created without --user: the store's own sessions
        expect(await store.readFile(s!.session_id, `${session.sessionId}.jsonl`)).toEqual(readFileSync(session.transcriptPath));
        expect(await store.readFile(s!.session_id, `agent-${session.agentId}.jsonl`)).toEqual(readFileSync(session.agentPath));
        expect((await store.listEvents(s!.session_id)).map((e) => e.event_type)).toEqual(['session_end']);
      } finally {
        await store.close();
      }
      // Nothing went to the embedded store.
      expect(existsSync(join(sbx.confabDir, 'store', 'sessions'))).toBe(false);
    } finally {
      server.stop();
    }
  });

  it.skipIf(!existsSync('/usr/bin/openssl'))('serves HTTPS with --tls-cert/--tls-key', async () => {
    const sbx = sandbox();
    const dir = sbx.dir('tls');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    await sbx.run(['serve', 'keys', 'create', 'me']);
    const server = await startServe(sbx, ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${server.url}/health`, { ca: readFileSync(join(dir, 'cert.pem')) }, (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve(data));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ status: 'ok' });
    } finally {
      server.stop();
    }
  });
});
