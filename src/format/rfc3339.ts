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
