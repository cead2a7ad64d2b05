import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../../src/format/rfc3339.js';

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
