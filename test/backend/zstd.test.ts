import { decompress } from 'fzstd';
import { describe, expect, it } from 'vitest';
import { zstdCompress, zstdDecompress } from '../../src/backend/zstd.js';

describe('zstd', () => {
  it('writes one standard frame that any decoder reads, and reads it back', async () => {
    const data = Buffer.from(JSON.stringify({ lines: Array.from({ length: 500 }, (_, i) => `{"n":${i},"t":"é😀\\"q\\""}`) }));
    const packed = await zstdCompress(data);
    expect(packed.subarray(0, 4).toString('hex')).toBe('28b52ffd');
    expect(packed.length).toBeLessThan(data.length / 4);
    expect(Buffer.from(decompress(packed)).equals(data)).toBe(true);
    expect((await zstdDecompress(packed)).equals(data)).toBe(true);
    // The module is loaded once and reused.
    const again = await zstdCompress(data);
    expect(again.equals(packed)).toBe(true);
  });
});
