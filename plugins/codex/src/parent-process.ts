import { agentProcessMatcher, findAgentProcess, type ProcessLookup } from 'confab-cli/provider';

/**
 * Finding the Codex process above a hook. The daemon stops when this process exits (the
 * only end of a session for Codex versions without a SessionEnd hook): matching the wrong one (the shell that runs the hook,
 * whose command line says `--provider codex`) would end the sync seconds after it began.
 * So only what a process *is* is matched — its executable name, argv[0], or the script an
 * interpreter runs — never the rest of its command line.
 */

/** Ancestors examined, starting with the hook's parent (npm's launcher adds one level). */
export const PARENT_WALK_LEVELS = 6;

/** Is this the Codex agent (the native binary, or node running Codex's launcher)? */
export const isCodexProcess = agentProcessMatcher({ name: /\bcodex\b/i, excludeShells: true });

/** `Provider.findParentPid`: the Codex process above this hook, or 0. */
export function findCodexParentPid(start = process.ppid, lookup?: ProcessLookup): Promise<number> {
  return findAgentProcess(isCodexProcess, { start, levels: PARENT_WALK_LEVELS, ...(lookup ? { lookup } : {}) });
}
