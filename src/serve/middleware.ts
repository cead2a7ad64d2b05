import { isAscii, isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StoreError } from '../store/session-store.js';
import type { Logger } from '../log.js';
import { HttpFailure, RATE_LIMITED, routeApi, sendJson, sendText } from './api-reply.js';
import type { KeyRing } from './keys.js';
import { CONFAB_WEB_LIMITS, RateLimiter, type RateSpec } from './rate-limit.js';
import { decompressZstdBody, ZstdBodyError } from './zstd-body.js';

/**
 * The API's request pipeline around the route handlers, in confab-web's order: global limit →
 * Content-Type 415 → auth 401/403 → per-user limit → Content-Encoding 415 → body cap → handler;
 * then its error answers (text/plain from middleware, JSON from handlers) and 404/405.
 */

export interface ApiLimits {
  /** Per client IP, every request (confab-web: 100/s, burst 200). false = off. */
  global?: RateSpec | false;
  /** Per user, shared by init/chunk/event (2.78/s, burst 2000). */
  upload?: RateSpec | false;
  /** Per client IP on /auth/validate, counted after auth (0.5/s, burst 10). */
  validate?: RateSpec | false;
  /** Per user on /files and /files/download (30/s, burst 60). */
  externalRead?: RateSpec | false;
}

export interface MiddlewareOptions {
  keys: KeyRing;
  limits: ApiLimits;
  log: Logger;
}

/** `Authorization: Bearer <key>`: exactly the word Bearer, one space, the rest verbatim. */
function bearerKey(header: string | undefined): { key?: string; error?: string } {
  if (!header) return { error: 'Missing Authorization header' };
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== 'Bearer') return { error: 'Invalid Authorization header format' };
  return { key: header.slice(space + 1) };
}

/** Read a request body up to `rawCap` bytes; past it, stop and report (the rest is discarded). */
function readBody(request: FastifyRequest, payload: NodeJS.ReadableStream, rawCap: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    payload.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > rawCap) {
        over = true;
        parts.length = 0;
        resolve(undefined);
        return;
      }
      parts.push(chunk);
    });
    payload.on('end', () => {
      if (!over) resolve(Buffer.concat(parts, size));
    });
    payload.on('error', (err) => {
      if (!over) reject(err);
    });
    request.raw.on('aborted', () => reject(new Error('request aborted')));
  });
}

