import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readStdinSync, readStream, StdinTooLargeError } from '../../src/hook/stdin.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

describe('hook stdin', () => {
  it('reads a whole payload from a descriptor, beyond one read buffer', () => {
    const file = join(sandbox().dir('in'), 'payload.json');
    const body = JSON.stringify({ blob: 'x'.repeat(200_000) });
    writeFileSync(file, body);
    const fd = openSync(file, 'r');
    try {
      expect(readStdinSync(fd).toString()).toBe(body);
    } finally {
      closeSync(fd);
    }
  });

  it('reads a terminal or other character device as an empty payload instead of waiting on it', () => {
    // /dev/zero never ends: read, it would run into the size limit.
    const fd = openSync('/dev/zero', 'r');
    try {
      expect(readStdinSync(fd, 1024).length).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it('refuses payloads over the limit', () => {
    const file = join(sandbox().dir('in'), 'big.json');
    writeFileSync(file, Buffer.alloc(2048, 0x61));
    const fd = openSync(file, 'r');
    try {
      expect(() => readStdinSync(fd, 1024)).toThrow(StdinTooLargeError);
    } finally {
      closeSync(fd);
    }
  });

  it('reads streams with the same limit', async () => {
    await expect(readStream(Readable.from([Buffer.from('ab'), Buffer.from('cd')]))).resolves.toEqual(Buffer.from('abcd'));
    await expect(readStream(Readable.from([Buffer.alloc(10)]), 5)).rejects.toThrow(StdinTooLargeError);
  });
});
