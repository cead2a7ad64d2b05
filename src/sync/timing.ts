/**
 * How often a daemon syncs: the defaults and the `CONFAB_SYNC_*` environment overrides, the
 * Go CLI's rules. Settings, the daemon and `confab status` all read them from here.
 */
export const DEFAULT_SYNC_INTERVAL_MS = 30_000;
/**
 * Uniform in [0, jitter): spreads many daemons' cycles apart. As in the Go CLI, it applies
 * only when neither the interval nor the jitter is set: a chosen interval gets no jitter
 * unless one is chosen too.
 */
export const DEFAULT_SYNC_JITTER_MS = 5_000;
const MAX_ENV_MS = 3_600_000;

function envMs(value: string | undefined, min: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return n >= min && n <= MAX_ENV_MS ? n : undefined;
}

/** `CONFAB_SYNC_INTERVAL_MS` (1…3,600,000) and `CONFAB_SYNC_JITTER_MS` (0…3,600,000); invalid values count as unset. */
export function syncTimingFromEnv(env: NodeJS.ProcessEnv = process.env): { intervalMs: number; jitterMs: number; invalid: string[] } {
  const invalid: string[] = [];
  const interval = envMs(env.CONFAB_SYNC_INTERVAL_MS, 1);
  if (env.CONFAB_SYNC_INTERVAL_MS !== undefined && interval === undefined) invalid.push('CONFAB_SYNC_INTERVAL_MS');
  const jitter = envMs(env.CONFAB_SYNC_JITTER_MS, 0);
  if (env.CONFAB_SYNC_JITTER_MS !== undefined && jitter === undefined) invalid.push('CONFAB_SYNC_JITTER_MS');
  return { intervalMs: interval ?? DEFAULT_SYNC_INTERVAL_MS, jitterMs: defaultJitter(interval, jitter), invalid };
}

/** The jitter for an interval and jitter as set (undefined: not set), the Go CLI's way. */
export function defaultJitter(intervalMs: number | undefined, jitterMs: number | undefined): number {
  if (jitterMs !== undefined) return jitterMs;
  return intervalMs === undefined ? DEFAULT_SYNC_JITTER_MS : 0;
}
