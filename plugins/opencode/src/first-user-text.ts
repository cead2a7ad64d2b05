/** The backend stores up to 8192 bytes; the Go CLI sends at most half of that. */
export const FIRST_USER_MESSAGE_MAX_BYTES = 4096;

/** The first non-blank text a person typed in these lines (`{info, parts}`), and its line's index. */
export function firstUserText(lines: readonly string[]): { index: number; text: string } | undefined {
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (!line.includes('"user"')) continue;
    let msg: { info?: { role?: unknown }; parts?: unknown };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      continue;
    }
    if (msg.info?.role !== 'user' || !Array.isArray(msg.parts)) continue;
    for (const part of msg.parts as { type?: unknown; text?: unknown }[]) {
      if (part?.type === 'text' && typeof part.text === 'string' && part.text.trim() !== '') return { index, text: part.text.trim() };
    }
  }
  return undefined;
}

/** At most `max` UTF-8 bytes, never half a character. */
export function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max ? text : bytes.subarray(0, max).toString('utf8').replace(/\uFFFD+$/, '');
}
