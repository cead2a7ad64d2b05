import { isIP } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { StoreError, type SessionStore, type StoredSession } from '../store/session-store.js';
import { PROVIDERS_KNOWN_TO_CONFAB_WEB } from '../format/wire.js';
import { silentLogger, type Logger } from '../log.js';
import { parseRfc3339, validateChunk, validateEvent, validateInit } from '../store/validate.js';
import type { Fault, FaultInjector } from './faults.js';
import type { KeyRing, VerifiedKey } from './keys.js';
import { CONFAB_WEB_LIMITS, RateLimiter, type RateSpec } from './rate-limit.js';
import { serveLogging, type LogDestination } from './request-log.js';
import { chunkBody, eventBody, githubLinkBody, initBody, summaryBody } from './schemas.js';
import { decompressZstdBody, ZstdBodyError } from './zstd-body.js';

/**
 * confab-web's CLI API (confab-web-api.md) over a SessionStore, enforcing the conformance
 * checklist: middleware order (global limit → Content-Type 415 → auth 401/403 → per-user
 * limit → Content-Encoding 415 → body cap → handler), text/plain middleware errors vs JSON
 * handler errors, zstd bodies on /sync/* only with a decompressed cap, over-cap bodies as
 * 400 (never 413), schema-validated bodies with no unknown keys, and the store's semantics.
 */

export const BODY_CAPS = {
  chunk: 16 * 1024 * 1024,
  small: 128 * 1024,
  get: 2 * 1024,
} as const;

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

/** A client behaviour the API tolerates (or serializes) but a well-behaved client never shows. */
export interface ClientViolation {
  rule: number;
  message: string;
  owner: string | undefined;
}

export interface ApiServerOptions {
  store: SessionStore;
  keys: KeyRing;
  version: string;
  logger?: Logger;
  limits?: ApiLimits;
  faults?: FaultInjector;
  /** `/api/v1/capabilities` body (rule 30): default all true; false = the route is absent (404). */
  capabilities?: Record<string, boolean> | false;
  /** Told about client misbehaviour (rules 14, 21, 26): concurrent uploads to one file, and the like. */
  onClientViolation?: (v: ClientViolation) => void;
  /** Serve HTTPS directly with this certificate and key (PEM). */
  https?: { cert: Buffer; key: Buffer };
  /** Log one line per request and per failure here (Fastify's logger); default: no log. */
  requestLog?: LogDestination;
  /**
   * Behind a reverse proxy: trust the one proxy in front (the connecting address) for the
   * client address (the last X-Forwarded-For entry: rate limits) and the public host and
   * scheme (X-Forwarded-Host/-Proto: the viewer's origin check). Off: those headers are ignored.
   */
  trustProxy?: boolean;
}

type AuthMode = 'key' | 'key-or-session' | 'optional' | 'none';

interface RouteApi {
  auth: AuthMode;
  bodyCap: number;
  zstd: boolean;
  limiter?: 'upload' | 'validate' | 'externalRead';
  /** The decode-failure message (`Invalid JSON body` on /event). */
  badBody: string;
  /** The 500 message when the store fails unexpectedly. */
  failure: string;
}

interface RequestState {
  key: VerifiedKey | undefined;
  fault: Fault | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    confab: RequestState | null;
  }
  interface FastifyContextConfig {
    api?: RouteApi;
  }
}

