import { KeyedMutex } from '../fs/lock.js';
import type { Logger } from '../log.js';
import { bucketPath, SharedRateBucket, type RateLimits } from './rate-bucket.js';
import type { Sleep } from './http-transport.js';
import { realSleep } from './http-transport.js';

/**
 * One process's view of the shared upload budget (`rate-bucket.ts`): the turns it holds (a
 * lease of turns usable now, or one reserved turn in the future). Held turns are spent
 * already in the shared bucket, so asking again while holding one costs no lock.
 */
export interface UploadBudget {
  /**
   * How long until this process may send its next budgeted request: 0 when it holds a turn;
   * otherwise a turn is reserved (if none is yet) and the time until it comes.
   */
  readyInMs(): Promise<number>;
  /**
   * Waits for a turn and spends it (before each init, chunk and event request). Returns the
   * turn's number in the shared bucket, for `onServerRemaining`, when it has one.
   */
  take(signal?: AbortSignal): Promise<number | undefined>;
  /** A 429: the shared bucket empties and shrinks; turns held here are dropped. */
  onRateLimited(retryAfterMs?: number): Promise<void>;
  /** The server's answer to the request that spent turn `ticket` said `remaining` requests are left. */
  onServerRemaining(remaining: number, ticket: number): Promise<void>;
}

export interface FileUploadBudgetOptions {
  url: string;
  apiKey: string;
  limits: RateLimits;
  /** Where the bucket files live (default `~/.confab/rate`). */
  dir?: string;
  now?: () => number;
  sleep?: Sleep;
  log?: Logger;
}

/** Turns asked for at once; the bucket grants more than one only when it is rich. */
const MAX_WANT = 4;
/**
 * A turn held this long after it came, unspent, is dropped: the server's bucket holds no more
 * than its burst, so turns saved up by many daemons and spent together could overrun it.
 */
export const HELD_TURN_TTL_MS = 5_000;
/** If the bucket file cannot be used at all (a broken disk), requests go out this far apart. */
const FALLBACK_SPACING_MS = 5_000;

export class FileUploadBudget implements UploadBudget {
  readonly bucket: SharedRateBucket;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly log: Logger | undefined;
  private readonly mutex = new KeyedMutex();
  /** Turns held now, usable until `leasedUntil`; the next one to spend is number `nextTicket`. */
  private leased = 0;
  private leasedUntil = 0;
  private nextTicket: number | undefined;
  /** A turn reserved for this time (numbered, unless the bucket file is unusable). */
  private reservedAt: number | undefined;
  private reservedTicket: number | undefined;
  private warned = false;

  constructor(opts: FileUploadBudgetOptions) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? realSleep;
    this.log = opts.log;
    this.bucket = new SharedRateBucket({ path: bucketPath(opts.url, opts.apiKey, opts.dir), limits: opts.limits, now: this.now });
  }

  readyInMs(): Promise<number> {
    return this.mutex.run('budget', () => this.ready());
  }

  private async ready(): Promise<number> {
    if (this.leased > 0 && this.now() > this.leasedUntil) this.leased = 0;
    if (this.leased > 0) return 0;
    if (this.reservedAt === undefined) {
      try {
        const grant = await this.bucket.reserve(MAX_WANT);
        if (grant.at <= this.now()) this.hold(grant.count, grant.at, grant.last);
        else {
          this.reservedAt = grant.at;
          this.reservedTicket = grant.last;
        }
      } catch (err) {
        if (!this.warned) this.log?.warn('the shared upload budget is unusable; spacing uploads out', { error: err instanceof Error ? err.message : String(err) });
        this.warned = true;
        this.reservedAt = this.now() + FALLBACK_SPACING_MS;
        this.reservedTicket = undefined;
      }
    }
    if (this.reservedAt !== undefined) {
      const wait = this.reservedAt - this.now();
      if (wait > 0) return Math.ceil(wait);
      this.hold(1, this.reservedAt, this.reservedTicket);
      this.reservedAt = undefined;
      this.reservedTicket = undefined;
    }
    return 0;
  }

  /** Only ever called with nothing held: turns come as one lease or one reserved turn. */
  private hold(count: number, from: number, last: number | undefined): void {
    this.leased = count;
    this.leasedUntil = from + HELD_TURN_TTL_MS;
    this.nextTicket = last === undefined ? undefined : last - count + 1;
  }

  async take(signal?: AbortSignal): Promise<number | undefined> {
    for (;;) {
      const wait = await this.readyInMs();
      if (wait === 0) {
        const spent = await this.mutex.run('budget', () => {
          if (this.leased === 0) return Promise.resolve(null);
          this.leased--;
          const ticket = this.nextTicket;
          if (ticket !== undefined) this.nextTicket = ticket + 1;
          return Promise.resolve({ ticket });
        });
        if (spent) return spent.ticket;
        continue;
      }
      await this.sleep(wait, signal);
    }
  }

  onRateLimited(retryAfterMs?: number): Promise<void> {
    return this.mutex.run('budget', async () => {
      this.leased = 0;
      try {
        await this.bucket.rateLimited(retryAfterMs);
      } catch {
        // The next reservation falls back to spacing if the file stays unusable.
      }
    });
  }

  onServerRemaining(remaining: number, ticket: number): Promise<void> {
    return this.mutex.run('budget', async () => {
      try {
        await this.bucket.serverRemaining(remaining, ticket);
      } catch {
        // Only a better guess is lost; the bucket goes on from its own count.
      }
    });
  }
}
