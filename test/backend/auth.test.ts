import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceLoginError, defaultKeyName, pollForApiKey, requestDeviceCode, validateApiKey, verificationUrl, type DeviceCode } from '../../src/backend/auth.js';
import { BackendError } from '../../src/backend/errors.js';
import { HttpStub, json, text } from '../helpers/http-stub.js';

const KEY = 'cfb_0123456789abcdefghijABCDEFGHIJ_-xyzwvu';

let stub: HttpStub;
beforeEach(async () => {
  stub = await new HttpStub().start();
});
afterEach(async () => {
  await stub.stop();
});

describe('validateApiKey', () => {
  it('GETs /api/v1/auth/validate with the key and requires valid:true', async () => {
    stub.handler = () => json({ valid: true, user_id: 7, email: 'me@example.com', name: null });
    await expect(validateApiKey(stub.url, KEY)).resolves.toEqual({ userId: 7, email: 'me@example.com' });
    expect(stub.requests[0]).toMatchObject({ method: 'GET', url: '/api/v1/auth/validate' });
    expect(stub.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);

    stub.handler = () => json({ valid: false });
    await expect(validateApiKey(stub.url, KEY)).rejects.toMatchObject({ kind: 'unauthorized' });
    stub.handler = () => text('Invalid API key\n', 401);
    const err = await validateApiKey(stub.url, KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ kind: 'unauthorized', message: 'GET /api/v1/auth/validate: HTTP 401: Invalid API key' });
  });

  it('gives up after its own short timeout', async () => {
    stub.handler = () => ({ hang: true });
    await expect(validateApiKey(stub.url, KEY, { timeoutMs: 150 })).rejects.toMatchObject({ kind: 'timeout' });
  });
});

describe('device-code login', () => {
  const code: DeviceCode = { deviceCode: 'dc', userCode: 'ABCD-EF23', verificationUri: 'http://x/auth/device', expiresInMs: 300_000, intervalMs: 1000 };

  function clockAndSleep() {
    let t = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
    };
  }

  it('requests a device code with the key name, without an API key', async () => {
    stub.handler = () => json({ device_code: 'a'.repeat(64), user_code: 'ABCD-EF23', verification_uri: 'http://h/auth/device', expires_in: 300, interval: 5 });
    const got = await requestDeviceCode(stub.url, 'laptop (Confab CLI)');
    expect(got).toEqual({ deviceCode: 'a'.repeat(64), userCode: 'ABCD-EF23', verificationUri: 'http://h/auth/device', expiresInMs: 300_000, intervalMs: 5000 });
    expect(verificationUrl(got)).toBe('http://h/auth/device?code=ABCD-EF23');
    const req = stub.requests[0];
    expect(req).toMatchObject({ method: 'POST', url: '/auth/device/code' });
    expect(req?.headers.authorization).toBeUndefined();
    expect(JSON.parse(req?.body.toString() ?? '')).toEqual({ key_name: 'laptop (Confab CLI)' });
    expect(defaultKeyName()).toMatch(/ \(Confab CLI\)$/);
  });

  it('polls no faster than 5 s, adds 5 s on slow_down, and returns the key', async () => {
    const replies = [
      json({ error: 'authorization_pending' }, 400),
      json({ error: 'slow_down' }, 400),
      json({ error: 'authorization_pending' }, 400),
      json({ access_token: KEY, token_type: 'Bearer' }),
    ];
    stub.handler = () => replies.shift() ?? json({ error: 'invalid_grant' }, 400);
    const c = clockAndSleep();
    await expect(pollForApiKey(stub.url, code, c)).resolves.toBe(KEY);
    expect(c.sleeps).toEqual([5000, 5000, 10_000, 10_000]);
    expect(stub.requests.every((r) => r.url === '/auth/device/token' && JSON.parse(r.body.toString()).device_code === 'dc')).toBe(true);
  });

  it('stops at expires_in without polling past it', async () => {
    stub.handler = () => json({ error: 'authorization_pending' }, 400);
    const c = clockAndSleep();
    const err = await pollForApiKey(stub.url, { ...code, expiresInMs: 22_000 }, c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceLoginError);
    expect(err).toMatchObject({ reason: 'expired' });
    expect(stub.requests).toHaveLength(4);
  });

  it('maps the server outcomes to clear failures', async () => {
    const outcomes: Array<[ReturnType<typeof json>, string]> = [
      [json({ error: 'expired_token' }, 400), 'expired'],
      [json({ error: 'access_denied' }, 403), 'denied'],
      [json({ error: 'api_key_limit_exceeded' }, 409), 'key-limit'],
      [json({ error: 'invalid_grant' }, 400), 'failed'],
    ];
    for (const [reply, reason] of outcomes) {
      stub.handler = () => reply;
      const err = await pollForApiKey(stub.url, code, clockAndSleep()).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'DeviceLoginError', reason });
    }
    stub.handler = () => json({ error: 'server_error' }, 500);
    await expect(pollForApiKey(stub.url, code, clockAndSleep())).rejects.toMatchObject({ name: 'BackendError', kind: 'server' });
  });

  it('treats a 429 from the auth limiter like slow_down', async () => {
    const replies = [text('Rate limit exceeded.', 429), json({ access_token: KEY })];
    stub.handler = () => replies.shift() ?? json({ error: 'invalid_grant' }, 400);
    const c = clockAndSleep();
    await expect(pollForApiKey(stub.url, code, c)).resolves.toBe(KEY);
    expect(c.sleeps).toEqual([5000, 10_000]);
  });
});
