/**
 * Called for each string token of a JSON text: `field` is the name of the member the value
 * belongs to (array elements inherit their array's name; undefined at the top level), and
 * `isKey` marks member names themselves. Return the replacement value, or the same string.
 */
export type StringRewriter = (value: string, field: string | undefined, isKey: boolean) => string;

const QUOTE = 34;
const BACKSLASH = 92;

/** The index just past the closing quote of the string token starting at `start`. */
function stringEnd(text: string, start: number, firstBackslash: number): number {
  for (let from = start + 1; ; ) {
    const q = text.indexOf('"', from);
    if (q < 0) throw new SyntaxError('unterminated JSON string');
    let slashes = 0;
    if (firstBackslash < q) for (let k = q - 1; k > start && text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/**
 * Rewrite the string tokens of a JSON text that is known to be valid, splicing each changed
 * token back into the original text. Everything else — numbers such as `1.0` or integers
 * beyond 2^53, whitespace, key order, escapes in untouched strings, duplicate keys — stays
 * byte for byte. Returns undefined when nothing changed.
 *
 * Linear time: strings are skipped with indexOf, and the search for the next backslash only
 * moves forward.
 */
export function rewriteJsonStrings(text: string, rewrite: StringRewriter): string | undefined {
  const n = text.length;
  // One frame per open container: is it an object, the field name its strings belong to,
  // and (objects) whether the next string is a member name.
  const isObject: boolean[] = [];
  const names: (string | undefined)[] = [];
  const expectKey: boolean[] = [];
  let depth = 0;
  let nextBackslash = -1;
  const pieces: string[] = [];
  let copiedUpTo = 0;

  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (nextBackslash !== Infinity && nextBackslash <= i) {
        nextBackslash = text.indexOf('\\', i + 1);
        if (nextBackslash < 0) nextBackslash = Infinity;
      }
      const end = stringEnd(text, i, nextBackslash);
      const escaped = nextBackslash < end;
      const value: string = escaped ? JSON.parse(text.slice(i, end)) : text.slice(i + 1, end - 1);
      const top = depth - 1;
      const isKey = top >= 0 && isObject[top] === true && expectKey[top] === true;
      let result: string;
      if (isKey) {
        expectKey[top] = false;
        names[top] = value;
        result = rewrite(value, undefined, true);
      } else {
        result = rewrite(value, top >= 0 ? names[top] : undefined, false);
      }
      if (result !== value) {
        pieces.push(text.slice(copiedUpTo, i), JSON.stringify(result));
        copiedUpTo = end;
      }
      i = end;
      continue;
    }
    switch (c) {
      case 123: // {
        isObject[depth] = true;
        names[depth] = undefined;
        expectKey[depth] = true;
        depth++;
        break;
      case 91: // [ — elements inherit the name the array itself has
        isObject[depth] = false;
        names[depth] = depth > 0 ? names[depth - 1] : undefined;
        expectKey[depth] = false;
        depth++;
        break;
      case 125: // }
      case 93: // ]
        depth--;
        break;
      case 44: // ,
        if (depth > 0 && isObject[depth - 1]) expectKey[depth - 1] = true;
        break;
      default:
        break;
    }
    i++;
  }
  if (pieces.length === 0) return undefined;
  pieces.push(text.slice(copiedUpTo));
  return pieces.join('');
}
