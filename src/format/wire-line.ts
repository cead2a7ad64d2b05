import { isAscii, isUtf8 } from 'node:buffer';

/**
 * A line travels as a JSON string, so it must be Unicode text. Valid UTF-8 (every line an
 * agent writes) decodes losslessly, `\r` and control characters included. Bytes that are not
 * valid UTF-8 cannot be carried byte-exactly in a JSON string: each invalid sequence becomes
 * U+FFFD, as every JSON encoder does, and the caller logs it. We keep the text rather than,
 * say, base64 of the raw bytes, because redaction has to see the text to do its job.
 */
export interface DecodedLine {
  text: string;
  /** False when some bytes were not valid UTF-8 and were replaced by U+FFFD. */
  exact: boolean;
  /** Every byte was ASCII (most lines of a transcript are). */
  ascii: boolean;
}

export function decodeLine(bytes: Buffer): DecodedLine {
  // Buffer#toString keeps a leading BOM (TextDecoder would drop it) and replaces invalid
  // sequences WHATWG-style.
  const ascii = isAscii(bytes);
  // An ASCII line is read as Latin-1: the same characters, copied rather than transcoded.
  if (ascii) return { text: bytes.toString('latin1'), exact: true, ascii };
  const text = bytes.toString('utf8');
  return { text, exact: isUtf8(bytes), ascii };
}

/**
 * `text` as one element of a request's `lines` array, and the bytes it adds to the body.
 * `ascii`: the caller knows `text` is ASCII (checked on its bytes, far faster than measuring
 * the string): its JSON is too, one byte per character.
 */
export function encodeWireLine(text: string, ascii = false): { json: string; wireBytes: number } {
  const json = JSON.stringify(text);
  return { json, wireBytes: ascii ? json.length : Buffer.byteLength(json, 'utf8') };
}
