/**
 * zstd for request bodies (Node 20's zlib has none). The WASM build of the reference library
 * (@bokuweb/zstd-wasm) copies results out of WASM memory in one slice, which matters: a
 * wrapper that copied byte by byte cost ~4× the compression itself on a 2 MiB chunk.
 */

import type * as ZstdWasm from '@bokuweb/zstd-wasm';

/** zstd's standard level (what `zstd` and the Go CLI use); no dictionary, no long mode. */
export const ZSTD_LEVEL = 3;
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

type ZstdModule = typeof ZstdWasm;
let loading: Promise<ZstdModule> | undefined;

/** The WASM module is compiled on first use only, once per process: most commands never compress. */
function loadZstd(): Promise<ZstdModule> {
  loading ??= import('@bokuweb/zstd-wasm')
    .then(async (m) => {
      await m.init();
      return m;
    })
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  return loading;
}

/** One standard zstd frame. */
export async function zstdCompress(data: Uint8Array): Promise<Buffer> {
  const zstd = await loadZstd();
  const out = zstd.compress(data, ZSTD_LEVEL);
  if (out.length < ZSTD_MAGIC.length || !ZSTD_MAGIC.equals(Buffer.from(out.buffer, out.byteOffset, ZSTD_MAGIC.length))) {
    throw new Error('zstd compression failed');
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export async function zstdDecompress(data: Uint8Array): Promise<Buffer> {
  const zstd = await loadZstd();
  const out = zstd.decompress(data);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
