import { describe, expect, it } from 'vitest';
import { joinUtf8 } from '../../src/format/utf8-join.js';

describe('joinUtf8', () => {
  it('equals Buffer.from of the joined string, for ASCII, multi-byte, astral and lone-surrogate text', () => {
    const cases: string[][] = [[], [''], ['a'], ['a', 'b', ''], ['é', '日本', '😀x', 'plain'], ['\ud800 lone', 'tail \udfff'], Array.from({ length: 500 }, (_, i) => `line ${i} ${'ü'.repeat(i % 7)}`)];
    for (const parts of cases) {
      for (const [sep, prefix, suffix] of [
        ['\n', '', '\n'],
        [',', '{"lines":[', ']}'],
        ['', 'é', ''],
      ] as const) {
        expect(joinUtf8(parts, sep, prefix, suffix).equals(Buffer.from(`${prefix}${parts.join(sep)}${suffix}`, 'utf8'))).toBe(true);
      }
    }
  });
});
