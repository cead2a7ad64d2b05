import { escapeHtml, escapeWithMarkers, safeHref, SafeHtml } from './html.js';

/**
 * A small Markdown subset for chat text: fenced code, headings, lists, quotes, rules, pipe
 * tables, paragraphs; inline code, `**bold**`, `*italic*`, links and bare URLs (no `__bold__`:
 * double underscores are far more often Python or JS identifiers in these texts). Every piece of source
 * text is escaped on its own before it is wrapped, so the output never carries markup that
 * was not generated here; redaction markers are highlighted everywhere, code included.
 */
export function renderMarkdown(source: string): SafeHtml {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const fence = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (fence) {
      const marker = fence[1] ?? '```';
      const lang = fence[2] ?? '';
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? '').trimStart().startsWith(marker)) body.push(lines[i++] ?? '');
      i++; // the closing fence (or the end)
      const label = lang ? `<span class="lang">${escapeHtml(lang)}</span>` : '';
      out.push(`<pre class="code">${label}<code>${escapeWithMarkers(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min((heading[1] ?? '#').length + 2, 6);
      out.push(`<h${level}>${inline(heading[2] ?? '')}</h${level}>`);
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push('<hr>');
      i++;
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const ordered = ORDERED_ITEM.test(line);
      const items: string[] = [];
      // Nested items of either kind stay in the list; a top-level item of the other kind starts a new one.
      const continues = (l: string) => LIST_ITEM.test(l) && (/^\s/.test(l) || ORDERED_ITEM.test(l) === ordered);
      while (i < lines.length && (items.length === 0 || continues(lines[i] ?? ''))) {
        const m = LIST_ITEM.exec(lines[i] ?? '');
        const depth = Math.min(Math.floor((m?.[1] ?? '').replace(/\t/g, '  ').length / 2), 3);
        items.push(`<li${depth ? ` class="d${depth}"` : ''}>${inline(m?.[3] ?? '')}</li>`);
        i++;
      }
      out.push(ordered ? `<ol>${items.join('')}</ol>` : `<ul>${items.join('')}</ul>`);
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i] ?? '')) quoted.push((lines[i++] ?? '').replace(/^\s*>\s?/, ''));
      out.push(`<blockquote>${inline(quoted.join('\n'))}</blockquote>`);
      continue;
    }
    if (line.trimStart().startsWith('|') && TABLE_RULE.test(lines[i + 1] ?? '')) {
      const header = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && (lines[i] ?? '').trimStart().startsWith('|')) rows.push(cells(lines[i++] ?? ''));
      const th = header.map((c) => `<th>${inline(c)}</th>`).join('');
      const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('');
      out.push(`<table class="md"><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && (lines[i] ?? '').trim() !== '' && !startsBlock(lines[i] ?? '', lines[i + 1])) para.push(lines[i++] ?? '');
    if (para.length === 0) para.push(lines[i++] ?? ''); // a line that starts a block we could not parse
    out.push(`<p>${inline(para.join('\n'))}</p>`);
  }
  return new SafeHtml(`<div class="md">${out.join('')}</div>`);
}

const LIST_ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;
const ORDERED_ITEM = /^\s*\d+[.)]\s/;
const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function startsBlock(line: string, next: string | undefined): boolean {
  return (
    /^\s*(`{3,}|~{3,})/.test(line) ||
    /^#{1,6}\s/.test(line) ||
    LIST_ITEM.test(line) ||
    /^\s*>/.test(line) ||
    (line.trimStart().startsWith('|') && TABLE_RULE.test(next ?? ''))
  );
}

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

const INLINE =
  /`([^`\n]+)`|\[([^\]\n]+)\]\(([^)\s]+)\)|\*\*([^*\n]+)\*\*|(?<![\w*])\*([^*\s][^*\n]*)\*(?![\w*])|(https?:\/\/[^\s<>"'`()[\]]+[^\s<>"'`()[\].,;:!?])/g;

/** Inline markup; text between and inside the matches is escaped piece by piece. */
export function inline(source: string): string {
  let out = '';
  let last = 0;
  for (const m of source.matchAll(INLINE)) {
    const at = m.index ?? 0;
    out += escapeWithMarkers(source.slice(last, at));
    last = at + m[0].length;
    const [, code, label, url, bold, italic, bare] = m;
    if (code !== undefined) out += `<code>${escapeWithMarkers(code)}</code>`;
    else if (label !== undefined && url !== undefined) out += link(url, escapeWithMarkers(label), m[0]);
    else if (bold !== undefined) out += `<strong>${escapeWithMarkers(bold)}</strong>`;
    else if (italic !== undefined) out += `<em>${escapeWithMarkers(italic)}</em>`;
    else if (bare !== undefined) out += link(bare, escapeWithMarkers(bare), bare);
  }
  return out + escapeWithMarkers(source.slice(last));
}

function link(url: string, labelHtml: string, original: string): string {
  const href = safeHref(url);
  if (!href) return escapeWithMarkers(original);
  return `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">${labelHtml}</a>`;
}
