import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTailLines } from '../src/transcript-files.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function file(text: string): string {
  dir = mkdtempSync(join(tmpdir(), 'confab-tail-'));
  const path = join(dir, 't.jsonl');
  writeFileSync(path, text);
  return path;
}

describe('readTailLines', () => {
  it('returns the last lines in file order, across read blocks', async () => {
    // Lines of 1–40 KB, so the tail spans several 64 KiB blocks and block edges fall mid-line.
    const lines = Array.from({ length: 60 }, (_, i) => `{"n":${i},"pad":"${'é'.repeat(((i * 7919) % 20_000) + 500)}"}`);
    const path = file(`${lines.join('\n')}\n`);
    for (const count of [1, 3, 10, 59, 60, 80]) expect(await readTailLines(path, count), String(count)).toEqual(lines.slice(-count));
  });

  it('keeps a last line without its newline, and never goes past maxBytes from the end', async () => {
    const lines = ['{"a":1}', '{"b":2}', 'x'.repeat(100_000), '{"c":3}'];
    const path = file(lines.join('\n'));
    expect(await readTailLines(path, 2)).toEqual(lines.slice(-2));
    // 1,000 bytes from the end hold only the last line whole; the cut-off one is dropped.
    expect(await readTailLines(path, 10, 1_000)).toEqual(['{"c":3}']);
  });

  it('agrees with reading the whole end of the file, for random files, counts and limits', async () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const lines = Array.from({ length: rand(40) }, () => (rand(5) === 0 ? '' : 'é'.repeat(rand(30_000))));
      const text = lines.join('\n') + (rand(2) ? '\n' : '');
      const path = file(text);
      const bytes = Buffer.from(text);
      for (const count of [1, 2, 10, 50]) {
        const maxBytes = rand(3) === 0 ? rand(200_000) + 1 : 16 * 1024 * 1024;
        const from = Math.max(0, bytes.length - maxBytes);
        const naive = bytes.subarray(from).toString('utf8').split('\n');
        if (naive[naive.length - 1] === '') naive.pop();
        if (from > 0) naive.shift();
        expect(await readTailLines(path, count, maxBytes), `round ${round}, ${count} lines, ${maxBytes} bytes`).toEqual(naive.slice(-count));
      }
      rmSync(dir as string, { recursive: true, force: true });
      dir = undefined;
    }
  });

  it('reads an empty file as no lines', async () => {
    expect(await readTailLines(file(''), 10)).toEqual([]);
  });
});
