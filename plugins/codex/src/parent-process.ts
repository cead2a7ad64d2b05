import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/**
 * Finding the Codex process above a hook. Codex has no SessionEnd hook, so the daemon
 * stops when this process exits: matching the wrong one (the shell that runs the hook,
 * whose command line says `--provider codex`) would end the sync seconds after it began.
 * So only what a process *is* is matched — its executable name, argv[0], or the script an
 * interpreter runs — never the rest of its command line.
 */

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The executable name the kernel reports (`/proc/<pid>/comm`, `ps -o comm=`). */
  comm: string;
  argv: string[];
}

export type ProcessLookup = (pid: number) => Promise<ProcessInfo | undefined>;

/** Ancestors examined, starting with the hook's parent (npm's launcher adds one level). */
export const PARENT_WALK_LEVELS = 6;

const CODEX = /\bcodex\b/i;
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'busybox', 'cmd.exe', 'powershell', 'pwsh']);
const INTERPRETER = /^(node|nodejs|bun|deno)([\d.]*)(\.exe)?$/i;

function base(path: string): string {
  // A login shell's argv[0] is "-bash".
  return basename(path).replace(/^-/, '');
}

function scriptOf(argv: readonly string[]): string | undefined {
  for (const arg of argv.slice(1)) {
    if (arg !== '--' && !arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Is this the Codex agent (the native binary, or node running Codex's launcher)? */
export function isCodexProcess(proc: { comm?: string; argv: readonly string[] }): boolean {
  const names = [base(proc.comm ?? ''), base(proc.argv[0] ?? '')].filter((n) => n !== '');
  if (names.some((n) => SHELLS.has(n.toLowerCase()))) return false;
  if (names.some((n) => CODEX.test(n))) return true;
  if (names.some((n) => INTERPRETER.test(n))) {
    const script = scriptOf(proc.argv);
    return script !== undefined && CODEX.test(base(script));
  }
  return false;
}

/** Walk up from `start` (inclusive) for at most `levels` processes; 0 when none matches. */
export async function findAncestor(start: number, lookup: ProcessLookup, match: (p: ProcessInfo) => boolean, levels = PARENT_WALK_LEVELS): Promise<number> {
  const seen = new Set<number>();
  let pid = start;
  for (let i = 0; i < levels && pid > 1 && !seen.has(pid); i++) {
    seen.add(pid);
    const info = await lookup(pid);
    if (!info) return 0;
    if (match(info)) return pid;
    pid = info.ppid;
  }
  return 0;
}

/** Linux: read /proc, no process spawned. */
export async function procLookup(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isSafeInteger(ppid)) return undefined;
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).replace(/\n$/, '');
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return { pid, ppid, comm, argv: cmdline.split('\0').filter((a) => a !== '') };
  } catch {
    return undefined;
  }
}

function ps(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('ps', args, { timeout: 2000 }, (err, stdout) => resolve(err ? '' : stdout));
  });
}

/** Elsewhere (macOS): `ps` for one pid; argv is split on spaces, enough for argv[0] and a script. */
export async function psLookup(pid: number): Promise<ProcessInfo | undefined> {
  const [head, args] = await Promise.all([ps(['-o', 'ppid=,comm=', '-p', String(pid)]), ps(['-o', 'args=', '-p', String(pid)])]);
  const m = /^\s*(\d+)\s+(.*)$/.exec(head.trim());
  if (!m) return undefined;
  const line = args.trim();
  return { pid, ppid: Number(m[1]), comm: (m[2] ?? '').trim(), argv: line === '' ? [] : line.split(/\s+/) };
}

/** `Provider.findParentPid`: the Codex process above this hook, or 0. */
export function findCodexParentPid(start = process.ppid, lookup: ProcessLookup = process.platform === 'linux' ? procLookup : psLookup): Promise<number> {
  return findAncestor(start, lookup, isCodexProcess);
}
