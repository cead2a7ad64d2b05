/** A hand-made zstd frame: no content size, `windowByte` window, then `blocks` RLE blocks of 128 KiB of 'a'. */
export function rleBomb(blocks: number, windowByte = 0x58 /* 8 MiB */): Buffer {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, windowByte])];
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const h = ((128 * 1024) << 3) | (1 << 1) | last;
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x61]));
  }
  return Buffer.concat(parts);
}
