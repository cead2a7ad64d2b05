import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';

/**
 * Editing an agent's own config file (part of `confab-cli/provider`): the agent and the user
 * write it too, so an edit must never leave half a file, never lose a write made meanwhile,
 * and never replace a symlink (dotfile managers) with a plain file.
 */

export interface AgentFileEditResult {
  path: string;
  changed: boolean;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The file an edit lands in: a symlink's target, else the path itself. */
async function editTarget(path: string): Promise<string> {
  try {
    if ((await lstat(path)).isSymbolicLink()) return await realpath(path);
  } catch {
    // not there yet
  }
  return path;
}

/** Read an agent config file (following a symlink); undefined when absent. */
export async function readAgentFile(path: string): Promise<string | undefined> {
  return readIfExists(await editTarget(path));
}

const ATTEMPTS = 5;

/**
 * Read `path`, `transform` its text (undefined: the file is absent; return undefined to leave
 * it as is, `null` to delete it), and write the result atomically with mode 0600 (a temp file
 * in the same directory renamed over it). When the file changes between the read and the
 * write, the edit starts over from the new text; after a few tries it fails.
 */
export async function editAgentFile(path: string, transform: (text: string | undefined) => string | null | undefined): Promise<AgentFileEditResult> {
  if (!isAbsolute(path)) throw new Error(`config path must be absolute: ${path}`);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const target = await editTarget(path);
    const before = await readIfExists(target);
    const after = transform(before);
    if (after === undefined || after === before || (after === null && before === undefined)) return { path, changed: false };
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    if ((await readIfExists(target)) !== before) continue;
    if (after === null) {
      await rm(target, { force: true });
      return { path, changed: true };
    }
    const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(after, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(tmp, 0o600);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { path, changed: true };
  }
  throw new Error(`${path} kept changing while confab was editing it; try again`);
}
