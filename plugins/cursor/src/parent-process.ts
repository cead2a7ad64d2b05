import { agentProcessMatcher, findAgentProcess, type ProcessLookup } from 'confab-cli/provider';

/**
 * Finding the Cursor process above a hook: the IDE (its app or a helper process) or
 * `cursor-agent`. The daemon stops when it exits, so only what a process *is* counts — its
 * executable, argv[0], or the script node runs — never the hook's own command line, which
 * says `--provider cursor`. A directory named `.cursor` in a path is not Cursor either.
 */

/** Ancestors examined, starting with the hook's parent (a shell, then Cursor; npm's launcher adds one). */
export const PARENT_WALK_LEVELS = 4;

export const isCursorProcess = agentProcessMatcher({
  /** The IDE's executables (`cursor`, `Cursor`, `Cursor Helper (Renderer)`, `Cursor.exe`) and the CLI agent. */
  name: /^(cursor|cursor-agent|Cursor Helper.*)(\.exe)?$/i,
  /** The macOS app; the CLI agent's launcher scripts in its own directory (`…/cursor-agent/versions/<v>/index.js`). */
  path: /\/Cursor\.app\/|[\\/]cursor-agent[\\/]|^cursor-agent$/,
  excludeShells: true,
  interpreter: /^(node|nodejs|bun)([\d.]*)(\.exe)?$/i,
});

/** `Provider.findParentPid`: the Cursor process above this hook, or 0. */
export function findCursorParentPid(start = process.ppid, lookup?: ProcessLookup): Promise<number> {
  return findAgentProcess(isCursorProcess, { start, levels: PARENT_WALK_LEVELS, ...(lookup ? { lookup } : {}) });
}
