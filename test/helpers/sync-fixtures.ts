import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { SessionIdentity } from '../../src/extension/hook-types.js';
import type { Clock } from '../../src/sync/clock.js';
import type { SyncEngine } from '../../src/sync/engine.js';
import type { SyncReport, SyncTrigger } from '../../src/extension/hook-types.js';

/** Virtual time: `sleep` advances it at once, so back-offs cost no wall time. */
export class FakeClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.t += Math.max(0, ms);
    return Promise.resolve();
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp dir removed after the test. */
export function tempDir(prefix = 'confab-sync-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function sessionIn(dir: string, name = 'transcript.jsonl', externalId = 'ext-1'): SessionIdentity {
  return { provider: 'claude-code', externalId, transcriptPath: join(dir, name), cwd: dir };
}

/**
 * Runs cycles the way a daemon does until the engine reports everything uploaded: an error
 * is noted and the next cycle retries; `nextCycleInMs` is waited out on the clock.
 */
export async function syncUntilComplete(
  engine: SyncEngine,
  opts: { clock?: FakeClock; trigger?: SyncTrigger; maxCycles?: number; onError?: (err: unknown) => void } = {},
): Promise<{ report: SyncReport; cycles: number; errors: unknown[] }> {
  const errors: unknown[] = [];
  const max = opts.maxCycles ?? 200;
  for (let cycle = 1; cycle <= max; cycle++) {
    try {
      const report = await engine.syncAll(opts.trigger ?? 'watch');
      if (report.complete) return { report, cycles: cycle, errors };
      opts.clock?.advance(report.nextCycleInMs ?? 1_000);
    } catch (err) {
      errors.push(err);
      opts.onError?.(err);
      opts.clock?.advance(1_000);
    }
  }
  throw new Error(`not complete after ${max} cycles (${errors.length} errors: ${errors.map((e) => String(e)).join('; ')})`);
}
