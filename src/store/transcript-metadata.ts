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

/** A line's message time in ms, and its text when it has one (the RFC 3339 string). */
function lineTime(provider: string, line: string): { ms: number; text?: string } | undefined {
  if (provider === 'opencode') {
    if (!line.includes('"created"')) return undefined;
    const info = parseJsonObject(line)?.info as { time?: { created?: unknown } } | undefined;
    const created = info?.time?.created;
    return typeof created === 'number' && Number.isFinite(created) ? { ms: created } : undefined;
  }
  if (provider === 'cursor') return undefined;
  // claude-code, codex and third-party providers: a top-level RFC 3339 "timestamp".
  if (!line.includes('"timestamp"')) return undefined;
  const text = parseJsonObject(line)?.timestamp;
  const ms = parseRfc3339(text);
  return ms === undefined ? undefined : { ms, text: text as string };
}

const TIMESTAMP_KEY = '"timestamp"';

/**
 * RFC 3339 in UTC without an offset: two such strings of the same length compare as their
 * times do (to the precision of the shorter parse), so most are ruled out without parsing.
 */
const UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

/**
 * Whether `line` might carry a top-level message time newer than `newest` (whose text is
 * `newestText`, when it is a plain UTC time): false only when every string value of a
 * `"timestamp"` key in it (nested ones included, which is why this is only a filter) is a
 * time no newer than `newest`, or unacceptable. A value with escapes might be anything.
 */
function mayBeNewer(line: string, newest: number, newestText: string | undefined, limit: number): boolean {
  for (let at = line.indexOf(TIMESTAMP_KEY); at !== -1; at = line.indexOf(TIMESTAMP_KEY, at + TIMESTAMP_KEY.length)) {
    let i = at + TIMESTAMP_KEY.length;
    while (isJsonSpace(line.charCodeAt(i))) i++;
    if (line.charCodeAt(i) !== 0x3a) continue;
    i++;
    while (isJsonSpace(line.charCodeAt(i))) i++;
    if (line.charCodeAt(i) !== 0x22) continue;
    i++;
    const close = line.indexOf('"', i);
    const value = line.slice(i, close === -1 ? undefined : close);
    if (value.includes('\\')) return true;
    if (close === -1) return false;
    // Same shape as the newest, and not after it: no newer.
    if (newestText !== undefined && value.length === newestText.length && value <= newestText && UTC_TIME.test(value)) continue;
    const t = parseRfc3339(value);
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
  let newestText: string | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (lexical && newest !== undefined && !mayBeNewer(line, newest, newestText, limit)) continue;
    const t = lineTime(provider, line);
    if (t !== undefined && t.ms <= limit && (newest === undefined || t.ms > newest)) {
      newest = t.ms;
      newestText = t.text !== undefined && UTC_TIME.test(t.text) ? t.text : undefined;
    }
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
