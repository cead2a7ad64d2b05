/**
 * The first word of a shell command line, unquoted: the program a hook command runs (enough
 * for the commands confab writes — a path, quoted when it needs to be — and for matching).
 */
export function commandProgram(command: string): string {
  const s = command.trimStart();
  let out = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) out += s[++i];
      else out += ch;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\\' && i + 1 < s.length) out += s[++i];
    else if (/\s/.test(ch)) break;
    else out += ch;
  }
  return out;
}
