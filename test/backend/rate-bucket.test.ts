import { spawn, spawnSync } from 'node:child_process';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BURST_GROWTH_MS,
  bucketPath,
  currentCap,
  currentRate,
  newBucket,
  RATE_MARGIN,
  RATE_RECOVERY_MS,
  rateLimited,
  reserve,
  SERVER_REMAINING_SHARE,
  serverRemaining,
  SharedRateBucket,
} from '../../src/backend/rate-bucket.js';
import { FileUploadBudget, HELD_TURN_TTL_MS } from '../../src/backend/upload-budget.js';
import { REPO_ROOT } from '../helpers/sandbox.js';

const T0 = 1_700_000_000_000;
const limits = { ratePerSec: 10 / RATE_MARGIN, burst: 100 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-rate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the bucket', () => {
  it('starts with one turn, then hands out future turns in the order they were asked, one per 1/rate', () => {
    const s = newBucket(limits, T0);
    expect(reserve(s, T0, 4)).toEqual({ count: 1, at: T0, last: 1 });
    expect(reserve(s, T0, 1)).toEqual({ count: 1, at: T0 + 100, last: 2 });
    expect(reserve(s, T0, 1)).toEqual({ count: 1, at: T0 + 200, last: 3 });
    // 250 ms later 2.5 tokens were earned, 2 of them reserved already: the next turn is 50 ms away.
    expect(reserve(s, T0 + 250, 1)).toEqual({ count: 1, at: T0 + 300, last: 4 });
  });

  it('lets its usable burst grow by one turn a minute, and leases a few turns at once only when rich', () => {
    const s = newBucket(limits, T0);
    const later = T0 + 10 * BURST_GROWTH_MS;
    expect(currentCap(s, later)).toBe(11);
    // Ten idle minutes earn far more than 11 tokens, but no more than the usable burst is kept.
    const lease = reserve(s, later, 4);
    expect(lease).toEqual({ count: 4, at: later, last: 4 });
    expect(s.tokens).toBe(7);
  });

  it('a 429 empties the bucket, halves the rate and the burst, and both recover slowly', () => {
    const s = newBucket(limits, T0);
    const t = T0 + 10 * BURST_GROWTH_MS;
    rateLimited(s, t);
    expect(s.tokens).toBe(0);
    expect(currentRate(s, t)).toBeCloseTo(5);
    expect(currentCap(s, t)).toBe(5);
    // The same event met by another daemon a moment later does not halve it again.
    rateLimited(s, t + 100);
    expect(currentRate(s, t + 100)).toBeLessThan(5.01);
    expect(currentRate(s, t + 100)).toBeGreaterThan(4.99);
    expect(reserve(s, t + 100, 1).at).toBeGreaterThan(t + 100);
    expect(currentRate(s, t + 150_000)).toBeCloseTo(7.5);
    expect(currentRate(s, t + 600_000)).toBeCloseTo(10);
    expect(s.rateLimited).toBe(2);
  });

  it("takes the server's count of what is left, less the turns issued since the reported one, with a margin", () => {
    const s = newBucket(limits, T0);
    reserve(s, T0, 1); // turn 1: the request whose answer reports
    reserve(s, T0, 1); // turn 2, already out
    // The server has 80 left after turn 1; turn 2 may not have reached it yet.
    serverRemaining(s, T0 + 10, 80, 1);
    expect(s.tokens).toBe(Math.floor(80 * SERVER_REMAINING_SHARE) - 1);
    // A usable burst of one turn does not clip what the server has shown it holds.
    expect(reserve(s, T0 + 20, 4)).toEqual({ count: 4, at: T0 + 20, last: 6 });
    expect(s.tokens).toBe(Math.floor(80 * SERVER_REMAINING_SHARE) - 1 - 4);
    // Never more than the configured burst, however much the server reports.
    serverRemaining(s, T0 + 20, 5000, 6);
    expect(s.tokens).toBe(Math.floor(limits.burst * SERVER_REMAINING_SHARE));
    // A server nearly spent (other machines of the user) holds turns back before a 429 would.
    serverRemaining(s, T0 + 20, 1, 6);
    expect(s.tokens).toBe(0);
    expect(reserve(s, T0 + 20, 1).at).toBe(T0 + 120);
  });

  it("after a 429, until the rate has recovered, the server's count only ever holds the bucket back", () => {
    const s = newBucket(limits, T0);
    reserve(s, T0, 1);
    rateLimited(s, T0 + 10);
    // A header from another limit (a proxy's) says plenty is left: not taken.
    serverRemaining(s, T0 + 20, 90, 1);
    expect(s.tokens).toBeLessThan(1);
    expect(reserve(s, T0 + 20, 1).at).toBeGreaterThan(T0 + 20);
    // Once the rate is back to full, the count is taken again.
    const later = T0 + 10 + RATE_RECOVERY_MS;
    serverRemaining(s, later, 90, 2);
    expect(s.tokens).toBe(Math.floor(90 * SERVER_REMAINING_SHARE));
  });

  it("waits out a server's Retry-After", () => {
    const s = newBucket(limits, T0);
    rateLimited(s, T0, 3000);
    expect(reserve(s, T0, 1).at).toBeGreaterThanOrEqual(T0 + 3000);
  });
});

