import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** confab's own entry script (`bin/run.js`), resolved through symlinks. */
export function confabEntryScript(): string {
  return realpathSync(fileURLToPath(new URL('../../bin/run.js', import.meta.url)));
}

/**
 * The absolute path agents should run for confab's hooks: a `confab` on PATH when it is
 * this installation (so the hook reads like the Go CLI's, `/usr/local/bin/confab hook …`),
 * otherwise this installation's `bin/run.js` (executable, with a `node` shebang).
 */
export function confabExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const entry = confabEntryScript();
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = resolve(join(dir, 'confab'));
    try {
      accessSync(candidate, constants.X_OK);
      if (realpathSync(candidate) === entry) return candidate;
    } catch {
      // not here
    }
  }
  return entry;
}
