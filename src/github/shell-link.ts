import { scanShell, singleQuote, type SimpleCommand, type Word } from './shell-scan.js';

/**
 * Linking an agent session to the commits and pull requests its shell commands make: which
 * top-level commands of a line commit, push or open a PR (read with the shell scanner, so
 * `echo "git commit"` or `git commit-tree` is neither), and the line with the session link
 * added. Agents that let a hook replace a command (Cursor) run the edited line; for the others
 * it is the example in the reason the call is refused with. Every `git commit` gets a
 * `Confab-Link: <url>` trailer and every `gh pr create` a link line at the end of its body.
 *
 * Each edit is made to the simple command it concerns — never at the end of the whole line,
 * where `git commit -m x && git push` would hand the trailer to `git push` — and text is only
 * ever added as whole single-quoted words or at the end of a word, so quoting, `$(…)` and
 * here-documents in the original stay exactly as written.
 */

export type LinkEdit = 'commit-trailer' | 'pr-body' | 'pr-body-heredoc';

export interface LinkedCommand {
  command: string;
  /** What was added, one entry per edited command; empty when the command is unchanged. */
  edits: LinkEdit[];
}

/** `# confab-linked-1a2b`: a marker an agent may leave to say the link is already there. */
const MARKER = /# confab-linked-[0-9a-f]{4}(?![0-9a-f])/;

/** Does the command line already carry the session link (the URL, or a `# confab-linked-xxxx` marker)? */
export function hasSessionLink(command: string, url: string): boolean {
  return (url !== '' && command.includes(url)) || MARKER.test(command);
}

/** Words that may come before the program in a simple command. */
const PREFIX_WORDS = new Set(['!', '{', 'if', 'then', 'elif', 'else', 'do', 'while', 'until', 'time', 'command', 'nohup']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** git's options that take the next word as their value. */
const GIT_OPTION_ARGS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--exec-path']);
/** gh create options that fill the body another way: a body added here would fight them. */
const GH_OWN_BODY = new Set(['--fill', '-f', '--fill-first', '--fill-verbose', '--template', '-T', '--editor', '-e', '--recover']);

/** The text appended to a PR body. */
export function prLinkLine(url: string): string {
  return `📝 [Confab link](${url})`;
}

function programName(word: Word | undefined): string | undefined {
  const v = word?.value;
  return v === undefined ? undefined : v.slice(v.lastIndexOf('/') + 1);
}

/** The command's words from its program on (assignments and keywords such as `if`, `!` skipped). */
function programWords(cmd: SimpleCommand): Word[] {
  let i = 0;
  while (i < cmd.words.length) {
    const v = cmd.words[i]?.value;
    if (v === undefined || !(PREFIX_WORDS.has(v) || ASSIGNMENT.test(v))) break;
    i++;
  }
  return cmd.words.slice(i);
}

/** Index of the subcommand after `git`'s global options, or -1. */
function afterGlobalOptions(words: Word[], withArgs: ReadonlySet<string>): number {
  let i = 1;
  while (i < words.length) {
    const v = words[i]?.value;
    if (v === undefined || !v.startsWith('-')) return i;
    i += withArgs.has(v) ? 2 : 1;
  }
  return -1;
}

/** Index of the first argument after `gh … pr create`, or -1. */
function ghPrCreateArgs(words: Word[]): number {
  if (programName(words[0]) !== 'gh') return -1;
  const at = afterGlobalOptions(words, new Set(['-R', '--repo']));
  return at !== -1 && words[at]?.value === 'pr' && words[at + 1]?.value === 'create' ? at + 2 : -1;
}

interface Insertion {
  at: number;
  text: string;
}

interface BodyFlag {
  /** The word holding the body, or the body file's name. */
  word: Word;
  kind: 'body' | 'file';
  /** `--body=x`: the value is the part of the word after `=`. */
  inline: boolean;
}

/** The last body option of a `gh pr create` (the one gh uses), if any. */
function lastBodyFlag(args: Word[]): BodyFlag | undefined {
  let found: BodyFlag | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as Word;
    const v = w.value ?? '';
    if (v === '--') break;
    const next = args[i + 1];
    if ((v === '--body' || v === '-b') && next) {
      found = { word: next, kind: 'body', inline: false };
      i++;
    } else if ((v === '--body-file' || v === '-F') && next) {
      found = { word: next, kind: 'file', inline: false };
      i++;
    } else if (v.startsWith('--body=') || (v.startsWith('-b') && v.length > 2 && !v.startsWith('--'))) {
      found = { word: w, kind: 'body', inline: true };
    } else if (v.startsWith('--body-file=') || (v.startsWith('-F') && v.length > 2)) {
      found = { word: w, kind: 'file', inline: true };
    }
  }
  return found;
}

function bodyFileName(flag: BodyFlag): string | undefined {
  const v = flag.word.value;
  if (v === undefined || !flag.inline) return v;
  return v.startsWith('--') ? v.slice(v.indexOf('=') + 1) : v.slice(2);
}

