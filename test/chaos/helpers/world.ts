import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, vi } from 'vitest';
import type { StoredEvent } from '../../../src/store/session-store.js';
import { createApiServer, type ClientViolation } from '../../../src/serve/api.js';
import { FaultQueue, type Fault } from '../../../src/serve/faults.js';
import { KeyRing } from '../../../src/serve/keys.js';
import { FileLock } from '../../../src/fs/lock.js';
import { FileStore } from '../../../src/store/file-store.js';
import { freePort, Sandbox, waitFor } from '../../helpers/sandbox.js';

export type BackendKind = 'local' | 'http';
export const BACKENDS: readonly BackendKind[] = ['local', 'http'];

/** The full matrix (`npm run test:chaos`) or the fast subset run by `npm test`. */
export const FULL = process.env.TEST_CHAOS === 'full';
/** `fast` in the default run, `full` in the chaos run. */
export const pick = <T>(fast: T, full: T): T => (FULL ? full : fast);

/** A chaos scenario on a loaded 2-core machine can take minutes (outages ride out 30 s timeouts). */
export interface WorldOptions {
  env?: NodeJS.ProcessEnv;
  storeDir?: string;
}

export function useChaosTimeouts(): void {
  vi.setConfig({ testTimeout: pick(180_000, 900_000), hookTimeout: 120_000 });
}

/**
 * For a test file: the chaos timeouts, and a way to open one World per test that is closed
 * (its processes killed, its dirs removed) after the test, whether it passed or not.
 */
export function useWorld(): (kind: BackendKind, opts?: WorldOptions) => Promise<World> {
  useChaosTimeouts();
  let current: World | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (kind, opts) => (current = await World.create(kind, opts));
}

const STORE_FAULTS = fileURLToPath(new URL('../fixtures/store-faults.mjs', import.meta.url));

/** A failure a backend can be made to produce; each has a meaning for both kinds (see docs/reliability.md). */
export type WorldFault =
  /** HTTP: 500 before the store is touched. Embedded: the write fails before its commit point. */
  | 'error-before-store'
  /** HTTP: stored, then answered 500. Embedded: committed, then the call fails. */
  | 'error-after-store'
  /** HTTP: stored, then the connection is reset. Embedded: as error-after-store (no connection to lose). */
  | 'drop-after-store';

export interface HeldSession {
  sessionId: string;
  files: Record<string, Buffer>;
  events: StoredEvent[];
}

/**
 * A sandbox plus the backend its sessions sync to: the embedded store (in the sandbox's
 * ~/.confab/store, with failures injected at the file-system boundary by a preload) or an
 * HTTP server speaking confab-web's API (confab serve's, in this process, with a FaultQueue),
 * which can be taken down and brought back on the same port.
 */
export class World {
  readonly sbx: Sandbox;
  readonly storeDir: string;
  /** Control directory of the embedded store's fault preload. */
  private readonly ctl: string;
  private server: { app: FastifyInstance; store: FileStore; keys: KeyRing; port: number; faults: FaultQueue } | undefined;
  readonly violations: ClientViolation[] = [];
  private tokens = 0;
  private apiKey = '';

