export { decodeLine, type DecodedLine } from '../format/line-decode.js';

/**
 * The server splits stored chunks on `\n`, so a line element must never contain one. Lines
 * read from disk never do; a `line` tap could introduce one, and it is escaped here as the
 * two characters `\n` (its JSON-string escape), keeping the element a single line.
 */
export function escapeNewlines(text: string): string {
  return text.includes('\n') ? text.replace(/\n/g, '\\n') : text;
}

export const OVERSIZED_LINE_TYPE = 'confab_oversized_line';

/** What is uploaded in place of a line too large for any request (see docs/sync.md). */
export function oversizedPlaceholder(originalBytes: number, sha256Hex: string): string {
  return JSON.stringify({ type: OVERSIZED_LINE_TYPE, original_bytes: originalBytes, sha256: sha256Hex });
}

/**
 * `text` as one element of a request's `lines` array, and the bytes it adds to the body.
 * `ascii`: the caller knows `text` is ASCII (checked on its bytes, far faster than measuring
 * the string): its JSON is too, one byte per character.
 */
export function encodeWireLine(text: string, ascii = false): { json: string; wireBytes: number } {
  const json = JSON.stringify(text);
  return { json, wireBytes: ascii ? json.length : Buffer.byteLength(json, 'utf8') };
}
