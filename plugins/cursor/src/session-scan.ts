import { SESSION_ID_PATTERN, type LocalSession, type SessionScanOptions } from 'confab-cli/provider';
import { open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { projectsDir } from './cursor-dir.js';
import { chatTitle, clipUtf8, displayText, firstUserText, FIRST_MESSAGE_LINES, FIRST_USER_MESSAGE_MAX_BYTES } from './transcript.js';

const HEAD_BYTES = 256 * 1024;

async function subdirs(dir: string, onWarning?: (message: string) => void): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') onWarning?.(`cannot read ${dir}: ${(err as Error).message}`);
    return [];
  }
}

async function headLines(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead).toString('utf8').split('\n').slice(0, FIRST_MESSAGE_LINES);
  } finally {
    await handle.close();
  }
}

/**
 * Root sessions on disk (`projects/<project>/agent-transcripts/<id>/<id>.jsonl`; sub-agent
 * transcripts belong to their root), newest first. The title is cursor-agent's chat title,
 * else the first prompt.
 */
export async function scanCursorSessions(opts: SessionScanOptions = {}, dir = projectsDir()): Promise<LocalSession[]> {
  const out: LocalSession[] = [];
  for (const project of await subdirs(dir, opts.onWarning)) {
    const transcripts = join(dir, project, 'agent-transcripts');
    for (const id of await subdirs(transcripts, opts.onWarning)) {
      if (!SESSION_ID_PATTERN.test(id)) continue;
      const path = join(transcripts, id, `${id}.jsonl`);
      let info;
      try {
        info = await stat(path);
      } catch {
        continue;
      }
      if (!info.isFile()) continue;
      const session: LocalSession = { provider: 'cursor', externalId: id, transcriptPath: path, project, lastActivity: info.mtime, sizeBytes: info.size, cwd: dirname(path) };
      const title = (await chatTitle(id)) ?? firstUserText(await headLines(path).catch(() => []));
      if (title) session.title = clipUtf8(displayText(title), FIRST_USER_MESSAGE_MAX_BYTES);
      out.push(session);
    }
  }
  return out.sort((a, b) => b.lastActivity.getTime() - a.lastActivity.getTime() || a.externalId.localeCompare(b.externalId));
}
