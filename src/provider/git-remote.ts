/**
 * A git remote URL without its credentials: remotes travel to the backend in `git_info`, and
 * a token embedded in one must not travel along. Over http(s) every part of the user info is
 * a credential — `https://user:token@host/…`, and also a token alone in the user name
 * (`https://<token>@github.com/…`, which GitHub and GitLab accept) — so all of it goes. Other
 * schemes keep the user name (`ssh://git@host/…` names an account, not a secret) and lose
 * only a password. scp-like `git@host:path` and local paths have no scheme and stay as they are.
 */
export function stripUrlCredentials(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme) return url;
  const start = scheme[0].length;
  const authorityEnd = url.slice(start).search(/[/?#\s]/);
  const authority = authorityEnd === -1 ? url.slice(start) : url.slice(start, start + authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at === -1) return url;
  const userinfo = authority.slice(0, at);
  const rest = url.slice(start + at + 1);
  if (/^(?:[a-z0-9.-]+\+)?https?$/i.test(scheme[1] as string)) return `${scheme[0]}${rest}`;
  const colon = userinfo.indexOf(':');
  return colon === -1 ? url : `${scheme[0]}${userinfo.slice(0, colon)}@${rest}`;
}
