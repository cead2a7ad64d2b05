import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { EXPORT_FORMATS, exportSession, type ExportFormat } from '../cli/export.js';
import { findRemoteSession, openConfiguredBackend } from '../cli/session-files.js';
import { writeFileAtomic } from '../fs/private-files.js';
import { CommandError, ConfabCommand } from './confab-command.js';

export default class Export extends ConfabCommand {
  static override description = `Export a synced session from the configured backend: Markdown (turns, tool calls and results folded, sub-agents inline), a self-contained HTML page (the viewer's rendering; no external assets, opens offline), or the raw stored JSONL.

It reads the backend's copy, which confab redacted before uploading it, never the agent's own files. Writes to stdout, or with --output to a new file readable only by you (0600), written atomically.`;
  static override examples = [
    '<%= config.bin %> export 0b4c7f5e > session.md',
    '<%= config.bin %> export 0b4c7f5e --format html --output session.html',
    '<%= config.bin %> export 0b4c7f5e --format jsonl --output transcript.jsonl',
    '<%= config.bin %> export 0b4c7f5e --format jsonl --file agent-aa8934ac9a2623aee.jsonl',
  ];
  static override args = { session: Args.string({ description: 'session id, external id, or (local store) a unique prefix', required: true }) };
  static override flags = {
    format: Flags.string({ char: 'f', description: 'md, html or jsonl', options: [...EXPORT_FORMATS], default: 'md' }),
    output: Flags.string({ char: 'o', description: 'write to this file (0600) instead of stdout' }),
    file: Flags.string({ description: 'jsonl: the session file to export (default: the transcript)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Export);
    const backend = await openConfiguredBackend();
    let data: Buffer;
    try {
      const session = await findRemoteSession(backend, args.session);
      data = await exportSession(backend, session, { format: flags.format as ExportFormat, ...(flags.file === undefined ? {} : { file: flags.file }) });
    } finally {
      await backend.close();
    }
    if (flags.output === undefined) {
      await new Promise<void>((done, fail) => process.stdout.write(data, (err) => (err ? fail(err) : done())));
      return;
    }
    const path = resolve(flags.output);
    // The user's directory is theirs: it must exist, and its mode is left alone.
    await writeFileAtomic(path, data, { ensureDir: false }).catch((err: NodeJS.ErrnoException) => {
      throw new CommandError(`cannot write ${path}: ${err.code ?? err.message}`);
    });
    this.logToStderr(`Wrote ${path}`);
  }
}