/** A here-document line needs `\`, `$` and backticks escaped unless its delimiter was quoted. */
function hereDocText(text: string, quoted: boolean): string {
  return quoted ? text : text.replace(/[\\$`]/g, '\\$&');
}

function prEdit(cmd: SimpleCommand, args: Word[], url: string): { insertion: Insertion; edit: LinkEdit } | undefined {
  if (args.some((w) => w.value !== undefined && GH_OWN_BODY.has(w.value))) return undefined;
  const line = prLinkLine(url);
  const flag = lastBodyFlag(args);
  if (!flag) return { insertion: { at: cmd.end, text: ` --body ${singleQuote(line)}` }, edit: 'pr-body' };
  if (flag.kind === 'body') {
    // Appended to the body word as a quoted continuation: whatever quoting the word uses, and
    // whatever it expands to, the link becomes its last paragraph.
    return { insertion: { at: flag.word.end, text: singleQuote(`\n\n${line}`) }, edit: 'pr-body' };
  }
  // `--body-file -` reading this command's here-document: the link goes at its end.
  const doc = bodyFileName(flag) === '-' ? cmd.hereDocs.at(-1) : undefined;
  if (!doc || doc.bodyStart < 0) return undefined;
  return { insertion: { at: doc.bodyEnd, text: `\n${hereDocText(line, doc.quoted)}\n` }, edit: 'pr-body-heredoc' };
}

/** What a command line does that GitHub linking cares about. */
export interface GithubCommands {
  /** A top-level `git commit`. */
  commit: boolean;
  /** A top-level `git push`. */
  push: boolean;
  /** A top-level `gh pr create`. */
  prCreate: boolean;
  /**
   * The directory the first `git commit`/`git push` runs in, relative to the command's own
   * working directory: `git -C dir`, or a literal `cd dir` earlier on the line. `''` when it
   * runs where the command starts; undefined when that cannot be told (`cd "$x"`, `cd -`).
   */
  gitDir?: string;
}

/** Cheap test before the line is scanned: can it commit, push or open a PR at all? */
export function mayTouchGithub(command: string): boolean {
  return /\bgit\b[\s\S]*\b(?:commit|push)\b|\bgh\b[\s\S]*\bpr\b[\s\S]*\bcreate\b/.test(command);
}

function joinDir(base: string | undefined, dir: string | undefined): string | undefined {
  if (base === undefined || dir === undefined) return undefined;
  if (dir === '') return base;
  if (dir.startsWith('/') || base === '') return dir;
  return `${base}/${dir}`;
}

/** `git … -C dir …` before the subcommand: the (last) dir, `''` for none, undefined when it expands. */
function gitOptionDir(words: Word[]): string | undefined {
  let dir: string | undefined = '';
  let i = 1;
  while (i < words.length) {
    const v = words[i]?.value;
    if (v === undefined || !v.startsWith('-')) break;
    if (v === '-C') dir = joinDir(dir, words[i + 1]?.value);
    i += GIT_OPTION_ARGS.has(v) ? 2 : 1;
  }
  return dir;
}

function gitSubcommand(words: Word[]): string | undefined {
  if (programName(words[0]) !== 'git') return undefined;
  const at = afterGlobalOptions(words, GIT_OPTION_ARGS);
  return at === -1 ? undefined : words[at]?.value;
}

/**
 * The top-level commits, pushes and PR creations of a shell command line. Nothing is found
 * in a line that cannot be parsed with confidence (an open quote or here-document).
 */
export function githubCommands(command: string): GithubCommands {
  const found: GithubCommands = { commit: false, push: false, prCreate: false };
  const { commands, complete } = scanShell(command);
  if (!complete) return found;
  // Where the commands run, relative to the line's start, as literal `cd`s move it.
  let cwd: string | undefined = '';
  for (const cmd of commands) {
    const words = programWords(cmd);
    if (programName(words[0]) === 'cd') {
      const target = words[1]?.value;
      cwd = words.length === 2 && target !== undefined && target !== '-' && !target.startsWith('~') ? joinDir(cwd, target) : undefined;
      continue;
    }
    const sub = gitSubcommand(words);
    if (sub === 'commit' || sub === 'push') {
      if (!found.commit && !found.push) {
        const dir = gitOptionDir(words);
        found.gitDir = dir !== undefined && dir.startsWith('/') ? dir : joinDir(cwd, dir);
      }
      found[sub] = true;
    } else if (ghPrCreateArgs(words) !== -1) {
      found.prCreate = true;
    }
  }
  if (found.gitDir === undefined) delete found.gitDir;
  return found;
}

/**
 * Add the session link to every `git commit` and `gh pr create` in a shell command line.
 * The command comes back unchanged when it already holds the URL or a `# confab-linked-xxxx`
 * marker, when it has neither, when the PR body comes from a file (confab does not edit
 * the user's files), or when the line cannot be parsed with confidence (an open quote).
 */
export function linkShellCommand(command: string, url: string): LinkedCommand {
  const unchanged: LinkedCommand = { command, edits: [] };
  if (url === '' || hasSessionLink(command, url)) return unchanged;
  const { commands, complete } = scanShell(command);
  if (!complete) return unchanged;
  const insertions: Insertion[] = [];
  const edits: LinkEdit[] = [];
  for (const cmd of commands) {
    const words = programWords(cmd);
    if (gitSubcommand(words) === 'commit') {
      insertions.push({ at: cmd.end, text: ` --trailer ${singleQuote(`Confab-Link: ${url}`)}` });
      edits.push('commit-trailer');
      continue;
    }
    const argsAt = ghPrCreateArgs(words);
    if (argsAt === -1) continue;
    const pr = prEdit(cmd, words.slice(argsAt), url);
    if (pr) {
      insertions.push(pr.insertion);
      edits.push(pr.edit);
    }
  }
  if (insertions.length === 0) return unchanged;
  let out = command;
  for (const ins of insertions.sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return { command: out, edits };
}
