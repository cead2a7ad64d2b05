import { dirname, join } from 'node:path';
import type { Backend, RemoteSession } from '../backend/backend.js';
import { isBackendError } from '../backend/errors.js';
import type { Capabilities } from '../format/wire.js';
import type { TrackedFileSpec } from '../extension/hook-types.js';
import { errorLine } from './format.js';
import { countLines, type FoundSession } from './local-sessions.js';
import { backendKey, backendLabel, type SessionRouter } from './session-router.js';

export type SyncState = 'synced' | 'partial' | 'not-synced' | 'disabled' | 'unknown';

export interface SessionSyncStatus {
  state: SyncState;
  /**
   * Complete lines on this machine, over the session's files (transcript and sub-agents).
   * Counted only when the backend has the session (null otherwise: not worth reading it all).
   */
  localLines: number | null;
  /** How many of those the backend holds. */
  syncedLines: number;
  /** Where the session goes (a URL or the store dir). */
  backend: string;
  backendSessionId?: string;
  /** Why the state is `unknown` or `disabled`. */
  reason?: string;
}

/** `synced`, `partial 120/300`, `not synced`, … */
export function describeSyncStatus(s: SessionSyncStatus): string {
  switch (s.state) {
    case 'synced':
      return 'synced';
    case 'partial':
      return `partial ${s.syncedLines}/${s.localLines}`;
    case 'not-synced':
      return 'not synced';
    case 'disabled':
      return 'disabled';
    case 'unknown':
      return 'unknown';
  }
}

export interface SyncStatusOptions {
  /** Parallel lookups against an HTTP backend. */
  concurrency?: number;
  onWarning?(message: string): void;
}

/** Looks sessions up on one backend: the local store in one listing, HTTP one by one. */
class BackendView {
  private index: Promise<Map<string, RemoteSession>> | undefined;
  private caps: Promise<Capabilities> | undefined;
  /** Set once the backend proved unreachable: the rest are not asked. */
  offline: string | undefined;

  constructor(private readonly opened: Promise<Backend>) {}

