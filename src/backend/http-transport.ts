import ky, { isHTTPError } from 'ky';
import { scrubSecrets } from '../log.js';
import { confabVersion } from '../version.js';
import { BackendError, kindForStatus, type BackendErrorKind } from './errors.js';
import type { UploadBudget } from './upload-budget.js';
import { zstdCompress } from './zstd.js';

/** Bodies at least this large are zstd-compressed on the routes that decode zstd. */
export const COMPRESS_MIN_BYTES = 1024;
/** The cap the Go CLI applies to responses; more is a misbehaving server. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;
/** 429 retries per request (6 attempts), back-off 1 → 2 → 4 → 8 → 16 s, capped at 60 s. */
export const RATE_LIMIT_RETRIES = 5;
const RATE_LIMIT_BASE_DELAY_MS = 1_000;
const RATE_LIMIT_MAX_DELAY_MS = 60_000;
const MAX_RETRY_AFTER_MS = 3_600_000;
const ERROR_BODY_BYTES = 256;

/** Go-style names, as confab-web's logs expect them (`darwin`/`linux`, `amd64`/`arm64`). */
export function goOs(platform: string = process.platform): string {
  return platform === 'win32' ? 'windows' : platform;
}

export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return map[arch] ?? arch;
}

/** `confab/<version> (<os>; <arch>)`, e.g. `confab/0.1.0 (darwin; arm64)`. */
export function defaultUserAgent(): string {
  return `confab/${confabVersion()} (${goOs()}; ${goArch()})`;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface HttpTransportOptions {
  url: string;
  /** Sent as `Authorization: Bearer <key>`; absent for the public device-login routes. */
  apiKey?: string;
  timeoutMs?: number;
  userAgent?: string;
  /** Waits between 429 retries (injectable for tests). */
  sleep?: Sleep;
  rateLimitRetries?: number;
  /** [0, 1) source for back-off jitter. */
  random?: () => number;
  /** Spent before every `budgeted` call and every retry of one; told of every 429. */
  budget?: UploadBudget;
}

export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH';
  /** Absolute path on the backend, e.g. `/api/v1/sync/chunk`. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  /** `json` already serialized (sent instead of serializing `json` again). */
  encodedJson?: string;
  /** zstd-compress the body when it is at least `COMPRESS_MIN_BYTES` (only `/api/v1/sync/*` decode it). */
  compress?: boolean;
  /** Retry 429s (default true). */
  retryRateLimit?: boolean;
  /** Spends a turn of the transport's upload budget (confab-web's shared per-user limit). */
  budgeted?: boolean;
  /** Statuses handed back to the caller instead of being thrown as errors. */
  accept?: readonly number[];
  timeoutMs?: number;
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export interface HttpResult {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Retry-After as ms: delta-seconds (1–3600) or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return seconds >= 1 && seconds <= 3600 ? seconds * 1000 : undefined;
  }
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/** The first bytes of an error body as one line of text (binary bodies are left out). */
function bodySnippet(body: Buffer): string {
  const head = body.subarray(0, ERROR_BODY_BYTES);
  if (head.includes(0)) return '';
  return head
    .toString('utf8')
    .replace(/\uFFFD+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * One HTTP exchange with a confab backend: headers, zstd request bodies, an overall timeout
 * that covers the body, a response-size cap, 429 retries with back-off (ky's retry), and failures mapped
 * to `BackendError` kinds with one-line messages that never contain the API key.
 */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly sleep: Sleep;
  private readonly retries: number;
  private readonly random: () => number;
  private readonly budget: UploadBudget | undefined;

  constructor(opts: HttpTransportOptions) {
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw new Error('backend URL is not a valid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('backend URL must start with http:// or https://');
    if (parsed.username || parsed.password) throw new Error('backend URL must not contain credentials');
    this.baseUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    this.apiKey = opts.apiKey;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = opts.userAgent ?? defaultUserAgent();
    this.sleep = opts.sleep ?? realSleep;
    this.retries = opts.rateLimitRetries ?? RATE_LIMIT_RETRIES;
    this.random = opts.random ?? Math.random;
    this.budget = opts.budget;
  }

  /** Keys must not leak even when a server echoes them back in an error body. */
  private clean(text: string): string {
    let out = text;
    const key = this.apiKey;
    if (key && key.length >= 4) {
      out = out.split(key).join('[REDACTED]');
      // The secret part alone, should a server quote it without its prefix.
      const secret = key.replace(/^cfb_/, '');
      if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
    }
    return scrubSecrets(out);
  }

  private fail(kind: BackendErrorKind, call: HttpCall, detail: string, extra: { status?: number; retryAfterMs?: number } = {}): BackendError {
    return new BackendError(kind, this.clean(`${call.method} ${call.path}: ${detail}`), extra);
  }

  async request(call: HttpCall): Promise<HttpResult> {
    const json = call.encodedJson ?? (call.json === undefined ? undefined : JSON.stringify(call.json));
    let body: Uint8Array | string | undefined = json;
    const headers: Record<string, string> = { 'User-Agent': this.userAgent };
    if (this.apiKey !== undefined) headers.Authorization = `Bearer ${this.apiKey}`;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      const raw = Buffer.from(json, 'utf8');
      body = raw;
      if (call.compress && raw.length >= COMPRESS_MIN_BYTES) {
        // Compressed once, re-sent as is on every retry.
        body = await zstdCompress(raw);
        headers['Content-Encoding'] = 'zstd';
      }
    }
    const budget = call.budgeted ? this.budget : undefined;
    if (budget) await budget.take(call.signal);
    const result = await this.exchange(call, headers, body, budget);
    return this.check(call, result);
  }

  /** How long to wait before retry number `retryCount` of a 429: the server's Retry-After, else back-off with jitter. */
  private rateLimitWait(response: Response, retryCount: number): number {
    const backoff = Math.min(RATE_LIMIT_BASE_DELAY_MS * 2 ** (retryCount - 1), RATE_LIMIT_MAX_DELAY_MS) * (0.8 + 0.4 * this.random());
    return Math.ceil(parseRetryAfter(response.headers.get('retry-after')) ?? backoff);
  }

  private check(call: HttpCall, result: HttpResult & { retryAfterMs?: number }): HttpResult {
    const { status } = result;
    if ((status >= 200 && status < 300) || (call.accept ?? []).includes(status)) {
      return { status, contentType: result.contentType, body: result.body };
    }
    throw this.statusError(call, result, result.retryAfterMs);
  }

  /**
   * The exchange, 429s retried by ky (the same body re-sent; network errors and 5xx are left
   * to the caller's next cycle, as confab-web asks). Each attempt has its own timeout, which
   * covers reading the body; the waits between attempts go through `sleep`.
   */
  private async exchange(
    call: HttpCall,
    headers: Record<string, string>,
    body: Uint8Array | string | undefined,
    budget: UploadBudget | undefined,
  ): Promise<HttpResult & { retryAfterMs?: number }> {
    const timeoutMs = call.timeoutMs ?? this.timeoutMs;
    const retries = call.retryRateLimit === false ? 0 : this.retries;
    const accept429 = (call.accept ?? []).includes(429);
    let timeout = AbortSignal.timeout(timeoutMs);
    let url = `${this.baseUrl}${call.path}`;
    if (call.query) url += `?${new URLSearchParams(call.query).toString()}`;
    const onAbort = (err: unknown): never => {
      if (call.signal?.aborted) throw call.signal.reason;
      if (timeout.aborted) throw this.fail('timeout', call, `timed out after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`);
      throw this.fail('network', call, `network error: ${describeCause(err)}`);
    };
    let response: Response;
    try {
      response = await ky(url, {
        method: call.method,
        headers,
        body,
        timeout: false,
        // A 429 is thrown only so that ky retries it; every other status is answered below.
        throwHttpErrors: (status) => status === 429 && !accept429,
        retry: {
          limit: retries,
          methods: ['get', 'post', 'patch'],
          statusCodes: [429],
          // Retry-After is read with confab's own rules (1–3600 s or a date) when waiting.
          afterStatusCodes: [],
          shouldRetry: ({ error }) => (isHTTPError(error) ? undefined : false),
          delay: () => 0,
        },
        hooks: {
          beforeRequest: [
            (request) => {
              timeout = AbortSignal.timeout(timeoutMs);
              return new Request(request, { signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout });
            },
          ],
          beforeRetry: [
            async ({ error, retryCount }) => {
              if (!isHTTPError(error)) return;
              await error.response.body?.cancel().catch(() => undefined);
              // The shared budget learns of the 429 (and any Retry-After) for every daemon of the
              // user; after its back-off this retry waits for its turn like any other request.
              await budget?.onRateLimited(parseRetryAfter(error.response.headers.get('retry-after')));
              await this.sleep(this.rateLimitWait(error.response, retryCount), call.signal);
              await budget?.take(call.signal);
            },
          ],
        },
      });
    } catch (err) {
      if (isHTTPError(err) && err.response.status === 429) {
        await err.response.body?.cancel().catch(() => undefined);
        const retryAfterMs = parseRetryAfter(err.response.headers.get('retry-after'));
        await budget?.onRateLimited(retryAfterMs);
        throw this.fail('rate-limited', call, `rate limited: gave up after ${retries} retries`, { status: 429, retryAfterMs });
      }
      return onAbort(err);
    }
    const cap = call.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    const parts: Buffer[] = [];
    let size = 0;
    try {
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > cap) {
            await reader.cancel().catch(() => undefined);
            throw this.fail('protocol', call, `response larger than ${Math.round(cap / (1024 * 1024))} MiB`);
          }
          parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        }
      }
    } catch (err) {
      if (err instanceof BackendError) throw err;
      return onAbort(err);
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: Buffer.concat(parts, size),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }

  /** A 2xx body as JSON; an empty or malformed body is a protocol error. */
  parseJson(call: Pick<HttpCall, 'method' | 'path'>, result: HttpResult): unknown {
    const text = result.body.toString('utf8').trim();
    if (text === '') throw this.fail('protocol', call as HttpCall, `empty response body (HTTP ${result.status})`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.fail('protocol', call as HttpCall, `response is not JSON (HTTP ${result.status})`);
    }
  }

  protocolError(call: Pick<HttpCall, 'method' | 'path'>, detail: string): BackendError {
    return this.fail('protocol', call as HttpCall, `invalid response: ${detail}`);
  }

  /** The error for a non-2xx status: its kind, and the first bytes of the body as text. */
  statusError(call: Pick<HttpCall, 'method' | 'path'>, result: HttpResult, retryAfterMs?: number): BackendError {
    const { status } = result;
    const snippet = bodySnippet(result.body);
    return this.fail(kindForStatus(status), call as HttpCall, `HTTP ${status}${snippet ? `: ${snippet}` : ''}`, {
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
}
