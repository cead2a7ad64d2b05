import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStub } from '../helpers/http-stub.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();
let stub: HttpStub | undefined;
afterEach(async () => {
  await stub?.stop();
  stub = undefined;
});

const KEY = `cfb_${'k'.repeat(40)}`;
const json = (body: unknown, status = 200) => ({ status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('login without --api-key: the device-code flow', () => {
  it('prints the URL and code, polls until approved, validates and stores the key; opens no browser without a terminal', async () => {
    const sbx = sandbox();
    stub = await new HttpStub().start();
    let polls = 0;
    stub.handler = (req) => {
      if (req.url === '/auth/device/code') return json({ device_code: 'dc-1', user_code: 'WDJB-MJHT', verification_uri: `${stub?.url}/auth/device`, expires_in: 120, interval: 1 });
      if (req.url === '/auth/device/token') return ++polls < 2 ? json({ error: 'authorization_pending' }, 400) : json({ access_token: KEY, token_type: 'Bearer' });
      if (req.url === '/api/v1/auth/validate') return json({ valid: true, user_id: 7, email: 'dev@example.com', name: 'Dev' });
      return json({ error: 'not found' }, 404);
    };
    // A browser opener that leaves a trace if it is ever run.
    const bin = sbx.dir('bin');
    const marker = join(sbx.root, 'opened');
    for (const name of ['xdg-open', 'open']) {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "$1" > ${marker}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const res = await sbx.run(['login', '--backend-url', stub.url, '--name', 'ci box'], { env: { PATH: `${bin}:${process.env.PATH}`, CI: '' }, timeoutMs: 40_000 });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`To log in, open ${stub.url}/auth/device?code=WDJB-MJHT`);
    expect(res.stderr).toContain('WDJB-MJHT');
    expect(res.stdout).toContain(`Logged in to ${stub.url} as dev@example.com`);
    expect(res.stdout + res.stderr).not.toContain(KEY);
    expect(JSON.parse(readFileSync(join(sbx.confabDir, 'config.json'), 'utf8'))).toMatchObject({ backend_url: stub.url, api_key: KEY });

    const codeReq = stub.requests.find((r) => r.url === '/auth/device/code');
    expect(JSON.parse(codeReq?.body.toString() ?? '{}')).toEqual({ key_name: 'ci box' });
    expect(codeReq?.headers.authorization).toBeUndefined();
    expect(polls).toBe(2);
    const validate = stub.requests.find((r) => r.url === '/api/v1/auth/validate');
    expect(validate?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(existsSync(marker)).toBe(false);
  });

  it('a denied login is one line and stores nothing', async () => {
    const sbx = sandbox();
    stub = await new HttpStub().start();
    stub.handler = (req) =>
      req.url === '/auth/device/code'
        ? json({ device_code: 'dc-1', user_code: 'AAAA-BBBB', verification_uri: `${stub?.url}/auth/device`, expires_in: 120, interval: 1 })
        : json({ error: 'access_denied' }, 403);
    const res = await sbx.run(['login', '--backend-url', stub.url], { timeoutMs: 40_000 });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').at(-1)).toBe('Error: the backend refused the login (account not permitted)');
    expect(existsSync(join(sbx.confabDir, 'config.json'))).toBe(false);
  });
});
