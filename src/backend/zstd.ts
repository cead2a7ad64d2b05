import type { Zstd } from '@hpcc-js/wasm-zstd';

/** zstd's standard level (what `zstd` and the Go CLI use); no dictionary, no long mode. */
export const ZSTD_LEVEL = 3;
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

let loading: Promise<Zstd> | undefined;

/** The WASM module is compiled on first use only, once per process: most commands never compress. */
function loadZstd(): Promise<Zstd> {
  loading ??= import('@hpcc-js/wasm-zstd')
    .then((m) => m.Zstd.load())
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  return loading;
}

/** One standard zstd frame (Node 20 has no zstd in zlib). */
export async function zstdCompress(data: Uint8Array): Promise<Buffer> {
  const zstd = await loadZstd();
  const out = zstd.compress(data, ZSTD_LEVEL);
  // The WASM wrapper reports failures on the console instead of throwing: check the frame.
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
