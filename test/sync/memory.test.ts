import { closeSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { harness, jsonLines } from '../helpers/engine-harness.js';
import { MemoryBackend } from '../helpers/memory-backend.js';

const MiB = 1024 * 1024;

// Its own file, so the worker process starts clean and RSS growth means this test only.
describe('memory', () => {
  // Every byte is read and hashed; a reader that held lines would grow by hundreds of MiB.
  it('streams a huge transcript through a fixed window: memory stays bounded', async () => {
    const h = harness({ backend: new MemoryBackend({ policy: { maxRequestBytes: 15 * MiB } }) });
    // A sparse file: three 200 MiB lines of NUL bytes (holes cost no disk), then normal lines.
    const lineBytes = 200 * MiB;
    const fd = openSync(h.path, 'w');
    try {
      for (let i = 1; i <= 3; i++) writeSync(fd, '\n', i * (lineBytes + 1) - 1);
      writeSync(fd, jsonLines(3), 3 * (lineBytes + 1));
    } finally {
      closeSync(fd);
    }
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    const started = Date.now();
    try {
      const report = await h.engine.syncAll('startup');
      expect(report.complete).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMiB = (peak - before) / MiB;
    const held = h.backend.fileLines(undefined, h.name);
    expect(held).toHaveLength(6);
    for (const line of held.slice(0, 3)) expect(JSON.parse(line)).toMatchObject({ type: 'confab_oversized_line', original_bytes: lineBytes });
    expect(held.slice(3)).toEqual(jsonLines(3).trim().split('\n'));
    console.log(`600 MiB sparse transcript: ${Date.now() - started} ms, peak RSS growth ${growthMiB.toFixed(1)} MiB (from ${(before / MiB).toFixed(0)} MiB)`);
    expect(growthMiB).toBeLessThan(100);
  });
});
