import { toConfiguredId, type Config, type Hook } from '@oclif/core';
import levenshtein from 'fast-levenshtein';

/** Exit status of an unknown command, as shells (and oclif's not-found plugin) use it. */
export const COMMAND_NOT_FOUND_EXIT = 127;

/** The visible command id (or alias) nearest to `id`, by edit distance. */
export function closestCommand(id: string, config: Pick<Config, 'commands'>): string | undefined {
  let best: { id: string; distance: number } | undefined;
  for (const c of config.commands) {
    if (c.hidden) continue;
    for (const candidate of [c.id, ...c.aliases]) {
      const distance = levenshtein.get(id, candidate);
      if (!best || distance < best.distance) best = { id: candidate, distance };
    }
  }
  // Far from every command: a suggestion would be noise.
  return best && best.distance <= Math.max(2, Math.floor(id.length / 2)) ? best.id : undefined;
}

/**
 * An unknown command. On a terminal, oclif's not-found plugin asks "Did you mean …?" and
 * runs the suggestion when the user agrees. Anywhere else (scripts, pipes, CI) there is
 * nobody to ask: one line on stderr with the suggestion, and exit 127.
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const { default: ask } = await import('@oclif/plugin-not-found');
    return ask.call(this, opts);
  }
  const { bin } = opts.config;
  const typed = toConfiguredId(opts.id, opts.config);
  const suggestion = closestCommand(opts.id, opts.config);
  const hint = suggestion === undefined ? '' : ` Did you mean "${bin} ${toConfiguredId(suggestion, opts.config)}"?`;
  process.stderr.write(`Error: "${typed}" is not a ${bin} command.${hint} (see ${bin} --help)\n`);
  this.exit(COMMAND_NOT_FOUND_EXIT);
};

export default hook;
