import type { UploadPolicy } from '../backend/backend.js';
import type { Clock } from './clock.js';

/**
 * When to upload (see docs/sync.md, "Upload policy"). confab-web allows ~2.78 uploads/s per
 * user (burst 2000, shared by every daemon of that user) and refuses a file for good after
 * 30,000 chunks. The pacer keeps a live view fast while spending few chunks:
 *
 * - the first change after a quiet spell goes out at once;
 * - what follows is coalesced: a file's chunks are at least `spacingMs(chunks)` apart, which
 *   starts at `policy.minChunkSpacingMs` and grows linearly with the chunks the file already
 *   holds (so a day of continuous activity stays far below the per-file cap);
 * - a chunk that was cut by the request-size cap is followed at once (pacing cannot save
 *   chunks on a backlog);
 * - a 429 pauses every upload of the engine (exponential back-off with jitter, at least the
 *   server's Retry-After) and raises a back-off level that doubles spacing; the level decays
 *   one step per `BACKOFF_DECAY_MS` without a 429, so pacing recovers once they stop.
 */

export interface FilePace {
  /** Chunks the backend holds for this file, as far as this engine can tell. */
  chunks: number;
  /** When this engine last uploaded a chunk of this file. */
  lastUploadAt: number | undefined;
}

export interface PacerOptions {
  clock: Clock;
  /** [0, 1) source for jitter; injectable so simulations are reproducible. */
  random?: () => number;
}

/** Chunks of a file already on the backend that this engine did not upload are estimated from its line count. */
export const ESTIMATED_LINES_PER_CHUNK = 8;
export const RATE_LIMIT_BASE_PAUSE_MS = 1_000;
export const RATE_LIMIT_MAX_PAUSE_MS = 60_000;
export const BACKOFF_DECAY_MS = 30_000;
const MAX_BACKOFF_LEVEL = 6;
/** The spacing doubles every `maxChunksPerFile / SPACING_GROWTH_DIVISOR` chunks of linear growth (250 for confab-web). */
const SPACING_GROWTH_DIVISOR = 120;
/** Near the per-file cap the last chunks are rationed hard. */
const NEAR_CAP_FRACTION = 0.95;
const NEAR_CAP_SPACING_MS = 10 * 60_000;
/** Spacing between any two uploads of the engine while backing off, at level 1. */
const BACKOFF_GAP_MS = 500;

export class UploadPacer {
  private readonly clock: Clock;
  private readonly random: () => number;
  private level = 0;
  private last429At = Number.NEGATIVE_INFINITY;
  private pauseUntil = Number.NEGATIVE_INFINITY;
  private lastAnyUploadAt: number | undefined;
  /** 429s seen, for reports and tests. */
  rateLimitedCount = 0;

  constructor(
    private readonly policy: UploadPolicy,
    opts: PacerOptions,
  ) {
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
  }

  /** The back-off level now, after decay. */
  backoffLevel(now = this.clock.now()): number {
    if (this.level === 0) return 0;
    const decayed = Math.floor((now - this.last429At) / BACKOFF_DECAY_MS);
    return Math.max(0, this.level - decayed);
  }

  /** Minimum time between two chunks of a file that already holds `chunks` chunks. */
  spacingMs(chunks: number, now = this.clock.now()): number {
    const { minChunkSpacingMs: base, maxChunksPerFile: max } = this.policy;
    let spacing = base;
    if (Number.isFinite(max) && max > 0) {
      spacing = base * (1 + chunks / (max / SPACING_GROWTH_DIVISOR));
      if (chunks >= max * NEAR_CAP_FRACTION) spacing = Math.max(spacing, NEAR_CAP_SPACING_MS);
    }
    return spacing * 2 ** this.backoffLevel(now);
  }

  /** Remaining engine-wide pause after a 429 (0 when none). */
  pauseRemainingMs(now = this.clock.now()): number {
    return Math.max(0, Math.ceil(this.pauseUntil - now));
  }

  /**
   * How long a file must still wait before its next chunk; 0 means upload now. `backlog`: the
   * previous chunk of this file was cut by the size cap, so the next one goes without spacing.
   */
  waitMs(file: FilePace, opts: { backlog: boolean }): number {
    const now = this.clock.now();
    let wait = this.pauseRemainingMs(now);
    const level = this.backoffLevel(now);
    if (level > 0 && this.lastAnyUploadAt !== undefined) {
      wait = Math.max(wait, this.lastAnyUploadAt + BACKOFF_GAP_MS * 2 ** (level - 1) - now);
    }
    if (!opts.backlog && file.lastUploadAt !== undefined) {
      wait = Math.max(wait, file.lastUploadAt + this.spacingMs(file.chunks, now) - now);
    }
    return Math.max(0, Math.ceil(wait));
  }

  onUploaded(file: FilePace): void {
    const now = this.clock.now();
    file.chunks++;
    file.lastUploadAt = now;
    this.lastAnyUploadAt = now;
  }

  /** Records a 429; returns the pause (ms) before the engine may upload again. */
  onRateLimited(retryAfterMs?: number): number {
    const now = this.clock.now();
    this.rateLimitedCount++;
    this.level = Math.min(this.backoffLevel(now) + 1, MAX_BACKOFF_LEVEL);
    this.last429At = now;
    const backoff = Math.min(RATE_LIMIT_BASE_PAUSE_MS * 2 ** (this.level - 1), RATE_LIMIT_MAX_PAUSE_MS);
    let pause = backoff * (0.5 + this.random());
    if (retryAfterMs !== undefined && retryAfterMs > 0) pause = Math.max(pause, retryAfterMs * (1 + 0.2 * this.random()));
    pause = Math.ceil(pause);
    this.pauseUntil = Math.max(this.pauseUntil, now + pause);
    return this.pauseRemainingMs(now);
  }
}
