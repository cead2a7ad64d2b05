import { executableName, findAgentProcess, interpreterScript, type ProcessLookup } from 'confab-cli/provider';

/**
 * Finding the Cursor process above a hook: the IDE (its app or a helper process) or
 * `cursor-agent`. The daemon stops when it exits, so only what a process *is* counts — its
 * executable, argv[0], or the script node runs — never the hook's own command line, which
 * says `--provider cursor`. A directory named `.cursor` in a path is not Cursor either.
 */

/** Ancestors examined, starting with the hook's parent (a shell, then Cursor; npm's launcher adds one). */
export const PARENT_WALK_LEVELS = 4;

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'busybox', 'cmd.exe', 'powershell', 'pwsh']);
const INTERPRETER = /^(node|nodejs|bun)([\d.]*)(\.exe)?$/i;
/** The IDE's executables (`cursor`, `Cursor`, `Cursor Helper (Renderer)`, `Cursor.exe`) and the CLI agent. */
const CURSOR_NAME = /^(cursor|cursor-agent|Cursor Helper.*)(\.exe)?$/i;
/** The CLI agent's launcher scripts live in its own directory (`…/cursor-agent/versions/<v>/index.js`). */
const AGENT_SCRIPT = /[\\/]cursor-agent[\\/]|^cursor-agent$/;

export function isCursorProcess(proc: { comm?: string; argv: readonly string[] }): boolean {
  const names = [executableName(proc.comm ?? ''), executableName(proc.argv[0] ?? '')].filter((n) => n !== '');
  if (names.some((n) => SHELLS.has(n.toLowerCase()))) return false;
  if (names.some((n) => CURSOR_NAME.test(n))) return true;
  if ((proc.argv[0] ?? '').includes('/Cursor.app/')) return true;
  if (names.some((n) => INTERPRETER.test(n))) {
    const script = interpreterScript(proc.argv);
    return script !== undefined && (CURSOR_NAME.test(executableName(script)) || AGENT_SCRIPT.test(script));
  }
  return false;
}

/** `Provider.findParentPid`: the Cursor process above this hook, or 0. */
export function findCursorParentPid(start = process.ppid, lookup?: ProcessLookup): Promise<number> {
  return findAgentProcess(isCursorProcess, { start, levels: PARENT_WALK_LEVELS, ...(lookup ? { lookup } : {}) });
}
