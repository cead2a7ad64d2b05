import { afterEach, describe, expect, it } from 'vitest';
import {
  hasBuiltinZstd,
  useZstdImplementation,
  zstdCompress,
  zstdDecompress,
  zstdDecompressSync,
  zstdImplementation,
  ZstdOutputLimitError,
  type ZstdImplementation,
} from '../../src/backend/zstd.js';
import { checkFrames } from '../../src/serve/zstd-body.js';

afterEach(() => useZstdImplementation(undefined));

const data = Buffer.from(JSON.stringify({ lines: Array.from({ length: 500 }, (_, i) => `{"n":${i},"t":"é😀\\"q\\""}`) }));
// `printf 'hello, zstd\n' | zstd -3` (zstd 1.5.4, with its checksum): what any standard encoder may send.
const REFERENCE_FRAME = Buffer.from('28b52ffd045861000068656c6c6f2c207a7374640a84585ca0', 'hex');

it('uses node:zlib where the runtime has zstd, the binding otherwise', () => {
  expect(zstdImplementation()).toBe(hasBuiltinZstd() ? 'zlib' : 'binding');
  useZstdImplementation('binding');
  expect(zstdImplementation()).toBe('binding');
});

it.skipIf(hasBuiltinZstd())(`refuses node:zlib where the runtime has no zstd (Node ${process.versions.node})`, () => {
  expect(() => useZstdImplementation('zlib')).toThrow(/no zstd/);
});

const implementations: { kind: ZstdImplementation; available: boolean }[] = [
  { kind: 'binding', available: true },
  { kind: 'zlib', available: hasBuiltinZstd() },
];

for (const { kind, available } of implementations) {
  describe.skipIf(!available)(`zstd on ${kind}${available ? '' : ` (absent from Node ${process.versions.node})`}`, () => {
    it('writes one standard frame at level 3 that the header walk accepts, and reads it back', async () => {
      useZstdImplementation(kind);
      const packed = await zstdCompress(data);
      expect(packed.subarray(0, 4).toString('hex')).toBe('28b52ffd');
      expect(packed[4]! & 0b1011).toBe(0); // no dictionary ID, reserved bit clear
      expect(packed.length).toBeLessThan(data.length / 4);
      expect(checkFrames(Buffer.from(packed), 1 << 20)).toBeGreaterThanOrEqual(data.length);
      expect((await zstdDecompress(packed)).equals(data)).toBe(true);
      expect(zstdDecompressSync(packed).equals(data)).toBe(true);
      // The codec is built once and reused: same input, same frame.
      expect((await zstdCompress(data)).equals(packed)).toBe(true);
    });

    it('reads frames from the reference zstd CLI', async () => {
      useZstdImplementation(kind);
      expect((await zstdDecompress(REFERENCE_FRAME)).toString()).toBe('hello, zstd\n');
    });

    it('refuses output past the limit and data that is not zstd', async () => {
      useZstdImplementation(kind);
      const packed = await zstdCompress(data);
      expect(zstdDecompressSync(packed, data.length).equals(data)).toBe(true);
      expect(() => zstdDecompressSync(packed, data.length - 1)).toThrow(ZstdOutputLimitError);
      expect(() => zstdDecompressSync(Buffer.from('{"not":"zstd"}'))).toThrow();
      await expect(zstdDecompress(Buffer.from('{"not":"zstd"}'))).rejects.toThrow();
    });
  });
}

it.skipIf(!hasBuiltinZstd())('frames from node:zlib and from the binding read each other', async () => {
  useZstdImplementation('zlib');
  const fromZlib = await zstdCompress(data);
  useZstdImplementation('binding');
  const fromBinding = await zstdCompress(data);
  expect((await zstdDecompress(fromZlib)).equals(data)).toBe(true);
  useZstdImplementation('zlib');
  expect((await zstdDecompress(fromBinding)).equals(data)).toBe(true);
});
