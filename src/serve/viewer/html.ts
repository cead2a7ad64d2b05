/**
 * Escaping by construction: every page is built with the `html` tag, which escapes each
 * interpolated value unless it is already `SafeHtml` (built by this module). Transcripts
 * are untrusted, so no text reaches a page any other way.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/**
 * Safe in element content and in quoted attribute values. A loop rather than
 * `replace(/[&<>"']/g, fn)`: a callback per match grew worse than linearly on long texts
 * full of `<` or `>` (tool output, diffs), and pages escape such texts all the time.
 */
export function escapeHtml(text: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    let entity: string;
    switch (text.charCodeAt(i)) {
      case 0x26:
        entity = '&amp;';
        break;
      case 0x3c:
        entity = '&lt;';
        break;
      case 0x3e:
        entity = '&gt;';
        break;
      case 0x22:
        entity = '&quot;';
        break;
      case 0x27:
        entity = '&#39;';
        break;
      default:
        continue;
    }
    out += text.slice(last, i) + entity;
    last = i + 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value as string | number | boolean));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Markup produced by this package's own renderers from already-escaped parts. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export function joinHtml(parts: readonly HtmlValue[], separator = ''): SafeHtml {
  return new SafeHtml(parts.map(render).join(escapeHtml(separator)));
}

/** The marker the redactor writes in place of a secret: `[REDACTED:` + `[A-Za-z0-9_.-]*` + `]`. */
const MARKER_OPEN = '[REDACTED:';
const MARKER_NAME = /[A-Za-z0-9_.-]/;

/**
 * Escape, then make every redaction marker visible. Found with `indexOf` and a scan of the
 * name, not a global regex replace, which slowed down sharply on long texts full of markers.
 */
export function escapeWithMarkers(text: string): string {
  let out = '';
  let last = 0;
  let at = text.indexOf(MARKER_OPEN);
  while (at >= 0) {
    let end = at + MARKER_OPEN.length;
    while (end < text.length && MARKER_NAME.test(text[end]!)) end++;
    if (text[end] !== ']') {
      at = text.indexOf(MARKER_OPEN, end); // no marker starts inside the name just scanned
      continue;
    }
    out += `${escapeHtml(text.slice(last, at))}<mark class="redacted" title="redacted by confab">${text.slice(at, end + 1)}</mark>`;
    last = end + 1;
    at = text.indexOf(MARKER_OPEN, last);
  }
  return last === 0 ? escapeHtml(text) : out + escapeHtml(text.slice(last));
}

/** A plain text rendering: escaped, markers highlighted. */
export function text(value: string): SafeHtml {
  return new SafeHtml(escapeWithMarkers(value));
}

/** Only http(s) links survive; anything else (javascript:, data:) is not a link. */
export function safeHref(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
