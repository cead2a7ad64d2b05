/**
 * Text clean-up for metadata strings taken from transcripts (summaries, first user
 * messages): they are shown as titles, so markup and layout are flattened. No Node APIs:
 * this module also runs in the web viewer.
 */

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

// Only things shaped like tags are removed, so prose such as "a < b and c > d" survives.
const TAG = /<\/?[A-Za-z][A-Za-z0-9_:.-]*(?:\s[^<>]*)?\/?>/g;
const ENTITY = /&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});/g;
// Control characters (NUL breaks the backend's Postgres columns) become spaces; tabs and
// newlines are whitespace and collapse with it.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const SPACES = /\s+/g;

function decodeEntity(match: string, body: string): string {
  if (body.startsWith('#')) {
    const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
    if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return match;
    return String.fromCodePoint(code);
  }
  return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? match;
}

/**
 * Strip HTML-like tags, decode entities, drop control characters and collapse whitespace.
 * Tags go before entities are decoded, so `&lt;b&gt;` stays visible as `<b>`.
 */
export function sanitizeText(text: string): string {
  return text.replace(TAG, ' ').replace(ENTITY, decodeEntity).replace(CONTROL, ' ').replace(SPACES, ' ').trim();
}

const encoder = new TextEncoder();

/** UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Cut `text` to at most `maxBytes` UTF-8 bytes, suffix included, never splitting a code
 * point (nor a surrogate pair). Text that fits is returned unchanged.
 */
export function truncateUtf8(text: string, maxBytes: number, suffix = '...'): string {
  if (utf8Length(text) <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - utf8Length(suffix));
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (used + size > budget) break;
    used += size;
    end += ch.length;
  }
  return text.slice(0, end) + suffix;
}
