import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerViewer, type ViewerOptions } from '../../src/serve/viewer/index.js';
import { REPO_ROOT } from '../helpers/sandbox.js';
import { MemoryStore } from '../helpers/memory-store.js';

export const FIXTURE_DIR = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
export const FIXTURE_SESSION = '958a0291-14d6-41d4-abad-e3757ff1ad70';
export const FIXTURE_AGENT = 'aa8934ac9a2623aee';

export function fixtureLines(rel: string): string[] {
  return readFileSync(join(FIXTURE_DIR, rel), 'utf8').split('\n').filter((l) => l !== '');
}

/** The real Claude Code session (main transcript + sub-agent file) as it would be synced. */
export async function seedFixtureSession(store: MemoryStore, owner: string): Promise<string> {
  return store.seed(owner, {
    externalId: FIXTURE_SESSION,
    cwd: '/home/alice/src/fixture-app',
    firstUserMessage: 'CONFAB-SCRIPT main: run echo hello, then delegate one task to a sub-agent.',
    files: {
      [`${FIXTURE_SESSION}.jsonl`]: { type: 'transcript', lines: fixtureLines(`${FIXTURE_SESSION}.jsonl`) },
      [`agent-${FIXTURE_AGENT}.jsonl`]: { type: 'agent', lines: fixtureLines(`${FIXTURE_SESSION}/subagents/agent-${FIXTURE_AGENT}.jsonl`) },
    },
  });
}

export const KEYS: Record<string, string> = {
  cfb_alice_key_000000000000000000000000000000: 'alice',
  cfb_bob_key_00000000000000000000000000000000: 'bob',
};
export const ALICE_KEY = 'cfb_alice_key_000000000000000000000000000000';
export const BOB_KEY = 'cfb_bob_key_00000000000000000000000000000000';

export interface ViewerApp {
  app: FastifyInstance;
  store: MemoryStore;
}

export async function viewerApp(extra: Partial<ViewerOptions> = {}, store = new MemoryStore()): Promise<ViewerApp> {
  const app = Fastify({ logger: false });
  await registerViewer(app, {
    store,
    verifyKey: (key) => (KEYS[key] ? { owner: KEYS[key] } : undefined),
    ...extra,
  });
  await app.ready();
  return { app, store };
}

export const HOST = '127.0.0.1:8123';
export const ORIGIN = `http://${HOST}`;

/** Log in through the form as a browser would; returns the Cookie header value. */
export async function login(app: FastifyInstance, key: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `key=${encodeURIComponent(key)}`,
  });
  if (res.statusCode !== 303) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const set = res.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  if (!first) throw new Error('login set no cookie');
  return first.split(';')[0] ?? '';
}

/** A user line, an assistant line, as Claude Code writes them. */
export const userLine = (content: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'user', message: { role: 'user', content }, uuid: `u-${Math.random()}`, timestamp: '2026-03-01T10:00:00.000Z', ...extra });

export const assistantLine = (id: string, content: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'assistant', message: { id, role: 'assistant', model: 'claude-test-1', content }, uuid: `a-${Math.random()}`, timestamp: '2026-03-01T10:00:01.000Z', ...extra });
