import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileLock } from '../fs/lock.js';
import { ensurePrivateDir, writeFileAtomic } from '../fs/private-files.js';
import { confabDir } from '../paths.js';
import type { RateLimits } from './upload-limits.js';

export { CONFAB_WEB_UPLOAD_LIMITS, type RateLimits } from './upload-limits.js';

/**
 * One upload budget per user and backend, shared by every daemon of that user: a token bucket
 * in a small JSON file (0600, under `~/.confab/rate/`, 0700), changed only under the
 * project's file lock, in a critical section of one read and one write.
 *
 * It mirrors the server's per-user bucket (confab-web: 2.78 requests/s, burst 2,000, shared by
 * init, chunk and event) but trusts none of the server's burst up front: the server's bucket
 * may already be spent by other machines or clients of the same user. The usable burst starts
 * at one turn and grows by one turn a minute while no 429 comes; a 429 empties the bucket,
 * halves the usable burst and the rate, and both recover slowly (linearly, over minutes).
 *
 * Tokens may go below zero: a daemon that finds none reserves the next free turn (a time in
 * the future), so daemons queue in the order they asked instead of all waking at once to race
 * for the same token. A daemon may lease a few turns at once when the bucket is rich, so a
 * backlog does not take the lock for every request.
 */

/**
 * The share of the server's sustained rate the bucket spends: the server counts arrivals, the
 * bucket counts departures, and the two clocks drift; a few percent keeps them apart.
 */
export const RATE_MARGIN = 0.97;
/** The usable burst grows by one turn per this long without a 429. */
export const BURST_GROWTH_MS = 60_000;
/** After a 429 the rate is back to full after this long (linearly). */
export const RATE_RECOVERY_MS = 5 * 60_000;
/** The rate never drops below this share of the configured one. */
export const MIN_RATE_FACTOR = 1 / 8;
/** 429s within this long of the last one are the same event (many daemons meet it at once). */
const SAME_429_MS = 2_000;
/** Most turns leased at once; a lease takes at most half of the tokens there. */
export const MAX_LEASE = 4;

export interface BucketState {
  v: 1;
  /** Configured limits (after the margin). */
  ratePerSec: number;
  burst: number;
  /** Tokens at `at` (negative: turns reserved ahead). */
  tokens: number;
  at: number;
  /** The usable burst was `capFloor` at `capSince`, growing since. */
  capFloor: number;
  capSince: number;
  /** The rate was `rateFactor` × the configured one at `rateSince`, recovering since. */
  rateFactor: number;
  rateSince: number;
  /** 429s recorded, for `confab status` and tests. */
  rateLimited: number;
  /** Turns handed out since the bucket was made (each turn's number is its place in this count). */
  issued: number;
}

/**
 * What a reservation gives: `count` turns usable from `at` on (now, or a turn in the future),
 * numbered `last - count + 1` to `last`.
 */
export interface Grant {
  count: number;
  at: number;
  last: number;
}

export function newBucket(limits: RateLimits, now: number): BucketState {
  // One turn to start: fifty daemons starting together must not spend a burst the server may not have.
  return { v: 1, ratePerSec: limits.ratePerSec * RATE_MARGIN, burst: limits.burst, tokens: 1, at: now, capFloor: 1, capSince: now, rateFactor: 1, rateSince: now, rateLimited: 0, issued: 0 };
}

export function currentRate(s: BucketState, now: number): number {
  const recovered = s.rateFactor + ((1 - s.rateFactor) * Math.max(0, now - s.rateSince)) / RATE_RECOVERY_MS;
  return s.ratePerSec * Math.min(1, recovered);
}

export function currentCap(s: BucketState, now: number): number {
  return Math.min(s.burst, s.capFloor + Math.floor(Math.max(0, now - s.capSince) / BURST_GROWTH_MS));
}

/** Tokens earned since `at`, at the rate of `at` (the rate only grows between 429s, so never more than earned). */
function refill(s: BucketState, now: number): void {
  if (now <= s.at) return;
  s.tokens = Math.min(currentCap(s, now), s.tokens + (currentRate(s, s.at) * (now - s.at)) / 1000);
  s.at = now;
}

/** Take up to `want` turns now if the bucket has them, else reserve the next free turn. */
export function reserve(s: BucketState, now: number, want: number): Grant {
  refill(s, now);
  if (s.tokens >= 1) {
    const count = Math.max(1, Math.min(want, MAX_LEASE, Math.floor(s.tokens / 2)));
    s.tokens -= count;
    s.issued += count;
    return { count, at: now, last: s.issued };
  }
  s.tokens -= 1;
  s.issued += 1;
  return { count: 1, at: now + Math.ceil((-s.tokens * 1000) / currentRate(s, now)), last: s.issued };
}

/**
 * The share of what the server reports left that the bucket takes as its own: the report is
 * a moment old, and the user's other machines spend from the same server bucket.
 */
export const SERVER_REMAINING_SHARE = 0.9;

/**
 * The server answered the request that spent turn `ticket` with `remaining` requests left in
 * the user's bucket (a `RateLimit-Remaining` header). Its count is better than any guess, so
 * the bucket takes it, both ways: less the turns issued after that one, which may not have
 * reached the server yet, and with a margin. A server with a full burst lets a backlog go out
 * at once instead of a turn at a time; one that is nearly spent holds every daemon back before
 * a 429 would. After a 429, until the rate has recovered, it only ever lowers the count.
 */
