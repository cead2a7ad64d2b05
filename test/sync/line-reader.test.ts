import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineReader, type RawLine } from '../../src/sync/line-reader.js';
import { decodeLine, escapeNewlines, oversizedPlaceholder } from '../../src/sync/line-text.js';
import { tempDir } from '../helpers/sync-fixtures.js';

async function readAll(content: Buffer | string, opts: { start?: number; windowBytes?: number; maxLineBytes?: number } = {}) {
  const path = join(tempDir(), 'f.jsonl');
  writeFileSync(path, content);
  const handle = await open(path, 'r');
  try {
    const reader = new LineReader(handle, opts.start ?? 0, { windowBytes: opts.windowBytes ?? 7, maxLineBytes: opts.maxLineBytes ?? 1024 });
    const lines: RawLine[] = [];
    for (let l = await reader.next(); l; l = await reader.next()) lines.push(l);
    return { lines, offset: reader.offset, scannedTo: reader.scannedTo };
  } finally {
    await handle.close();
  }
}

const text = (l: RawLine) => (l.kind === 'line' ? l.bytes.toString('utf8') : `<${l.byteLength}>`);

describe('LineReader', () => {
  it('yields only \\n-terminated lines and leaves a partial tail for later', async () => {
    const { lines, offset, scannedTo } = await readAll('{"a":1}\n{"b":2}\n{"c":');
    expect(lines.map(text)).toEqual(['{"a":1}', '{"b":2}']);
    expect(offset).toBe(16);
    expect(scannedTo).toBe(21);
  });

  it('counts empty lines and keeps \\r (CRLF) as part of the line', async () => {
    const { lines } = await readAll('a\r\n\n\r\n\nb\n');
    expect(lines.map(text)).toEqual(['a\r', '', '\r', '', 'b']);
    expect(lines.map((l) => [l.start, l.end])).toEqual([
      [0, 3],
      [3, 4],
      [4, 6],
      [6, 7],
      [7, 9],
    ]);
  });

  it('keeps multi-byte UTF-8 intact when a character straddles read windows', async () => {
    const content = '日本語テキスト🙂\nçé\n';
    for (const windowBytes of [1, 2, 3, 5, 7, 64]) {
      const { lines, offset } = await readAll(content, { windowBytes });
      expect(lines.map(text)).toEqual(['日本語テキスト🙂', 'çé']);
      expect(offset).toBe(Buffer.byteLength(content));
    }
  });

  it('starts at a byte offset and skips lines without holding them', async () => {
    const path = join(tempDir(), 'f.jsonl');
    writeFileSync(path, 'one\ntwo\nthree\nfour\n');
    const handle = await open(path, 'r');
    try {
      const reader = new LineReader(handle, 4, { windowBytes: 3, maxLineBytes: 100 });
      expect(await reader.skip(2)).toBe(2);
      expect(reader.offset).toBe(14);
      const next = await reader.next();
      expect(next && text(next)).toBe('four');
      expect(await reader.skip(5)).toBe(0);
    } finally {
      await handle.close();
    }
  });

  it('streams a line longer than it may hold into a SHA-256 instead of memory', async () => {
    const big = 'x'.repeat(5000);
    const { lines } = await readAll(`short\n${big}\nafter\n`, { maxLineBytes: 1000, windowBytes: 256 });
    expect(lines.map(text)).toEqual(['short', '<5000>', 'after']);
    const over = lines[1];
    expect(over?.kind).toBe('oversized');
    if (over?.kind === 'oversized') {
      expect(over.sha256).toBe(createHash('sha256').update(big).digest('hex'));
      expect([over.start, over.end]).toEqual([6, 5007]);
    }
  });
});

describe('line text', () => {
  it('decodes valid UTF-8 exactly and flags invalid bytes (replaced by U+FFFD)', () => {
    expect(decodeLine(Buffer.from('\uFEFF{"k":"é"}\r'))).toEqual({ text: '\uFEFF{"k":"é"}\r', exact: true, ascii: false });
    expect(decodeLine(Buffer.from('{"k":"\\u00e9\t"}\r'))).toEqual({ text: '{"k":"\\u00e9\t"}\r', exact: true, ascii: true });
    const bad = decodeLine(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(bad.exact).toBe(false);
    expect(bad.text).toBe('{\uFFFD\uFFFD}');
  });

  it('escapes newlines a tap introduced, so a line stays one line', () => {
    expect(escapeNewlines('a\nb')).toBe('a\\nb');
    expect(escapeNewlines('a\r')).toBe('a\r');
  });

  it('builds a valid JSON placeholder', () => {
    expect(JSON.parse(oversizedPlaceholder(42, 'ab'))).toEqual({ type: 'confab_oversized_line', original_bytes: 42, sha256: 'ab' });
  });
});
