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

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
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

/** The marker the redactor writes in place of a secret (same grammar as the redactor's). */
const REDACTION_MARKER = /\[REDACTED:[A-Za-z0-9_.-]*\]/g;

/** Escape, then make every redaction marker visible. */
export function escapeWithMarkers(text: string): string {
  return escapeHtml(text).replace(REDACTION_MARKER, (m) => `<mark class="redacted" title="redacted by confab">${m}</mark>`);
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
