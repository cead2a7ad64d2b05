import { Args } from '@oclif/core';
import { findRemoteSession, openConfiguredBackend } from '../../cli/session-files.js';
import { ConfabCommand, renderTable } from '../confab-command.js';

export interface ListedFile {
  name: string;
  type: string;
  lines: number;
  updatedAt: string | null;
}

export default class SessionListFiles extends ConfabCommand {
  static override description =
    "List a synced session's files as the configured backend holds them: name, type and how many lines it has. The id is the agent's session id or the backend's (the local store also takes a unique prefix).";
  static override examples = ['<%= config.bin %> session list-files 0b4c7f5e', '<%= config.bin %> session list-files 0b4c7f5e-1f0e-4a7e-9a39-3f2a1c0d9e11 --json'];
  static override enableJsonFlag = true;
  static override args = { id: Args.string({ description: 'session id, external id, or (local store) a unique prefix', required: true }) };

  async run(): Promise<{ sessionId: string; externalId: string; provider: string; backend: string; files: ListedFile[] }> {
    const { args } = await this.parse(SessionListFiles);
    const backend = await openConfiguredBackend();
    try {
      const session = await findRemoteSession(backend, args.id);
      const files = session.files.map((f) => ({ name: f.file_name, type: f.file_type, lines: f.last_synced_line, updatedAt: f.updated_at ?? null }));
      if (!this.jsonEnabled()) {
        this.log(`Session ${session.external_id} (${session.provider}) in ${backend.location}, backend id ${session.session_id}`);
        this.log(renderTable(['FILE', 'TYPE', 'LINES', 'UPDATED'], files.map((f) => [f.name, f.type, String(f.lines), f.updatedAt ?? ''])));
      }
      return { sessionId: session.session_id, externalId: session.external_id, provider: session.provider, backend: backend.location, files };
    } finally {
      await backend.close();
    }
  }
}
