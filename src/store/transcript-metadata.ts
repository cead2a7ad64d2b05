import { parseGithubUrl, parseRfc3339 } from './validate.js';

/**
 * What confab-web derives from the lines of a transcript chunk (§3.2 side effects): the
 * newest message time and, for Claude Code, PR links. Lines are never required to be JSON.
 */

/** Times more than 48 h ahead are a clock bug on the client: ignored (§3.2, rule 23). */
export const FUTURE_TOLERANCE_MS = 48 * 3600 * 1000;

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function lineTime(provider: string, line: string): number | undefined {
  if (provider === 'opencode') {
    if (!line.includes('"created"')) return undefined;
    const info = parseJsonObject(line)?.info as { time?: { created?: unknown } } | undefined;
    const created = info?.time?.created;
    return typeof created === 'number' && Number.isFinite(created) ? created : undefined;
  }
  if (provider === 'cursor') return undefined;
  // claude-code, codex and third-party providers: a top-level RFC 3339 "timestamp".
  if (!line.includes('"timestamp"')) return undefined;
  return parseRfc3339(parseJsonObject(line)?.timestamp);
}

/** A `"timestamp"` key with a string value, as JSON writes it; group 2 is `\\` when the value has escapes. */
const TIMESTAMP_CANDIDATE = /"timestamp"[ \t\r\n]*:[ \t\r\n]*"([^"\\]*)(["\\])/g;

/**
 * Whether `line` might carry a top-level message time newer than `newest`: false only when
 * every string value of a `"timestamp"` key in it (nested ones included, which is why this is
 * only a filter) is a time no newer than `newest`, or unacceptable.
 */
function mayBeNewer(line: string, newest: number, limit: number): boolean {
  TIMESTAMP_CANDIDATE.lastIndex = 0;
  for (let m = TIMESTAMP_CANDIDATE.exec(line); m; m = TIMESTAMP_CANDIDATE.exec(line)) {
    if (m[2] === '\\') return true;
    const t = parseRfc3339(m[1]);
    if (t !== undefined && t <= limit && t > newest) return true;
  }
  return false;
}

/**
 * The newest acceptable per-line message time of a chunk, in ms. Lines are visited newest
 * first (transcripts are written in time order), and a line is parsed only when a lexical scan
 * of its `"timestamp"` values shows it could beat the newest time found so far: a chunk of a
 * time-ordered transcript costs about one JSON.parse, not one per line, with the same result.
 */
export function newestLineTime(provider: string, lines: readonly string[], now = Date.now()): number | undefined {
  const limit = now + FUTURE_TOLERANCE_MS;
  const lexical = provider !== 'opencode' && provider !== 'cursor';
  let newest: number | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (lexical && newest !== undefined && (!line.includes('"timestamp"') || !mayBeNewer(line, newest, limit))) continue;
    const t = lineTime(provider, line);
    if (t !== undefined && t <= limit && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

/** Cursor wraps the first prompt in `<user_query>…</user_query>`; an empty result is dropped. */
export function unwrapCursorQuery(text: string): string | undefined {
  const m = /^\s*<user_query>([\s\S]*)<\/user_query>\s*$/.exec(text);
  const inner = (m ? m[1]! : text).trim();
  return inner === '' ? undefined : m ? inner : text;
}

export interface TranscriptPrLink {
  url: string;
  owner: string;
  repo: string;
  ref: string;
  title: string;
}

/** Claude Code's `{"type":"pr-link","prRepository":"o/r","prNumber":12,"prUrl":…}` lines, when consistent. */
export function prLinksInLines(provider: string, lines: readonly string[]): TranscriptPrLink[] {
  if (provider !== 'claude-code') return [];
  const out: TranscriptPrLink[] = [];
  for (const line of lines) {
    if (!line.includes('pr-link')) continue;
    const v = parseJsonObject(line);
    if (!v || v.type !== 'pr-link') continue;
    const { prRepository, prNumber, prUrl } = v;
    if (typeof prRepository !== 'string' || typeof prUrl !== 'string') continue;
    const num = typeof prNumber === 'number' ? String(prNumber) : typeof prNumber === 'string' ? prNumber : undefined;
    const parsed = parseGithubUrl(prUrl);
    if (!num || !parsed || parsed.link_type !== 'pull_request') continue;
    if (`${parsed.owner}/${parsed.repo}` !== prRepository || parsed.ref !== num) continue;
    out.push({ url: prUrl, owner: parsed.owner, repo: parsed.repo, ref: num, title: `${prRepository}#${num}` });
  }
  return out;
}
