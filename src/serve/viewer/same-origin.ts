import type { IncomingHttpHeaders } from 'node:http';

/** Where the viewer is served from, as the browser sees it. */
export interface ServedOrigin {
  /** `host[:port]`: the Host header, or the proxy's X-Forwarded-Host when it is trusted. */
  host: string | undefined;
  /** `http`/`https`, compared only when known from a trusted proxy's X-Forwarded-Proto. */
  protocol?: string;
}

/**
 * CSRF check for the viewer's state-changing routes (login, logout): the request must come
 * from a page of this host. Browsers send `Origin` on every cross-origin and same-origin
 * form POST; `Referer` is the fallback for the few that do not, and a POST with neither is
 * refused. `Sec-Fetch-Site`, when present, must not say the request came from elsewhere.
 */
export function isSameOriginPost(headers: IncomingHttpHeaders, served: ServedOrigin): boolean {
  const host = served.host?.toLowerCase();
  if (!host) return false;
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = headers.origin;
  const from = typeof origin === 'string' ? (origin === 'null' ? undefined : parse(origin)) : typeof headers.referer === 'string' ? parse(headers.referer) : undefined;
  if (!from || from.host !== host) return false;
  return served.protocol === undefined || from.protocol === `${served.protocol.toLowerCase()}:`;
}

function parse(url: string): { host: string; protocol: string } | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? { host: u.host.toLowerCase(), protocol: u.protocol } : undefined;
  } catch {
    return undefined;
  }
}