/** Installs the pipeline on the root instance, so every route plugin registered after it runs under it. */
export function installApiMiddleware(app: FastifyInstance, opts: MiddlewareOptions): void {
  const { keys, limits, log } = opts;
  const limiter = (spec: RateSpec | false | undefined, fallback: RateSpec) => (spec === false ? undefined : new RateLimiter(spec ?? fallback));
  const globalLimiter = limiter(limits.global, CONFAB_WEB_LIMITS.global);
  const routeLimiters = {
    upload: limiter(limits.upload, CONFAB_WEB_LIMITS.upload),
    validate: limiter(limits.validate, CONFAB_WEB_LIMITS.validate),
    externalRead: limiter(limits.externalRead, CONFAB_WEB_LIMITS.externalRead),
  };
  app.decorateRequest('confab', null);

  // ── middleware, in confab-web's order ─────────────────────────────────────────────
  app.addHook('onRequest', async (request, reply) => {
    request.confab = { key: undefined };
    const path = request.url.split('?')[0] ?? '';
    const isApi = path === '/health' || path.startsWith('/api/');
    if (!isApi) return;
    if (globalLimiter && !globalLimiter.take(request.ip)) return sendText(reply, 429, RATE_LIMITED);

    const method = request.method;
    if (path.startsWith('/api/v1/') && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
      const ct = request.headers['content-type'];
      if (ct === undefined) return sendText(reply, 415, 'Content-Type header required');
      if ((ct.split(';')[0] ?? '').trim() !== 'application/json') return sendText(reply, 415, 'Content-Type must be application/json');
    }

    const api = routeApi(request);
    if (!api) return;
    if (api.auth !== 'none') {
      const { key, error } = bearerKey(request.headers.authorization);
      const verified = key === undefined ? undefined : await keys.verify(key);
      if (api.auth === 'key') {
        if (error) return sendText(reply, 401, error);
        if (!verified) return sendText(reply, 401, 'Invalid API key');
        if (verified.status === 'deactivated') return sendText(reply, 403, 'Account deactivated');
        if (verified.status === 'domain_restricted') return sendText(reply, 403, 'Email domain not permitted');
        request.confab.key = verified;
      } else if (api.auth === 'key-or-session') {
        if (!verified || verified.status !== 'active') return sendText(reply, 401, 'Unauthorized');
        request.confab.key = verified;
      } else if (verified?.status === 'active') {
        request.confab.key = verified; // optional auth: a bad key is anonymous
      }
    }

    if (api.limiter) {
      const bucket = routeLimiters[api.limiter];
      const who = api.limiter === 'validate' ? request.ip : (request.confab.key?.owner ?? request.ip);
      if (bucket) {
        const allowed = bucket.take(who);
        // Upload answers say what is left of the user's budget, so clients need not guess it.
        const headers = api.limiter === 'upload' ? bucket.headers(who) : {};
        if (!allowed) return sendText(reply, 429, RATE_LIMITED, headers);
        reply.headers(headers);
      }
    }

    if (api.zstd) {
      const ce = request.headers['content-encoding'];
      if (ce !== undefined && ce !== '' && ce.trim().toLowerCase() !== 'zstd') {
        return sendJson(reply, 415, { error: `Unsupported Content-Encoding: ${ce}` });
      }
    }
  });

  // ── bodies: capped, zstd on /sync/* only, strict UTF-8 JSON ─────────────────────────
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (request: FastifyRequest, payload: NodeJS.ReadableStream) => {
    const api = routeApi(request);
    if (!api) {
      // No such route: the 404 does not depend on the body.
      payload.resume();
      return undefined;
    }
    const cap = api.bodyCap;
    const badBody = api.badBody;
    const ce = request.headers['content-encoding'];
    const zstd = api.zstd && ce !== undefined && ce.trim().toLowerCase() === 'zstd';
    // Compressed bytes are bounded too (incompressible data grows a little under zstd).
    const raw = await readBody(request, payload, zstd ? cap + Math.ceil(cap / 64) + 64 * 1024 : cap);
    if (!raw) throw new HttpFailure(400, badBody, 'json', {}, true);
    // Off /sync/*, confab-web feeds encoded bytes to the JSON decoder: the request fails.
    if (!api.zstd && ce !== undefined && ce !== '') throw new HttpFailure(400, badBody, 'json');
    let body = raw;
    if (zstd) {
      try {
        body = decompressZstdBody(raw, cap);
      } catch (err) {
        if (err instanceof ZstdBodyError) throw new HttpFailure(400, badBody, 'json', {}, err.tooLarge);
        throw err;
      }
    }
    // Validated, then decoded: several times faster than a fatal TextDecoder over a 16 MiB body.
    // A leading BOM is kept (TextDecoder would drop it), so JSON.parse refuses it, as Go's
    // decoder does.
    if (!isUtf8(body)) throw new HttpFailure(400, badBody, 'json');
    const text = body.toString(isAscii(body) ? 'latin1' : 'utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpFailure(400, badBody, 'json');
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!routeApi(request)) return;
    log.debug('request', {
      method: request.method,
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      user: request.confab?.key?.owner,
    });
  });

  // ── errors ─────────────────────────────────────────────────────────────────────────
  app.setErrorHandler((err: unknown, request, reply) => {
    const api = routeApi(request);
    if (err instanceof HttpFailure) {
      if (err.closeConnection) reply.header('connection', 'close');
      return err.format === 'text' ? sendText(reply, err.status, err.message, err.headers) : sendJson(reply, err.status, { error: err.message });
    }
    if (err instanceof StoreError) return sendJson(reply, err.status, { error: err.message });
    const e = err as { validation?: unknown; code?: string; statusCode?: number; message?: string };
    if (e.validation) {
      log.debug('request body refused by schema', { route: request.routeOptions.url, reason: e.message });
      return sendJson(reply, 400, { error: api?.badBody ?? 'Invalid request body' });
    }
    if (typeof e.code === 'string' && e.code.startsWith('FST_ERR_CTP_')) return sendJson(reply, 400, { error: api?.badBody ?? 'Invalid request body' });
    log.error(`request failed: ${e.message ?? String(err)}`, { route: request.routeOptions.url });
    request.log.error({ err, route: request.routeOptions.url }, 'request failed');
    return sendJson(reply, 500, { error: api?.failure ?? 'Internal server error' });
  });

  const KNOWN_PATHS: { re: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    const re = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+')}$`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    KNOWN_PATHS.push({ re, methods });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (KNOWN_PATHS.some((p) => p.re.test(path) && !p.methods.includes(request.method))) {
      return reply.code(405).headers({ 'content-type': 'text/plain; charset=utf-8' }).send('');
    }
    return sendText(reply, 404, '404 page not found');
  });
}
