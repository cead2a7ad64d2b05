import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError, type SessionStore, type StoredSession } from '../../store/session-store.js';
import { CSS_VERSION, JS_VERSION, VIEWER_CSS, VIEWER_JS } from './assets.js';
import { LiveStreams } from './live.js';
import { LoginSessions } from './login-sessions.js';
import { renderErrorPage, renderListPage, renderLoginPage, renderSessionPage, type PageLinks } from './pages.js';
import { parseExpiry, ShareError, sharePath, type ShareLinks } from '../shares.js';
import { renderShareCreatedPage, shareLinks, sharesPanel, SHARE_EXPIRY_CHOICES } from './share-pages.js';
import { isSameOriginPost } from './same-origin.js';
import { QuerySyntaxError, type ViewerSearchIndex } from '../search-index.js';
import { DEFAULT_SEARCH_BUDGET, searchSessions, type SearchBudget, type SearchResult } from './search.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { mainFile, projectName, sessionRow, sessionTitle } from './session-summary.js';
import { parseObject, splitLines } from './transcript-lines.js';
import { renderLines, viewerLinks, type TranscriptLinks } from './transcript-render.js';
import { CHART_JS_PATH, chartLibrary, renderUsagePage } from './usage-page.js';
import { liveUrl, LOGIN_PATH, LOGOUT_PATH, safeNext, sessionHref, STATIC_PREFIX, UI_API } from './urls.js';

/** The store calls the viewer makes (any `SessionStore` has them). */
export type ViewerStore = Pick<SessionStore, 'listSessions' | 'getSession' | 'readFile'>;

export interface ViewerOptions {
  store: ViewerStore;
  /**
   * The API key check of `confab serve`; undefined (or a throw) refuses the login. A `keyId`
   * ties the login to the key: see keyActive.
   */
  verifyKey(key: string): Promise<ViewerKey | undefined> | ViewerKey | undefined;
  /**
   * Whether the key a login was made with is still active, asked on every request: a revoked
   * (or deactivated) key ends its browser logins at once. False or a throw logs out.
   */
  keyActive?(keyId: string): Promise<boolean> | boolean;
  /**
   * The app trusts a reverse proxy's X-Forwarded-Host/-Proto (Fastify's trustProxy): the
   * origin check then compares the scheme too, as the proxy reports it.
   */
  trustProxy?: boolean;
  /** Mark the login cookie `Secure` (and name it `__Host-…`); for servers behind HTTPS. */
  secureCookies?: boolean;
  /** How long a browser login lasts (default 12 h). */
  loginTtlMs?: number;
  /** How often a live view checks the store for new lines (default 500 ms). */
  livePollMs?: number;
  /** The search index: when it is ready, the list's search ranks every session from it instead of scanning. */
  searchIndex?: ViewerSearchIndex;
  /** Transcript bytes and time one search may spend scanning content. */
  searchBudget?: Partial<SearchBudget>;
  /** Lines per transcript page (default 2000). */
  pageLines?: number;
  /** Read-only links to single sessions (`/s/<token>`); without them the viewer has no sharing. */
  shares?: ViewerShares;
  /** Clock, for login expiry. */
  now?: () => number;
}

/** The shared-link calls the viewer makes (`ShareLinks` has them). */
export type ViewerShares = Pick<ShareLinks, 'create' | 'list' | 'revoke' | 'resolve' | 'expired'>;

export interface ViewerKey {
  owner: string;
  keyId?: string;
}

type Access = 'public' | 'page' | 'api';

declare module 'fastify' {
  interface FastifyContextConfig {
    viewerAccess?: Access;
  }
}

const DEFAULT_LOGIN_TTL_MS = 12 * 60 * 60 * 1000;
const SESSIONS_PER_PAGE = 100;
const MAX_KEY_LENGTH = 512;
/** Failed logins per client address per minute before it is told to wait. */
const MAX_FAILED_LOGINS = 10;

class ViewerHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Register the web viewer on an app that may also serve confab-web's API: pages at `/`,
 * `/sessions/:id`, `/login`, `/logout`; JSON and the live stream under `/ui/api/`; assets
 * under `/ui/static/`. Everything lives in its own encapsulated scope (its hooks, parsers
 * and error handler touch no other route).
 */
export async function registerViewer(app: FastifyInstance, opts: ViewerOptions): Promise<void> {
  await app.register(async (scope) => viewerScope(scope, opts));
}

async function viewerScope(scope: FastifyInstance, opts: ViewerOptions): Promise<void> {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const ttlMs = opts.loginTtlMs ?? DEFAULT_LOGIN_TTL_MS;
  const pageLines = Math.max(1, opts.pageLines ?? 2000);
  const budget: SearchBudget = { ...DEFAULT_SEARCH_BUDGET, ...opts.searchBudget };
  const logins = new LoginSessions({ ttlMs, maxSessions: 10_000, now });
  const live = new LiveStreams(store, { pollMs: opts.livePollMs ?? 500, heartbeatMs: 15_000, maxStreamsPerOwner: 32, maxLinesPerEvent: pageLines });
  const cookieName = opts.secureCookies ? '__Host-confab_viewer' : 'confab_viewer';
  const owners = new WeakMap<FastifyRequest, string>();
  const failedLogins = new Map<string, { count: number; since: number }>();

  if (!scope.hasReplyDecorator('setCookie')) await scope.register(fastifyCookie);
  if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) await scope.register(fastifyFormbody, { bodyLimit: 8 * 1024 });

  scope.addHook('preClose', async () => live.closeAll());

  /** The owner of the request's login, if it is live and its key still active. */
  async function loggedIn(request: FastifyRequest): Promise<string | undefined> {
    const token = request.cookies[cookieName];
    const login = logins.get(token);
    if (!login) return undefined;
    if (login.keyId !== undefined && opts.keyActive) {
      let active: boolean;
      try {
        active = await opts.keyActive(login.keyId);
      } catch {
        active = false;
      }
      if (!active) {
        logins.revoke(token);
        return undefined;
      }
    }
    return login.owner;
  }
  const servedOrigin = (request: FastifyRequest) => ({ host: request.host, ...(opts.trustProxy && request.headers['x-forwarded-proto'] ? { protocol: request.protocol } : {}) });

  scope.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.viewerAccess ?? 'page';
    if (access === 'public') return;
    const owner = await loggedIn(request);
    if (owner !== undefined) {
      owners.set(request, owner);
      return;
    }
    if (access === 'api') return reply.code(401).header('cache-control', 'no-store').send({ error: 'Unauthorized' });
    return reply.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(request.url)}`, 303);
  });

  scope.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  scope.setErrorHandler((err: unknown, request, reply) => {
    const status = err instanceof ViewerHttpError || err instanceof StoreError ? err.status : clientErrorStatus(err);
    const message = status >= 500 ? 'Something went wrong reading the store.' : err instanceof Error ? err.message : 'Bad request';
    if (status >= 500) request.log.error({ err }, 'viewer request failed');
    if (request.url.startsWith(`${UI_API}/`)) return reply.code(status).send({ error: message });
    return reply.code(status).type('text/html; charset=utf-8').send(renderErrorPage({ status, message, owner: owners.get(request) }));
  });

  const ownerOf = (request: FastifyRequest): string => {
    const owner = owners.get(request);
    if (owner === undefined) throw new ViewerHttpError(401, 'Unauthorized');
    return owner;
  };
  const sendPage = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);

  // ── assets ────────────────────────────────────────────────────────────────────────
  const asset = (body: string, type: string, version: string) => (request: FastifyRequest, reply: FastifyReply) => {
    const v = (request.query as Record<string, unknown>).v;
    reply.header('cache-control', v === version ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.type(type).send(body);
  };
  scope.get(`${STATIC_PREFIX}/viewer.css`, { config: { viewerAccess: 'public' } }, asset(VIEWER_CSS, 'text/css; charset=utf-8', CSS_VERSION));
  scope.get(`${STATIC_PREFIX}/viewer.js`, { config: { viewerAccess: 'public' } }, asset(VIEWER_JS, 'text/javascript; charset=utf-8', JS_VERSION));
  const charts = chartLibrary();
  if (charts) scope.get(CHART_JS_PATH, { config: { viewerAccess: 'public' } }, asset(charts.body, 'text/javascript; charset=utf-8', charts.version));

  // ── login / logout ────────────────────────────────────────────────────────────────
  scope.get(LOGIN_PATH, { config: { viewerAccess: 'public' } }, async (request, reply) => {
    const next = safeNext((request.query as Record<string, unknown>).next);
    if ((await loggedIn(request)) !== undefined) return reply.redirect(next, 303);
    return sendPage(reply, renderLoginPage({ next }));
  });

  scope.post(LOGIN_PATH, { config: { viewerAccess: 'public' } }, async (request, reply) => {
    if (!isSameOriginPost(request.headers, servedOrigin(request))) return sendPage(reply, renderErrorPage({ status: 403, message: 'Cross-site request refused.' }), 403);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    const ip = request.ip;
    const failures = failedLogins.get(ip);
    if (failures && now() - failures.since < 60_000 && failures.count >= MAX_FAILED_LOGINS) {
      return sendPage(reply.header('retry-after', '60'), renderLoginPage({ next, error: 'Too many failed attempts. Wait a minute and try again.' }), 429);
    }
    let verified: ViewerKey | undefined;
    if (key && key.length <= MAX_KEY_LENGTH) {
      try {
        verified = await opts.verifyKey(key);
      } catch {
        verified = undefined;
      }
    }
    if (!verified || typeof verified.owner !== 'string') {
      const f = failures && now() - failures.since < 60_000 ? failures : { count: 0, since: now() };
      f.count++;
      if (failedLogins.size > 10_000) failedLogins.clear();
      failedLogins.set(ip, f);
      return sendPage(reply, renderLoginPage({ next, error: 'Invalid API key.' }), 401);
    }
    failedLogins.delete(ip);
    logins.revoke(request.cookies[cookieName]);
    const { token } = logins.create(verified.owner, typeof verified.keyId === 'string' ? verified.keyId : undefined);
    reply.setCookie(cookieName, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: !!opts.secureCookies,
      maxAge: Math.floor(ttlMs / 1000),
    });
    return reply.redirect(next, 303);
  });

  scope.post(LOGOUT_PATH, { config: { viewerAccess: 'public' } }, async (request, reply) => {
    if (!isSameOriginPost(request.headers, servedOrigin(request))) return sendPage(reply, renderErrorPage({ status: 403, message: 'Cross-site request refused.' }), 403);
    logins.revoke(request.cookies[cookieName]);
    reply.clearCookie(cookieName, { path: '/', httpOnly: true, sameSite: 'strict', secure: !!opts.secureCookies });
    return reply.redirect(LOGIN_PATH, 303);
  });

  // ── pages ─────────────────────────────────────────────────────────────────────────
  async function listing(owner: string, query: Record<string, unknown>) {
    const q = typeof query.q === 'string' ? query.q.trim().slice(0, 200) : '';
    const sessions = await store.listSessions(owner);
    let search: SearchResult | undefined;
    let matching: StoredSession[] = sessions;
    let indexed;
    try {
      indexed = q ? opts.searchIndex?.search(owner, q, Math.max(0, intParam(query.offset, 0)), SESSIONS_PER_PAGE) : undefined;
    } catch (err) {
      if (err instanceof QuerySyntaxError) throw new ViewerHttpError(400, `Bad search: ${err.message}`);
      throw err;
    }
    if (indexed) {
      const byId = new Map(sessions.map((s) => [s.session_id, s]));
      matching = indexed.sessionIds.map((id) => byId.get(id)).filter((s): s is StoredSession => s !== undefined);
      // Titles and projects are matched too, after the content hits (as the scanning search does).
      const ranked = new Set(indexed.sessionIds);
      const lower = q.toLowerCase();
      matching.push(...sessions.filter((s) => !ranked.has(s.session_id) && `${sessionTitle(s)}\n${projectName(s)}`.toLowerCase().includes(lower)));
      search = { hits: indexed.hits, scanFrom: 0, scannedTo: sessions.length, total: sessions.length, bytesRead: 0, exhausted: false };
    } else if (q) {
      search = await searchSessions(store, sessions, q, budget, intParam(query.scan_from, 0), now);
      const hits = search.hits;
      matching = sessions.filter((s) => hits.has(s.session_id));
    }
    return { q, sessions: matching, search };
  }

  scope.get('/', async (request, reply) => {
    const owner = ownerOf(request);
    const query = request.query as Record<string, unknown>;
    const { q, sessions, search } = await listing(owner, query);
    const offset = Math.min(intParam(query.offset, 0), Math.max(0, sessions.length - 1));
    const rows = sessions.slice(offset, offset + SESSIONS_PER_PAGE).map(sessionRow);
    return sendPage(reply, renderListPage({ owner, rows, query: q, offset, pageSize: SESSIONS_PER_PAGE, total: sessions.length, search }));
  });

  scope.get('/usage', async (request, reply) => {
    const owner = ownerOf(request);
    const reports = opts.searchIndex?.usage(owner, ['daily', 'model', 'project']);
    return sendPage(
      reply,
      renderUsagePage({ owner, daily: reports?.get('daily'), model: reports?.get('model'), project: reports?.get('project'), ...(charts ? { chartVersion: charts.version } : {}) }),
    );
  });

  /** The window of lines a session page shows: `?file=` (default: the transcript) from `?from=`. */
  async function sessionWindow(session: StoredSession, query: Record<string, unknown>, links: TranscriptLinks) {
    const wanted = stringParam(query.file, 'file');
    const file = wanted === undefined ? mainFile(session) : session.files.find((f) => f.file_name === wanted);
    if (wanted !== undefined && !file) throw new ViewerHttpError(404, `This session has no file named ${wanted} (yet).`);
    let from = 1;
    let to = 0;
    let transcript = renderLines([], { sessionId: session.session_id, fileName: '', files: session.files, links });
    let atEnd = false;
    if (file) {
      from = Math.max(1, intParam(query.from, 1));
      const buf = await store.readFile(session.session_id, file.file_name, from - 1);
      const lines = splitLines(buf, from, pageLines + 1);
      const shown = lines.slice(0, pageLines);
      to = from - 1 + shown.length;
      transcript = renderLines(shown, { sessionId: session.session_id, fileName: file.file_name, files: session.files, links });
      atEnd = lines.length <= pageLines;
    }
    return { file, from, to, transcript, atEnd };
  }

  scope.get('/sessions/:id', async (request, reply) => {
    const owner = ownerOf(request);
    const session = await ownSession(request, owner);
    const { file, from, to, transcript, atEnd } = await sessionWindow(session, request.query as Record<string, unknown>, viewerLinks(session.session_id));
    // Live only at the end of the file: earlier windows are history.
    const liveAt = file && atEnd ? liveUrl(session.session_id, file.file_name, to) : undefined;
    const shares = opts.shares ? sharesPanel(session.session_id, await opts.shares.list(owner, session.session_id), (x) => opts.shares!.expired(x)) : undefined;
    return sendPage(reply, renderSessionPage({ owner, session, file, from, to, pageLines, transcript, liveUrl: liveAt, shares }));
  });

  // ── shared links ──────────────────────────────────────────────────────────────────
  if (opts.shares) {
    const shares = opts.shares;
    const refuseCrossSite = (request: FastifyRequest, reply: FastifyReply) =>
      isSameOriginPost(request.headers, servedOrigin(request)) ? undefined : sendPage(reply, renderErrorPage({ status: 403, message: 'Cross-site request refused.', owner: owners.get(request) }), 403);

    scope.post('/sessions/:id/shares', async (request, reply) => {
      const refused = refuseCrossSite(request, reply);
      if (refused) return refused;
      const owner = ownerOf(request);
      const session = await ownSession(request, owner);
      const expires = (request.body as Record<string, unknown> | undefined)?.expires ?? '';
      if (typeof expires !== 'string' || !SHARE_EXPIRY_CHOICES.some(([value]) => value === expires)) throw new ViewerHttpError(400, 'Unknown expiry');
      const share = await shares.create(owner, session.session_id, expires ? { expiresAt: now() + parseExpiry(expires) } : {});
      const url = `${request.protocol}://${request.host}${sharePath(share.token)}`;
      return sendPage(reply, renderShareCreatedPage({ owner, sessionId: session.session_id, url, share }));
    });

    scope.post('/sessions/:id/shares/:share/revoke', async (request, reply) => {
      const refused = refuseCrossSite(request, reply);
      if (refused) return refused;
      const owner = ownerOf(request);
      const session = await ownSession(request, owner);
      const shareId = (request.params as Record<string, unknown>).share;
      const mine = await shares.list(owner, session.session_id);
      if (typeof shareId !== 'string' || !mine.some((x) => x.id === shareId)) throw new ViewerHttpError(404, 'No such shared link');
      try {
        await shares.revoke(shareId, owner);
      } catch (err) {
        if (err instanceof ShareError) throw new ViewerHttpError(404, 'No such shared link');
        throw err;
      }
      return reply.redirect(`${sessionHref(session.session_id)}#shares`, 303);
    });

    const shared = { config: { viewerAccess: 'public' as const } };

    /** The session a token opens: unknown, revoked and expired links, and deleted sessions, are all "not found". */
    const sharedSession = async (request: FastifyRequest): Promise<{ token: string; session: StoredSession; links: PageLinks & TranscriptLinks }> => {
      const token = (request.params as Record<string, unknown>).token;
      const link = typeof token === 'string' ? await shares.resolve(token) : undefined;
      const session = link ? await store.getSession(link.session_id, link.owner) : undefined;
      if (!link || !session || session.owner !== link.owner) throw new ViewerHttpError(404, 'This link does not exist, has expired or was revoked.');
      return { token: token as string, session, links: shareLinks(token as string) };
    };

    scope.get('/s/:token', shared, async (request, reply) => {
      const { session, links } = await sharedSession(request);
      const { file, from, to, transcript } = await sessionWindow(session, request.query as Record<string, unknown>, links);
      return sendPage(reply.header('x-robots-tag', 'noindex'), renderSessionPage({ owner: undefined, session, links, file, from, to, pageLines, transcript, liveUrl: undefined }));
    });

    scope.get('/s/:token/line', shared, async (request, reply) => {
      const { session } = await sharedSession(request);
      return sendLine(reply, session, request.query as Record<string, unknown>);
    });
  }

  // ── JSON and streams ──────────────────────────────────────────────────────────────
  const api = { config: { viewerAccess: 'api' as const } };

  scope.get(`${UI_API}/sessions`, api, async (request) => {
    const owner = ownerOf(request);
    const { q, sessions, search } = await listing(owner, request.query as Record<string, unknown>);
    return {
      sessions: sessions.map((s) => ({ ...sessionRow(s), match: search?.hits.get(s.session_id) })),
      search: search && { query: q, scanned_from: search.scanFrom, scanned_to: search.scannedTo, total: search.total, bytes_read: search.bytesRead, exhausted: search.exhausted },
    };
  });

  scope.get(`${UI_API}/sessions/:id`, api, async (request) => {
    const owner = ownerOf(request);
    const s = await ownSession(request, owner);
    return { ...sessionRow(s), external_id: s.external_id, cwd: s.cwd, files: s.files };
  });

  scope.get(`${UI_API}/sessions/:id/lines`, api, async (request) => {
    const owner = ownerOf(request);
    const query = request.query as Record<string, unknown>;
    const s = await ownSession(request, owner);
    const fileName = ownFile(s, query.file);
    const after = intParam(query.after, 0);
    const buf = await store.readFile(s.session_id, fileName, after);
    const lines = splitLines(buf, after + 1, pageLines);
    return { from: after + 1, last: after + lines.length, html: renderLines(lines, { sessionId: s.session_id, fileName, files: s.files }).value };
  });

  scope.get(`${UI_API}/sessions/:id/line`, api, async (request, reply) => {
    const owner = ownerOf(request);
    const s = await ownSession(request, owner);
    return sendLine(reply, s, request.query as Record<string, unknown>);
  });

  /** One stored line as text (a long line the page loads when its row is opened). */
  async function sendLine(reply: FastifyReply, s: StoredSession, query: Record<string, unknown>) {
    const fileName = ownFile(s, query.file);
    const n = intParam(query.n, 0);
    if (n < 1) throw new ViewerHttpError(400, 'n must be a line number (1 or more)');
    const [line] = splitLines(await store.readFile(s.session_id, fileName, n - 1), n, 1);
    if (!line) throw new ViewerHttpError(404, `Line ${n} is not synced`);
    const value = parseObject(line.raw);
    return reply.type('text/plain; charset=utf-8').send(value ? JSON.stringify(value, null, 2) : line.raw);
  }

  scope.get(`${UI_API}/sessions/:id/raw`, api, async (request, reply) => {
    const owner = ownerOf(request);
    const s = await ownSession(request, owner);
    const fileName = ownFile(s, (request.query as Record<string, unknown>).file);
    const buf = await store.readFile(s.session_id, fileName, 0);
    const safeName = (fileName.split('/').pop() ?? 'transcript.jsonl').replace(/[^A-Za-z0-9._-]/g, '_');
    return reply.type('text/plain; charset=utf-8').header('content-disposition', `attachment; filename="${safeName}"`).send(buf);
  });

  scope.get(`${UI_API}/sessions/:id/live`, api, async (request, reply) => {
    const owner = ownerOf(request);
    const query = request.query as Record<string, unknown>;
    const s = await ownSession(request, owner);
    const fileName = ownFile(s, query.file);
    const lastEventId = request.headers['last-event-id'];
    const after = typeof lastEventId === 'string' && /^\d{1,9}$/.test(lastEventId) ? Number(lastEventId) : intParam(query.after, 0);
    if (!live.canOpen(owner)) throw new ViewerHttpError(429, 'Too many live views open');
    live.start(request, reply, { owner, session: s, fileName, after, stillLoggedIn: async () => (await loggedIn(request)) === owner });
    return reply;
  });

  async function ownSession(request: FastifyRequest, owner: string): Promise<StoredSession> {
    const id = (request.params as Record<string, unknown>).id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new ViewerHttpError(404, 'Session not found');
    // Another owner's session is "not found", never "forbidden": ids do not leak.
    const s = await store.getSession(id, owner);
    if (!s || s.owner !== owner) throw new ViewerHttpError(404, 'Session not found');
    return s;
  }
}

function ownFile(s: StoredSession, file: unknown): string {
  const name = stringParam(file, 'file');
  if (name === undefined) {
    const main = mainFile(s);
    if (!main) throw new ViewerHttpError(404, 'This session has no files yet');
    return main.file_name;
  }
  if (!s.files.some((f) => f.file_name === name)) throw new ViewerHttpError(404, 'File not found');
  return name;
}

function stringParam(v: unknown, name: string): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 1024) throw new ViewerHttpError(400, `${name} must be one short string`);
  return v;
}

function intParam(v: unknown, fallback: number): number {
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v)) return fallback;
  return Number(v);
}

function clientErrorStatus(err: unknown): number {
  const code = (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' && code >= 400 && code < 500 ? code : 500;
}
