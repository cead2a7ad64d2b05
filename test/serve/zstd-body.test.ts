import { Zstd } from '@hpcc-js/wasm-zstd';
import { beforeAll, expect, it } from 'vitest';
import { checkFrames, decompressZstdBody, ZstdBodyError } from '../../src/serve/zstd-body.js';
import { rleBomb } from './zstd-fixtures.js';

let zstd: Zstd;
beforeAll(async () => {
  zstd = await Zstd.load();
});

function caught(fn: () => unknown): ZstdBodyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZstdBodyError);
    return err as ZstdBodyError;
  }
  throw new Error('expected a ZstdBodyError');
}

it('decodes standard frames, concatenated frames and skippable frames', () => {
  const a = Buffer.from(JSON.stringify({ lines: Array.from({ length: 500 }, (_, i) => `line ${i}`) }));
  const one = Buffer.from(zstd.compress(a));
  expect(decompressZstdBody(one, 1 << 20).equals(a)).toBe(true);
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  const two = Buffer.concat([one, skippable, Buffer.from(zstd.compress(Buffer.from('tail')))]);
  expect(decompressZstdBody(two, 1 << 20).toString()).toBe(`${a.toString()}tail`);
  // The streaming API without a pledged size (a larger window, no content size) decodes too.
  zstd.reset();
  const streamed = Buffer.concat([Buffer.from(zstd.compressChunk(a)), Buffer.from(zstd.compressEnd())]);
  expect(decompressZstdBody(streamed, a.length).equals(a)).toBe(true);
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

it('refuses malformed data, dictionaries and truncated frames', () => {
  expect(caught(() => decompressZstdBody(Buffer.from('{"not":"zstd"}'), 1024)).tooLarge).toBe(false);
  expect(caught(() => decompressZstdBody(Buffer.alloc(0), 1024)).message).toMatch(/empty/);
  const good = Buffer.from(zstd.compress(Buffer.from('hello hello hello')));
  caught(() => decompressZstdBody(good.subarray(0, good.length - 3), 1024));
  const withDict = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x58, 0x07, 0x01, 0x00, 0x00]);
  expect(caught(() => decompressZstdBody(withDict, 1024)).message).toMatch(/dictionaries/);
});
