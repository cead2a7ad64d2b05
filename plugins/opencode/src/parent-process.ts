import { agentProcessMatcher, findAgentProcess, type ProcessLookup } from 'confab-cli/provider';

/**
 * Finding the OpenCode process above a hook (the plugin also sends OpenCode's own pid,
 * which wins). Only what a process *is* is matched — its executable name, argv[0], or the
 * script an interpreter (bun, node) runs — never the rest of its command line: the shell
 * running `confab hook … --provider opencode` must not match.
 */
export const PARENT_WALK_LEVELS = 5;

export const isOpencodeProcess = agentProcessMatcher({ name: /\bopencode\b/i });

/** `Provider.findParentPid`: the OpenCode process above this hook, or 0. */
export function findOpencodeParentPid(start = process.ppid, lookup?: ProcessLookup): Promise<number> {
  return findAgentProcess(isOpencodeProcess, { start, levels: PARENT_WALK_LEVELS, ...(lookup ? { lookup } : {}) });
}
