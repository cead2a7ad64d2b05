import type { ShareInfo } from '../shares.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageLinks } from './pages.js';
import type { TranscriptLinks } from './transcript-render.js';
import { timeTag } from './transcript-render.js';
import { revokeShareUrl, sessionHref, shareHref, shareLineUrl, sharesUrl } from './urls.js';

/** A shared link's pages link only to themselves: other files of the same session, its raw lines. */
export function shareLinks(token: string): PageLinks & TranscriptLinks {
  return { file: (name: string, from?: number) => shareHref(token, name, from), line: (name: string, n: number) => shareLineUrl(token, name, n) };
}

/** Expiry choices of the create form (value: `parseExpiry` syntax; empty: never). */
export const SHARE_EXPIRY_CHOICES: readonly [string, string][] = [
  ['', 'never expires'],
  ['1h', 'expires in 1 hour'],
  ['1d', 'expires in 1 day'],
  ['7d', 'expires in 7 days'],
  ['30d', 'expires in 30 days'],
];

/** The owner's shared links of a session, each with its revoke button, and the form for a new one. */
export function sharesPanel(sessionId: string, shares: readonly ShareInfo[], expired: (s: ShareInfo) => boolean): SafeHtml {
  const rows = shares.map(
    (s) =>
      html`<tr data-share="${s.id}"><td class="mono">${s.id}</td><td>created ${timeTag(s.created_at)}</td><td>${s.expires_at ? html`${expired(s) ? 'expired' : 'expires'} ${timeTag(s.expires_at)}` : 'never expires'}</td><td><form method="post" action="${revokeShareUrl(sessionId, s.id)}"><button type="submit" class="revoke-share">Revoke</button></form></td></tr>`,
  );
  const list = shares.length ? html`<table class="files" id="share-list">${rows}</table>` : html`<p class="dim" id="share-list-empty">No shared links.</p>`;
  const options = SHARE_EXPIRY_CHOICES.map(([value, label]) => html`<option value="${value}">${label}</option>`);
  return html`<details class="shares" id="shares"${shares.length ? html` open` : ''}><summary>Shared links <span class="dim">${shares.length}</span></summary><p class="dim">Anyone with a link can read this session's conversation, and nothing else, without logging in, until the link expires or is revoked.</p>${list}<form method="post" action="${sharesUrl(sessionId)}" class="share-create"><select name="expires" aria-label="Expiry">${options}</select> <button type="submit" id="create-share">Create a read-only link</button></form></details>`;
}

/** Shown once, right after creation: the link itself (only its hash is kept). */
export function renderShareCreatedPage(opts: { owner: string; sessionId: string; url: string; share: ShareInfo }): string {
  return layout({
    title: 'Shared link created',
    owner: opts.owner,
    body: html`<h1>Shared link created</h1><p>Anyone with this link can read the session's conversation${opts.share.expires_at ? html` until ${timeTag(opts.share.expires_at)}` : ''}. It is shown only now: copy it.</p><p><input type="text" id="share-url" readonly value="${opts.url}" size="80" aria-label="Shared link"></p><p><a href="${sessionHref(opts.sessionId)}#shares">Back to the session</a></p>`,
  });
}
