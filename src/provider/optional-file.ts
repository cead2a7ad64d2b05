import { readFile } from 'node:fs/promises';

/** A UTF-8 file's text, or undefined when it does not exist (for providers reading an agent's optional config). */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
