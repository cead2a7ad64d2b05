import { formatRfc3339, type ChunkContext, type ChunkRequest, type DiscoverContext, type TrackedFileSpec } from 'confab-cli/provider';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { chatTitle, clipUtf8, displayText, firstUserText, FIRST_USER_MESSAGE_MAX_BYTES } from './transcript.js';

/** Sub-agent transcripts sit next to the root's: `<id>/subagents/<sub-id>.jsonl`. */
export async function subagentFiles(transcriptPath: string): Promise<TrackedFileSpec[]> {
  const dir = join(dirname(transcriptPath), 'subagents');
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
    .map((e) => e.name)
    .sort()
    .map((name) => ({ path: join(dir, name), name: `subagents/${name}`, type: 'agent' as const }));
}

/** Every sub-agent transcript, as an `agent` file named `subagents/<sub-id>.jsonl`. */
export async function discoverFiles(files: TrackedFileSpec[], ctx: DiscoverContext): Promise<TrackedFileSpec[]> {
  const out = [...files];
  for (const spec of await subagentFiles(ctx.transcriptPath)) {
    if (!out.some((f) => f.name === spec.name)) out.push(spec);
  }
  return out;
}

// Redaction runs before the cut to the backend's size, on a bounded amount of text.
const PRE_REDACTION_BYTES = FIRST_USER_MESSAGE_MAX_BYTES * 16;

function metadataText(ctx: ChunkContext, text: string, field: 'first_user_message' | 'summary'): string {
  return clipUtf8(ctx.redactMetadata(clipUtf8(displayText(text), PRE_REDACTION_BYTES), field), FIRST_USER_MESSAGE_MAX_BYTES);
}

/**
 * Transcript chunks carry the transcript's last change (its mtime, in UTC: Cursor writes no
 * timestamps), the cursor-agent title when there is one, and — on the chunk that starts the
 * file, retries included — the first prompt.
 */
export async function chunk(req: ChunkRequest, ctx: ChunkContext): Promise<ChunkRequest> {
  if (ctx.file.type !== 'transcript') return req;
  const metadata = { ...req.metadata };
  try {
    metadata.latest_message_at = formatRfc3339((await stat(ctx.file.path)).mtime.getTime());
  } catch {
    // gone: nothing to say about it
  }
  if (req.first_line === 1) {
    const first = firstUserText(ctx.rawLines);
    const text = first === undefined ? '' : metadataText(ctx, first, 'first_user_message');
    if (text) metadata.first_user_message = text;
  }
  const title = await chatTitle(ctx.externalId);
  const summary = title === undefined ? '' : metadataText(ctx, title, 'summary');
  if (summary) metadata.summary = summary;
  return Object.keys(metadata).length > 0 ? { ...req, metadata } : req;
}
