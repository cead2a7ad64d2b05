/**
 * Failures a test can make the API server produce, to prove a client recovers from them
 * (confab-web-api.md conformance rule 25). Only tests construct an injector; no command
 * line flag exposes one.
 */
export type Fault =
  /** 429 text/plain, with a Retry-After header when given. */
  | { type: 'rate-limit'; retryAfterSeconds?: number }
  /** 500 before the store is touched. */
  | { type: 'error-before-store' }
  /** The request is stored, then answered 500 (the response is lost). */
  | { type: 'error-after-store' }
  /** The request is stored, then the connection is destroyed before any response. */
  | { type: 'drop-after-store' }
  /**
   * Chunks only: confab-web's "S3 written, DB update failed" — the lines are kept as orphans
   * but not committed, and the answer is 500 `Failed to update sync state`. A later chunk
   * that covers those lines again must carry byte-identical content (rule 24), else the
   * server reports a client violation.
   */
  | { type: 'lost-update' }
  /** The request is handled, then the response is held back this long. */
  | { type: 'delay'; ms: number }
  /** 503 `Storage temporarily unavailable`, nothing stored. */
  | { type: 'storage-unavailable' };

export interface FaultContext {
  method: string;
  /** The route pattern, e.g. `/api/v1/sync/chunk` or `/api/v1/sessions/:id/files`. */
  route: string;
  url: string;
  /** The authenticated user, when there is one. */
  owner: string | undefined;
  /** The decoded request body (for matching on, e.g., file_name). */
  body: unknown;
}

export interface FaultInjector {
  /** Called once per API request after auth and body decoding; a fault to apply, or none. */
  faultFor(ctx: FaultContext): Fault | undefined;
}

type Match = string | RegExp | ((ctx: FaultContext) => boolean);

/** A scripted injector: faults queued for matching requests, each used `times` times. */
export class FaultQueue implements FaultInjector {
  private readonly queue: { match: Match; fault: Fault; left: number }[] = [];
  /** Faults applied so far, in order. */
  readonly applied: { route: string; fault: Fault }[] = [];

  /** Queue `fault` for the next `times` requests matching `match` (a route pattern, regex on it, or predicate). */
  add(match: Match, fault: Fault, times = 1): this {
    this.queue.push({ match, fault, left: times });
    return this;
  }

  /** Faults still queued. */
  pending(): number {
    return this.queue.reduce((n, q) => n + q.left, 0);
  }

  clear(): void {
    this.queue.length = 0;
  }

  faultFor(ctx: FaultContext): Fault | undefined {
    const i = this.queue.findIndex(({ match }) =>
      typeof match === 'string' ? match === ctx.route : match instanceof RegExp ? match.test(ctx.route) : match(ctx),
    );
    if (i < 0) return undefined;
    const q = this.queue[i]!;
    if (--q.left <= 0) this.queue.splice(i, 1);
    this.applied.push({ route: ctx.route, fault: q.fault });
    return q.fault;
  }
}
