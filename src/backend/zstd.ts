/**
 * zstd, native: Node's own (`node:zlib`, from Node 22.15 / 23.8) where the runtime has it,
 * otherwise the prebuilt binding of the reference library (@toondepauw/node-zstd). Both write
 * standard frames at level 3, which the Go CLI and confab-web read.
 *
 * Either is loaded on first use only: most commands never compress.
 */

import type * as NodeZlib from 'node:zlib';
import type * as NodeZstd from '@toondepauw/node-zstd';

/** zstd's standard level (what `zstd` and the Go CLI use); no dictionary, no long mode. */
export const ZSTD_LEVEL = 3;
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** `zlib`: Node's built-in zstd. `binding`: @toondepauw/node-zstd. */
export type ZstdImplementation = 'zlib' | 'binding';

/** Thrown by a decode that would produce more than its `maxOutputLength`. */
export class ZstdOutputLimitError extends Error {
  constructor(limit: number) {
    super(`zstd output exceeds ${limit} bytes`);
    this.name = 'ZstdOutputLimitError';
  }
}

interface Codec {
  readonly implementation: ZstdImplementation;
  /** Whether `decompressSync` stops at `maxOutputLength` (rather than checking afterwards). */
  readonly limitsOutput: boolean;
  compress(data: Uint8Array): Promise<Buffer>;
  decompress(data: Uint8Array): Promise<Buffer>;
  decompressSync(data: Uint8Array, maxOutputLength?: number): Buffer;
}

type ZlibWithZstd = typeof NodeZlib & {
  zstdCompress: (buf: Uint8Array, opts: object, cb: (err: Error | null, out: Buffer) => void) => void;
  zstdDecompress: (buf: Uint8Array, opts: object, cb: (err: Error | null, out: Buffer) => void) => void;
  zstdDecompressSync: (buf: Uint8Array, opts?: object) => Buffer;
  constants: { ZSTD_c_compressionLevel: number };
};

function builtinZlib(): ZlibWithZstd | undefined {
  const zlib = process.getBuiltinModule('node:zlib') as Partial<ZlibWithZstd>;
  return typeof zlib.zstdCompress === 'function' && typeof zlib.zstdDecompressSync === 'function' ? (zlib as ZlibWithZstd) : undefined;
}

function isTooLarge(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

function zlibCodec(zlib: ZlibWithZstd): Codec {
  const compressOptions = { params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } };
  const call = (fn: ZlibWithZstd['zstdCompress'], data: Uint8Array, opts: object) =>
    new Promise<Buffer>((resolve, reject) => fn(data, opts, (err, out) => (err ? reject(err) : resolve(out))));
  return {
    implementation: 'zlib',
    limitsOutput: true,
    compress: (data) => call(zlib.zstdCompress, data, compressOptions),
    decompress: (data) => call(zlib.zstdDecompress, data, {}),
    decompressSync: (data, maxOutputLength) => {
      try {
        return zlib.zstdDecompressSync(data, maxOutputLength === undefined ? {} : { maxOutputLength });
      } catch (err) {
        if (maxOutputLength !== undefined && isTooLarge(err)) throw new ZstdOutputLimitError(maxOutputLength);
        throw err;
      }
    },
  };
}

function bindingCodec(): Codec {
  // A CommonJS addon: required, so that a synchronous decode can load it too.
  const { createRequire } = process.getBuiltinModule('node:module');
  const { Encoder, Decoder } = createRequire(import.meta.url)('@toondepauw/node-zstd') as typeof NodeZstd;
  const encoder = new Encoder(ZSTD_LEVEL);
  const decoder = new Decoder();
  const asBuffer = (data: Uint8Array) => (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return {
    implementation: 'binding',
    // The binding decodes a whole frame into memory: callers bound the output beforehand.
    limitsOutput: false,
    compress: (data) => encoder.encode(asBuffer(data)),
    decompress: (data) => decoder.decode(asBuffer(data)),
    decompressSync: (data, maxOutputLength) => {
      const out = decoder.decodeSync(asBuffer(data));
      if (maxOutputLength !== undefined && out.length > maxOutputLength) throw new ZstdOutputLimitError(maxOutputLength);
      return out;
    },
  };
}

let forced: ZstdImplementation | undefined;
let codec: Codec | undefined;

/** Whether this runtime's `node:zlib` has zstd. */
export function hasBuiltinZstd(): boolean {
  return builtinZlib() !== undefined;
}

/**
 * Choose the implementation (tests and benchmarks exercise both); undefined goes back to the
 * default. `zlib` throws where the runtime has none.
 */
export function useZstdImplementation(kind: ZstdImplementation | undefined): void {
  if (kind === 'zlib' && !hasBuiltinZstd()) throw new Error(`node:zlib has no zstd in Node ${process.versions.node}`);
  forced = kind;
  codec = undefined;
}

function current(): Codec {
  if (!codec) {
    const zlib = forced === 'binding' ? undefined : builtinZlib();
    codec = zlib ? zlibCodec(zlib) : bindingCodec();
  }
  return codec;
}

/** The implementation in use. */
export function zstdImplementation(): ZstdImplementation {
  return current().implementation;
}

/** Whether `zstdDecompressSync` stops decoding at its limit, rather than checking after a full decode. */
export function zstdDecodeStopsAtLimit(): boolean {
  return current().limitsOutput;
}

/** One standard zstd frame, compressed off the main thread. */
export async function zstdCompress(data: Uint8Array): Promise<Buffer> {
  const out = await current().compress(data);
  if (out.length < ZSTD_MAGIC.length || !ZSTD_MAGIC.equals(out.subarray(0, ZSTD_MAGIC.length))) throw new Error('zstd compression failed');
  return out;
}

export async function zstdDecompress(data: Uint8Array): Promise<Buffer> {
  return current().decompress(data);
}

/** Decode in this thread; throws ZstdOutputLimitError past `maxOutputLength`. */
export function zstdDecompressSync(data: Uint8Array, maxOutputLength?: number): Buffer {
  return current().decompressSync(data, maxOutputLength);
}
