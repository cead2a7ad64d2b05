import { executableName, findAgentProcess, interpreterScript, type ProcessLookup } from 'confab-cli/provider';

/**
 * Finding the Codex process above a hook. The daemon stops when this process exits (the
 * only end of a session for Codex versions without a SessionEnd hook): matching the wrong one (the shell that runs the hook,
 * whose command line says `--provider codex`) would end the sync seconds after it began.
 * So only what a process *is* is matched — its executable name, argv[0], or the script an
 * interpreter runs — never the rest of its command line.
 */

/** Ancestors examined, starting with the hook's parent (npm's launcher adds one level). */
export const PARENT_WALK_LEVELS = 6;

const CODEX = /\bcodex\b/i;
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'busybox', 'cmd.exe', 'powershell', 'pwsh']);
const INTERPRETER = /^(node|nodejs|bun|deno)([\d.]*)(\.exe)?$/i;

/** Is this the Codex agent (the native binary, or node running Codex's launcher)? */
export function isCodexProcess(proc: { comm?: string; argv: readonly string[] }): boolean {
  const names = [executableName(proc.comm ?? ''), executableName(proc.argv[0] ?? '')].filter((n) => n !== '');
  if (names.some((n) => SHELLS.has(n.toLowerCase()))) return false;
  if (names.some((n) => CODEX.test(n))) return true;
  if (names.some((n) => INTERPRETER.test(n))) {
    const script = interpreterScript(proc.argv);
    return script !== undefined && CODEX.test(executableName(script));
  }
  return false;
}

/** `Provider.findParentPid`: the Codex process above this hook, or 0. */
export function findCodexParentPid(start = process.ppid, lookup?: ProcessLookup): Promise<number> {
  return findAgentProcess(isCodexProcess, { start, levels: PARENT_WALK_LEVELS, ...(lookup ? { lookup } : {}) });
}