  private constructor(
    readonly kind: BackendKind,
    envOverrides: NodeJS.ProcessEnv,
    opts: { storeDir?: string },
  ) {
    this.sbx = new Sandbox(envOverrides);
    this.ctl = this.sbx.dir('faults');
    this.storeDir = opts.storeDir ?? (kind === 'local' ? join(this.sbx.confabDir, 'store') : this.sbx.dir('served'));
    if (kind === 'local') {
      Object.assign(this.sbx.env, {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${STORE_FAULTS}`.trim(),
        CONFAB_CHAOS_CTL: this.ctl,
        CONFAB_CHAOS_STORE: this.storeDir,
        ...(opts.storeDir ? { CONFAB_STORE_DIR: opts.storeDir } : {}),
      });
    }
  }

  static async create(kind: BackendKind, opts: WorldOptions = {}): Promise<World> {
    const world = new World(kind, opts.env ?? {}, opts);
    if (kind === 'http') await world.startServer();
    return world;
  }

  get faults(): FaultQueue {
    if (!this.server) throw new Error('no server');
    return this.server.faults;
  }

  get key(): string {
    return this.apiKey;
  }

  get url(): string {
    return `http://127.0.0.1:${this.server?.port ?? 0}`;
  }

  get keyRing(): KeyRing {
    if (!this.server) throw new Error('no server');
    return this.server.keys;
  }

  private async startServer(): Promise<void> {
    const store = await FileStore.open(this.storeDir);
    const keys = await KeyRing.open(this.storeDir);
    this.apiKey = (await keys.create('chaos', { user: 'alice' })).key;
    const port = await freePort();
    this.server = { app: undefined as unknown as FastifyInstance, store, keys, port, faults: new FaultQueue() };
    await this.listen();
    this.writeUserConfig({ backend_url: this.url, api_key: this.apiKey });
  }

  private async listen(): Promise<void> {
    const s = this.server!;
    s.app = createApiServer({
      store: s.store,
      keys: s.keys,
      version: '0.0.0-chaos',
      faults: s.faults,
      limits: { global: false },
      onClientViolation: (v) => this.violations.push(v),
    });
    // The port was free a moment ago; after a close, the kernel may hold it briefly.
    await waitFor(
      () =>
        s.app.listen({ port: s.port, host: '127.0.0.1' }).then(
          () => true,
          () => false,
        ),
      { what: `port ${s.port} to be free`, timeoutMs: 10_000, intervalMs: 50 },
    );
    if ((s.app.server.address() as AddressInfo).port !== s.port) throw new Error('server bound the wrong port');
  }

  writeUserConfig(config: Record<string, unknown>): void {
    mkdirSync(this.sbx.confabDir, { recursive: true });
    writeFileSync(join(this.sbx.confabDir, 'config.json'), JSON.stringify(config));
  }

  /** The backend becomes unreachable (HTTP: nothing listens; embedded: its disk is gone). */
  async down(): Promise<void> {
    if (this.kind === 'local') {
      writeFileSync(join(this.ctl, 'down'), '');
      return;
    }
    await this.server!.app.close();
  }

  async up(): Promise<void> {
    if (this.kind === 'local') {
      rmSync(join(this.ctl, 'down'), { force: true });
      return;
    }
    await this.listen();
  }

  /** Make the backend fail the next `times` chunk uploads (or events) this way. */
  fail(fault: WorldFault, times: number, route: 'chunk' | 'event' = 'chunk'): void {
    if (this.kind === 'http') {
      const f: Fault = { type: fault };
      this.faults.add(`/api/v1/sync/${route}`, f, times);
      return;
    }
    const name = fault === 'error-before-store' ? `before-commit-${route}` : `after-commit-${route}`;
    for (let i = 0; i < times; i++) writeFileSync(join(this.ctl, `${name}.${++this.tokens}`), '');
  }

  /** Faults queued and not yet applied. */
  pendingFaults(): number {
    if (this.kind === 'http') return this.faults.pending();
    return readdirSync(this.ctl).filter((n) => n !== 'down').length;
  }

  /**
   * The embedded store's stand-in for a 429 storm: another process holds the session's
   * store lock, again and again, so the daemon's writes must wait.
   */
  async holdSessionLock(sessionId: string, ms: number): Promise<void> {
    const lock = await FileLock.acquire(join(this.storeDir, 'sessions', sessionId, 'lock'));
    await new Promise((r) => setTimeout(r, ms));
    await lock.release();
  }

  private async withStore<T>(fn: (store: FileStore) => Promise<T>): Promise<T> {
    if (this.server) return fn(this.server.store);
    if (!existsSync(join(this.storeDir, 'store.json'))) return fn(undefined as unknown as FileStore);
    const store = await FileStore.open(this.storeDir);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  /** What the backend holds for a session (by its external id), or undefined. */
  held(externalId: string): Promise<HeldSession | undefined> {
    return this.withStore(async (store) => {
      if (!store) return undefined;
      const s = (await store.listSessions()).find((x) => x.external_id === externalId);
      if (!s) return undefined;
      const files: Record<string, Buffer> = {};
      for (const f of s.files) files[f.file_name] = await store.readFile(s.session_id, f.file_name);
      return { sessionId: s.session_id, files, events: await store.listEvents(s.session_id) };
    });
  }

  /** Delete a session on the backend, as a user deleting it in the web app does. */
  async deleteSession(externalId: string): Promise<void> {
    const held = await this.held(externalId);
    if (!held) throw new Error(`no session ${externalId} on the backend`);
    rmSync(join(this.storeDir, 'sessions', held.sessionId), { recursive: true, force: true });
  }

  /** PIDs of the sandbox's sync daemons (live and resuming), or only those of one session. */
  daemons(externalId?: string): number[] {
    return this.sbx.strayPids().filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (externalId !== undefined && !cmd.includes(`"external_id":"${externalId}"`)) return false;
        return cmd.includes('--bg-daemon') && state.slice(state.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    });
  }

  pendingPath(externalId: string, provider = 'claude-code'): string {
    return join(this.sbx.confabDir, 'pending', provider, `${externalId}.json`);
  }

  statePath(externalId: string, provider = 'claude-code'): string {
    return join(this.sbx.confabDir, 'sync', provider, `${externalId}.json`);
  }

  daemonLog(externalId: string, provider = 'claude-code'): string {
    try {
      return readFileSync(join(this.sbx.confabDir, 'logs', provider, `${externalId}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  private readonly cleanups: (() => void)[] = [];

  /** Run `fn` at close, after every process is killed and before the sandbox is removed. */
  onClose(fn: () => void): void {
    this.cleanups.push(fn);
  }

  async close(): Promise<void> {
    if (this.server) {
      await this.server.app.close().catch(() => undefined);
      await this.server.store.close();
    }
    for (const pid of this.sbx.strayPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const fn of this.cleanups.splice(0).reverse()) fn();
    await this.sbx.cleanup().catch(() => undefined);
  }
}
