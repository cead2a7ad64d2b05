import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Backend, RemoteSession } from '../backend/backend.js';
import { isBackendError } from '../backend/errors.js';
import { HttpBackend } from '../backend/http.js';
import { openLocalBackend } from '../backend/local.js';
import { CommandError } from './command-error.js';
import { resolveSettings } from '../config/settings.js';
import { writeFileAtomic } from '../fs/private-files.js';
import { errorLine } from './format.js';

/** The backend confab is configured to sync to from `cwd` (user config < project < env). */
export async function openConfiguredBackend(cwd = process.cwd()): Promise<Backend> {
  const settings = await resolveSettings({ cwd });
  return settings.backend.kind === 'http' ? new HttpBackend({ url: settings.backend.url, apiKey: settings.backend.apiKey }) : openLocalBackend();
}

/**
 * A session on the backend by backend session id or external id (the local store also takes
 * a unique prefix of either). Errors are one line naming the backend.
 */
export async function findRemoteSession(backend: Backend, id: string): Promise<RemoteSession> {
  const wanted = id.trim();
  if (!wanted) throw new CommandError('a session id is required');
  try {
    return await backend.getSession(wanted);
  } catch (err) {
    if (isBackendError(err, 'not-found')) {
      const hint = backend.kind === 'http' ? ' (a server needs the full session id or external id)' : '';
      throw new CommandError(`no session "${wanted}" in ${backend.location}${hint}`);
    }
    throw new CommandError(`${backend.location}: ${errorLine(err)}`);
  }
}

export interface DownloadedFile {
  name: string;
  type: string;
  path: string;
  lines: number;
  bytes: number;
}

/** Where a backend file name goes under `dir`; names that would escape it are refused. */
export function localPathFor(dir: string, fileName: string): string {
  const target = resolve(dir, fileName);
  const rel = relative(resolve(dir), target);
  if (!fileName || isAbsolute(fileName) || rel === '' || rel.startsWith('..') || isAbsolute(rel) || fileName.split('/').includes('..')) {
    throw new CommandError(`refusing to write the unsafe file name "${fileName}"`);
  }
  return target;
}

/**
 * Write every file of a session, exactly as stored, under `dir` (path-encoded names such as
 * `subagents/workflows/<run>/journal.jsonl` become subdirectories). Files are 0600.
 */
export async function downloadSession(backend: Backend, session: RemoteSession, dir: string): Promise<DownloadedFile[]> {
  const out: DownloadedFile[] = [];
  for (const f of session.files) {
    const path = localPathFor(dir, f.file_name);
    let data: Buffer;
    try {
      data = await backend.downloadFile(session.session_id, f.file_name);
    } catch (err) {
      throw new CommandError(`cannot download ${f.file_name}: ${errorLine(err)}`);
    }
    await writeFileAtomic(path, data);
    out.push({ name: f.file_name, type: f.file_type, path, lines: countLines(data), bytes: data.length });
  }
  return out;
}

/** The `\n`-terminated lines in a stored file. */
export function countLines(data: Buffer): number {
  let lines = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
  return lines;
}

/** `./<external id>` unless told otherwise. */
export function defaultOutputDir(session: RemoteSession): string {
  return join(process.cwd(), session.external_id);
}
