/**
 * The viewer's URLs. Pages live at `/` and `/sessions/…`; its JSON and streams under
 * `/ui/api/…`, clear of confab-web's `/api/v1/…`.
 */

export const LOGIN_PATH = '/login';
export const LOGOUT_PATH = '/logout';
export const UI_API = '/ui/api';
export const STATIC_PREFIX = '/ui/static';

const q = (params: Record<string, string | number | undefined>): string => {
  const parts = Object.entries(params)
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
};

export const sessionHref = (id: string, file?: string, from?: number): string =>
  `/sessions/${encodeURIComponent(id)}${q({ file, from: from && from > 1 ? from : undefined })}`;

export const lineUrl = (id: string, file: string, n: number): string => `${UI_API}/sessions/${encodeURIComponent(id)}/line${q({ file, n })}`;

export const rawFileUrl = (id: string, file: string): string => `${UI_API}/sessions/${encodeURIComponent(id)}/raw${q({ file })}`;

export const liveUrl = (id: string, file: string, after: number): string =>
  `${UI_API}/sessions/${encodeURIComponent(id)}/live${q({ file, after })}`;

export const listHref = (params: { q?: string; offset?: number; scan_from?: number } = {}): string =>
  `/${q({ q: params.q, offset: params.offset || undefined, scan_from: params.scan_from || undefined })}`;

/** A post-login destination: a local path only (no scheme, no `//host`, no backslashes). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !/^\/(?![/\\])[^\s\\]*$/.test(next) || next.length > 2048) return '/';
  return next.startsWith(LOGIN_PATH) ? '/' : next;
}

/** A shared link's page (a window of one of its session's files). */
export const shareHref = (token: string, file?: string, from?: number): string => `/s/${encodeURIComponent(token)}${q({ file, from: from && from > 1 ? from : undefined })}`;

export const shareLineUrl = (token: string, file: string, n: number): string => `/s/${encodeURIComponent(token)}/line${q({ file, n })}`;

/** Where the owner creates a session's shared links (POST). */
export const sharesUrl = (id: string): string => `/sessions/${encodeURIComponent(id)}/shares`;

export const revokeShareUrl = (id: string, shareId: string): string => `${sharesUrl(id)}/${encodeURIComponent(shareId)}/revoke`;
