import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cursorDir } from './cursor-dir.js';

/**
 * Cursor's agent transcripts: JSONL with one line per prompt or assistant message
 * (`{"role":"user"|"assistant","message":{"content":[{"type":"text","text":…}, …]}}`) and
 * status lines without a role (`{"type":"turn_ended",…}`). No timestamps, no tool results.
 */

/** The backend stores up to 8192 bytes; the Go CLI sends at most half of that. */
export const FIRST_USER_MESSAGE_MAX_BYTES = 4096;
/** How many lines of a chunk are searched for the first prompt. */
export const FIRST_MESSAGE_LINES = 50;

const QUERY_WRAPPER = /^\s*<user_query>\s*([\s\S]*?)\s*<\/user_query>\s*$/;

/** The prompt of a transcript line (its first non-blank text part, unwrapped), if it is one. */
export function userTextOfLine(line: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const v = value as { role?: unknown; message?: { content?: unknown } } | null;
  if (v?.role !== 'user') return undefined;
  const content = v.message?.content;
  const parts = typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? (content as { type?: unknown; text?: unknown }[]) : [];
  for (const part of parts) {
    if (part?.type !== 'text' || typeof part.text !== 'string' || part.text.trim() === '') continue;
    return QUERY_WRAPPER.exec(part.text)?.[1] ?? part.text;
  }
  return undefined;
}

/** The first prompt among the first lines of a chunk. */
export function firstUserText(lines: readonly string[]): string | undefined {
  for (const line of lines.slice(0, FIRST_MESSAGE_LINES)) {
    const text = userTextOfLine(line);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** One line of display text: control characters and runs of whitespace become single spaces. */
export function displayText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

/** At most `max` UTF-8 bytes, ending in `...` when cut, never half a character. */
export function clipUtf8(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let cut = Math.max(0, max - 3);
  // Back up to the start of a character (continuation bytes are 10xxxxxx).
  while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  return `${bytes.subarray(0, cut).toString('utf8')}...`;
}

/**
 * The title cursor-agent gives a chat, from `<cursor>/chats/<hash>/<id>/meta.json`
 * (the IDE writes none). Undefined when there is none or it cannot be read.
 */
export async function chatTitle(sessionId: string, dir = cursorDir()): Promise<string | undefined> {
  let hashes: string[];
  try {
    hashes = await readdir(join(dir, 'chats'));
  } catch {
    return undefined;
  }
  for (const hash of hashes.sort()) {
    try {
      const meta = JSON.parse(await readFile(join(dir, 'chats', hash, sessionId, 'meta.json'), 'utf8')) as { title?: unknown };
      if (typeof meta.title === 'string' && meta.title.trim() !== '') return meta.title;
    } catch {
      // not this chat's directory
    }
  }
  return undefined;
}
