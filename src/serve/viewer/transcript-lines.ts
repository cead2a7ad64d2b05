/**
 * Transcript lines as stored: `\n`-terminated, untrusted, usually JSON objects but not
 * always. Nothing here throws on content.
 */

export interface TranscriptLine {
  /** 1-based line number in the file. */
  n: number;
  raw: string;
  /** The parsed line when it is a JSON object; undefined for anything else. */
  value: Record<string, unknown> | undefined;
}

/** Split `readFile` output (every line followed by `\n`) into numbered, parsed lines; at most `max`. */
export function splitLines(buf: Buffer, firstLineNumber: number, max = Infinity): TranscriptLine[] {
  const out: TranscriptLine[] = [];
  let start = 0;
  let n = firstLineNumber;
  while (start < buf.length && out.length < max) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    const raw = buf.toString('utf8', start, end);
    out.push({ n: n++, raw, value: parseObject(raw) });
    start = end + 1;
  }
  return out;
}

/** How many lines `readFile` output holds. */
export function countLines(buf: Buffer): number {
  let count = 0;
  let at = buf.indexOf(0x0a);
  while (at >= 0) {
    count++;
    at = buf.indexOf(0x0a, at + 1);
  }
  if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) count++;
  return count;
}

export function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function rec(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

export function list(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** `message.content` of a user/assistant line: a string, or an array of blocks. */
export function messageContent(line: Record<string, unknown>): string | Record<string, unknown>[] | undefined {
  const content = rec(line.message)?.content;
  if (typeof content === 'string') return content;
  const blocks = list(content);
  return blocks ? blocks.filter(isRecord) : undefined;
}
