import { describe, expect, it } from 'vitest';
import { formatRfc3339, parseRfc3339 } from '../../src/format/rfc3339.js';

describe('RFC 3339 as Go reads it', () => {
  it('accepts what time.Time writes: any fraction, Z or an offset', () => {
    expect(parseRfc3339('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseRfc3339('2026-06-16T09:12:44.123456789+02:00')).toBe(Date.UTC(2026, 5, 16, 7, 12, 44, 123));
    expect(parseRfc3339('2026-01-01T00:00:00.1234567891Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 123));
  });

  it('refuses what Go refuses', () => {
    for (const bad of [
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01t00:00:00z',
      '2026-01-01 00:00:00Z',
      '2026-01-01T00:00:00',
      '2026-01-01T00:00:00+24:00',
      'yesterday',
      '',
    ]) {
      expect(parseRfc3339(bad), bad).toBeUndefined();
    }
    for (const notText of [undefined, null, 0, {}]) expect(parseRfc3339(notText)).toBeUndefined();
  });
});

describe('formatRfc3339', () => {
  it('is Date#toISOString for every time confab writes', () => {
    const times = [0, 1, 999, 1_000, 951_782_400_000 /* 2000-02-29 */, 1_764_885_855_123, 253_402_300_799_999 /* 9999-12-31T23:59:59.999Z */, -62_167_219_200_000 /* 0000-01-01 */, 1_733_350_000_000.75];
    for (let t = -5e12; t < 5e12; t += 7_919_999_977) times.push(t);
    for (const t of times) expect(formatRfc3339(t), String(t)).toBe(new Date(t).toISOString());
  });

  it('round-trips through parseRfc3339', () => {
    const now = Date.now();
    expect(parseRfc3339(formatRfc3339(now))).toBe(now);
  });

  it('throws on an invalid time, as toISOString does', () => {
    expect(() => formatRfc3339(Number.NaN)).toThrow(RangeError);
  });
});
