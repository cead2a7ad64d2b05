import { lstat, open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Backend, RemoteSession } from '../backend/backend.js';
import { ensureDirKeepingExisting, writeFileAtomic } from '../fs/private-files.js';
import type { Provider } from '../provider/contract.js';
import { UnknownProviderError } from '../provider/registry.js';
import { CommandError } from './command-error.js';
import { errorLine } from './format.js';
import { selectProviders } from './providers.js';
import { countLines, localPathFor } from './session-files.js';

/**
 * `confab restore`: a stored session's files written back where its agent keeps them (or
 * under `--to DIR`), so the agent can resume a session whose files it deleted. Nothing is
 * written until every file has been downloaded and checked: a file on disk that differs from
 * the stored copy stops the restore with every file untouched.
 *
 * The files are the backend's copy, so redacted secrets come back as `[REDACTED:…]`, and the
 * lines are exactly those the backend holds: when the agent resumes and its hooks start a
 * daemon, the daemon finds the backend's line count already on disk and uploads only what the
 * agent appends after them.
 */

export interface RestoredFile {
  name: string;
  type: string;
  path: string;
  /** `written`, or `unchanged` when the file on disk already held exactly these bytes. */
  status: 'written' | 'unchanged';
  lines: number;
  bytes: number;
}

export interface RestoreResult {
  sessionId: string;
  externalId: string;
  provider: string;
  files: RestoredFile[];
  /** Lines holding a `[REDACTED:…]` placeholder where the original had a secret. */
  redactedLines: number;
}

export interface RestoreOptions {
  /** Write the files under this directory (by their backend names) instead of the agent's. */
  to?: string;
  /** The session's provider (default: looked up by the name the backend records). */
  provider?: Provider;
}

const REDACTED = Buffer.from('[REDACTED:');

async function providerOf(name: string): Promise<Provider | undefined> {
  try {
    const [provider] = await selectProviders(name, () => undefined);
    return provider;
  } catch (err) {
    if (err instanceof UnknownProviderError) return undefined;
    throw err;
  }
}

/** Where each stored file goes: under `to`, else where the provider says its agent keeps it. */
export async function restoreTargets(session: RemoteSession, opts: RestoreOptions = {}): Promise<Map<string, string>> {
  const targets = new Map<string, string>();
  if (opts.to !== undefined) {
    const dir = resolve(opts.to);
    for (const f of session.files) targets.set(f.file_name, localPathFor(dir, f.file_name));
    return targets;
  }
  const provider = opts.provider ?? (await providerOf(session.provider));
  const label = provider?.displayName ?? session.provider;
  if (!provider?.restorePaths) throw new CommandError(`confab cannot tell where ${label} keeps its sessions; restore with --to DIR`);
  let paths: Record<string, string>;
  try {
    paths = await provider.restorePaths({
      externalId: session.external_id,
      ...(session.transcript_path ? { transcriptPath: session.transcript_path } : {}),
      ...(session.cwd ? { cwd: session.cwd } : {}),
      files: session.files.map((f) => ({ name: f.file_name, type: f.file_type })),
    });
  } catch (err) {
    throw new CommandError(`cannot tell where ${label} keeps session ${session.external_id}: ${errorLine(err)}; restore with --to DIR`);
  }
  const used = new Set<string>();
  for (const f of session.files) {
    const path = paths[f.file_name];
    if (typeof path !== 'string' || !isAbsolute(path)) throw new CommandError(`cannot tell where ${label} keeps ${f.file_name}; restore with --to DIR`);
    if (used.has(path)) throw new CommandError(`two stored files would be restored to ${path}; restore with --to DIR`);
    used.add(path);
    targets.set(f.file_name, path);
  }
  return targets;
}

/** How the file at `path` compares with `data`: absent, identical, or a one-line reason it differs. */
async function compareExisting(path: string, data: Buffer): Promise<'absent' | 'identical' | string> {
  let size: number;
  try {
    const st = await lstat(path);
    if (!st.isFile()) return 'it is not a regular file';
    size = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (size > data.length) return `it is longer than the stored copy (${size} bytes, the backend holds ${data.length})`;
  const disk = Buffer.alloc(size);
  const handle = await open(path, 'r');
  let got = 0;
  try {
    while (got < size) {
      const { bytesRead } = await handle.read(disk, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (got < size) return 'it changed while being read';
  if (size === data.length) return disk.equals(data) ? 'identical' : 'its content differs from the stored copy';
  return disk.equals(data.subarray(0, size))
    ? `it holds only the first ${size} of the stored ${data.length} bytes (restoring never extends a file)`
    : 'its content differs from the stored copy';
}

function refusal(path: string, reason: string): CommandError {
  return new CommandError(`refusing to overwrite ${path}: ${reason}; nothing was restored (move it away, or restore elsewhere with --to DIR)`);
}

/** Restore every file of `session` (see the module comment). */
export async function restoreSession(backend: Backend, session: RemoteSession, opts: RestoreOptions = {}): Promise<RestoreResult> {
  if (session.files.length === 0) throw new CommandError(`session ${session.external_id} has no stored files`);
  const targets = await restoreTargets(session, opts);

  const planned: Array<{ file: RestoredFile; data: Buffer | undefined }> = [];
  let redactedLines = 0;
  for (const f of session.files) {
    const path = targets.get(f.file_name) as string;
    let data: Buffer;
    try {
      data = await backend.downloadFile(session.session_id, f.file_name);
    } catch (err) {
      throw new CommandError(`cannot download ${f.file_name}: ${errorLine(err)}`);
    }
    const existing = await compareExisting(path, data);
    if (existing !== 'absent' && existing !== 'identical') throw refusal(path, existing);
    redactedLines += countRedactedLines(data);
    const status = existing === 'identical' ? 'unchanged' : 'written';
    planned.push({ file: { name: f.file_name, type: f.file_type, path, status, lines: countLines(data), bytes: data.length }, data: status === 'written' ? data : undefined });
  }

  const done: RestoredFile[] = [];
  for (const { file, data } of planned) {
    if (data) {
      await ensureDirKeepingExisting(dirname(file.path));
      // Exclusive: a file that appeared since the check is never replaced.
      if (!(await writeFileAtomic(file.path, data, { exclusive: true, durable: true, ensureDir: false }))) {
        const now = await compareExisting(file.path, data);
        if (now !== 'identical') {
          const written = done.filter((d) => d.status === 'written').map((d) => d.path);
          throw new CommandError(`refusing to overwrite ${file.path}, created while restoring: ${now === 'absent' ? 'it vanished again' : now}${written.length ? `; already restored: ${written.join(', ')}` : ''}`);
        }
        file.status = 'unchanged';
      }
    }
    done.push(file);
  }
  return { sessionId: session.session_id, externalId: session.external_id, provider: session.provider, files: done, redactedLines };
}

function countRedactedLines(data: Buffer): number {
  let count = 0;
  for (let at = data.indexOf(REDACTED); at !== -1; ) {
    count++;
    const eol = data.indexOf(10, at);
    if (eol === -1) break;
    at = data.indexOf(REDACTED, eol + 1);
  }
  return count;
}
