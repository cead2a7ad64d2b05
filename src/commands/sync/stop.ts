import { Args, Flags } from '@oclif/core';
import { listDaemonStatuses } from '../../daemon/status.js';
import { stopDaemonForProvider } from '../../daemon/stop.js';
import { CommandError, ConfabCommand } from '../confab-command.js';

export default class SyncStop extends ConfabCommand {
  static override description =
    "Stop a session's sync daemon: it does a final sync and exits. Accepts a session id or a unique prefix. (With no argument, reads a SessionEnd hook payload on stdin like `confab hook session-end`.)";
  static override examples = ['<%= config.bin %> sync stop 0b4c7f5e', '<%= config.bin %> sync stop 0b4c7f5e --provider codex'];
  static override enableJsonFlag = true;
  static override args = { session: Args.string({ description: 'session id or unique prefix', required: true }) };
  static override flags = { provider: Flags.string({ char: 'p', description: 'only consider this provider' }) };

  async run(): Promise<{ session: string; provider: string; pid: number }> {
    const { args, flags } = await this.parse(SyncStop);
    const { daemons } = await listDaemonStatuses();
    const matches = daemons.filter((d) => d.session.startsWith(args.session) && (!flags.provider || d.provider === flags.provider));
    if (matches.length === 0) throw new CommandError(`no daemon found for session ${args.session}`);
    if (matches.length > 1) throw new CommandError(`ambiguous session ID '${args.session}' matches ${matches.length} daemons`);
    const target = matches[0] as (typeof matches)[number];
    const res = await stopDaemonForProvider(target.provider, target.session, undefined);
    this.log(`Asked the ${target.provider} daemon for ${target.session} (pid ${res.pid}) to stop; it will do a final sync first.`);
    return { session: target.session, provider: target.provider, pid: res.pid };
  }
}
