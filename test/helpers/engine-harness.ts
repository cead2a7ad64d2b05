import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect } from 'vitest';
import type { UploadPolicy } from '../../src/backend/backend.js';
import type { SyncHooks } from '../../src/extension/daemon-hooks.js';
import type { SessionIdentity } from '../../src/extension/hook-types.js';
import { createMemoryLogger } from '../../src/log.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { createSyncHooks } from '../../src/extension/daemon-hooks.js';
import { MemoryBackend } from './memory-backend.js';
import { FakeClock, sessionIn, tempDir } from './sync-fixtures.js';

export interface Harness {
  dir: string;
  session: SessionIdentity;
  path: string;
  name: string;
  backend: MemoryBackend;
  hooks: SyncHooks;
  clock: FakeClock;
  log: ReturnType<typeof createMemoryLogger>;
  engine: SyncEngine;
  write(data: string | Buffer): void;
  append(data: string | Buffer): void;
  /** Another engine on the same session and backend (a second daemon). */
  twin(): SyncEngine;
  /** The backend holds exactly the file's complete lines, byte for byte. */
  expectSynced(path?: string, fileName?: string, opts?: { racingClients?: boolean }): void;
}

/** The complete-line prefix of a file: what must end up on the backend. */
export function completePrefix(bytes: Buffer): Buffer {
  const last = bytes.lastIndexOf(0x0a);
  return bytes.subarray(0, last + 1);
}

export function harness(opts: { policy?: Partial<UploadPolicy>; backend?: MemoryBackend; random?: () => number } = {}): Harness {
  const dir = tempDir();
  const session = sessionIn(dir);
  const clock = new FakeClock();
  const backend = opts.backend ?? new MemoryBackend({ policy: opts.policy, clock });
  const hooks = createSyncHooks();
  const log = createMemoryLogger();
  const make = () => new SyncEngine({ backend, hooks, session, clock, log, random: opts.random ?? (() => 0.5) });
  const engine = make();
  const h: Harness = {
    dir,
    session,
    path: session.transcriptPath,
    name: basename(session.transcriptPath),
    backend,
    hooks,
    clock,
    log,
    engine,
    write: (data) => writeFileSync(session.transcriptPath, data),
    append: (data) => appendFileSync(session.transcriptPath, data),
    twin: make,
    expectSynced(path = session.transcriptPath, fileName = basename(path), { racingClients = false } = {}) {
      const expected = completePrefix(readFileSync(path));
      const held = backend.fileBytes(undefined, fileName);
      expect(held.length).toBe(expected.length);
      expect(held.equals(expected)).toBe(true);
      // Two clients of one session upload concurrently by design; one client never may.
      expect(backend.violations.filter((v) => !(racingClients && v.startsWith('concurrent uploads')))).toEqual([]);
    },
  };
  return h;
}

/** JSONL content: `n` lines with quotes, escapes, non-ASCII and varied lengths. */
export function jsonLines(n: number, from = 1, pad = 0): string {
  let out = '';
  for (let i = from; i < from + n; i++) {
    out += `${JSON.stringify({ type: i % 3 ? 'assistant' : 'user', n: i, text: `line ${i} "quoted" \\ é😀 ${'x'.repeat((i * 37) % 200 + pad)}` })}\n`;
  }
  return out;
}