export function serverRemaining(s: BucketState, now: number, remaining: number, ticket: number): void {
  refill(s, now);
  const unseen = Math.max(0, s.issued - ticket);
  const known = Math.floor(Math.min(remaining, s.burst) * SERVER_REMAINING_SHARE) - unseen;
  // Within a 429's recovery the count may only hold the bucket back: a count that is not the
  // limit that answered 429 (a proxy's own, say) must not start a storm of them.
  if (currentRate(s, now) < s.ratePerSec && known >= s.tokens) return;
  s.tokens = known;
  // The usable burst is what the server has shown it holds; later refills must not clip it.
  const cap = currentCap(s, now);
  if (known > cap) {
    s.capFloor = known;
    s.capSince = now;
  }
}

/** The server said no: nothing is left now (nor before `retryAfterMs`), and the budget shrinks. */
export function rateLimited(s: BucketState, now: number, retryAfterMs?: number): void {
  refill(s, now);
  s.tokens = Math.min(s.tokens, 0);
  if (retryAfterMs !== undefined && retryAfterMs > 0) s.tokens = Math.min(s.tokens, (-retryAfterMs / 1000) * currentRate(s, now));
  s.rateLimited++;
  if (now - s.rateSince < SAME_429_MS && s.rateFactor < 1) return;
  s.capFloor = Math.max(1, Math.floor(currentCap(s, now) / 2));
  s.capSince = now;
  s.rateFactor = Math.max(MIN_RATE_FACTOR, (currentRate(s, now) / s.ratePerSec) * 0.5);
  s.rateSince = now;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function validState(v: unknown): v is BucketState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    s.v === 1 &&
    ['ratePerSec', 'burst', 'tokens', 'at', 'capFloor', 'capSince', 'rateFactor', 'rateSince', 'rateLimited'].every((k) => isFiniteNumber(s[k])) &&
    (s.ratePerSec as number) > 0 &&
    (s.rateFactor as number) > 0 &&
    (s.issued === undefined || isFiniteNumber(s.issued))
  );
}

/**
 * `~/.confab/rate/<hash>.json` for a backend and key. The name hashes the URL with a hash of
 * the key: the key itself is in neither the name nor the file.
 */
export function bucketPath(url: string, apiKey: string, dir = join(confabDir(), 'rate')): string {
  const keyHash = createHash('sha256').update(apiKey).digest('hex');
  const name = createHash('sha256').update(`${url}\n${keyHash}`).digest('hex').slice(0, 32);
  return join(dir, `${name}.json`);
}

export interface SharedRateBucketOptions {
  path: string;
  limits: RateLimits;
  now?: () => number;
  /** How long to wait for the lock before failing (ms). */
  lockTimeoutMs?: number;
}

/** The file and its lock: every change is read → compute → write, under the lock. */
export class SharedRateBucket {
  readonly path: string;
  private readonly limits: RateLimits;
  private readonly now: () => number;
  private readonly lockTimeoutMs: number;

  constructor(opts: SharedRateBucketOptions) {
    this.path = opts.path;
    this.limits = opts.limits;
    this.now = opts.now ?? Date.now;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 15_000;
  }

  private async load(now: number): Promise<BucketState> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.path, 'utf8'));
    } catch {
      // Missing or torn by a crash before the atomic rename existed: start afresh (one turn).
      return newBucket(this.limits, now);
    }
    if (!validState(parsed)) return newBucket(this.limits, now);
    const s = parsed;
    // A bucket written before turns were numbered.
    s.issued ??= 0;
    // A changed setting applies at once; what was spent stays spent.
    s.ratePerSec = this.limits.ratePerSec * RATE_MARGIN;
    s.burst = this.limits.burst;
    // A clock that went backwards must not hand out turns from the future.
    if (s.at > now) s.at = now;
    return s;
  }

  /** Runs `fn` on the state under the lock and writes it back. */
  async update<T>(fn: (s: BucketState, now: number) => T): Promise<T> {
    await ensurePrivateDir(join(this.path, '..'));
    const lock = await FileLock.acquire(`${this.path}.lock`, { timeoutMs: this.lockTimeoutMs });
    try {
      const now = this.now();
      const s = await this.load(now);
      const result = fn(s, now);
      await writeFileAtomic(this.path, JSON.stringify(s), { ensureDir: false });
      return result;
    } finally {
      await lock.release();
    }
  }

  reserve(want: number): Promise<Grant> {
    return this.update((s, now) => reserve(s, now, want));
  }

  rateLimited(retryAfterMs?: number): Promise<void> {
    return this.update((s, now) => rateLimited(s, now, retryAfterMs));
  }

  serverRemaining(remaining: number, ticket: number): Promise<void> {
    return this.update((s, now) => serverRemaining(s, now, remaining, ticket));
  }

  /** The state as it is now (refilled), without changing the file. */
  async peek(): Promise<BucketState> {
    const now = this.now();
    const s = await this.load(now);
    refill(s, now);
    return s;
  }
}
