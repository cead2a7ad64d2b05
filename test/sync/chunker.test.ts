import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { harness, jsonLines } from '../helpers/engine-harness.js';
import { MemoryBackend } from '../helpers/memory-backend.js';

const MiB = 1024 * 1024;

describe('chunk sizing', () => {
  it('never sends a request body over maxRequestBytes, however much escaping inflates the lines', async () => {
    const quoteHeavy = fc.string({ unit: fc.constantFrom('"', '\\', '\u0001', '\t', 'é', '😀', 'a', '<', '\r'), maxLength: 900 });
    await fc.assert(
      fc.asyncProperty(fc.array(quoteHeavy, { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1500 }), async (lines, summaryBytes) => {
        const h = harness({ policy: { maxRequestBytes: 4096 } });
        if (summaryBytes > 0) h.hooks.chunk.tap('meta', (req) => ({ ...req, metadata: { summary: 'S'.repeat(summaryBytes) } }));
        h.write(lines.map((l) => `${l}\n`).join(''));
        const report = await h.engine.syncAll('once');
        expect(report.complete).toBe(true);
        expect(h.backend.violations).toEqual([]);
        expect(h.backend.stats.maxBodyBytes).toBeLessThanOrEqual(4096);
        // Every line that fits is byte-identical; one that cannot fit even alone is a placeholder.
        const held = h.backend.fileLines(undefined, h.name);
        expect(held).toHaveLength(lines.length);
        held.forEach((got, i) => {
          if (got !== lines[i]) expect(JSON.parse(got)).toMatchObject({ type: 'confab_oversized_line' });
        });
      }),
      { numRuns: 40 },
    );
  });

  it('packs as many lines as fit: a backlog goes in few, nearly full chunks', async () => {
    const h = harness({ policy: { maxRequestBytes: 32 * 1024 } });
    h.write(jsonLines(2000));
    await h.engine.syncAll('startup');
    const bodies = h.backend.chunkRequests().map((r) => Buffer.byteLength(JSON.stringify(r)));
    // All but the last chunk are within a line's length of the cap (minus the metadata reserve).
    for (const size of bodies.slice(0, -1)) expect(size).toBeGreaterThan(32 * 1024 * 0.8);
    h.expectSynced();
  });

  it('a line over 16 MiB becomes a placeholder; later lines sync with numbering aligned', async () => {
    const h = harness({ backend: new MemoryBackend({ policy: { maxRequestBytes: 15 * MiB } }) });
    const huge = Buffer.alloc(17 * MiB, 'a');
    huge.write('{"big":"', 0);
    huge.write('"}', huge.length - 2);
    // Fits in raw bytes but not once escaped: 9 MiB of quotes doubles past the cap.
    const quotes = `{"q":"${'\\"'.repeat(4.5 * MiB)}"}`;
    const lineHook: number[] = [];
    h.hooks.line.tap('spy', (line, ctx) => {
      lineHook.push(ctx.lineNumber);
      return line;
    });
    h.write(Buffer.concat([Buffer.from('{"n":1}\n'), huge, Buffer.from(`\n{"n":3}\n${quotes}\n{"n":5}\n`)]));
    const report = await h.engine.syncAll('startup');
    expect(report.complete).toBe(true);
    const held = h.backend.fileLines(undefined, h.name);
    expect(held).toHaveLength(5);
    expect(held[0]).toBe('{"n":1}');
    expect(JSON.parse(held[1] as string)).toEqual({
      type: 'confab_oversized_line',
      original_bytes: huge.length,
      sha256: createHash('sha256').update(huge).digest('hex'),
    });
    expect(held[2]).toBe('{"n":3}');
    expect(JSON.parse(held[3] as string)).toEqual({
      type: 'confab_oversized_line',
      original_bytes: Buffer.byteLength(quotes),
      sha256: createHash('sha256').update(quotes).digest('hex'),
    });
    expect(held[4]).toBe('{"n":5}');
    expect(h.backend.violations).toEqual([]);
    // The streamed line never went through the line hook (it was never held).
    expect(lineHook).toEqual([1, 3, 4, 5]);
    const warnings = h.log.lines.filter((l) => l.includes('placeholder'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('line=2');
    expect(warnings[0]).toContain(`bytes=${huge.length}`);
    expect(warnings.join()).not.toContain('aaaa');
  });
});
