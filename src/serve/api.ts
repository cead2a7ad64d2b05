import { isIP } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { SessionStore } from '../store/session-store.js';
import { silentLogger, type Logger } from '../log.js';
import { parseRfc3339 } from '../store/validate.js';
import { BODY_CAPS, type ClientViolation } from './api-reply.js';
import { installFaultInjection } from './fault-injection.js';
import type { FaultInjector } from './faults.js';
import type { KeyRing } from './keys.js';
import { installApiMiddleware, type ApiLimits } from './middleware.js';
import { serveLogging, type LogDestination } from './request-log.js';
import { githubLinkRoutes } from './routes/github-links.js';
import { readRoutes } from './routes/read.js';
import { serviceRoutes } from './routes/service.js';
import { sessionRoutes } from './routes/sessions.js';
import { syncRoutes } from './routes/sync.js';

/**
 * confab-web's CLI API (confab-web-api.md) over a SessionStore, enforcing the conformance
 * checklist: middleware order (global limit → Content-Type 415 → auth 401/403 → per-user
 * limit → Content-Encoding 415 → body cap → handler), text/plain middleware errors vs JSON
 * handler errors, zstd bodies on /sync/* only with a decompressed cap, over-cap bodies as
 * 400 (never 413), schema-validated bodies with no unknown keys, and the store's semantics.
 * The pipeline is in middleware.ts, the routes in routes/, one plugin per group.
 */

export { BODY_CAPS };
export type { ApiLimits, ClientViolation };

export interface ApiServerOptions {
  store: SessionStore;
  keys: KeyRing;
  version: string;
  logger?: Logger;
  limits?: ApiLimits;
  /** Tests only: failures to inject around the handlers (faults.ts). */
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

/** Hosts that only this machine can reach (for the CLI's warning on other binds). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export function createApiServer(opts: ApiServerOptions): FastifyInstance {
  const { store } = opts;
  const log = opts.logger ?? silentLogger;
  const capabilities = opts.capabilities === undefined ? { workflow_files: true, workflow_journal: true, opencode_subagents: true } : opts.capabilities;
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
    // Bodies are read and capped by the API's own parser (middleware.ts).
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

  installApiMiddleware(app, { keys: opts.keys, limits: opts.limits ?? {}, log });
  if (opts.faults) installFaultInjection(app, { faults: opts.faults, store, violation });

  void app.register(serviceRoutes, { version: opts.version, capabilities });
  void app.register(syncRoutes, { store, violation });
  void app.register(sessionRoutes, { store });
  void app.register(githubLinkRoutes, { store });
  void app.register(readRoutes, { store });
  return app;
}
