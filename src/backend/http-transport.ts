import type * as Http from 'node:http';
import type * as Https from 'node:https';
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
/**
 * Sockets are kept for the next sync; an idle one closes after 4 s, or sooner when the server's
 * `Keep-Alive: timeout=` says so (Node's agent reads it).
 */
const AGENT_OPTIONS: Http.AgentOptions = { keepAlive: true, timeout: 4_000, maxSockets: 8 };

/** A kept-alive socket the server had closed before this request reached it: safe to send again. */
class StaleSocketError extends Error {}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

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
  /** `json` already serialized as UTF-8 (sent instead of serializing `json` again). */
  encodedBody?: Buffer;
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
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
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

/** What one attempt brings back: the result and the rate-limit headers the exchange acts on. */
interface RawResult extends HttpResult {
  retryAfterMs?: number;
  rateLimitRemaining?: number;
}

/**
 * `RateLimit-Remaining` (the IETF rate-limit header fields, as `confab serve` sends them on
 * upload routes): requests left in the caller's bucket. Anything but a plain count is ignored.
 */
export function parseRateLimitRemaining(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
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
  const own = (err as { code?: unknown } | undefined)?.code;
  if (typeof own === 'string') return own;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * One HTTP exchange with a confab backend: headers, zstd request bodies, an overall timeout
 * that covers the body, a response-size cap, 429 retries with back-off, and failures mapped
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
  private httpAgent: Http.Agent | undefined;
  private httpsAgent: Http.Agent | undefined;

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
    const raw = call.encodedBody ?? (call.json === undefined ? undefined : Buffer.from(JSON.stringify(call.json), 'utf8'));
    let body: Buffer | undefined;
    const headers: Record<string, string> = { 'User-Agent': this.userAgent };
    if (this.apiKey !== undefined) headers.Authorization = `Bearer ${this.apiKey}`;
    if (raw !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = raw;
      if (call.compress && raw.length >= COMPRESS_MIN_BYTES) {
        // Compressed once, re-sent as is on every retry.
        body = await zstdCompress(raw);
        headers['Content-Encoding'] = 'zstd';
      }
    }
    const budget = call.budgeted ? this.budget : undefined;
    const result = await this.exchange(call, headers, body, budget);
    return this.check(call, result);
  }

  /** How long to wait before retry number `retryCount` of a 429: the server's Retry-After, else back-off with jitter. */
  private rateLimitWait(retryAfterMs: number | undefined, retryCount: number): number {
    const backoff = Math.min(RATE_LIMIT_BASE_DELAY_MS * 2 ** (retryCount - 1), RATE_LIMIT_MAX_DELAY_MS) * (0.8 + 0.4 * this.random());
    return Math.ceil(retryAfterMs ?? backoff);
  }

  private check(call: HttpCall, result: RawResult): HttpResult {
    const { status } = result;
    if ((status >= 200 && status < 300) || (call.accept ?? []).includes(status)) {
      return { status, contentType: result.contentType, body: result.body };
    }
    throw this.statusError(call, result, result.retryAfterMs);
  }

  /**
   * The exchange, with 429s retried (the same body re-sent; network errors and 5xx are left
   * to the caller's next cycle, as confab-web asks). Each attempt has its own timeout, which
   * covers reading the body; the waits between attempts go through `sleep`.
   */
  private async exchange(
    call: HttpCall,
    headers: Record<string, string>,
    body: Buffer | undefined,
    budget: UploadBudget | undefined,
  ): Promise<RawResult> {
    const retries = call.retryRateLimit === false ? 0 : this.retries;
    const accept429 = (call.accept ?? []).includes(429);
    const url = new URL(`${this.baseUrl}${call.path}${call.query ? `?${new URLSearchParams(call.query).toString()}` : ''}`);
    let ticket = await budget?.take(call.signal);
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(call, url, headers, body);
      if (budget && ticket !== undefined && result.rateLimitRemaining !== undefined && result.status !== 429) {
        await budget.onServerRemaining(result.rateLimitRemaining, ticket);
      }
      if (result.status !== 429 || accept429) return result;
      // The shared budget learns of the 429 (and any Retry-After) for every daemon of the
      // user; after its back-off a retry waits for its turn like any other request.
      await budget?.onRateLimited(result.retryAfterMs);
      if (attempt > retries) {
        throw this.fail('rate-limited', call, `rate limited: gave up after ${retries} retries`, {
          status: 429,
          ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
        });
      }
      await this.sleep(this.rateLimitWait(result.retryAfterMs, attempt), call.signal);
      ticket = await budget?.take(call.signal);
    }
  }

  /**
   * One request on node:http(s) (not fetch: an idle daemon holding undici's fetch and web
   * streams costs about 20 MiB more than one that used node:http). A request on a kept-alive
   * socket that the server closed meanwhile is re-sent once on a fresh one.
   */
  private async attempt(call: HttpCall, url: URL, headers: Record<string, string>, body: Buffer | undefined): Promise<RawResult> {
    try {
      return await this.attemptOnce(call, url, headers, body);
    } catch (err) {
      if (!(err instanceof StaleSocketError)) throw err;
      return this.attemptOnce(call, url, headers, body);
    }
  }

  private async attemptOnce(call: HttpCall, url: URL, headers: Record<string, string>, body: Buffer | undefined): Promise<RawResult> {
    call.signal?.throwIfAborted();
    const timeoutMs = call.timeoutMs ?? this.timeoutMs;
    const cap = call.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    const { request, agent } = this.client(url);
    const sendHeaders = body === undefined ? headers : { ...headers, 'Content-Length': String(body.length) };
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: unknown, result?: RawResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        call.signal?.removeEventListener('abort', onAbort);
        if (err === undefined && result) resolve(result);
        else {
          req.destroy();
          reject(err);
        }
      };
      let answered = false;
      const req = request(url, { method: call.method, headers: sendHeaders, agent }, (res) => {
        answered = true;
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (part: Buffer) => {
          size += part.length;
          if (size > cap) finish(this.fail('protocol', call, `response larger than ${Math.round(cap / (1024 * 1024))} MiB`));
          else parts.push(part);
        });
        res.on('end', () => {
          const retryAfterMs = parseRetryAfter(headerValue(res.headers['retry-after']));
          const rateLimitRemaining = parseRateLimitRemaining(headerValue(res.headers['ratelimit-remaining']));
          finish(undefined, {
            status: res.statusCode ?? 0,
            contentType: headerValue(res.headers['content-type']) ?? '',
            body: Buffer.concat(parts, size),
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            ...(rateLimitRemaining === undefined ? {} : { rateLimitRemaining }),
          });
        });
        res.on('error', (err) => finish(this.fail('network', call, `network error: ${describeCause(err)}`)));
        res.on('close', () => {
          if (!res.complete) finish(this.fail('network', call, 'network error: connection closed mid-response'));
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // No response yet on a reused socket: the server closed it while it sat idle.
        if (req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) finish(new StaleSocketError());
        else finish(this.fail('network', call, `network error: ${describeCause(err)}`));
      });
      const timer = setTimeout(
        () => finish(this.fail('timeout', call, `timed out after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`)),
        timeoutMs,
      );
      const onAbort = () => finish(call.signal?.reason);
      call.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  /**
   * node:http or node:https for the URL's scheme, each with one kept-alive agent per transport
   * (TLS loads only for https). Taken with getBuiltinModule, not imported: an ESM import of
   * node:http reads every export, and on Node 26 its lazy `WebSocket` export loads undici.
   */
  private client(url: URL): { request: typeof Http.request; agent: Http.Agent } {
    if (url.protocol === 'http:') {
      const http = process.getBuiltinModule('node:http') as typeof Http;
      this.httpAgent ??= new http.Agent(AGENT_OPTIONS);
      return { request: http.request, agent: this.httpAgent };
    }
    const https = process.getBuiltinModule('node:https') as typeof Https;
    this.httpsAgent ??= new https.Agent(AGENT_OPTIONS);
    return { request: https.request as typeof Http.request, agent: this.httpsAgent };
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
