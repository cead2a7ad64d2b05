/**
 * How the engine and daemon react to a backend failure depends only on its kind
 * (confab-cli.md §2.10), so every backend maps its failures onto these.
 */
export type BackendErrorKind =
  | 'unauthorized' // 401/403: drop the engine, re-read config next cycle
  | 'not-found' // 404: counts toward the daemon's 3-strike stop
  | 'rate-limited' // 429 after retries
  | 'conflict' // 409
  | 'invalid' // 400 and other 4xx (continuity errors included)
  | 'server' // 5xx
  | 'network' // connection refused/reset, DNS
  | 'timeout'
  | 'protocol' // a 2xx whose body is missing or not what the API promises
  | 'storage'; // the embedded store could not write (disk full, permissions)

export class BackendError extends Error {
  readonly kind: BackendErrorKind;
  readonly status: number | undefined;
  /** Server-suggested wait, when it sent Retry-After. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: BackendErrorKind, message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackendError';
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isBackendError(err: unknown, kind?: BackendErrorKind): err is BackendError {
  return err instanceof BackendError && (kind === undefined || err.kind === kind);
}

/**
 * The kind of an HTTP status, for every backend. 507 Insufficient Storage comes only from
 * confab's own store (embedded, or behind `confab serve`, which passes it through) when a
 * write failed — confab-web reports storage trouble as 500/503 — so it is the same
 * `storage` failure whichever way the store is reached.
 */
export function kindForStatus(status: number): BackendErrorKind {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate-limited';
  if (status === 507) return 'storage';
  if (status >= 400 && status < 500) return 'invalid';
  if (status >= 500) return 'server';
  return 'protocol';
}
