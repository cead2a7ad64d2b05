/**
 * `confab serve`: confab-web's API over an embedded store (`api.ts`), API keys
 * (`keys.ts`), rate limits, the web viewer (`viewer/`) and its read-only shared links
 * (`shares.ts`), on Fastify.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { silentLogger, type Logger } from '../log.js';
import { storeDir } from '../paths.js';
import { indexingStoreFor } from '../search/indexing-store.js';
import { viewerSearchIndex } from './search-index.js';
import { FileStore } from '../store/file-store.js';
import { confabVersion } from '../version.js';
import { createApiServer, isLoopbackHost } from './api.js';
import { KeyRing } from './keys.js';
import { ShareLinks } from './shares.js';
import type { LogDestination } from './request-log.js';
import { registerViewer } from './viewer/index.js';

export const DEFAULT_SERVE_HOST = '127.0.0.1';
export const DEFAULT_SERVE_PORT = 8787;

export interface ServeOptions {
  host?: string;
  port?: number;
  store?: string;
  tls?: { certFile: string; keyFile: string };
  log?: Logger;
  /** One line per request and per failure (see request-log.ts); default: none. */
  requestLog?: LogDestination;
  /** Behind a reverse proxy: believe its X-Forwarded-For/-Host/-Proto (see ApiServerOptions). */
  trustProxy?: boolean;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: FileStore;
  keys: KeyRing;
  /** Read-only links to single sessions (`/s/<token>`). */
  shares: ShareLinks;
  /** Non-loopback binding: everyone who can reach the address can try keys. */
  exposed: boolean;
  /** Settles when the viewer's search index has caught up with the store (it scans until then). */
  searchReady: Promise<void>;
  close(): Promise<void>;
}

export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

/**
 * `confab serve`: the embedded store over confab-web's HTTP API, plus the web viewer, in
 * one process. Every API route and the viewer require a key of this store's key ring.
 */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const dir = opts.store ?? storeDir();
  const host = opts.host ?? DEFAULT_SERVE_HOST;
  const port = opts.port ?? DEFAULT_SERVE_PORT;
  const log = opts.log ?? silentLogger;
  const keys = await KeyRing.open(dir);
  if (!(await keys.list()).some((k) => k.status === 'active')) {
    throw new ServeError(`no API keys for ${dir}: create one with \`confab serve keys create <name>${opts.store ? ` --store ${dir}` : ''}\``);
  }
  let https: { cert: Buffer; key: Buffer } | undefined;
  if (opts.tls) {
    try {
      https = { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) };
    } catch (err) {
      throw new ServeError(`cannot read the TLS certificate or key: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const store = await FileStore.open(dir);
  const shares = await ShareLinks.open(dir);
  // What the API stores is indexed for search as it is committed, off the thread that answers.
  const indexed = indexingStoreFor(store, dir, log, { thread: true });
  const app = createApiServer({
    store: indexed,
    keys,
    version: confabVersion(),
    logger: log,
    ...(https ? { https } : {}),
    ...(opts.requestLog ? { requestLog: opts.requestLog } : {}),
    trustProxy: opts.trustProxy === true,
  });
  const searchIndex = viewerSearchIndex(store, dir, log);
  await registerViewer(app, {
    store,
    searchIndex,
    shares,
    secureCookies: Boolean(https),
    trustProxy: opts.trustProxy === true,
    verifyKey: async (key) => {
      const v = await keys.verify(key);
      return v?.status === 'active' ? { owner: v.owner, keyId: v.key_id } : undefined;
    },
    keyActive: (keyId) => keys.isActive(keyId),
  });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await indexed.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new ServeError(code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use (try --port)` : `cannot listen on ${host}:${port}: ${code ?? (err as Error).message}`);
  }
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${https ? 'https' : 'http'}://${shownHost}:${address.port}`,
    app,
    store,
    keys,
    shares,
    exposed: !isLoopbackHost(host),
    searchReady: searchIndex.ready,
    async close() {
      await app.close();
      await indexed.close();
    },
  };
}
