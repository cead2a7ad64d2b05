import { constants, readFileSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import type * as ChildProcess from 'node:child_process';

/**
 * Helpers for providers (part of `confab-cli/provider`): finding the agent process above a hook,
 * so its daemon can stop when the agent exits, and finding an agent's executable.
 *
 * Agents run hook commands through a shell, so a hook's parent is the agent or a shell whose
 * parent is. Match only what a process *is* — its executable name, argv[0], or the script an
 * interpreter runs — never the rest of its command line: the shell's
 * `sh -c "confab hook session-start --provider <agent>"` names the agent yet exits right
 * after the hook.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Executable name as the kernel reports it (`/proc/<pid>/comm`, `ps -o comm=`). */
  comm: string;
  argv: string[];
}

export type ProcessLookup = (pid: number) => Promise<ProcessInfo | undefined>;

/** Walk up from `start` (inclusive) for at most `levels` processes; 0 when none matches. */
export async function findAncestor(start: number, lookup: ProcessLookup, match: (p: ProcessInfo) => boolean, levels: number): Promise<number> {
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

function parsePsColumns(out: string): Map<number, string> {
  const rows = new Map<number, string>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m) rows.set(Number(m[1]), m[2] ?? '');
  }
  return rows;
}

/**
 * Elsewhere (macOS): two `ps` snapshots of the whole table, one for ppid and name and one
 * for the command line, since `comm` may itself contain spaces. argv is split on spaces,
 * which is enough for matching argv[0] and an interpreter's script.
 */
export async function psLookupTable(): Promise<ProcessLookup> {
  const { execFile } = process.getBuiltinModule('node:child_process') as typeof ChildProcess;
  const run = (args: string[]): Promise<string> =>
    new Promise((resolve) => {
      execFile('ps', args, { timeout: 2000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => resolve(err ? '' : stdout));
    });
  const [names, commands] = await Promise.all([run(['-A', '-o', 'pid=,ppid=,comm=']), run(['-A', '-o', 'pid=,args='])]);
  const byPid = new Map<number, { ppid: number; comm: string }>();
  for (const [pid, rest] of parsePsColumns(names)) {
    const m = /^(\d+)\s+(.*)$/.exec(rest);
    if (m) byPid.set(pid, { ppid: Number(m[1]), comm: (m[2] ?? '').trim() });
  }
  const args = parsePsColumns(commands);
  return async (pid) => {
    const row = byPid.get(pid);
    if (!row) return undefined;
    const line = (args.get(pid) ?? '').trim();
    return { pid, ppid: row.ppid, comm: row.comm, argv: line === '' ? [] : line.split(/\s+/) };
  };
}

/** The platform's way to look processes up: /proc on Linux, `ps` elsewhere. */
export async function systemProcessLookup(): Promise<ProcessLookup> {
  return process.platform === 'linux' ? procLookup : psLookupTable();
}

/**
 * The agent process above this hook (`Provider.findParentPid`): the nearest of `levels`
 * ancestors, starting with the hook's parent, that `isAgent` accepts; 0 when none does.
 */
export async function findAgentProcess(isAgent: (p: ProcessInfo) => boolean, opts: { start?: number; levels?: number; lookup?: ProcessLookup } = {}): Promise<number> {
  return findAncestor(opts.start ?? process.ppid, opts.lookup ?? (await systemProcessLookup()), isAgent, opts.levels ?? 6);
}

/** The executable's name, as matched against agent names (a login shell's argv[0] is `-bash`). */
export function executableName(path: string): string {
  return basename(path).replace(/^-/, '');
}

/** The script an interpreter (node, bun, …) was started with: its first argument that is not an option. */
export function interpreterScript(argv: readonly string[]): string | undefined {
  for (const arg of argv.slice(1)) {
    if (arg === '--') continue;
    if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Shells that run hook commands: their command line names the agent, yet they are not it. */
export const SHELL_NAMES: ReadonlySet<string> = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'busybox', 'cmd.exe', 'powershell', 'pwsh']);

/** Interpreters whose script, not their own name, says what a process is. */
export const INTERPRETER_NAME = /^(node|nodejs|bun|deno)([\d.]*)(\.exe)?$/i;

export interface AgentProcessRules {
  /** The agent's executable names: tested on the names of comm, argv[0] and an interpreter's script. */
  name: RegExp;
  /** Full paths that are the agent whatever their name (an app bundle, a launcher's directory): tested on argv[0] and an interpreter's script. */
  path?: RegExp;
  /** A process whose comm or argv[0] is a shell (`SHELL_NAMES`) is never the agent, whatever else it says. */
  excludeShells?: boolean;
  /** Interpreters whose script is looked at (default `INTERPRETER_NAME`). */
  interpreter?: RegExp;
}

/**
 * The test of whether a process is the agent: what a process *is* (its executable name,
 * argv[0], or the script an interpreter runs, by `rules`), never the rest of its command line.
 */
export function agentProcessMatcher(rules: AgentProcessRules): (proc: { comm?: string; argv: readonly string[] }) => boolean {
  const interpreter = rules.interpreter ?? INTERPRETER_NAME;
  return (proc) => {
    const argv0 = proc.argv[0] ?? '';
    const names = [executableName(proc.comm ?? ''), executableName(argv0)].filter((n) => n !== '');
    if (rules.excludeShells && names.some((n) => SHELL_NAMES.has(n.toLowerCase()))) return false;
    if (names.some((n) => rules.name.test(n))) return true;
    if (rules.path && argv0 !== '' && rules.path.test(argv0)) return true;
    if (!names.some((n) => interpreter.test(n))) return false;
    const script = interpreterScript(proc.argv);
    return script !== undefined && (rules.name.test(executableName(script)) || (rules.path?.test(script) ?? false));
  };
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Is `name` an executable file on PATH? (`Provider.detect` helpers.) */
export async function onPath(name: string, path = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of path.split(delimiter)) {
    if (dir && (await isExecutableFile(join(dir, name)))) return true;
  }
  return false;
}

/** Is `path` an existing directory? */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