/** An error answered as-is: text/plain from "middleware", JSON from handlers. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly format: 'text' | 'json',
    readonly headers: Record<string, string> = {},
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

const RATE_LIMITED = 'Rate limit exceeded. Please try again later.';

/** Hosts that only this machine can reach (for the CLI's warning on other binds). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function sendText(reply: FastifyReply, status: number, message: string, headers: Record<string, string> = {}): FastifyReply {
  return reply
    .code(status)
    .headers({ 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...headers })
    .send(`${message}\n`);
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).headers({ 'content-type': 'application/json', 'cache-control': 'no-store' }).send(Buffer.from(`${JSON.stringify(body)}\n`));
}

const routeApi = (request: FastifyRequest): RouteApi | undefined => request.routeOptions.config?.api;

/** `Authorization: Bearer <key>`: exactly the word Bearer, one space, the rest verbatim. */
function bearerKey(header: string | undefined): { key?: string; error?: string } {
  if (!header) return { error: 'Missing Authorization header' };
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== 'Bearer') return { error: 'Invalid Authorization header format' };
  return { key: header.slice(space + 1) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

export function createApiServer(opts: ApiServerOptions): FastifyInstance {
  const { store, keys } = opts;
  const log = opts.logger ?? silentLogger;
  const limits = opts.limits ?? {};
  const limiter = (spec: RateSpec | false | undefined, fallback: RateSpec) => (spec === false ? undefined : new RateLimiter(spec ?? fallback));
  const globalLimiter = limiter(limits.global, CONFAB_WEB_LIMITS.global);
  const routeLimiters = {
    upload: limiter(limits.upload, CONFAB_WEB_LIMITS.upload),
    validate: limiter(limits.validate, CONFAB_WEB_LIMITS.validate),
    externalRead: limiter(limits.externalRead, CONFAB_WEB_LIMITS.externalRead),
  };
  const capabilities = opts.capabilities === undefined ? { workflow_files: true, workflow_journal: true, opencode_subagents: true } : opts.capabilities;
  const inFlight = new Map<string, number>();
  /** Lines of chunks answered with a lost-update fault, per (session, file): line number → content. */
  const orphans = new Map<string, Map<number, string>>();
  const violation = (rule: number, message: string, owner: string | undefined) => {
    log.warn(`client violation (rule ${rule}): ${message}`, { owner });
    app.log.warn({ rule, user: owner }, `client violation: ${message}`);
    opts.onClientViolation?.({ rule, message, owner });
  };

  const app = Fastify({
    ...(opts.requestLog ? serveLogging(opts.requestLog, (request) => request.confab?.key?.owner) : { logger: false }),
    // One hop: only the connecting proxy is believed, so a client cannot pick its own address.
    trustProxy: opts.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    // Live viewer streams and keep-alive connections must not hold a shutdown open.
    forceCloseConnections: true,
    ...(opts.https ? { https: opts.https } : {}),
    // Bodies are read and capped by our own parser below.
    bodyLimit: 2 * BODY_CAPS.chunk + 1024 * 1024,
    return503OnClosing: true,
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
        formats: { rfc3339: (s: string) => parseRfc3339(s) !== undefined },
      },
    },
  });
  app.decorateRequest('confab', null);

  // ── middleware, in confab-web's order ─────────────────────────────────────────────
  app.addHook('onRequest', async (request, reply) => {
    request.confab = { key: undefined, fault: undefined };
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
      if (bucket && !bucket.take(who)) return sendText(reply, 429, RATE_LIMITED);
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
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new HttpFailure(400, badBody, 'json');
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpFailure(400, badBody, 'json');
    }
  });

  // ── faults (tests only) ────────────────────────────────────────────────────────────
  app.addHook('preHandler', async (request, reply) => {
    const api = routeApi(request);
    if (!api || !opts.faults || !request.confab) return;
    const fault = opts.faults.faultFor({
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      url: request.url,
      owner: request.confab.key?.owner,
      body: request.body,
    });
    if (!fault) return;
    if (fault.type === 'rate-limit') {
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return sendText(reply, 429, RATE_LIMITED, headers);
    }
    if (fault.type === 'error-before-store') return sendJson(reply, 500, { error: api.failure });
    if (fault.type === 'storage-unavailable') return sendJson(reply, 503, { error: 'Storage temporarily unavailable' });
    request.confab.fault = fault;
  });

  /** Answer a handled request, applying an after-store fault if one was drawn. */
  async function respond(request: FastifyRequest, reply: FastifyReply, status: number, body: unknown): Promise<FastifyReply> {
    const fault = request.confab?.fault;
    if (fault?.type === 'drop-after-store') {
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    if (fault?.type === 'error-after-store') return sendJson(reply, 500, { error: routeApi(request)?.failure ?? 'Internal server error' });
    if (fault?.type === 'delay') await sleep(fault.ms);
    return sendJson(reply, status, body);
  }

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

  // ── routes ─────────────────────────────────────────────────────────────────────────
  const config = (api: Partial<RouteApi> & Pick<RouteApi, 'auth'>): { api: RouteApi } => ({
    api: { bodyCap: BODY_CAPS.get, zstd: false, badBody: 'Invalid request body', failure: 'Internal server error', ...api },
  });
  const ownerOf = (request: FastifyRequest): string => {
    const owner = request.confab?.key?.owner;
    if (owner === undefined) throw new HttpFailure(401, 'Unauthorized', 'text');
    return owner;
  };

  app.get('/health', { config: config({ auth: 'none' }) }, (request, reply) => respond(request, reply, 200, { status: 'ok' }));
  app.get('/api/v1/version', { config: config({ auth: 'none' }) }, (request, reply) =>
    respond(request, reply, 200, { version: opts.version, node_version: process.versions.node }),
  );
  if (capabilities !== false) {
    app.get('/api/v1/capabilities', { config: config({ auth: 'none' }) }, (request, reply) => respond(request, reply, 200, capabilities));
  }
  app.get('/api/v1/auth/validate', { config: config({ auth: 'key', limiter: 'validate' }) }, (request, reply) => {
    const key = request.confab!.key!;
    return respond(request, reply, 200, {
      valid: true,
      user_id: key.user_id,
      email: key.owner.includes('@') ? key.owner : `${key.owner}@localhost`,
      name: key.owner,
    });
  });

  const sync = { auth: 'key', zstd: true, limiter: 'upload' } as const;
  app.post(
    '/api/v1/sync/init',
    { config: config({ ...sync, bodyCap: BODY_CAPS.small, failure: 'Failed to initialize sync session' }), schema: { body: initBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const body = request.body as Record<string, unknown>;
      validateInit(body, { providers: PROVIDERS_KNOWN_TO_CONFAB_WEB });
      const meta = body.metadata as Record<string, unknown> | null | undefined;
      if ((meta && meta.git_info === null) || body.git_info === null) violation(14, 'init sent "git_info": null (it would overwrite the stored git_info on confab-web)', owner);
      if (meta?.cwd === '' || body.cwd === '') violation(14, 'init sent an empty cwd (it would blank the stored cwd on confab-web)', owner);
      const res = await store.init(owner, body as never);
      return respond(request, reply, 200, res);
    },
  );

  app.post(
    '/api/v1/sync/chunk',
    { config: config({ ...sync, bodyCap: BODY_CAPS.chunk, failure: 'Failed to upload chunk' }), schema: { body: chunkBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const body = request.body as { session_id?: string | null; file_name?: string | null };
      const sessionKey = String(body.session_id ?? '').toLowerCase();
      const fileKey = `${sessionKey}\0${body.file_name ?? ''}`;
      if (inFlight.get(fileKey)) violation(21, `a second upload to ${body.file_name} started before the first was answered (serialized)`, owner);
      inFlight.set(fileKey, (inFlight.get(fileKey) ?? 0) + 1);
      inFlight.set(sessionKey, (inFlight.get(sessionKey) ?? 0) + 1);
      try {
        if (request.confab?.fault?.type === 'lost-update') {
          await orphanChunk(owner, body);
          return sendJson(reply, 500, { error: 'Failed to update sync state' });
        }
        const res = await store.appendChunk(owner, body as never);
        checkOrphans(owner, fileKey, request.body as { first_line?: unknown; lines?: unknown });
        return await respond(request, reply, 200, res);
      } finally {
        for (const k of [fileKey, sessionKey]) {
          const n = (inFlight.get(k) ?? 1) - 1;
          if (n <= 0) inFlight.delete(k);
          else inFlight.set(k, n);
        }
      }
    },
  );

  /** Everything confab-web checks before its storage write, then keep the lines as orphans. */
  async function orphanChunk(owner: string, body: unknown): Promise<void> {
    const v = validateChunk(body);
    const session = await store.getSession(v.session_id);
    if (!session) throw new StoreError(404, 'Session not found');
    if (session.owner !== owner) throw new StoreError(403, 'Access denied');
    const expected = (session.files.find((f) => f.file_name === v.file_name)?.last_synced_line ?? 0) + 1;
    if (v.first_line !== expected) throw new StoreError(400, `first_line must be ${expected} (got ${v.first_line}) - chunks must be contiguous`);
    const key = `${session.session_id}\0${v.file_name}`;
    const lines = orphans.get(key) ?? new Map<number, string>();
    v.lines.forEach((line, i) => lines.set(v.first_line + i, line));
    orphans.set(key, lines);
  }

  function checkOrphans(owner: string, fileKey: string, body: { first_line?: unknown; lines?: unknown }): void {
    const lines = orphans.get(fileKey);
    if (!lines || typeof body.first_line !== 'number' || !Array.isArray(body.lines)) return;
    const first = body.first_line;
    (body.lines as string[]).forEach((line, i) => {
      const orphan = lines.get(first + i);
      if (orphan !== undefined && orphan !== line) violation(24, `line ${first + i} was re-sent with different content`, owner);
      lines.delete(first + i);
    });
    if (lines.size === 0) orphans.delete(fileKey);
  }

  app.post(
    '/api/v1/sync/event',
    { config: config({ ...sync, bodyCap: BODY_CAPS.small, badBody: 'Invalid JSON body', failure: 'Failed to record event' }), schema: { body: eventBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const v = validateEvent(request.body);
      if (inFlight.get(v.session_id.toLowerCase())) violation(26, 'session_end was sent while a chunk of the session was still unanswered', owner);
      await store.recordEvent(owner, request.body as never);
      return respond(request, reply, 200, { success: true });
    },
  );

  app.patch(
    '/api/v1/sessions/:external_id/summary',
    { config: config({ auth: 'key', bodyCap: BODY_CAPS.small, failure: 'Failed to update summary' }), schema: { body: summaryBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const { external_id } = request.params as { external_id: string };
      await store.updateSummary(owner, external_id, (request.body as { summary: string }).summary);
      return respond(request, reply, 200, { status: 'ok' });
    },
  );

  app.post(
    '/api/v1/sessions/:id/github-links',
    { config: config({ auth: 'key-or-session', bodyCap: BODY_CAPS.small, failure: 'Failed to create GitHub link' }), schema: { body: githubLinkBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const { id } = request.params as { id: string };
      const link = await store.recordGithubLink(owner, id, request.body as never);
      return respond(request, reply, 201, link);
    },
  );

  app.get('/api/v1/sessions/by-external-id/:external_id', { config: config({ auth: 'key-or-session' }) }, async (request, reply) => {
    const owner = ownerOf(request);
    const { external_id } = request.params as { external_id: string };
    const match = (await store.listSessions(owner)).find((s) => s.external_id === external_id);
    if (!match) throw new StoreError(404, 'Session not found');
    return respond(request, reply, 200, { session_id: match.session_id });
  });

  /** A session the caller may read (owner only: this server has no sharing). */
  async function readable(request: FastifyRequest, anonymousMessage?: string): Promise<StoredSession> {
    const { id } = request.params as { id: string };
    const owner = request.confab?.key?.owner;
    if (owner === undefined && anonymousMessage) {
      if (await store.getSession(id)) throw new StoreError(401, anonymousMessage);
      throw new StoreError(404, 'Session not found');
    }
    const session = owner === undefined ? undefined : await store.getSession(id, owner);
    if (!session) throw new StoreError(404, 'Session not found');
    return session;
  }

  const fileInfo = (s: StoredSession) => s.files.map((f) => ({ file_name: f.file_name, file_type: f.file_type, last_synced_line: f.last_synced_line, updated_at: f.updated_at }));

  app.get('/api/v1/sessions/:id', { config: config({ auth: 'optional' }) }, async (request, reply) => {
    const s = await readable(request, 'Sign in to view this session');
    const detail: Record<string, unknown> = {
      id: s.session_id,
      external_id: s.external_id,
      provider: s.provider,
      summary: s.summary,
      first_user_message: s.first_user_message,
      first_seen: s.first_seen,
      cwd: s.cwd,
      transcript_path: s.transcript_path,
      git_info: s.git_info,
      last_sync_at: s.last_sync_at,
      last_message_at: s.last_message_at,
      files: fileInfo(s),
      hostname: s.hostname,
      username: s.username,
      is_owner: true,
      owner_email: s.owner.includes('@') ? s.owner : `${s.owner}@localhost`,
    };
    return respond(request, reply, 200, detail);
  });

  app.get('/api/v1/sessions/:id/files', { config: config({ auth: 'key', limiter: 'externalRead' }) }, async (request, reply) => {
    const s = await readable(request);
    return respond(request, reply, 200, { files: fileInfo(s) });
  });

  app.get('/api/v1/sessions/:id/files/download', { config: config({ auth: 'key', limiter: 'externalRead', failure: 'Failed to download file' }) }, async (request, reply) => {
    const s = await readable(request);
    const fileName = (request.query as Record<string, string | undefined>).file_name;
    if (!fileName) throw new StoreError(400, 'Missing file_name query parameter');
    if (!s.files.some((f) => f.file_name === fileName)) throw new StoreError(404, 'File not found');
    const data = await store.readFile(s.session_id, fileName);
    const safeName = (fileName.split('/').pop() ?? 'file').replace(/[^A-Za-z0-9._-]/g, '_');
    reply.headers({ 'content-disposition': `attachment; filename="${safeName}"` });
    return respondRaw(request, reply, data);
  });

  app.get('/api/v1/sessions/:id/sync/file', { config: config({ auth: 'optional', failure: 'Failed to read file' }) }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const s = await readable(request, 'Sign in to view this session');
    const fileName = query.file_name;
    if (!fileName) throw new StoreError(400, 'Missing file_name query parameter');
    let offset = 0;
    if (query.line_offset !== undefined && query.line_offset !== '') {
      if (!/^[+-]?\d+$/.test(query.line_offset)) throw new StoreError(400, 'line_offset must be a valid integer');
      offset = Number(query.line_offset);
      if (offset < 0) throw new StoreError(400, 'line_offset must be non-negative');
      if (!Number.isSafeInteger(offset)) throw new StoreError(400, 'line_offset must be a valid integer');
    }
    const file = s.files.find((f) => f.file_name === fileName);
    if (!file) throw new StoreError(404, 'File not found');
    if (offset >= file.last_synced_line) return respondRaw(request, reply, Buffer.alloc(0));
    let data = await store.readFile(s.session_id, fileName, offset);
    if (offset > 0) {
      // Lines after N are joined without a trailing newline, trailing empty lines dropped.
      let end = data.length;
      while (end > 0 && data[end - 1] === 0x0a) end--;
      data = data.subarray(0, end);
    }
    return respondRaw(request, reply, data);
  });

  async function respondRaw(request: FastifyRequest, reply: FastifyReply, data: Buffer): Promise<FastifyReply> {
    const fault = request.confab?.fault;
    if (fault?.type === 'drop-after-store' || fault?.type === 'error-after-store') return respond(request, reply, 200, {});
    if (fault?.type === 'delay') await sleep(fault.ms);
    return reply.code(200).headers({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).send(data);
  }

  return app;
}
