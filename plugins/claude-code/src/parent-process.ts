import { findAgentProcess, interpreterScript, type ProcessLookup } from 'confab-cli/provider';
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

/** `Provider.findParentPid`: the Claude Code process above this hook, or 0. */
export function findClaudeParentPid(start = process.ppid, lookup?: ProcessLookup): Promise<number> {
  return findAgentProcess(isClaudeProcess, { start, levels: PARENT_WALK_LEVELS, ...(lookup ? { lookup } : {}) });
}
