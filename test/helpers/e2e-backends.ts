import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import type { FileStore } from '../../src/store/file-store.js';
import { withLocalStore } from './local-store.js';
import { waitFor, type Sandbox } from './sandbox.js';
import { startServer, type Server } from '../serve/api-helpers.js';

export interface E2eBackend {
  name: string;
  /** Point the sandbox at the backend; returns a reader of what it stored. */
  setup(sbx: Sandbox): Promise<<T>(fn: (store: FileStore) => Promise<T>) => Promise<T>>;
  /** The base URL of the session pages, for a backend that has them. */
  web(): string | undefined;
}

/**
 * The two backends an end-to-end test runs against: the embedded store, and `confab serve`
 * over HTTP (logged in with `confab login`), the server closed after each test.
 */
export function useE2eBackends(): E2eBackend[] {
  let server: Server | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return [
    { name: 'the embedded store', setup: async (sbx) => (fn) => withLocalStore(sbx, fn), web: () => undefined },
    {
      name: 'confab serve over HTTP',
      setup: async (sbx) => {
        const srv = await startServer();
        server = srv;
        const login = await sbx.run(['login', '--backend-url', srv.base, '--api-key', '-'], { input: srv.alice });
        expect(login.code, login.stderr).toBe(0);
        return (fn) => fn(srv.store);
      },
      web: () => server?.base,
    },
  ];
}

/** Wait until the session's daemon has registered it on its backend; returns the backend's session id. */
export function waitForBackendSessionId(sbx: Sandbox, provider: string, externalId: string): Promise<string> {
  const statePath = join(sbx.confabDir, 'sync', provider, `${externalId}.json`);
  return waitFor(
    () => {
      try {
        return (JSON.parse(readFileSync(statePath, 'utf8')) as { confab_session_id?: string }).confab_session_id;
      } catch {
        return undefined;
      }
    },
    { what: 'the daemon to register the session', timeoutMs: 20_000 },
  );
}
