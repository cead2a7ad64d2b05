/**
 * Just enough of the POSIX shell grammar to edit an agent's command line safely: the simple
 * commands at the top level (split at `&&`, `||`, `;`, `|`, `&`, newlines and parentheses),
 * their words with where each starts and ends, and the here-documents each command reads.
 * Quotes, backslashes, `$(…)`, `${…}` and backticks are skipped as units (so an operator or
 * a quote inside them splits nothing), and here-document bodies are never read as commands.
 */

export interface Word {
  /** The word as written, quotes included. */
  raw: string;
  start: number;
  end: number;
  /** The word after quote removal; undefined when it expands something (`$x`, `$(…)`, backticks). */
  value: string | undefined;
}

export interface HereDoc {
  delimiter: string;
  /** `<<'EOF'` or `<<"EOF"`: the body is literal. */
  quoted: boolean;
  /** Where the body starts, and where its closing delimiter line starts (the end when missing). */
  bodyStart: number;
  bodyEnd: number;
}

export interface SimpleCommand {
  words: Word[];
  hereDocs: HereDoc[];
  /** Just after the command's last word or redirection (before any comment or operator). */
  end: number;
}

export interface ScanResult {
  commands: SimpleCommand[];
  /** False when a quote, substitution or here-document is left open: the line is not understood. */
  complete: boolean;
}

const BLANK = new Set([' ', '\t']);
const OPERATORS = ['&&', '||', ';;', '|&', ';', '|', '&', '(', ')'];
const REDIRECTIONS = ['<<-', '<<<', '<<', '>>', '>|', '<>', '>&', '<&', '>', '<'];
const WORD_BREAK = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);

class Scanner {
  complete = true;
  constructor(readonly s: string) {}

  /** Index just past the `)` closing the `$(` at `i`, or of the `(…)` group at `i`. */
  skipParens(i: number): number {
    const inner = this.list(i, true);
    return inner.end;
  }

  /** Index just past the `}` closing the `${` at `i` (quotes inside are honoured). */
  skipBraces(i: number): number {
    let depth = 0;
    for (let j = i; j < this.s.length; j++) {
      const c = this.s[j];
      if (c === '\\') j++;
      else if (c === "'") j = this.skipSingle(j) - 1;
      else if (c === '"') j = this.skipDouble(j) - 1;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return j + 1;
    }
    this.complete = false;
    return this.s.length;
  }

  skipSingle(i: number): number {
    const close = this.s.indexOf("'", i + 1);
    if (close === -1) {
      this.complete = false;
      return this.s.length;
    }
    return close + 1;
  }

  skipBacktick(i: number): number {
    for (let j = i + 1; j < this.s.length; j++) {
      if (this.s[j] === '\\') j++;
      else if (this.s[j] === '`') return j + 1;
    }
    this.complete = false;
    return this.s.length;
  }

  /** Skip `$(`, `$((`, `${` or a backtick at `i`; undefined when none starts there. */
  skipExpansion(i: number): number | undefined {
    const c = this.s[i];
    if (c === '`') return this.skipBacktick(i);
    if (c !== '$') return undefined;
    if (this.s[i + 1] === '(') return this.skipParens(i + 2);
    if (this.s[i + 1] === '{') return this.skipBraces(i + 1);
    return undefined;
  }

  skipDouble(i: number): number {
    for (let j = i + 1; j < this.s.length; ) {
      const c = this.s[j];
      if (c === '\\') j += 2;
      else if (c === '"') return j + 1;
      else j = this.skipExpansion(j) ?? j + 1;
    }
    this.complete = false;
    return this.s.length;
  }

