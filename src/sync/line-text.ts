export { decodeLine, encodeWireLine, type DecodedLine } from '../format/wire-line.js';

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
