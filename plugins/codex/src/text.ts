/**
 * Clean-up for text shown as a session title (the first user message): markup and
 * layout are flattened, control characters removed, and the result cut to the backend's
 * byte budget without splitting a character.
 */

/** The backend stores up to 8192 bytes; the Go CLI sends at most half of that. */
export const FIRST_USER_MESSAGE_MAX_BYTES = 4096;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
// Only tag-shaped text goes, so "a < b" in prose survives.
const TAG = /<\/?[A-Za-z][\w:.-]*(?:\s[^<>]*)?\/?>/g;
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]{2,6}));/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function decode(match: string, dec?: string, hex?: string, name?: string): string {
  if (name !== undefined) return ENTITIES[name.toLowerCase()] ?? match;
  const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
  const valid = Number.isFinite(code) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
  return valid ? String.fromCodePoint(code) : match;
}

/** Strip tags, decode entities, turn control characters into spaces, collapse whitespace. */
export function sanitizeText(text: string): string {
  return text.replace(TAG, ' ').replace(ENTITY, decode).replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

function utf8Size(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** At most `maxBytes` UTF-8 bytes, `...` included when cut; never splits a code point. */
export function truncateUtf8(text: string, maxBytes: number, suffix = '...'): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(suffix, 'utf8'));
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const size = utf8Size(ch.codePointAt(0) ?? 0);
    if (used + size > budget) break;
    used += size;
    end += ch.length;
  }
  return text.slice(0, end) + suffix;
}
