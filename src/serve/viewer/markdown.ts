import { escapeHtml, escapeWithMarkers, safeHref, SafeHtml } from './html.js';

/**
 * A small Markdown subset for chat text: fenced code, headings, lists, quotes, rules, pipe
 * tables, paragraphs; inline code, `**bold**`, `*italic*`, links and bare URLs (no `__bold__`:
 * double underscores are far more often Python or JS identifiers in these texts). Every piece of source
 * text is escaped on its own before it is wrapped, so the output never carries markup that
 * was not generated here; redaction markers are highlighted everywhere, code included.
 * Rendering takes time linear in the source (no pattern here is retried over text it has
 * already scanned): transcripts are untrusted, and one crafted message must not hold the
 * server for seconds.
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
    if (isThematicBreak(line)) {
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
    if (line.trimStart().startsWith('|') && isTableRule(lines[i + 1] ?? '')) {
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

/** `---`, `* * *`, `___`: three or more of one of these characters, spaces between allowed. */
function isThematicBreak(line: string): boolean {
  const start = /^\s{0,3}([-*_])/.exec(line);
  if (!start) return false;
  const mark = start[1];
  let count = 0;
  for (let i = start[0].length - 1; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === mark) count++;
    else if (!/\s/.test(ch)) return false;
  }
  return count >= 3;
}

/**
 * `|---|:--:|` under a table's header row: cells of two or more dashes, optionally aligned
 * with colons. Split rather than matched with one pattern: its adjacent `\s*`s made a line
 * of spaces take quadratic time.
 */
function isTableRule(line: string): boolean {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|')) row = row.slice(0, -1);
  return row.split('|').every((cell) => /^:?-{2,}:?$/.test(cell.trim()));
}

function startsBlock(line: string, next: string | undefined): boolean {
  return (
    /^\s*(`{3,}|~{3,})/.test(line) ||
    /^#{1,6}\s/.test(line) ||
    LIST_ITEM.test(line) ||
    /^\s*>/.test(line) ||
    (line.trimStart().startsWith('|') && isTableRule(next ?? ''))
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

/**
 * Inline markup, in one left-to-right pass; text between and inside the spans is escaped
 * piece by piece. At each position the spans are tried in this order: code, link, bold,
 * italic, bare URL; a span never crosses a line. Finding where a span closes looks ahead
 * with `NextIndex`, whose answers are reused while the scan moves right, so a line of
 * thousands of unclosed `[`, `**` or `` ` `` costs linear time (a regex over the same
 * grammar retried at each opener costs quadratic time).
 */
export function inline(source: string): string {
  const next = new NextIndex(source);
  let out = '';
  let last = 0; // end of the last span: source[last, i) is plain text
  let i = 0;
  const emit = (end: number, markup: string) => {
    out += escapeWithMarkers(source.slice(last, i)) + markup;
    last = i = end;
  };
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c !== BACKTICK && c !== OPEN_BRACKET && c !== STAR && c !== LOWER_H) {
      i++;
      continue;
    }
    const lineEnd = next.of('\n', i);
    if (c === BACKTICK) {
      const close = next.of('`', i + 1);
      if (close > i + 1 && close < lineEnd) {
        emit(close + 1, `<code>${escapeWithMarkers(source.slice(i + 1, close))}</code>`);
        continue;
      }
    } else if (c === OPEN_BRACKET) {
      const close = next.of(']', i + 1);
      if (close > i + 1 && close < lineEnd && source.charCodeAt(close + 1) === OPEN_PAREN) {
        const end = next.of(')', close + 2);
        if (end > close + 2 && end < next.space(close + 2)) {
          const url = source.slice(close + 2, end);
          emit(end + 1, link(url, escapeWithMarkers(source.slice(i + 1, close)), source.slice(i, end + 1)));
          continue;
        }
      }
    } else if (c === STAR) {
      if (source.charCodeAt(i + 1) === STAR) {
        const close = next.of('*', i + 2);
        if (close > i + 2 && close < lineEnd && source.charCodeAt(close + 1) === STAR) {
          emit(close + 2, `<strong>${escapeWithMarkers(source.slice(i + 2, close))}</strong>`);
          continue;
        }
      }
      // `*italic*`: not inside a word or a run of stars, not opened by a space.
      const after = source[i + 1] ?? ' ';
      if (!isWordOrStar(source[i - 1]) && after !== '*' && !/\s/.test(after)) {
        const close = next.of('*', i + 1);
        if (close < lineEnd && !isWordOrStar(source[close + 1])) {
          emit(close + 1, `<em>${escapeWithMarkers(source.slice(i + 1, close))}</em>`);
          continue;
        }
      }
    } else if (c === LOWER_H && (source.startsWith('http://', i) || source.startsWith('https://', i))) {
      const end = bareUrlEnd(source, i + (source[i + 4] === 's' ? 8 : 7));
      if (end > 0) {
        const url = source.slice(i, end);
        emit(end, link(url, escapeWithMarkers(url), url));
        continue;
      }
    }
    i++;
  }
  return out + escapeWithMarkers(source.slice(last));
}

const BACKTICK = 0x60;
const OPEN_BRACKET = 0x5b;
const OPEN_PAREN = 0x28;
const STAR = 0x2a;
const LOWER_H = 0x68;

function isWordOrStar(ch: string | undefined): boolean {
  return ch !== undefined && /[\w*]/.test(ch);
}

/** Characters a bare URL may hold, and those it may not end with (sentence punctuation). */
const URL_STOP = /[\s<>"'`()[\]]/;
const URL_TRAILING = /[.,;:!?]/;

/** End (exclusive) of a bare URL whose address starts at `from`, or 0 when there is none. */
function bareUrlEnd(source: string, from: number): number {
  let end = from;
  while (end < source.length && !URL_STOP.test(source[end]!)) end++;
  while (end > from + 1 && URL_TRAILING.test(source[end - 1]!)) end--; // at least two characters stay
  return end - from >= 2 ? end : 0;
}

/**
 * `indexOf` for a scan that only moves right: the answer for a character is kept and
 * reused until the scan passes it, so every character of the source is looked at a bounded
 * number of times. Not found is `source.length`.
 */
const SPACE = '\\s';

class NextIndex {
  private readonly found = new Map<string, { from: number; at: number }>();
  constructor(private readonly source: string) {}

  of(ch: string, from: number): number {
    const hit = this.found.get(ch);
    if (hit && hit.from <= from && from <= hit.at) return hit.at;
    const at = this.source.indexOf(ch, from);
    return this.remember(ch, from, at < 0 ? this.source.length : at);
  }

  /** The next whitespace character (as `\s` means it). */
  space(from: number): number {
    const hit = this.found.get(SPACE);
    if (hit && hit.from <= from && from <= hit.at) return hit.at;
    const re = /\s/g;
    re.lastIndex = from;
    const m = re.exec(this.source);
    return this.remember(SPACE, from, m ? m.index : this.source.length);
  }

  private remember(key: string, from: number, at: number): number {
    this.found.set(key, { from, at });
    return at;
  }
}

function link(url: string, labelHtml: string, original: string): string {
  const href = safeHref(url);
  if (!href) return escapeWithMarkers(original);
  return `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">${labelHtml}</a>`;
}
