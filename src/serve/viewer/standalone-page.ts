import { html, text, type SafeHtml } from './html.js';
import { layout, sessionMeta, type SessionDetails } from './pages.js';
import type { TranscriptLine } from './transcript-lines.js';
import { renderLines, type TranscriptLinks } from './transcript-render.js';

/**
 * A session as one self-contained HTML page (`confab export --format html`): the viewer's
 * rendering of every file, the main transcript first and each sub-agent's below it (links
 * to a sub-agent jump there), with the viewer's stylesheet and script inlined. It loads
 * nothing, so it opens offline and from a file.
 */

export interface StandaloneFile {
  file_name: string;
  last_synced_line: number;
  lines: readonly TranscriptLine[];
}

export function renderStandalonePage(session: SessionDetails & { session_id: string; title: string }, files: readonly StandaloneFile[]): string {
  const anchors = new Map(files.map((f, i) => [f.file_name, `file-${i}`]));
  const links: TranscriptLinks = { file: (name) => `#${anchors.get(name) ?? 'transcript'}` };
  // Line anchors stay unique on a page of several files: `L<n>` in the transcript, `file-<i>-L<n>` below.
  const render = (f: StandaloneFile, i: number): SafeHtml =>
    renderLines(f.lines, { sessionId: session.session_id, fileName: f.file_name, files, links, ...(i === 0 ? {} : { anchorPrefix: `file-${i}-` }) });
  const [main, ...others] = files;
  const controls = html`<div class="controls"><label title="also show the lines that are not part of the conversation: attachments, hook results, API request records, queue and mode changes…"><input type="checkbox" id="show-all"> show all lines</label><button type="button" id="expand-tools">Expand tool calls</button></div>`;
  const body = main
    ? html`${controls}<h2 class="file-title" id="${anchors.get(main.file_name)}">${main.file_name}</h2><main id="transcript" class="transcript">${render(main, 0)}</main>${others.map(
        (f, i) => html`<h2 class="file-title" id="${anchors.get(f.file_name)}">${f.file_name} <span class="dim">${f.last_synced_line} lines</span></h2><div class="transcript">${render(f, i + 1)}</div>`,
      )}`
    : html`<p class="dim">This session has no synced files yet.</p>`;
  return layout({
    title: session.title,
    standalone: true,
    body: html`<h1>${text(session.title)}</h1>${sessionMeta(session, true)}${body}`,
  });
}
