/**
 * A backend's per-user request limit. Kept apart from the bucket (`rate-bucket.ts`) so that
 * settings, which every hook resolves, load neither the lock nor node:crypto for it.
 */
export interface RateLimits {
  /** Sustained requests per second. */
  ratePerSec: number;
  /** Requests the server allows at once on top of the sustained rate. */
  burst: number;
}

/** confab-web's upload limit (§1.9 of its API): 10,000 requests an hour, burst 2,000. */
export const CONFAB_WEB_UPLOAD_LIMITS: RateLimits = Object.freeze({ ratePerSec: 10_000 / 3600, burst: 2000 });
