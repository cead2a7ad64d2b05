import type { LocalSession, SessionScanOptions } from 'confab-cli/provider';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { claudeDir, projectsDir } from './claude-dir.js';
import { readHeadLines } from './transcript-files.js';
import { extractMetadata, METADATA_SCAN_LINES, sessionTitle } from './transcript.js';

/**
 * The sessions Claude Code keeps on disk (`<claude dir>/projects/<project>/<uuid>.jsonl`),
 * for `confab list` and `confab save`. Only the head of each transcript is read, so a scan
 * of hundreds of sessions stays quick however long they are.
 */

export interface ClaudeSessionScanOptions extends SessionScanOptions {
  /** Claude dir to scan (default `CONFAB_CLAUDE_DIR`, else `~/.claude`). */
  claudeDir?: string;
}

const SESSION_FILE = /^([A-Za-z0-9_-]{36})\.jsonl$/;
// A first line can be a pasted image; titles come from well within this.
const HEAD_BYTES = 4 * 1024 * 1024;
const CONCURRENCY = 16;
const MAX_DEPTH = 8;

/** Is this file name a session transcript (a 36-character id, not a sub-agent)? */
export function sessionIdFromFileName(name: string): string | undefined {
  if (name.startsWith('agent-')) return undefined;
  return SESSION_FILE.exec(name)?.[1];
}

async function findTranscripts(root: string, warn: (message: string) => void): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dir === root) return;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') warn(`cannot read ${dir}: ${code ?? (err as Error).message}`);
      return;
    }
    const subdirs: string[] = [];
    for (const entry of entries) {
      // Sub-agent transcripts live under <session>/subagents/; symlinks are not followed.
      if (entry.isDirectory() && entry.name !== 'subagents' && depth < MAX_DEPTH) subdirs.push(join(dir, entry.name));
      else if (entry.isFile() && sessionIdFromFileName(entry.name)) found.push(join(dir, entry.name));
    }
    await Promise.all(subdirs.map((d) => walk(d, depth + 1)));
  };
  await walk(root, 0);
  return found;
}

async function describe(path: string, root: string, warn: (message: string) => void): Promise<LocalSession | undefined> {
  const name = path.slice(dirname(path).length + 1);
  const externalId = sessionIdFromFileName(name);
  if (!externalId) return undefined;
  try {
    const info = await stat(path);
    const meta = extractMetadata(await readHeadLines(path, { maxLines: METADATA_SCAN_LINES, maxBytes: HEAD_BYTES }));
    const title = sessionTitle(meta);
    return {
      provider: 'claude-code',
      externalId,
      transcriptPath: path,
      project: relative(root, dirname(path)),
      ...(title !== undefined ? { title } : {}),
      lastActivity: info.mtime,
      sizeBytes: info.size,
      cwd: meta.cwd ?? dirname(path),
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') warn(`cannot read ${path}: ${code ?? (err as Error).message}`);
    return undefined;
  }
}

/** Every Claude Code session on disk, newest first. */
export async function scanClaudeSessions(opts: ClaudeSessionScanOptions = {}): Promise<LocalSession[]> {
  const root = projectsDir(opts.claudeDir ?? claudeDir());
  const warn = (message: string): void => opts.onWarning?.(message);
  const paths = await findTranscripts(root, warn);
  const sessions: LocalSession[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const session = await describe(paths[next++] as string, root, warn);
      if (session) sessions.push(session);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, paths.length) }, worker));
  return sessions.sort((a, b) => b.lastActivity.getTime() - a.lastActivity.getTime() || a.externalId.localeCompare(b.externalId));
}
