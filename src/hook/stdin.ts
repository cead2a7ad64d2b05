import { fstatSync, readSync } from 'node:fs';

/** Claude Code and the Go CLI cap hook payloads at 10 MiB; anything larger is refused, not buffered. */
export const MAX_HOOK_STDIN_BYTES = 10 * 1024 * 1024;

export class StdinTooLargeError extends Error {
  constructor(limit: number) {
    super(`hook payload exceeds ${limit} bytes`);
    this.name = 'StdinTooLargeError';
  }
}

/**
 * Read a whole hook payload from a file descriptor synchronously. Hooks run at every tool
 * call, and creating `process.stdin` alone costs ~10 ms of start-up; a blocking read of
 * fd 0 costs nothing. A terminal yields an empty payload instead of waiting for typing; so
 * does any character device (`/dev/null` reads empty anyway). Checked with fstat rather
 * than node:tty, which loads node:net and the streams (~5 ms of every tool call's hook).
 */
export function readStdinSync(fd = 0, limit = MAX_HOOK_STDIN_BYTES): Buffer {
  if (isCharacterDevice(fd)) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  const scratch = Buffer.allocUnsafe(64 * 1024);
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, scratch, 0, scratch.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking pipe with nothing buffered yet: wait briefly rather than spin.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new StdinTooLargeError(limit);
    parts.push(Buffer.from(scratch.subarray(0, n)));
  }
  return Buffer.concat(parts, total);
}

function isCharacterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}

/** Stream version, for callers that already hold a stream (tests, programmatic use). */
export async function readStream(stream: NodeJS.ReadableStream, limit = MAX_HOOK_STDIN_BYTES): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const piece of stream) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
    total += buf.length;
    if (total > limit) throw new StdinTooLargeError(limit);
    parts.push(buf);
  }
  return Buffer.concat(parts, total);
}