describe('the bucket file', () => {
  it('is private, and neither its name nor its content holds the key', async () => {
    const key = 'cfb_' + 'k'.repeat(40);
    const path = bucketPath('https://confab.example', key, join(dir, 'rate'));
    const bucket = new SharedRateBucket({ path, limits });
    await bucket.reserve(1);
    expect(statSync(join(dir, 'rate')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(path).not.toContain('kkkk');
    expect(readFileSync(path, 'utf8')).not.toContain('kkkk');
    expect(readdirSync(join(dir, 'rate'))).toEqual([path.slice(join(dir, 'rate').length + 1)]);
    // Another key or another backend: another bucket.
    expect(bucketPath('https://confab.example', `${key}x`, dir)).not.toBe(bucketPath('https://confab.example', key, dir));
    expect(bucketPath('https://other.example', key, dir)).not.toBe(bucketPath('https://confab.example', key, dir));
  });

  it('recovers a lock left by a holder that died', async () => {
    const path = join(dir, 'b.json');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${path}.plant`, `${dead} - ${hostname()} feedface\n`);
    linkSync(`${path}.plant`, `${path}.lock`);
    const bucket = new SharedRateBucket({ path, limits, lockTimeoutMs: 2000 });
    expect((await bucket.reserve(1)).count).toBe(1);
  });

  it('starts afresh from a file that is not a bucket', async () => {
    const path = join(dir, 'b.json');
    writeFileSync(path, '{"tokens": 1e9');
    const bucket = new SharedRateBucket({ path, limits });
    const grants = [await bucket.reserve(4), await bucket.reserve(4)];
    expect(grants[0]?.count).toBe(1);
    expect(grants[1]?.at).toBeGreaterThan(Date.now());
  });

  it('a process that holds a turn asks the file for no other until it spends it', async () => {
    let now = T0;
    const budget = new FileUploadBudget({ url: 'https://confab.example', apiKey: 'cfb_x', limits, dir, now: () => now });
    expect(await budget.readyInMs()).toBe(0);
    await budget.take();
    expect(await budget.readyInMs()).toBe(100);
    const reserved = readFileSync(budget.bucket.path, 'utf8');
    now += 40;
    expect(await budget.readyInMs()).toBe(60);
    expect(readFileSync(budget.bucket.path, 'utf8')).toBe(reserved);
    now += 60;
    expect(await budget.readyInMs()).toBe(0);
    await budget.take();
    await budget.onRateLimited();
    expect((await budget.bucket.peek()).rateLimited).toBe(1);
  });

  it('numbers the turns it spends, and a server with room lets a backlog go at once', async () => {
    let now = T0;
    const budget = new FileUploadBudget({ url: 'https://confab.example', apiKey: 'cfb_x', limits, dir, now: () => now });
    expect(await budget.take()).toBe(1);
    // Without word from the server, the next turn is 1/rate away.
    expect(await budget.readyInMs()).toBe(100);
    await budget.onServerRemaining(60, 1);
    now += 100;
    expect(await budget.take()).toBe(2);
    // The server said 60 are left: turns now come four at a time, with no wait.
    expect(await budget.readyInMs()).toBe(0);
    const tickets = [await budget.take(), await budget.take(), await budget.take(), await budget.take(), await budget.take()];
    expect(tickets).toEqual([3, 4, 5, 6, 7]);
    expect((await budget.bucket.peek()).issued).toBe(10);
  });

  it('reads a bucket file written before turns were numbered', async () => {
    const path = join(dir, 'b.json');
    const old = newBucket(limits, Date.now()) as Partial<ReturnType<typeof newBucket>>;
    delete old.issued;
    writeFileSync(path, JSON.stringify({ ...old, tokens: 3 }));
    const bucket = new SharedRateBucket({ path, limits });
    expect(await bucket.reserve(1)).toMatchObject({ count: 1, last: 1 });
  });
});

it('drops a turn held unspent too long, so turns saved up are never spent together', async () => {
  let now = T0;
  const budget = new FileUploadBudget({ url: 'https://confab.example', apiKey: 'cfb_x', limits, dir, now: () => now });
  expect(await budget.readyInMs()).toBe(0);
  now += HELD_TURN_TTL_MS + 1;
  const before = (await budget.bucket.peek()).tokens;
  // The held turn is gone: a new one is asked of the shared bucket.
  expect(await budget.readyInMs()).toBe(0);
  expect((await budget.bucket.peek()).tokens).toBeCloseTo(before - 1);
});

/** A process that takes `n` turns of the bucket at `dir` and prints when it got each. */
const TAKER = `
const { FileUploadBudget } = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'backend', 'upload-budget.js'))});
const [dir, n, rate, burst] = process.argv.slice(1);
const budget = new FileUploadBudget({ url: 'http://127.0.0.1:1', apiKey: 'cfb_shared', limits: { ratePerSec: Number(rate), burst: Number(burst) }, dir });
const times = [];
for (let i = 0; i < Number(n); i++) { await budget.take(); times.push(Date.now()); }
process.stdout.write(JSON.stringify(times));
`;

function taker(n: number, rate: number, burst: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', TAKER, dir, String(n), String(rate), String(burst)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`taker exited ${code}`))));
  });
}

it('processes sharing one bucket never exceed its rate plus its burst together', async () => {
  const rate = 20;
  const burst = 5;
  const all = (await Promise.all([taker(12, rate, burst), taker(12, rate, burst), taker(12, rate, burst), taker(12, rate, burst)])).flat().sort((a, b) => a - b);
  expect(all).toHaveLength(48);
  // Any window [t_i, t_j] holds at most burst + rate × its length turns (clock granularity: 1 ms each side).
  for (let i = 0; i < all.length; i++) {
    for (let j = i; j < all.length; j++) {
      const span = Math.max(0, (all[j] as number) - (all[i] as number) + 2);
      expect(j - i + 1, `turns ${i}..${j} in ${span} ms`).toBeLessThanOrEqual(burst + (rate * RATE_MARGIN * span) / 1000 + 1e-9);
    }
  }
}, 30_000);
