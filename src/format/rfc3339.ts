const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an RFC 3339 time as Go's `time.Time` accepts it (upper-case
 * `T` and `Z`, any number of fraction digits, every field in range, no Feb 30), else
 * undefined. The one parser for state files, wire bodies and transcript timestamps.
 */
export function parseRfc3339(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls Feb 30 over to March; Go refuses it.
  const day = new Date(Date.UTC(Number(m[1]), mo - 1, d));
  if (day.getUTCDate() !== d) return undefined;
  return ms;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * `ms` as RFC 3339 in UTC with milliseconds, `2026-12-04T22:24:15.123Z`: what
 * `Date#toISOString` gives for years 0–9999, which is every time confab writes. Built from
 * the UTC fields because, in Node 20's V8, `toISOString` looks up the local time zone's
 * display name first, and that loads ICU's time zone names and data: about 1 MiB more
 * resident in every daemon (bench/daemon-idle.mjs).
 */
export function formatRfc3339(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(ms) || year < 0 || year > 9999) return d.toISOString(); // throws on NaN, as toISOString does
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}
