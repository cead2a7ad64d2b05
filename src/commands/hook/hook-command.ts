import { Command, Flags } from '@oclif/core';
import type { HookEvent } from '../../provider/contract.js';
import { runHook } from '../../hook/run.js';
import { readStream } from '../../hook/stdin.js';

export const HOOK_CONTRACT =
  "Reads the agent's JSON payload on stdin and always answers with the agent's JSON on stdout, exiting 0 even on error (details go to stderr and the log) so confab never blocks the agent.";

/**
 * Base of the `confab hook <event>` commands. `bin/run.js` normally serves hooks through its
 * fast path without oclif; these classes exist for `--help` and programmatic use, and run
 * the same library code.
 */
export abstract class HookCommand extends Command {
  static hookEvent: HookEvent;

  static override flags = {
    provider: Flags.string({ char: 'p', description: 'agent the hook comes from', default: 'claude-code' }),
    'bg-daemon': Flags.string({ hidden: true, description: 'run as the background sync daemon with this launch JSON' }),
  };

  async run(): Promise<void> {
    const ctor = this.constructor as typeof HookCommand;
    const { flags } = await this.parse(ctor);
    await runHook(ctor.hookEvent, flags.provider.trim().toLowerCase(), {
      readInput: () => (process.stdin.isTTY ? Buffer.alloc(0) : readStream(process.stdin)),
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
  }
}
