import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { freePort, useSandbox, waitFor } from '../helpers/sandbox.js';
import { startServe } from './serve-process.js';

const sandbox = useSandbox();

interface HttpRes {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A request with full control of the headers (Host included), as a browser or a proxy sends it. */
function call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpRes> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Log in to the viewer with `key` as a browser on `origin` would; the cookie to send back. */
async function viewerLogin(url: string, key: string, headers: Record<string, string> = {}): Promise<{ res: HttpRes; cookie: string | undefined }> {
  const res = await call(`${url}/login`, {
    method: 'POST',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: `key=${encodeURIComponent(key)}&next=%2F`,
  });
  const set = res.headers['set-cookie']?.[0];
  return { res, cookie: set?.split(';')[0] };
}

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
      // The CLI's own client speaks TLS too: it trusts the certificate only when told to.
      const key = (await sbx.run(['serve', 'keys', 'create', 'laptop', '--user', 'me'])).stdout.trim();
      const untrusted = await sbx.run(['login', '--backend-url', server.url, '--api-key', '-'], { input: key });
      expect(untrusted.code).not.toBe(0);
      expect(untrusted.stderr).toMatch(/network error: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
      const trusted = await sbx.run(['login', '--backend-url', server.url, '--api-key', '-'], { input: key, env: { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } });
      expect(trusted.code, trusted.stderr).toBe(0);
    } finally {
      server.stop();
    }
  });
});

describe('confab serve in operation', () => {
  it('logs one line per request to ~/.confab/logs/serve.log, never a key, a cookie or a body', async () => {
    const sbx = sandbox();
    const key = (await sbx.run(['serve', 'keys', 'create', 'me'])).stdout.trim();
    const server = await startServe(sbx);
    const logFile = join(sbx.confabDir, 'logs', 'serve.log');
    try {
      expect(server.output()).toContain(`log:     ${logFile}`);
      const { res, cookie } = await viewerLogin(server.url, key, { cookie: 'confab_viewer=OLD-COOKIE-TOKEN-1234' });
      expect(res.status).toBe(303);
      expect(cookie).toMatch(/^confab_viewer=.{20,}/);
      expect((await call(`${server.url}/?q=SECRET-SEARCH-8d2e`, { headers: { cookie: cookie! } })).status).toBe(200);
      const init = await call(`${server.url}/api/v1/sync/init`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', cookie: cookie! },
        body: JSON.stringify({ provider: 'claude-code', external_id: 'ext-log-1', transcript_path: '/t/SECRET-BODY-41c9.jsonl' }),
      });
      expect(init.status).toBe(200);
      const lines = await waitFor(
        () => {
          const entries = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
          const requests = entries.filter((e) => e.msg === 'request');
          return requests.length >= 3 ? requests : undefined;
        },
        { what: 'three request lines in serve.log' },
      );
      expect(lines.map((e) => [e.method, e.path, e.status])).toEqual([
        ['POST', '/login', 303],
        ['GET', '/', 200],
        ['POST', '/api/v1/sync/init', 200],
      ]);
      expect(statSync(logFile).mode & 0o777).toBe(0o600);
      const text = readFileSync(logFile, 'utf8');
      for (const secret of [key, cookie!.split('=')[1]!, 'OLD-COOKIE-TOKEN-1234', 'SECRET-SEARCH-8d2e', 'SECRET-BODY-41c9', 'Bearer', 'cookie']) expect(text).not.toContain(secret);
    } finally {
      server.stop();
    }
  });

  it('revoking a key ends its browser logins at once, and its API calls fail', async () => {
    const sbx = sandbox();
    const key = (await sbx.run(['serve', 'keys', 'create', 'me'])).stdout.trim();
    await sbx.run(['serve', 'keys', 'create', 'other', '--user', 'me']);
    const server = await startServe(sbx);
    try {
      const { cookie } = await viewerLogin(server.url, key);
      expect((await call(`${server.url}/`, { headers: { cookie: cookie! } })).status).toBe(200);
      expect((await call(`${server.url}/ui/api/sessions`, { headers: { cookie: cookie! } })).status).toBe(200);

      const revoke = await sbx.run(['serve', 'keys', 'revoke', 'other']);
      expect(revoke.code).toBe(0);
      // Another key of the same user going away changes nothing for this login.
      expect((await call(`${server.url}/`, { headers: { cookie: cookie! } })).status).toBe(200);

      expect((await sbx.run(['serve', 'keys', 'revoke', 'me'])).code).toBe(0);
      const page = await call(`${server.url}/sessions/x`, { headers: { cookie: cookie! } });
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/login?next=%2Fsessions%2Fx');
      expect((await call(`${server.url}/ui/api/sessions`, { headers: { cookie: cookie! } })).status).toBe(401);
      expect((await call(`${server.url}/api/v1/auth/validate`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
      expect((await viewerLogin(server.url, key)).res.status).toBe(401);
    } finally {
      server.stop();
    }
  });

  it('--trust-proxy takes the client address and the public origin from the proxy; without it those headers are ignored', async () => {
    const sbx = sandbox();
    const key = (await sbx.run(['serve', 'keys', 'create', 'me'])).stdout.trim();
    const proxied = (publicOrigin: string, clientIp: string) => ({ 'x-forwarded-host': new URL(publicOrigin).host, 'x-forwarded-proto': new URL(publicOrigin).protocol.slice(0, -1), 'x-forwarded-for': clientIp, origin: publicOrigin });
    const badLogins = async (url: string, ips: string[]) => {
      const statuses: number[] = [];
      for (const ip of ips) statuses.push((await viewerLogin(url, 'cfb_wrong', { 'x-forwarded-for': ip })).res.status);
      return statuses;
    };

    const behind = await startServe(sbx, ['--trust-proxy', '--log-file', '-']);
    try {
      expect((await viewerLogin(behind.url, key, proxied('https://confab.example.com', '203.0.113.5'))).res.status).toBe(303);
      // The scheme counts too: behind an HTTPS proxy, a page on http:// is another origin.
      expect((await viewerLogin(behind.url, key, { ...proxied('https://confab.example.com', '203.0.113.5'), origin: 'http://confab.example.com' })).res.status).toBe(403);
      // Failed logins are counted per client, not for the proxy as a whole.
      expect(await badLogins(behind.url, Array<string>(11).fill('203.0.113.9'))).toEqual([...Array<number>(10).fill(401), 429]);
      expect(await badLogins(behind.url, ['203.0.113.10'])).toEqual([401]);
      await waitFor(() => behind.output().includes('"ip":"203.0.113.10"'), { what: 'the client address in the log (stderr)' });
    } finally {
      behind.stop();
    }

    const direct = await startServe(sbx);
    try {
      expect((await viewerLogin(direct.url, key, proxied('https://confab.example.com', '203.0.113.5'))).res.status).toBe(403);
      // A forged X-Forwarded-Host changes nothing for a real same-origin login.
      expect((await viewerLogin(direct.url, key, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' })).res.status).toBe(303);
      // X-Forwarded-For does not let a client escape the failed-login limit.
      const ips = Array.from({ length: 11 }, (_, i) => `198.51.100.${i + 1}`);
      expect(await badLogins(direct.url, ips)).toEqual([...Array<number>(10).fill(401), 429]);
    } finally {
      direct.stop();
    }

    const help = await sbx.run(['serve', '--help']);
    expect(help.stdout).toContain('--trust-proxy');
    expect(help.stdout).toContain('X-Forwarded-For');
  });
});
