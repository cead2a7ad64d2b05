import { executableName, findAgentProcess, interpreterScript, type ProcessLookup } from 'confab-cli/provider';

/**
 * Finding the OpenCode process above a hook (the plugin also sends OpenCode's own pid,
 * which wins). Only what a process *is* is matched — its executable name, argv[0], or the
 * script an interpreter (bun, node) runs — never the rest of its command line: the shell
 * running `confab hook … --provider opencode` must not match.
 */
export const PARENT_WALK_LEVELS = 5;

const OPENCODE = /\bopencode\b/i;
const INTERPRETER = /^(node|nodejs|bun|deno)([\d.]*)(\.exe)?$/i;

export function isOpencodeProcess(proc: { comm?: string; argv: readonly string[] }): boolean {
  const names = [executableName(proc.comm ?? ''), executableName(proc.argv[0] ?? '')].filter((n) => n !== '');
  if (names.some((n) => OPENCODE.test(n))) return true;
  if (names.some((n) => INTERPRETER.test(n))) {
    const script = interpreterScript(proc.argv);
    return script !== undefined && OPENCODE.test(executableName(script));
  }
  return false;
}

/** `Provider.findParentPid`: the OpenCode process above this hook, or 0. */
export function findOpencodeParentPid(start = process.ppid, lookup?: ProcessLookup): Promise<number> {
  return findAgentProcess(isOpencodeProcess, { start, levels: PARENT_WALK_LEVELS, ...(lookup ? { lookup } : {}) });
}
