import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LegacyStatePaths, Provider } from '../provider/contract.js';
import { getProvider, knownProviderNames, UnknownProviderError } from '../provider/registry.js';
import { writeFileAtomicSync } from '../fs/private-files.js';
import { syncDir } from '../paths.js';
import { isSameProcessAlive } from '../process/liveness.js';
import { decodeState, encodeState, newState, type State } from '../format/state.js';
import { formatRfc3339 } from '../format/rfc3339.js';

const SAFE_NAME = /^[A-Za-z0-9_-]+$/;

export class UnsafeSessionIdError extends Error {
  constructor(what: string, value: string) {
    super(`${what} "${value}" is not a safe identifier (allowed: A-Z a-z 0-9 _ -)`);
    this.name = 'UnsafeSessionIdError';
  }
}

/** `provider` may be "" (the Go CLI's legacy addressing: the flat pre-namespace path). */
function checkIds(provider: string, externalId: string): void {
  if (provider !== '' && !SAFE_NAME.test(provider)) throw new UnsafeSessionIdError('provider', provider);
  if (!SAFE_NAME.test(externalId)) throw new UnsafeSessionIdError('session id', externalId);
}

/** `~/.confab/sync`. */
export function getSyncDir(): string {
  return syncDir();
}

/** `~/.confab/sync/<provider>/<external_id>.json`; for provider "", the legacy `~/.confab/sync/<external_id>.json`. */
export function getStatePathForProvider(provider: string, externalId: string): string {
  checkIds(provider, externalId);
  return join(syncDir(), provider, `${externalId}.json`);
}

/** `~/.confab/sync/<provider>/<external_id>.inbox.jsonl`; for provider "", the legacy `~/.confab/sync/<external_id>.inbox.jsonl`. */
export function getInboxPathForProvider(provider: string, externalId: string): string {
  checkIds(provider, externalId);
  return join(syncDir(), provider, `${externalId}.inbox.jsonl`);
}

/** A state for the current process (or `pid`), under the provider's namespace. */
export function newStateForProvider(
  provider: string,
  externalId: string,
  transcriptPath: string,
  cwd: string,
  parentPid = 0,
  pid?: number,
): State {
  return newState({
    provider,
    externalId,
    transcriptPath,
    cwd,
    parentPid,
    inboxPath: getInboxPathForProvider(provider, externalId),
    ...(pid === undefined ? {} : { pid }),
  });
}

async function resolveProvider(provider: string | Provider): Promise<{ name: string; legacy?: LegacyStatePaths }> {
  if (typeof provider !== 'string') return { name: provider.name, ...(provider.legacyPaths ? { legacy: provider.legacyPaths } : {}) };
  try {
    const p = await getProvider(provider);
    return { name: p.name, ...(p.legacyPaths ? { legacy: p.legacyPaths } : {}) };
  } catch (err) {
    // A namespace whose plugin is not loaded still has state files we can read and reap.
    if (err instanceof UnknownProviderError) return { name: provider };
    throw err;
  }
}

function readStateFile(path: string, providerName: string): State | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = decodeState(text, path);
  if (!state.provider) state.provider = providerName;
  state.loadedFrom = path;
  return state;
}

export function isDaemonRunning(state: State): boolean {
  return isSameProcessAlive(state.pid, state.pidStartTime);
}

export function isParentRunning(state: State): boolean {
  return state.parentPid > 0 && isSameProcessAlive(state.parentPid, undefined);
}

/**
 * Load a session's state. For a provider with a legacy layout (Claude Code's flat
 * `~/.confab/sync/<id>.json`), the namespaced file wins unless it is missing or names a
 * dead daemon while the legacy file names a live one — so daemons started by older
 * installs can still be found and stopped. Returns undefined when there is no state.
 */
export async function loadStateForProvider(provider: string | Provider, externalId: string): Promise<State | undefined> {
  // Provider "": the legacy flat file only, as the Go CLI reads it.
  if (provider === '') return readStateFile(getStatePathForProvider('', externalId), '');
  const { name, legacy } = await resolveProvider(provider);
  checkIds(name, externalId);
  const namespaced = readStateFile(getStatePathForProvider(name, externalId), name);
  if (!legacy) return namespaced;
  if (namespaced && isDaemonRunning(namespaced)) return namespaced;
  const legacyPath = legacy.statePath(syncDir(), externalId);
  const old = readStateFile(legacyPath, name);
  if (old && !old.inboxPath) old.inboxPath = legacy.inboxPath(syncDir(), externalId);
  if (!namespaced) return old;
  return old && isDaemonRunning(old) ? old : namespaced;
}

