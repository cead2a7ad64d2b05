import { Args, Flags } from '@oclif/core';
import { linesAt, parseSessionAddress, type ShownLines } from '../../cli/session-address.js';
import { findRemoteSession, openConfiguredBackend } from '../../cli/session-files.js';
import { ConfabCommand } from '../confab-command.js';

export default class SessionShow extends ConfabCommand {
  static override description =
    'Print stored lines of a synced session, exactly as the backend holds them: the line at an address from `confab search` (<session>:<file>:<line>), with --context lines around it, or a whole file (default: the transcript).';
  static override examples = [
    '<%= config.bin %> session show 0b4c7f5e-…:0b4c7f5e.jsonl:120',
    '<%= config.bin %> session show 0b4c7f5e-…:0b4c7f5e.jsonl:120 --context 3',
    '<%= config.bin %> session show 0b4c7f5e --json',
  ];
  static override enableJsonFlag = true;
  static override args = { address: Args.string({ description: '<session>[:<file>[:<line>]]; the session is an id, external id, or (local store) a unique prefix', required: true }) };
  static override flags = {
    context: Flags.integer({ char: 'C', description: 'lines to show before and after the addressed line', default: 0, min: 0, max: 10_000 }),
  };

  async run(): Promise<ShownLines> {
    const { args, flags } = await this.parse(SessionShow);
    const addr = parseSessionAddress(args.address);
    const backend = await openConfiguredBackend();
    try {
      const session = await findRemoteSession(backend, addr.session);
      const shown = await linesAt(backend, session, addr, flags.context);
      if (!this.jsonEnabled()) {
        const numbered = addr.line !== undefined && flags.context > 0;
        shown.lines.forEach((l, i) => this.log(numbered ? `${shown.first_line + i}${shown.first_line + i === addr.line ? '>' : ':'} ${l}` : l));
      }
      return shown;
    } finally {
      await backend.close();
    }
  }
}
