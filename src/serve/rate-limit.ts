/** A token-bucket limit: `ratePerSec` sustained, `burst` at once (confab-web's limiters, §1.9). */
export interface RateSpec {
  ratePerSec: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** One bucket per key (a client IP or a user), refilled continuously, idle full buckets dropped. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(readonly spec: RateSpec) {}

  /** Take one token for `key`; false when the bucket is empty. */
  take(key: string, now = Date.now()): boolean {
    this.sweep(now);
    const b = this.buckets.get(key) ?? { tokens: this.spec.burst, at: now };
    b.tokens = Math.min(this.spec.burst, b.tokens + ((now - b.at) / 1000) * this.spec.ratePerSec);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * The IETF rate-limit header fields (draft 6, the form most clients read) for `key`'s bucket
   * as `take` left it: the burst, the requests left, and the seconds until the bucket is full.
   * confab's client sizes its shared upload budget from `RateLimit-Remaining`.
   */
  headers(key: string): Record<string, string> {
    const { burst } = this.spec;
    const rate = Math.max(this.spec.ratePerSec, 1e-9);
    const tokens = this.buckets.get(key)?.tokens ?? burst;
    return {
      'ratelimit-limit': String(burst),
      'ratelimit-remaining': String(Math.max(0, Math.floor(tokens))),
      'ratelimit-reset': String(Math.ceil((burst - tokens) / rate)),
      'ratelimit-policy': `${burst};w=${Math.ceil(burst / rate)}`,
    };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const fullAfterMs = (this.spec.burst / Math.max(this.spec.ratePerSec, 1e-9)) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > fullAfterMs) this.buckets.delete(k);
  }
}

export const CONFAB_WEB_LIMITS = {
  global: { ratePerSec: 100, burst: 200 },
  upload: { ratePerSec: 10_000 / 3600, burst: 2000 },
  validate: { ratePerSec: 0.5, burst: 10 },
  externalRead: { ratePerSec: 30, burst: 60 },
} as const satisfies Record<string, RateSpec>;
