import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FileStore, type FileStoreOptions } from '../../src/store/file-store.js';
import { createApiServer, type ApiServerOptions, type ClientViolation } from '../../src/serve/api.js';
import { FaultQueue } from '../../src/serve/faults.js';
import { KeyRing } from '../../src/serve/keys.js';

export interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): Record<string, unknown>;
}

export interface CallOptions {
  /** A JSON body (sent with Content-Type: application/json unless headers say otherwise). */
  json?: unknown;
  /** A raw body (no Content-Type added). */
  raw?: Buffer | string;
  headers?: Record<string, string | undefined>;
  /** Key for `Authorization: Bearer`; null = no Authorization header. Default: the server's first key. */
  key?: string | null;
}

export interface Server {
  app: FastifyInstance;
  base: string;
  dir: string;
  store: FileStore;
  keys: KeyRing;
  faults: FaultQueue;
  violations: ClientViolation[];
  alice: string;
  aliceLaptop: string;
  bob: string;
  call(method: string, path: string, opts?: CallOptions): Promise<Res>;
  /** Everything the store holds, to check that a refused request stored nothing. */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

export async function startServer(
  opts: { storeOptions?: FileStoreOptions; api?: Partial<Omit<ApiServerOptions, 'store' | 'keys'>> } = {},
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'confab-api-'));
  const store = await FileStore.open(join(dir, 'store'), opts.storeOptions);
  const keys = await KeyRing.open(join(dir, 'store'));
  const alice = (await keys.create('alice-desktop', { user: 'alice' })).key;
  const aliceLaptop = (await keys.create('alice-laptop', { user: 'alice' })).key;
  const bob = (await keys.create('bob', { user: 'bob' })).key;
  const faults = new FaultQueue();
  const violations: ClientViolation[] = [];
  const app = createApiServer({
    store,
    keys,
    version: '9.9.9',
    faults,
    limits: { global: false },
    onClientViolation: (v) => violations.push(v),
    ...opts.api,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const call = (method: string, path: string, o: CallOptions = {}): Promise<Res> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      const key = o.key === undefined ? alice : o.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: Buffer | undefined;
      if (o.json !== undefined) {
        body = Buffer.from(JSON.stringify(o.json));
        headers['content-type'] = 'application/json';
      } else if (o.raw !== undefined) body = Buffer.from(o.raw);
      for (const [k, v] of Object.entries(o.headers ?? {})) {
        if (v === undefined) delete headers[k.toLowerCase()];
        else headers[k.toLowerCase()] = v;
      }
      if (body) headers['content-length'] = String(body.length);
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const buf = Buffer.concat(parts);
          const text = buf.toString();
          resolve({ status: res.statusCode!, headers: res.headers, body: buf, text, json: () => JSON.parse(text) as Record<string, unknown> });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const snapshot = async () => {
    const sessions = await store.listSessions();
    const contents: Record<string, string> = {};
    const events: Record<string, unknown> = {};
    for (const s of sessions) {
      for (const f of s.files) contents[`${s.session_id}/${f.file_name}`] = (await store.readFile(s.session_id, f.file_name)).toString();
      events[s.session_id] = await store.listEvents(s.session_id);
    }
    return JSON.stringify({ sessions, contents, events });
  };

  return {
    app,
    base,
    dir,
    store,
    keys,
    faults,
    violations,
    alice,
    aliceLaptop,
    bob,
    call,
    snapshot,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
