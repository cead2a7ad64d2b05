import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasBuiltinZstd, useZstdImplementation, zstdCompress, zstdDecodeStopsAtLimit, type ZstdImplementation } from '../../src/backend/zstd.js';
import { checkFrames, decompressZstdBody, ZstdBodyError } from '../../src/serve/zstd-body.js';
import { rleBomb } from './zstd-fixtures.js';

afterEach(() => useZstdImplementation(undefined));

function caught(fn: () => unknown): ZstdBodyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZstdBodyError);
    return err as ZstdBodyError;
  }
  throw new Error('expected a ZstdBodyError');
}

const implementations: { kind: ZstdImplementation; available: boolean }[] = [
  { kind: 'binding', available: true },
  { kind: 'zlib', available: hasBuiltinZstd() },
];

for (const { kind, available } of implementations) {
  describe.skipIf(!available)(`decoding on ${kind}${available ? '' : ` (absent from Node ${process.versions.node})`}`, () => {
    beforeEach(() => useZstdImplementation(kind));

    it('decodes standard frames, concatenated frames and skippable frames', async () => {
      const a = Buffer.from(JSON.stringify({ lines: Array.from({ length: 500 }, (_, i) => `line ${i}`) }));
      const one = await zstdCompress(a);
      expect(decompressZstdBody(one, 1 << 20).equals(a)).toBe(true);
      const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
      const two = Buffer.concat([one, skippable, await zstdCompress(Buffer.from('tail'))]);
      expect(decompressZstdBody(two, 1 << 20).toString()).toBe(`${a.toString()}tail`);
      // A frame without a content size and with a window larger than the body (what the binding
      // writes) decodes with the cap set to the body's exact size where the decoder stops at the
      // cap; the binding needs a cap that a whole block fits in.
      useZstdImplementation('binding');
      const unsized = await zstdCompress(a);
      useZstdImplementation(kind);
      expect(unsized[4]! >> 6).toBe(0); // no content size field
      expect((unsized[4]! >> 5) & 1).toBe(0); // a window descriptor, not a single segment
      expect(decompressZstdBody(unsized, zstdDecodeStopsAtLimit() ? a.length : 128 * 1024).equals(a)).toBe(true);
      caught(() => decompressZstdBody(unsized, a.length - 1));
    });

    it('stops a 1 GiB bomb at the cap, without allocating its size', () => {
      const bomb = rleBomb(8192); // 32 KiB that expand to 1 GiB
      expect(bomb.length).toBeLessThan(40_000);
      const before = process.memoryUsage().arrayBuffers;
      const t0 = Date.now();
      const err = caught(() => decompressZstdBody(bomb, 16 * 1024 * 1024));
      expect(err.tooLarge).toBe(true);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
    });

    it('refuses a declared content size over the cap before decoding, and shrinks huge windows', () => {
      // Single-segment frame declaring 2^40 bytes of content (8-byte size field).
      const huge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x01, 0, 0]);
      expect(caught(() => decompressZstdBody(huge, 1 << 20)).tooLarge).toBe(true);
      // A 2 GiB window on a small body: rewritten to a window near the cap, output unchanged.
      const bomb = rleBomb(2, 0xa8 /* 2^31 */);
      checkFrames(bomb, 1 << 20);
      expect(bomb[5]).toBe(10 << 3); // 1 MiB
      expect(decompressZstdBody(rleBomb(2, 0xa8), 1 << 20).equals(Buffer.alloc(256 * 1024, 'a'))).toBe(true);
    });

    it('refuses malformed data, dictionaries and truncated frames', async () => {
      expect(caught(() => decompressZstdBody(Buffer.from('{"not":"zstd"}'), 1024)).tooLarge).toBe(false);
      expect(caught(() => decompressZstdBody(Buffer.alloc(0), 1024)).message).toMatch(/empty/);
      const good = await zstdCompress(Buffer.from('hello hello hello'));
      caught(() => decompressZstdBody(good.subarray(0, good.length - 3), 1024));
      const withDict = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x58, 0x07, 0x01, 0x00, 0x00]);
      expect(caught(() => decompressZstdBody(withDict, 1024)).message).toMatch(/dictionaries/);
    });
  });
}

it('sums what the blocks can decode to; the binding, which cannot stop at the cap, refuses past it before decoding', () => {
  expect(checkFrames(rleBomb(3), 1 << 20)).toBe(3 * 128 * 1024);
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  expect(checkFrames(Buffer.concat([rleBomb(1), skippable, rleBomb(2)]), 1 << 20)).toBe(3 * 128 * 1024);
  useZstdImplementation('binding');
  const err = caught(() => decompressZstdBody(rleBomb(3), 256 * 1024));
  expect(err.tooLarge).toBe(true);
  expect(err.message).toMatch(/blocks can decode past/);
  expect(decompressZstdBody(rleBomb(2), 256 * 1024).equals(Buffer.alloc(256 * 1024, 'a'))).toBe(true);
});
