import { hostname } from 'node:os';
import { BackendError } from './errors.js';
import { HttpTransport, realSleep, type HttpCall, type HttpResult, type Sleep } from './http-transport.js';

/** Key validation is interactive (login, status): it fails fast. */
export const VALIDATE_TIMEOUT_MS = 5_000;
const LOGIN_TIMEOUT_MS = 30_000;
/** Never poll faster than this, whatever the server says. */
const MIN_POLL_INTERVAL_MS = 5_000;
const SLOW_DOWN_STEP_MS = 5_000;

export interface ClientOptions {
  userAgent?: string;
  signal?: AbortSignal;
}

export interface ValidatedKey {
  userId?: number;
  email?: string;
  name?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `GET /api/v1/auth/validate`: resolves when the backend says `valid: true`, else throws (`unauthorized`). */
export async function validateApiKey(url: string, apiKey: string, opts: ClientOptions & { timeoutMs?: number } = {}): Promise<ValidatedKey> {
  const http = new HttpTransport({ url, apiKey, timeoutMs: opts.timeoutMs ?? VALIDATE_TIMEOUT_MS, userAgent: opts.userAgent, rateLimitRetries: 0 });
  const call: HttpCall = { method: 'GET', path: '/api/v1/auth/validate', signal: opts.signal };
  const body = http.parseJson(call, await http.request(call));
  if (!isObject(body)) throw http.protocolError(call, 'expected a JSON object');
  if (body.valid !== true) throw new BackendError('unauthorized', 'GET /api/v1/auth/validate: the backend says the API key is not valid');
  return {
    ...(typeof body.user_id === 'number' ? { userId: body.user_id } : {}),
    ...(typeof body.email === 'string' ? { email: body.email } : {}),
    ...(typeof body.name === 'string' ? { name: body.name } : {}),
  };
}

/** The key name the Go CLI asks for: `<hostname> (Confab CLI)`. */
export function defaultKeyName(): string {
  let host = 'unknown-host';
  try {
    host = hostname() || host;
  } catch {
    // keep the fallback
  }
  return `${host} (Confab CLI)`;
}

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  expiresInMs: number;
  intervalMs: number;
}

/** Where the user approves the login: `verification_uri?code=<user_code>`. */
export function verificationUrl(code: DeviceCode): string {
  const sep = code.verificationUri.includes('?') ? '&' : '?';
  return `${code.verificationUri}${sep}code=${encodeURIComponent(code.userCode)}`;
}

export type DeviceLoginFailure = 'expired' | 'denied' | 'key-limit' | 'failed';

export class DeviceLoginError extends Error {
  readonly reason: DeviceLoginFailure;
  constructor(reason: DeviceLoginFailure, message: string) {
    super(message);
    this.name = 'DeviceLoginError';
    this.reason = reason;
  }
}

/** `POST /auth/device/code` (outside `/api/v1`, no key yet). */
export async function requestDeviceCode(url: string, keyName: string, opts: ClientOptions = {}): Promise<DeviceCode> {
  const http = new HttpTransport({ url, timeoutMs: LOGIN_TIMEOUT_MS, userAgent: opts.userAgent, rateLimitRetries: 0 });
  const call: HttpCall = { method: 'POST', path: '/auth/device/code', json: { key_name: keyName }, signal: opts.signal };
  const body = http.parseJson(call, await http.request(call));
  if (!isObject(body)) throw http.protocolError(call, 'expected a JSON object');
  const { device_code, user_code, verification_uri, expires_in, interval } = body;
  if (typeof device_code !== 'string' || device_code === '') throw http.protocolError(call, 'device_code missing');
  if (typeof user_code !== 'string' || user_code === '') throw http.protocolError(call, 'user_code missing');
  if (typeof verification_uri !== 'string' || !/^https?:\/\//.test(verification_uri)) throw http.protocolError(call, 'verification_uri missing');
  if (typeof expires_in !== 'number' || !(expires_in > 0)) throw http.protocolError(call, 'expires_in missing');
  const intervalSec = typeof interval === 'number' && interval > 0 ? interval : 5;
  return { deviceCode: device_code, userCode: user_code, verificationUri: verification_uri, expiresInMs: expires_in * 1000, intervalMs: intervalSec * 1000 };
}

export interface PollOptions extends ClientOptions {
  sleep?: Sleep;
  now?: () => number;
  /** Called before each poll (for a spinner). */
  onPoll?: () => void;
}

function oauthError(result: HttpResult): string | undefined {
  try {
    const body: unknown = JSON.parse(result.body.toString('utf8'));
    return isObject(body) && typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Polls `POST /auth/device/token` every `max(interval, 5 s)` until the user approves (resolves
 * with the new API key), or the code expires. `slow_down` (and a 429) add 5 s to the interval.
 */
export async function pollForApiKey(url: string, code: DeviceCode, opts: PollOptions = {}): Promise<string> {
  const http = new HttpTransport({ url, timeoutMs: LOGIN_TIMEOUT_MS, userAgent: opts.userAgent, rateLimitRetries: 0 });
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + code.expiresInMs;
  let interval = Math.max(code.intervalMs, MIN_POLL_INTERVAL_MS);
  const call: HttpCall = {
    method: 'POST',
    path: '/auth/device/token',
    json: { device_code: code.deviceCode },
    accept: [400, 401, 403, 409, 429],
    signal: opts.signal,
  };
  for (;;) {
    if (now() + interval > deadline) throw new DeviceLoginError('expired', 'the login code expired before it was approved; run the login again');
    await sleep(interval, opts.signal);
    opts.onPoll?.();
    const result = await http.request(call);
    if (result.status === 200) {
      const body = http.parseJson(call, result);
      if (!isObject(body) || typeof body.access_token !== 'string' || body.access_token === '') throw http.protocolError(call, 'access_token missing');
      return body.access_token;
    }
    if (result.status === 429) {
      interval += SLOW_DOWN_STEP_MS;
      continue;
    }
    const error = oauthError(result);
    switch (error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        interval += SLOW_DOWN_STEP_MS;
        continue;
      case 'expired_token':
        throw new DeviceLoginError('expired', 'the login code expired before it was approved; run the login again');
      case 'access_denied':
        throw new DeviceLoginError('denied', 'the backend refused the login (account not permitted)');
      case 'api_key_limit_exceeded':
        throw new DeviceLoginError('key-limit', 'API key limit reached; delete unused keys in the web UI, then log in again');
      default:
        throw new DeviceLoginError('failed', `login failed: ${http.statusError(call, result).message}`);
    }
  }
}
