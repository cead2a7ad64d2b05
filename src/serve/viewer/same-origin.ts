import type { IncomingHttpHeaders } from 'node:http';

/**
 * CSRF check for the viewer's state-changing routes (login, logout): the request must come
 * from a page of this host. Browsers send `Origin` on every cross-origin and same-origin
 * form POST; `Referer` is the fallback for the few that do not, and a POST with neither is
 * refused. `Sec-Fetch-Site`, when present, must not say the request came from elsewhere.
 */
export function isSameOriginPost(headers: IncomingHttpHeaders): boolean {
  const host = headers.host;
  if (!host) return false;
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = headers.origin;
  if (typeof origin === 'string') return origin !== 'null' && hostOf(origin) === host.toLowerCase();
  const referer = headers.referer;
  if (typeof referer === 'string') return hostOf(referer) === host.toLowerCase();
  return false;
}

function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