  /** The word starting at `i`. */
  word(i: number): Word {
    let j = i;
    let value: string | undefined = '';
    while (j < this.s.length && !WORD_BREAK.has(this.s[j] as string)) {
      const c = this.s[j] as string;
      if (c === "'") {
        const end = this.skipSingle(j);
        if (value !== undefined) value += this.s.slice(j + 1, end - 1);
        j = end;
      } else if (c === '"') {
        const end = this.skipDouble(j);
        const body = this.s.slice(j + 1, end - 1);
        value = value !== undefined && !/[$`]/.test(body) ? value + body.replace(/\\([$`"\\\n])/g, '$1') : undefined;
        j = end;
      } else if (c === '\\') {
        if (value !== undefined && this.s[j + 1] !== '\n') value += this.s[j + 1] ?? '';
        j += 2;
      } else {
        const end = this.skipExpansion(j);
        if (end !== undefined) {
          value = undefined;
          j = end;
        } else {
          if (value !== undefined) value = c === '$' ? undefined : value + c;
          j++;
        }
      }
    }
    j = Math.min(j, this.s.length);
    return { raw: this.s.slice(i, j), start: i, end: j, value };
  }

  /** Read the pending here-document bodies that start after the newline at `i`; returns where scanning resumes. */
  hereDocBodies(i: number, pending: { doc: HereDoc; strip: boolean }[]): number {
    let pos = i + 1;
    for (const { doc, strip } of pending) {
      doc.bodyStart = pos;
      doc.bodyEnd = this.s.length;
      let closed = false;
      while (pos < this.s.length) {
        const nl = this.s.indexOf('\n', pos);
        const lineEnd = nl === -1 ? this.s.length : nl;
        let line = this.s.slice(pos, lineEnd);
        if (strip) line = line.replace(/^\t+/, '');
        if (line === doc.delimiter) {
          doc.bodyEnd = pos;
          pos = nl === -1 ? this.s.length : nl + 1;
          closed = true;
          break;
        }
        pos = nl === -1 ? this.s.length : nl + 1;
      }
      if (!closed) this.complete = false;
    }
    pending.length = 0;
    return pos;
  }

  /**
   * The simple commands from `i` on: to the end of the text, or (`nested`) to the `)` that
   * closes a `$(` or `(` already consumed.
   */
  list(i: number, nested: boolean): { commands: SimpleCommand[]; end: number } {
    const commands: SimpleCommand[] = [];
    const pending: { doc: HereDoc; strip: boolean }[] = [];
    let cur: SimpleCommand = { words: [], hereDocs: [], end: i };
    const finish = (): void => {
      if (cur.words.length > 0 || cur.hereDocs.length > 0) commands.push(cur);
      cur = { words: [], hereDocs: [], end: i };
    };
    while (i < this.s.length) {
      const c = this.s[i] as string;
      if (BLANK.has(c)) {
        i++;
      } else if (c === '\\' && this.s[i + 1] === '\n') {
        i += 2;
      } else if (c === '\n') {
        finish();
        i = pending.length > 0 ? this.hereDocBodies(i, pending) : i + 1;
      } else if (c === '#') {
        const nl = this.s.indexOf('\n', i);
        i = nl === -1 ? this.s.length : nl;
      } else if (c === ')' && nested) {
        finish();
        return { commands, end: i + 1 };
      } else if (c === '(') {
        finish();
        // A group's commands count as top-level ones: `(git commit -m x)` is still a commit.
        const inner = this.list(i + 1, true);
        commands.push(...inner.commands);
        i = inner.end;
      } else {
        const op = OPERATORS.find((o) => this.s.startsWith(o, i));
        const redirection = REDIRECTIONS.find((r) => this.s.startsWith(r, i));
        if (redirection) {
          i += redirection.length;
          while (BLANK.has(this.s[i] as string)) i++;
          const target = this.word(i);
          i = target.end;
          cur.end = i;
          if (redirection === '<<' || redirection === '<<-') {
            const doc: HereDoc = { delimiter: target.raw.replace(/["'\\]/g, ''), quoted: /["'\\]/.test(target.raw), bodyStart: -1, bodyEnd: -1 };
            cur.hereDocs.push(doc);
            pending.push({ doc, strip: redirection === '<<-' });
          }
        } else if (op) {
          finish();
          i += op.length;
        } else {
          const w = this.word(i);
          i = w.end;
          // `2>&1`: the digits name a file descriptor, not an argument.
          if (!(/^\d+$/.test(w.raw) && (this.s[i] === '<' || this.s[i] === '>'))) cur.words.push(w);
          cur.end = i;
        }
      }
    }
    finish();
    if (nested || pending.length > 0) this.complete = false;
    return { commands, end: i };
  }
}

/** The top-level simple commands of a shell command line. */
export function scanShell(command: string): ScanResult {
  const scanner = new Scanner(command);
  const { commands } = scanner.list(0, false);
  return { commands, complete: scanner.complete };
}

/** `s` as one single-quoted shell word (any text, newlines included). */
export function singleQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
