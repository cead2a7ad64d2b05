import { Args, Flags } from '@oclif/core';
import { formatBytes } from '../cli/format.js';
import { restoreSession, type RestoreResult } from '../cli/restore.js';
import { findRemoteSession, openConfiguredBackend } from '../cli/session-files.js';
import { ConfabCommand } from './confab-command.js';

export default class Restore extends ConfabCommand {
  static override description =
    "Write a synced session's files (transcript and sub-agents) back where its agent keeps them, from the configured backend, so the agent can resume a session it deleted (`claude --resume <id>`). Refuses to overwrite a file that differs from the stored copy; a file already identical is left as it is. The files are the backend's copy: secrets confab redacted come back as [REDACTED:…] placeholders. The session is an id, external id, or (local store) a unique prefix.";
  static override examples = [
    '<%= config.bin %> restore 0b4c7f5e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    '<%= config.bin %> restore 0b4c7f5e --to ./restored',
    '<%= config.bin %> restore 0b4c7f5e --json',
  ];
  static override enableJsonFlag = true;
  static override args = { session: Args.string({ description: 'session id, external id, or (local store) a unique prefix', required: true }) };
  static override flags = {
    to: Flags.string({ description: "write the files under this directory, by their stored names, instead of where the agent keeps them (needed for agents confab cannot place)" }),
  };

  async run(): Promise<RestoreResult> {
    const { args, flags } = await this.parse(Restore);
    const backend = await openConfiguredBackend();
    try {
      const session = await findRemoteSession(backend, args.session);
      const result = await restoreSession(backend, session, flags.to === undefined ? {} : { to: flags.to });
      const redacted = result.redactedLines > 0 ? ` (${result.redactedLines} line${result.redactedLines === 1 ? '' : 's'} hold such placeholders)` : '';
      process.stderr.write(`Note: these are the backend's copies: secrets confab redacted come back as [REDACTED:…] placeholders, not the original values${redacted}.\n`);
      if (!this.jsonEnabled()) {
        for (const f of result.files) this.log(`${f.path}  ${f.status === 'written' ? 'written' : 'already identical'}, ${f.lines} lines, ${formatBytes(f.bytes)}`);
        const written = result.files.filter((f) => f.status === 'written').length;
        this.log(`Restored session ${result.externalId} (${result.provider}): ${written} file${written === 1 ? '' : 's'} written, ${result.files.length - written} already there`);
      }
      return result;
    } finally {
      await backend.close();
    }
  }
}
