import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { HookInputError } from './contract.js';

/**
 * Helpers for providers (part of `confab-cli/provider`): checking a hook payload at runtime, and
 * checking that a transcript path from one stays inside the agent's directory. A daemon uploads
 * whatever file it is given, so every provider needs the same checks; they live here once.
 */

/** Session ids name state and inbox files: only these characters, nothing that walks a path. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Keeps `<id>.inbox.jsonl` well under NAME_MAX. */
export const MAX_SESSION_ID_LENGTH = 200;

/** The longest path a payload may name. */
export const MAX_PAYLOAD_PATH = 4096;

/** Throw the `HookInputError` a hook reports as one line: `hook payload <message>`. */
export function payloadError(message: string): never {
  throw new HookInputError(`hook payload ${message}`);
}

/** A JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field; absent and `null` read as `""`, as Go's decoder does. Anything else is refused. */
export function payloadString(payload: Record<string, unknown>, key: string): string {
  const value = payload[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') payloadError(`"${key}" must be a string`);
  return value;
}

/** An optional object field: absent or `null`, or an object. */
export function checkOptionalObject(payload: Record<string, unknown>, key: string): void {
  const value = payload[key];
  if (value !== undefined && value !== null && !isPlainObject(value)) payloadError(`"${key}" must be an object`);
}

/** `parent_pid`, which confab's own callers may set: absent, `null`, or a non-negative integer. */
export function checkParentPid(payload: Record<string, unknown>): void {
  const value = payload.parent_pid;
  if (value !== undefined && value !== null && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
    payloadError('"parent_pid" must be a non-negative integer');
  }
}

/**
 * What is wrong with a non-empty transcript path before the file system is asked: a NUL
 * byte, too long, relative, or a `..` segment. Undefined when none of these.
 */
export function lexicalPathProblem(path: string): string | undefined {
  if (path.includes('\0')) return 'must not contain NUL bytes';
  if (path.length > MAX_PAYLOAD_PATH) return `is longer than ${MAX_PAYLOAD_PATH} characters`;
  if (!isAbsolute(path)) return 'must be an absolute path';
  if (path.split(/[\\/]/).includes('..')) return 'must not contain ".."';
  return undefined;
}

/**
 * Resolve symlinks in the longest existing prefix of `path` and append the rest lexically
 * (at SessionStart neither a transcript nor its directory need exist yet). Undefined when
 * the path cannot be resolved: a dangling symlink (what it points at could appear later,
 * outside), a loop, or a file used as a directory. This runs on every session hook, so it
 * avoids exceptions and Stats objects on the common paths (each costs a fraction of a
 * millisecond on a cold start) and uses the native realpath.
 */
export function resolveExistingPrefix(path: string): string | undefined {
  const rest: string[] = [];
  let current = path;
  while (!existsSync(current)) {
    // existsSync follows links: a link to nowhere reads as absent, so look at it as is.
    try {
      if (lstatSync(current, { throwIfNoEntry: false }) !== undefined) return undefined;
    } catch {
      return undefined; // ENOTDIR and the like
    }
    const parent = dirname(current);
    if (parent === current) return path;
    rest.push(basename(current));
    current = parent;
  }
  try {
    return join(realpathSync.native(current), ...rest.reverse());
  } catch {
    return undefined;
  }
}

/** `path` is strictly below `root` (both already resolved). */
export function isInsideDir(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
