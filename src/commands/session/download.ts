import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { defaultOutputDir, downloadSession, findRemoteSession, openConfiguredBackend, type DownloadedFile } from '../../cli/session-files.js';
import { formatBytes } from '../../cli/format.js';
import { ConfabCommand } from '../confab-command.js';

export default class SessionDownload extends ConfabCommand {
  static override description =
    "Download a synced session's files, exactly as the configured backend stores them, to see what was uploaded (after redaction). The id is the agent's session id or the backend's (the local store also takes a unique prefix).";
  static override examples = [
    '<%= config.bin %> session download 0b4c7f5e',
    '<%= config.bin %> session download 0b4c7f5e --output-dir ./copy',
    '<%= config.bin %> session download 0b4c7f5e --json',
  ];
  static override enableJsonFlag = true;
  static override args = { id: Args.string({ description: 'session id, external id, or (local store) a unique prefix', required: true }) };
  static override flags = {
    'output-dir': Flags.string({ char: 'o', description: 'directory to write the files to (default: ./<session id>)' }),
  };

  async run(): Promise<{ sessionId: string; externalId: string; outputDir: string; files: DownloadedFile[] }> {
    const { args, flags } = await this.parse(SessionDownload);
    const backend = await openConfiguredBackend();
    try {
      const session = await findRemoteSession(backend, args.id);
      const dir = flags['output-dir'] ? resolve(flags['output-dir']) : defaultOutputDir(session);
      const files = await downloadSession(backend, session, dir);
      if (!this.jsonEnabled()) {
        for (const f of files) this.log(`${f.path}  ${f.lines} lines, ${formatBytes(f.bytes)}`);
        this.log(`Downloaded ${files.length} file${files.length === 1 ? '' : 's'} of session ${session.external_id} to ${dir}`);
      }
      return { sessionId: session.session_id, externalId: session.external_id, outputDir: dir, files };
    } finally {
      await backend.close();
    }
  }
}