  async lookup(provider: string, externalId: string): Promise<RemoteSession | undefined> {
    const backend = await this.opened;
    const b = backend as Backend & { listSessions?: () => Promise<RemoteSession[]> };
    if (typeof b.listSessions === 'function') {
      this.index ??= b.listSessions().then((all) => new Map(all.map((s) => [`${s.provider}\0${s.external_id}`, s])));
      return (await this.index).get(`${provider}\0${externalId}`);
    }
    try {
      // A server is asked by external id directly (getSession would try it as a session id first).
      const b2 = backend as Backend & { getSessionByExternalId?: (id: string) => Promise<RemoteSession> };
      const s = typeof b2.getSessionByExternalId === 'function' ? await b2.getSessionByExternalId(externalId) : await backend.getSession(externalId);
      return s.provider === provider ? s : undefined;
    } catch (err) {
      if (isBackendError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  capabilities(): Promise<Capabilities> {
    this.caps ??= this.opened.then((b) => b.capabilities()).catch((err: unknown) => {
      this.caps = undefined;
      throw err;
    });
    return this.caps;
  }
}

/**
 * The session's files on this machine, as the daemon would follow them: its transcript, the
 * files the provider discovers (sub-agents), and the local paths of files the backend knows.
 */
async function localFiles(found: FoundSession, remote: RemoteSession, view: BackendView): Promise<TrackedFileSpec[]> {
  const { provider, session } = found;
  const transcript: TrackedFileSpec = { path: session.transcriptPath, name: session.transcriptPath.slice(dirname(session.transcriptPath).length + 1), type: 'transcript' };
  const tracked = new Map<string, TrackedFileSpec>([[transcript.name, transcript]]);
  // Backend files start at a guessed path; the provider re-points the ones it owns.
  for (const f of remote.files) {
    // Names come from the server: nothing outside the session's directory is ever read.
    if (f.file_name.startsWith('/') || f.file_name.split('/').includes('..')) continue;
    if (!tracked.has(f.file_name)) tracked.set(f.file_name, { path: join(dirname(session.transcriptPath), f.file_name), name: f.file_name, type: f.file_type as TrackedFileSpec['type'] });
  }
  // Loaded with the first session the backend holds: a list of nothing synced never needs it.
  const { createDaemonHooks } = await import('../extension/daemon-hooks.js');
  const hooks = createDaemonHooks();
  const identity = { provider: provider.name, externalId: session.externalId, transcriptPath: session.transcriptPath, cwd: session.cwd };
  provider.apply?.({ hooks, ...identity });
  const files = await hooks.discoverFiles.promise([transcript], { ...identity, tracked, round: 0, capabilities: () => view.capabilities() });
  const out = new Map<string, TrackedFileSpec>();
  for (const f of [...tracked.values(), ...(Array.isArray(files) ? files : [])]) out.set(f.name, f);
  return [...out.values()];
}

async function statusOf(found: FoundSession, router: SessionRouter, views: Map<string, BackendView>): Promise<SessionSyncStatus> {
  let label = '';
  try {
    const settings = await router.settingsFor(found.session.cwd);
    label = backendLabel(settings.backend);
    if (!settings.enabled) return { state: 'disabled', localLines: null, syncedLines: 0, backend: label, reason: `sync disabled by ${settings.projectFile ?? 'project config'}` };
    const key = backendKey(settings.backend);
    let view = views.get(key);
    if (!view) {
      // Set before any await: concurrent lookups share one view (and one offline verdict).
      view = new BackendView(router.backendFor(settings));
      views.set(key, view);
    }
    if (view.offline) return { state: 'unknown', localLines: null, syncedLines: 0, backend: label, reason: view.offline };
    let remote: RemoteSession | undefined;
    try {
      remote = await view.lookup(found.provider.name, found.session.externalId);
    } catch (err) {
      if (!isBackendError(err, 'network') && !isBackendError(err, 'timeout')) throw err;
      // The message names the request; the verdict is about the server.
      view.offline ??= `backend unreachable (${label}): ${errorLine(err).replace(/^[A-Z]+ \/\S*: /, '')}`;
      return { state: 'unknown', localLines: null, syncedLines: 0, backend: label, reason: view.offline };
    }
    if (!remote) return { state: 'not-synced', localLines: null, syncedLines: 0, backend: label };
    const remoteLines = new Map(remote.files.map((f) => [f.file_name, f.last_synced_line]));
    let localLines = 0;
    let syncedLines = 0;
    for (const file of await localFiles(found, remote, view)) {
      const local = await countLines(file.path);
      localLines += local;
      syncedLines += Math.min(local, remoteLines.get(file.name) ?? 0);
    }
    const state: SyncState = syncedLines >= localLines ? 'synced' : syncedLines === 0 ? 'not-synced' : 'partial';
    return { state, localLines, syncedLines, backend: label, backendSessionId: remote.session_id };
  } catch (err) {
    return { state: 'unknown', localLines: null, syncedLines: 0, backend: label, reason: errorLine(err) };
  }
}

/**
 * How much of each session the backend it syncs to holds: the backend's `last_synced_line`
 * per file against the complete lines on disk. The local store answers from one listing;
 * an HTTP backend is asked per session with bounded concurrency, and once it proves
 * unreachable the remaining sessions are `unknown` (no waiting on every timeout).
 */
export async function syncStatuses(sessions: readonly FoundSession[], router: SessionRouter, opts: SyncStatusOptions = {}): Promise<SessionSyncStatus[]> {
  const views = new Map<string, BackendView>();
  const out: SessionSyncStatus[] = new Array(sessions.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sessions.length) {
      const i = next++;
      out[i] = await statusOf(sessions[i] as FoundSession, router, views);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, sessions.length) }, worker));
  const reported = new Set<string>();
  for (const s of out) {
    if (s.state === 'unknown' && s.reason && !reported.has(s.reason)) {
      reported.add(s.reason);
      opts.onWarning?.(s.reason);
    }
  }
  return out;
}