/** Write a state to its namespaced path (new daemons always write there). */
export function saveState(state: State): void {
  const path = getStatePathForProvider(state.provider, state.externalId);
  writeFileAtomicSync(path, encodeState(state));
  state.loadedFrom = path;
}

/**
 * Remove a state file — the one it was loaded from (legacy files included; the Go CLI
 * removed the namespaced path and never reaped legacy files) — and optionally its inbox.
 * Missing files are not an error.
 */
export function deleteState(state: State, opts: { withInbox?: boolean } = {}): void {
  let firstError: unknown;
  if (opts.withInbox && state.inboxPath) {
    try {
      rmSync(state.inboxPath, { force: true });
    } catch (err) {
      firstError = err;
    }
  }
  try {
    const path = state.loadedFrom ?? getStatePathForProvider(state.provider, state.externalId);
    rmSync(path, { force: true });
    if (opts.withInbox) rmSync(`${path}.ready`, { force: true });
  } catch (err) {
    firstError ??= err;
  }
  if (firstError) throw firstError;
}

export interface ListStatesResult {
  states: State[];
  /** Files that could not be parsed (reported, never deleted blindly). */
  invalid: { path: string; error: string }[];
}

/**
 * Every state on disk: each `<sync>/<provider>/*.json`, and each top-level legacy
 * `<sync>/*.json` attributed to the provider whose legacy rule produces that path.
 */
export async function listAllStatesDetailed(): Promise<ListStatesResult> {
  const root = syncDir();
  const result: ListStatesResult = { states: [], invalid: [] };
  if (!existsSync(root)) return result;

  const legacyOwners: { name: string; legacy: LegacyStatePaths }[] = [];
  for (const name of knownProviderNames()) {
    const { legacy } = await resolveProvider(name);
    if (legacy) legacyOwners.push({ name, legacy });
  }

  const tryRead = (path: string, providerName: string) => {
    try {
      const s = readStateFile(path, providerName);
      if (s) result.states.push(s);
    } catch (err) {
      result.invalid.push({ path, error: err instanceof Error ? err.message : String(err) });
    }
  };

  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = join(root, entry.name);
    if (entry.isDirectory()) {
      if (!SAFE_NAME.test(entry.name)) continue;
      for (const f of readdirSync(full, { withFileTypes: true })) {
        if (f.isFile() && f.name.endsWith('.json')) tryRead(join(full, f.name), entry.name);
      }
    } else if (entry.isFile() && entry.name.endsWith('.json')) {
      const id = entry.name.slice(0, -'.json'.length);
      const owner = SAFE_NAME.test(id) ? legacyOwners.find((o) => o.legacy.statePath(root, id) === full) : undefined;
      if (!owner) continue;
      const before = result.states.length;
      tryRead(full, owner.name);
      const s = result.states[before];
      if (s && !s.inboxPath) s.inboxPath = owner.legacy.inboxPath(root, id);
    }
  }
  return result;
}

export async function listAllStates(): Promise<State[]> {
  return (await listAllStatesDetailed()).states;
}

/** Age of a state in ms, from `started_at` (or the file's mtime when that is unreadable). */
export function stateAgeMs(state: State, now = Date.now()): number {
  const started = Date.parse(state.startedAt);
  if (!Number.isNaN(started)) return now - started;
  try {
    return now - statSync(state.loadedFrom ?? '').mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Remove a session's state (and inbox) if it names `pid`: a daemon cleaning up after itself. */
export async function removeStateIfOwned(provider: string, externalId: string, pid: number): Promise<void> {
  const s = await loadStateForProvider(provider, externalId);
  if (s && s.pid === pid) deleteState(s, { withInbox: true });
}

/**
 * Move a state file that cannot be decoded out of the way (`<file>.invalid-<time>`, kept for
 * a look, never read again), as the Go CLI overwrote it. Returns the new path.
 */
export function setStateAside(path: string): string {
  const aside = `${path}.invalid-${formatRfc3339(Date.now()).replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return aside;
}
