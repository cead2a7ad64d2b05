import { accessSync, constants, cpSync, existsSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { confabDir } from '../paths.js';
import { confabVersion } from '../version.js';

/** The npm package confab ships as (its command is `confab`). */
export const PACKAGE_NAME = 'confab-cli';

/** confab's own entry script (`bin/run.js`), resolved through symlinks. */
export function confabEntryScript(): string {
  return realpathSync(fileURLToPath(new URL('../../bin/run.js', import.meta.url)));
}

/** `~/.confab/bin/confab`: the stable command hooks run when confab was started from a cache. */
export function launcherPath(): string {
  return join(confabDir(), 'bin', 'confab');
}

/** `~/.confab/lib`: where a confab started from a cache copies itself to. */
function libDir(): string {
  return join(confabDir(), 'lib');
}

function isInside(path: string, dir: string): boolean {
  const d = resolve(dir);
  return path === d || path.startsWith(d.endsWith(sep) ? d : d + sep);
}

/**
 * Is `path` in a package cache that may be cleared at any time? `npx`/`npm exec` install
 * under `<npm cache>/_npx/<hash>/`; a hook pointing there breaks silently once the cache is
 * cleaned. (`npm_config_cache` is set in every process npm starts.)
 */
export function isInPackageCache(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const abs = resolve(path);
  if (abs.split(sep).includes('_npx')) return true;
  const caches = [env.npm_config_cache, join(homedir(), '.npm')].filter((c): c is string => !!c);
  return caches.some((c) => isInside(abs, c));
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Does the program a hook command runs still exist, executable? */
export function programResolves(program: string): boolean {
  return program !== '' && isExecutable(program);
}

/**
 * Copy this installation (the `node_modules` tree it was installed in, as npx lays it out) to
 * `~/.confab/lib/confab-cli@<version>/` and point `~/.confab/bin/confab` at it. Returns the
 * launcher. A copy of the same version already there is reused; another version's is
 * replaced once the launcher points at the new one.
 */
function installFromCache(entry: string): string {
  const packageRoot = dirname(dirname(entry));
  const nodeModules = dirname(packageRoot);
  if (basename(packageRoot) !== PACKAGE_NAME || basename(nodeModules) !== 'node_modules') {
    throw new Error(`cannot copy confab out of ${packageRoot}: install it with \`npm install -g ${PACKAGE_NAME}\` and run this again`);
  }
  const lib = libDir();
  const name = `${PACKAGE_NAME}@${confabVersion()}`;
  const target = join(lib, name);
  const targetEntry = join(target, 'node_modules', PACKAGE_NAME, 'bin', 'run.js');
  mkdirSync(lib, { recursive: true, mode: 0o700 });
  if (!existsSync(targetEntry)) {
    const tmp = join(lib, `.${name}.${process.pid}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    // Relative symlinks (node_modules/.bin) must stay relative, not point back into the cache.
    cpSync(nodeModules, join(tmp, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  }
  const launcher = launcherPath();
  mkdirSync(dirname(launcher), { recursive: true, mode: 0o700 });
  const tmpLink = `${launcher}.${process.pid}.tmp`;
  rmSync(tmpLink, { force: true });
  symlinkSync(targetEntry, tmpLink);
  renameSync(tmpLink, launcher);
  return launcher;
}

/**
 * The absolute path agents should run for confab's hooks, one that keeps working after
 * caches are cleared and across upgrades:
 * - a `confab` on PATH when it is this installation (so the hook reads like the Go CLI's,
 *   `/usr/local/bin/confab hook …`; `npm install -g` upgrades it in place);
 * - when this installation lives in a package cache (`npx confab-cli setup`), a copy of it
 *   under `~/.confab/lib` behind the launcher `~/.confab/bin/confab`;
 * - otherwise this installation's `bin/run.js` (executable, with a `node` shebang).
 */
export function confabExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const entry = confabEntryScript();
  if (isInPackageCache(entry, env)) return installFromCache(entry);
  // The copy a cached confab made of itself: hooks run it through its launcher.
  const launcher = launcherPath();
  if (isInside(entry, libDir()) && realpathOrUndefined(launcher) === entry) return launcher;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = resolve(join(dir, 'confab'));
    try {
      if (isExecutable(candidate) && realpathSync(candidate) === entry) return candidate;
    } catch {
      // not here
    }
  }
  return entry;
}
