import { zstdDecodeStopsAtLimit, zstdDecompressSync, ZstdOutputLimitError } from '../backend/zstd.js';

/**
 * zstd request bodies, decoded with a hard cap on the decompressed size and on memory.
 *
 * A zstd frame header declares its window size (up to 2 GiB) and a decoder sizes its buffers
 * from it, so a 20-byte "bomb" could make the server allocate gigabytes before producing a
 * byte. Before decoding, every frame header and block header is walked (cheap: headers
 * only): dictionaries and malformed frames are refused, a declared content size over the
 * cap is refused, and a window larger than the cap is shrunk in the header — back-references
 * can never reach further than the output so far, which the cap bounds, so decoding with
 * the smaller window yields the same bytes. The walk also sums what the blocks can produce
 * at most (a raw or RLE block its size, a compressed block one block maximum).
 *
 * Node's zlib then decodes with `maxOutputLength`, stopping as soon as the output passes the
 * cap. The binding used where zlib has no zstd decodes a frame whole, so there a body whose
 * blocks could produce more than the cap is refused before decoding: a compressor fills
 * every block but the last, so that refuses at most bodies within one block of the cap.
 */

export class ZstdBodyError extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = 'ZstdBodyError';
  }
}

const ZSTD_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024;

/** Smallest window descriptor byte whose window is ≥ `bytes` (and ≥ one block). */
function windowDescriptorFor(bytes: number): { byte: number; size: number } {
  let exp = 0;
  while (exp < 31 && 2 ** (10 + exp) < Math.max(bytes, MAX_BLOCK)) exp++;
  return { byte: exp << 3, size: 2 ** (10 + exp) };
}

/**
 * Check every frame of `buf` and shrink oversized windows in place. Returns the most bytes
 * its blocks can decode to. Throws ZstdBodyError. Exported for tests.
 */
export function checkFrames(buf: Buffer, cap: number): number {
  let p = 0;
  let bound = 0;
  const need = (n: number) => {
    if (p + n > buf.length) throw new ZstdBodyError('truncated zstd frame');
  };
  if (buf.length === 0) throw new ZstdBodyError('empty zstd body');
  while (p < buf.length) {
    need(4);
    const magic = buf.readUInt32LE(p);
    if (magic >>> 4 === 0x184d2a5) {
      // Skippable frame: magic, 4-byte size, payload.
      need(8);
      const size = buf.readUInt32LE(p + 4);
      p += 8;
      need(size);
      p += size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new ZstdBodyError('not a zstd frame');
    p += 4;
    need(1);
    const fhd = buf[p++]!;
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    if ((fhd >> 3) & 1) throw new ZstdBodyError('reserved zstd header bit set');
    const checksum = (fhd >> 2) & 1;
    const dictBytes = [0, 1, 2, 4][fhd & 3]!;
    let window = 0;
    let windowAt = -1;
    if (!single) {
      need(1);
      windowAt = p;
      const wd = buf[p++]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    need(dictBytes);
    let dictId = 0;
    for (let i = 0; i < dictBytes; i++) dictId += buf[p + i]! * 2 ** (8 * i);
    p += dictBytes;
    if (dictId !== 0) throw new ZstdBodyError('zstd dictionaries are not supported');
    const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
    need(fcsBytes);
    let fcs = 0;
    for (let i = 0; i < fcsBytes; i++) fcs += buf[p + i]! * 2 ** (8 * i);
    if (fcsBytes === 2) fcs += 256;
    p += fcsBytes;
    if (fcsBytes > 0 && fcs > cap) throw new ZstdBodyError('zstd content size exceeds the body cap', true);
    if (single) window = fcs;
    else if (window > cap) {
      const shrunk = windowDescriptorFor(cap);
      if (shrunk.size < window) buf[windowAt] = shrunk.byte;
    }
    const maxBlock = Math.min(MAX_BLOCK, Math.max(window, 1));
    for (;;) {
      need(3);
      const h = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16);
      p += 3;
      const last = h & 1;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw new ZstdBodyError('reserved zstd block type');
      if (size > maxBlock) throw new ZstdBodyError('zstd block larger than its window allows');
      const stored = type === 1 ? 1 : size;
      bound += type === 2 ? maxBlock : size;
      need(stored);
      p += stored;
      if (last) break;
    }
    if (checksum) {
      need(4);
      p += 4;
    }
  }
  return bound;
}

/** Decode a zstd body (one or more frames) into at most `cap` bytes. */
export function decompressZstdBody(input: Buffer, cap: number): Buffer {
  const buf = Buffer.from(input); // headers may be rewritten
  const bound = checkFrames(buf, cap);
  if (bound > cap && !zstdDecodeStopsAtLimit()) throw new ZstdBodyError('zstd blocks can decode past the body cap', true);
  try {
    return zstdDecompressSync(buf, cap);
  } catch (err) {
    if (err instanceof ZstdOutputLimitError) throw new ZstdBodyError('decompressed body exceeds the cap', true);
    throw new ZstdBodyError(`invalid zstd data: ${(err as Error).message}`);
  }
}
