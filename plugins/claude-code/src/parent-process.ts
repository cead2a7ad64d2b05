import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * Finding the Claude Code process a hook runs under, so the daemon can stop when it exits.
 *
 * Claude Code runs hook commands through a shell, so the hook's parent is either Claude
 * Code itself or a shell whose parent is. The walk looks at a few ancestors and matches
 * only what a process *is* — its executable name, argv[0], or the script an interpreter
 * runs — never the rest of its command line: the shell's `sh -c "confab hook session-start
 * --provider claude-code"` mentions Claude yet exits right after the hook.
 */

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Executable name as the kernel reports it (`/proc/<pid>/comm`, `ps -o comm=`). */
  comm: string;
  argv: string[];
}

/** Ancestors examined, starting with the hook's parent. */
export const PARENT_WALK_LEVELS = 4;

const AGENT_NAME = /^(claude|claude-code|Claude\.app)$/i;
const INTERPRETER = /^(node|nodejs|bun|deno)(\d+(\.\d+)*)?$/;
const CLAUDE_SCRIPT = /(^|\/)(@anthropic-ai\/claude-code\/.+|claude-code\/cli\.m?js)$/;

function isAgentExecutable(path: string): boolean {
  if (path === '') return false;
  if (AGENT_NAME.test(basename(path))) return true;
  const parts = path.split('/');
  // The macOS app bundle: /Applications/Claude.app/Contents/MacOS/Claude
  if (parts.includes('Claude.app')) return true;
  // The native installer's binaries: ~/.local/share/claude/versions/<version>
  const v = parts.lastIndexOf('versions');
  return v > 0 && v === parts.length - 2 && parts[v - 1] === 'claude';
}

/** The script an interpreter was started with: its first argument that is not an option. */
function interpreterScript(argv: readonly string[]): string | undefined {
  for (const arg of argv.slice(1)) {
    if (arg === '--') continue;
    if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Does this process look like Claude Code? (see the module comment for the rules) */
export function isClaudeProcess(proc: { comm?: string; argv: readonly string[] }): boolean {
  const argv0 = proc.argv[0] ?? '';
  const comm = proc.comm ?? '';
  if (isAgentExecutable(argv0) || isAgentExecutable(comm)) return true;
  if (INTERPRETER.test(basename(argv0)) || INTERPRETER.test(basename(comm))) {
    const script = interpreterScript(proc.argv);
    if (script !== undefined && (isAgentExecutable(script) || CLAUDE_SCRIPT.test(script))) return true;
  }
  return false;
}

export type ProcessLookup = (pid: number) => Promise<ProcessInfo | undefined>;

/** Walk up from `start` (inclusive) for at most `levels` processes; 0 when none matches. */
export async function findAncestor(start: number, lookup: ProcessLookup, match: (p: ProcessInfo) => boolean, levels = PARENT_WALK_LEVELS): Promise<number> {
  let pid = start;
  const seen = new Set<number>();
  for (let i = 0; i < levels && pid > 0 && !seen.has(pid); i++) {
    seen.add(pid);
    const info = await lookup(pid);
    if (!info) return 0;
    if (match(info)) return pid;
    pid = info.ppid;
  }
  return 0;
}

const readOr = (path: string, fallback: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
};

/**
 * Linux: everything from /proc, no process spawned. Read synchronously: /proc files are
 * generated in memory, and a thread-pool round trip per file would cost more than the read.
 */
export async function procLookup(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = readOr(`/proc/${pid}/comm`, '');
    const cmdline = readOr(`/proc/${pid}/cmdline`, '');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (!Number.isSafeInteger(ppid)) return undefined;
    return { pid, ppid, comm: comm.replace(/\n$/, ''), argv: cmdline.split('\0').filter((a) => a !== '') };
  } catch {
    return undefined;
  }
}

function parsePsColumns(out: string): Map<number, string[]> {
  const rows = new Map<number, string[]>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m) rows.set(Number(m[1]), [m[2] ?? '']);
  }
  return rows;
}

/**
 * Elsewhere (macOS): two `ps` snapshots of the whole table, one for ppid and name and one
 * for the command line, since `comm` may itself contain spaces. argv is split on spaces,
 * which is enough for matching argv[0] and an interpreter's script.
 */
export async function psLookupTable(): Promise<ProcessLookup> {
  const { execFile } = await import('node:child_process');
  const run = (args: string[]): Promise<string> =>
    new Promise((resolve) => {
      execFile('ps', args, { timeout: 2000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => resolve(err ? '' : stdout));
    });
  const [names, commands] = await Promise.all([run(['-A', '-o', 'pid=,ppid=,comm=']), run(['-A', '-o', 'pid=,args='])]);
  const byPid = new Map<number, { ppid: number; comm: string }>();
  for (const [pid, [rest = '']] of parsePsColumns(names)) {
    const m = /^(\d+)\s+(.*)$/.exec(rest);
    if (m) byPid.set(pid, { ppid: Number(m[1]), comm: (m[2] ?? '').trim() });
  }
  const args = parsePsColumns(commands);
  return async (pid) => {
    const row = byPid.get(pid);
    if (!row) return undefined;
    const line = (args.get(pid)?.[0] ?? '').trim();
    return { pid, ppid: row.ppid, comm: row.comm, argv: line === '' ? [] : line.split(/\s+/) };
  };
}

/** `Provider.findParentPid`: the Claude Code process above this hook, or 0. */
export async function findClaudeParentPid(start = process.ppid): Promise<number> {
  const lookup = process.platform === 'linux' ? procLookup : await psLookupTable();
  return findAncestor(start, lookup, isClaudeProcess);
}
