import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpBackend } from '../../src/backend/http.js';
import { CONFAB_WEB_UPLOAD_LIMITS } from '../../src/backend/rate-bucket.js';
import { FileUploadBudget } from '../../src/backend/upload-budget.js';
import { startServer, type Server } from '../serve/api-helpers.js';

/**
 * The client's shared upload budget against `confab serve` itself: the server's
 * RateLimit-Remaining lets a backlog go out without waiting a turn per request, and its
 * absence (a server without limits says nothing) leaves the budget to pace on its own.
 */
let s: Server;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-server-budget-'));
});
afterEach(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Init and `chunks` one-line chunks through a budget on a fake clock; the waits it asked for. */
async function backfill(chunks: number): Promise<{ waits: number[]; stored: number }> {
  let now = 1_700_000_000_000;
  const waits: number[] = [];
  const sleep = (ms: number) => {
    waits.push(ms);
    now += ms;
    return Promise.resolve();
  };
  const budget = new FileUploadBudget({ url: s.base, apiKey: s.alice, limits: CONFAB_WEB_UPLOAD_LIMITS, dir, now: () => now, sleep });
  const backend = new HttpBackend({ url: s.base, apiKey: s.alice, budget });
  const { session_id } = await backend.init({ provider: 'claude-code', external_id: 'backlog', transcript_path: '/t/a.jsonl' });
  let stored = 0;
  for (let i = 1; i <= chunks; i++) {
    const res = await backend.chunk({ session_id, file_name: 'a.jsonl', file_type: 'transcript', first_line: i, lines: [`{"n":${i}}`] });
    stored = res.last_synced_line;
  }
  return { waits: waits.filter((ms) => ms > 0), stored };
}

describe("the upload budget and confab serve's RateLimit-Remaining", () => {
  it('a server with its burst to spare lets a backlog of requests go at once', async () => {
    s = await startServer(); // confab-web's per-user upload limit: 2.78/s, burst 2000
    const { waits, stored } = await backfill(24);
    expect(stored).toBe(24);
    expect(waits).toEqual([]);
  });

  it('a server that says nothing leaves the budget to pace requests a turn at a time', async () => {
    s = await startServer({ api: { limits: { global: false, upload: false } } });
    const { waits, stored } = await backfill(24);
    expect(stored).toBe(24);
    // A fresh bucket holds one turn: every chunk after the init waits for its own.
    expect(waits).toHaveLength(24);
    for (const ms of waits) expect(ms).toBeGreaterThan(300);
  });

  it('a server nearly spent holds the budget back to its rate, so no request meets a 429', async () => {
    // Real time here: the server's bucket refills by its own clock.
    s = await startServer({ api: { limits: { global: false, upload: { ratePerSec: 20, burst: 4 } } } });
    const budget = new FileUploadBudget({ url: s.base, apiKey: s.alice, limits: { ratePerSec: 20, burst: 2000 }, dir });
    const backend = new HttpBackend({ url: s.base, apiKey: s.alice, budget });
    const { session_id } = await backend.init({ provider: 'claude-code', external_id: 'nearly-spent', transcript_path: '/t/a.jsonl' });
    for (let i = 1; i <= 12; i++) {
      await backend.chunk({ session_id, file_name: 'a.jsonl', file_type: 'transcript', first_line: i, lines: [`{"n":${i}}`] });
    }
    expect((await budget.bucket.peek()).rateLimited).toBe(0);
  });
});
