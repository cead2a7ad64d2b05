import type { StoredFile, StoredSession } from '../../store/session-store.js';
import { createHash } from 'node:crypto';
import { CSS_VERSION, JS_VERSION, VIEWER_CSS, VIEWER_JS } from './assets.js';
import { html, text, trusted, type HtmlValue, type SafeHtml } from './html.js';
import type { SearchHit, SearchResult } from './search.js';
import { githubLinks, projectName, sessionTitle, type SessionRow } from './session-summary.js';
import { formatBytes, timeTag } from './transcript-render.js';
import { listHref, LOGIN_PATH, LOGOUT_PATH, rawFileUrl, sessionHref, STATIC_PREFIX } from './urls.js';

/** Full HTML documents of the viewer. Every value goes through the escaping `html` tag. */

interface LayoutOptions {
  title: string;
  owner?: string;
  query?: string;
  body: HtmlValue;
  /**
   * A page that stands alone (a saved file, opened offline): the stylesheet and script are
   * inlined, and its own Content-Security-Policy allows exactly those two and nothing that
   * loads from anywhere.
   */
  standalone?: boolean;
}

export function layout(opts: LayoutOptions): string {
  const top = opts.owner
    ? html`<nav class="topbar"><a class="brand" href="/">confab</a><form class="search" method="get" action="/"><input type="search" name="q" value="${opts.query ?? ''}" placeholder="Search titles and transcripts" aria-label="Search"><button type="submit">Search</button></form><a class="nav" href="/usage">Usage</a><div class="who"><span>${opts.owner}</span><form method="post" action="${LOGOUT_PATH}"><button type="submit" id="logout">Log out</button></form></div></nav>`
    : html`<nav class="topbar"><span class="brand">confab</span></nav>`;
  const head = opts.standalone
    ? html`<meta http-equiv="Content-Security-Policy" content="${STANDALONE_CSP}"><style>${trusted(VIEWER_CSS)}</style>`
    : html`<link rel="stylesheet" href="${STATIC_PREFIX}/viewer.css?v=${CSS_VERSION}">
<script src="${STATIC_PREFIX}/viewer.js?v=${JS_VERSION}" defer></script>`;
  // Inline, the script runs where it stands: after the body it works on.
  const tail = opts.standalone ? html`<script>${trusted(VIEWER_JS)}</script>` : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="${opts.standalone ? 'no-referrer' : 'same-origin'}"><link rel="icon" href="data:,">
<title>${opts.title} · confab</title>
${head}
</head><body>${top}<div class="wrap">${opts.body}</div>${tail}</body></html>
`.value;
}

const cspHash = (source: string) => `'sha256-${createHash('sha256').update(source).digest('base64')}'`;

/** The inlined stylesheet and script by hash; images only as `data:`; no request anywhere. */
const STANDALONE_CSP = [
  "default-src 'none'",
  `style-src ${cspHash(VIEWER_CSS)}`,
  `script-src ${cspHash(VIEWER_JS)}`,
  'img-src data:',
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
].join('; ');

export function renderLoginPage(opts: { next: string; error?: string }): string {
  return layout({
    title: 'Log in',
    body: html`<div class="login"><h1>Log in</h1><p class="dim">Use an API key of this server (<code>cfb_…</code>). The key is checked once; the browser keeps only a session cookie.</p>${opts.error ? html`<p class="error-text" role="alert">${opts.error}</p>` : ''}<form method="post" action="${LOGIN_PATH}"><input type="hidden" name="next" value="${opts.next}"><input type="password" name="key" autocomplete="off" placeholder="cfb_…" aria-label="API key" required autofocus><button type="submit">Log in</button></form></div>`,
  });
}

export function renderErrorPage(opts: { status: number; message: string; owner?: string }): string {
  return layout({ title: String(opts.status), owner: opts.owner, body: html`<h1>${opts.status}</h1><p>${opts.message}</p><p><a href="/">All sessions</a></p>` });
}

export interface ListPageOptions {
  owner: string;
  rows: SessionRow[];
  query: string;
  offset: number;
  pageSize: number;
  total: number;
  search?: SearchResult;
}

export function renderListPage(opts: ListPageOptions): string {
  const { rows, query, search } = opts;
  const head = html`<tr><th>Title</th><th>Project</th><th>Provider</th><th>Started</th><th>Last activity</th><th class="num">Lines</th><th class="num">Size</th></tr>`;
  const body = rows.map((r) => sessionRowHtml(r, search?.hits.get(r.id)));
  const notices: HtmlValue[] = [];
  if (query) {
    notices.push(html`<div class="notice">${opts.total} session${opts.total === 1 ? '' : 's'} matching <b>${query}</b> <a href="/">clear</a>${search ? searchCoverage(search, query) : ''}</div>`);
  }
  const pager: HtmlValue[] = [];
  if (opts.offset > 0) pager.push(html`<a href="${listHref({ q: query, offset: Math.max(0, opts.offset - opts.pageSize), scan_from: search?.scanFrom })}">← newer</a>`);
  if (opts.offset + rows.length < opts.total) pager.push(html`<a href="${listHref({ q: query, offset: opts.offset + opts.pageSize, scan_from: search?.scanFrom })}">older →</a>`);
  const table = rows.length
    ? html`<table class="sessions" id="sessions"><thead>${head}</thead><tbody>${body}</tbody></table>`
    : html`<p class="dim" id="sessions-empty">${query ? 'No session matches.' : 'No sessions yet. Sessions appear here as soon as a client syncs its first lines.'}</p>`;
  return layout({
    title: query ? `Search: ${query}` : 'Sessions',
    owner: opts.owner,
    query,
    body: html`<div id="list"><h1>${query ? 'Search' : 'Sessions'} <span class="dim count">${opts.total}</span></h1>${notices}${table}<div class="pager">${pager}</div></div>`,
  });
}

function searchCoverage(s: SearchResult, query: string): SafeHtml {
  if (!s.exhausted && s.scanFrom === 0) return html`<span class="dim"> · titles and all ${s.total} transcripts searched</span>`;
  const range = html`<span class="dim"> · transcripts of sessions ${s.scanFrom + 1}–${s.scannedTo} of ${s.total} (most recent first) searched, ${formatBytes(s.bytesRead)} read</span>`;
  const more = s.exhausted ? html` <a href="${listHref({ q: query, scan_from: s.scannedTo })}">search older transcripts →</a>` : '';
  const back = s.scanFrom > 0 ? html` <a href="${listHref({ q: query })}">← from the newest</a>` : '';
  return html`${range}${more}${back}`;
}

const HIT_LINES_ABOVE = 20;

function sessionRowHtml(r: SessionRow, hit: SearchHit | undefined): SafeHtml {
  // A hit deep in a file opens the window of lines that holds it, a little above it.
  const href = hit?.fileName ? `${sessionHref(r.id, hit.fileName, hit.line ? hit.line - HIT_LINES_ABOVE : undefined)}${hit.line ? `#L${hit.line}` : ''}` : sessionHref(r.id);
  const snippet = hit?.snippet
    ? html`<div class="snippet">${hit.fileName ? html`<span class="badge">${hit.fileName}${hit.line ? `:${hit.line}` : ''}</span> ` : ''}${text(hit.snippet.text.slice(0, hit.snippet.matchStart))}<mark class="hit">${text(hit.snippet.text.slice(hit.snippet.matchStart, hit.snippet.matchEnd))}</mark>${text(hit.snippet.text.slice(hit.snippet.matchEnd))}</div>`
    : '';
  return html`<tr data-session="${r.id}"><td class="title-cell"><a href="${href}">${text(r.title)}</a>${snippet}</td><td>${r.project}</td><td><span class="badge">${r.provider}</span></td><td class="when">${timeTag(r.started)}</td><td class="when">${timeTag(r.last_activity)}</td><td class="num">${r.lines.toLocaleString('en-US')}</td><td class="num" title="${r.files} file${r.files === 1 ? '' : 's'}">${formatBytes(r.bytes)}</td></tr>`;
}

/** Where a session page's own links go: the viewer's, or a shared link's. */
export interface PageLinks {
  /** A window of lines of a file of the session. */
  file(fileName: string, from?: number): string;
  /** The raw file; undefined: no raw download. */
  raw?(fileName: string): string;
}

export function viewerPageLinks(sessionId: string): PageLinks {
  return { file: (name, from) => sessionHref(sessionId, name, from), raw: (name) => rawFileUrl(sessionId, name) };
}

export function filesTable(s: StoredSession, current: string, links: PageLinks = viewerPageLinks(s.session_id)): SafeHtml {
  const rows = s.files.map(
    (f: StoredFile) =>
      html`<tr class="${f.file_name === current ? 'current' : ''}"><td><a href="${links.file(f.file_name)}">${f.file_name}</a></td><td>${f.file_type}</td><td class="num">${f.last_synced_line} lines</td><td class="num">${formatBytes(f.bytes)}</td><td class="dim">${timeTag(f.updated_at)}</td><td>${links.raw ? html`<a href="${links.raw(f.file_name)}">raw</a>` : ''}</td></tr>`,
  );
  return html`<tr><th>File</th><th>Type</th><th>Lines</th><th>Size</th><th>Updated</th><th></th></tr>${rows}`;
}

export interface SessionPageOptions {
  /** The logged-in owner; undefined for a shared link's page (no account, no other pages). */
  owner: string | undefined;
  session: StoredSession;
  /** Default: the viewer's links. */
  links?: PageLinks;
  /** The owner's panel of shared links, under the session's details. */
  shares?: SafeHtml;
  file: StoredFile | undefined;
  /** Rendered lines [from, to] of the file. */
  from: number;
  to: number;
  pageLines: number;
  transcript: SafeHtml;
  liveUrl: string | undefined;
}

export function renderSessionPage(o: SessionPageOptions): string {
  const s = o.session;
  const links = o.links ?? viewerPageLinks(s.session_id);
  const f = o.file;
  let window: HtmlValue = '';
  if (f) {
    const total = f.last_synced_line;
    const nav: HtmlValue[] = [];
    if (o.from > 1) nav.push(html`<a href="${links.file(f.file_name, Math.max(1, o.from - o.pageLines))}">← earlier lines</a>`);
    if (o.to < total) {
      nav.push(html`<a href="${links.file(f.file_name, o.to + 1)}">later lines →</a>`);
      nav.push(html`<a href="${links.file(f.file_name, Math.max(1, total - o.pageLines + 1))}">last lines ⇥</a>`);
    }
    if (nav.length) window = html`<div class="window-nav"><span class="dim">lines ${o.from}–${o.to} of ${total}</span>${nav}</div>`;
  }
  const controls = f
    ? html`<div class="controls"><span>${f.file_name} · <span id="line-count">${o.to}</span> lines shown</span><label title="also show the lines that are not part of the conversation: attachments, hook results, API request records, queue and mode changes…"><input type="checkbox" id="show-all"> show all lines</label><button type="button" id="expand-tools">Expand tool calls</button>${o.liveUrl ? html`<span id="live-status" class="">connecting…</span>` : ''}</div>`
    : '';
  const main = f
    ? html`<main id="transcript" class="transcript" data-session="${s.session_id}" data-file="${f.file_name}" data-after="${o.to}" data-live="${o.liveUrl ? '1' : '0'}" data-live-url="${o.liveUrl ?? ''}">${o.transcript}</main>`
    : html`<p class="dim">This session has no synced files yet.</p>`;
  return layout({
    title: sessionTitle(s),
    owner: o.owner,
    body: html`<h1>${text(sessionTitle(s))}</h1>${sessionMeta(s, o.owner === undefined)}${o.shares ?? ''}<table class="files" id="files">${filesTable(s, f?.file_name ?? '', links)}</table>${controls}${window}${main}${window}`,
  });
}

/**
 * A session's details. A shared link shows what the conversation is (provider, project,
 * when) but not where it ran: no directory, host, repository or ids.
 */
export type SessionDetails = Pick<StoredSession, 'provider' | 'external_id'> &
  Partial<Pick<StoredSession, 'cwd' | 'transcript_path' | 'git_info' | 'hostname' | 'first_seen' | 'last_sync_at' | 'last_message_at' | 'github_links'>>;

export function sessionMeta(s: SessionDetails, shared: boolean): SafeHtml {
  const git = s.git_info;
  const last = s.last_message_at ?? s.last_sync_at;
  const where = shared
    ? ''
    : html`${s.cwd ? html`<span>cwd <b class="mono">${s.cwd}</b></span>` : ''}${git?.branch ? html`<span>branch <b>${git.branch}</b></span>` : ''}${git?.repo_url ? html`<span>repo <b>${git.repo_url}</b></span>` : ''}${s.hostname ? html`<span>host <b>${s.hostname}</b></span>` : ''}`;
  const ids = shared
    ? ''
    : html`<span>id <b class="mono">${s.external_id}</b></span>${githubLinks(s).map((l) => html`<span>${l.label.includes('#') ? 'PR' : 'commit'} <a href="${l.href}" rel="noopener noreferrer nofollow" target="_blank" title="${l.title ?? ''}">${l.label}</a></span>`)}`;
  return html`<div class="meta-grid"><span>provider <b>${s.provider}</b></span><span>project <b>${projectName(s)}</b></span>${where}${s.first_seen ? html`<span>started <b>${timeTag(s.first_seen)}</b></span>` : ''}${last ? html`<span>last activity <b>${timeTag(last)}</b></span>` : ''}${ids}</div>`;
}
