import type { Backend, RemoteSession } from '../backend/backend.js';
import { renderStandalonePage } from '../serve/viewer/standalone-page.js';
import { mainFile, projectName, sessionTitle } from '../serve/viewer/session-summary.js';
import { splitLines } from '../serve/viewer/transcript-lines.js';
import { renderSessionMarkdown } from '../serve/viewer/transcript-markdown.js';
import { CommandError } from './command-error.js';
import { errorLine } from './format.js';

/**
 * `confab export`: one session from the configured backend as Markdown, as a self-contained
 * HTML page (the viewer's rendering), or as its stored JSONL. Everything is read from the
 * backend's copy, which was redacted before it was uploaded; nothing is read from the
 * agent's own files.
 */

export const EXPORT_FORMATS = ['md', 'html', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  /** jsonl only: the file to export (default: the session's transcript). */
  file?: string;
}

export async function exportSession(backend: Backend, session: RemoteSession, opts: ExportOptions): Promise<Buffer> {
  if (opts.format === 'jsonl') {
    const name = opts.file ?? mainFile(session)?.file_name;
    if (!name) throw new CommandError(`session ${session.external_id} has no synced files yet`);
    if (!session.files.some((f) => f.file_name === name)) {
      throw new CommandError(`session ${session.external_id} has no file "${name}" (files: ${session.files.map((f) => f.file_name).join(', ')})`);
    }
    return download(backend, session, name);
  }
  if (opts.file !== undefined) throw new CommandError('--file applies to --format jsonl only (md and html hold every file of the session)');
  // The transcript first: sub-agents are shown under the calls that started them.
  const main = mainFile(session);
  const ordered = main ? [main, ...session.files.filter((f) => f !== main)] : [];
  const files = [];
  for (const f of ordered) files.push({ ...f, lines: splitLines(await download(backend, session, f.file_name), 1) });
  const title = sessionTitle(session);
  if (opts.format === 'html') return Buffer.from(renderStandalonePage({ ...session, title }, files));
  const facts: [string, string][] = [
    ['Provider', session.provider],
    ['Project', projectName(session)],
    ['Session', session.external_id],
  ];
  if (session.first_seen) facts.push(['Started', session.first_seen]);
  return Buffer.from(renderSessionMarkdown({ title, facts }, files.map((f) => ({ fileName: f.file_name, lines: f.lines }))));
}

async function download(backend: Backend, session: RemoteSession, fileName: string): Promise<Buffer> {
  try {
    return await backend.downloadFile(session.session_id, fileName);
  } catch (err) {
    throw new CommandError(`cannot read ${fileName} from ${backend.location}: ${errorLine(err)}`);
  }
}
