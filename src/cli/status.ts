import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { validateApiKey, type ValidatedKey } from '../backend/auth.js';
import { isBackendError } from '../backend/errors.js';
import { resolveSettings, type SettingSource } from '../config/settings.js';
import { listPending } from '../daemon/pending.js';
import { listDaemonStatuses } from '../daemon/status.js';
import { storeDir, userConfigPath } from '../paths.js';
import { hookInstallerOf, type Provider } from '../provider/contract.js';
import { commandProgram } from '../provider/hook-commands.js';
import { isInPackageCache, programResolves } from './executable.js';
import { errorLine } from './format.js';

export type BackendStatus =
  | { kind: 'local'; source: SettingSource; storeDir: string; exists: boolean; sessions: number; sizeBytes: number }
  | {
      kind: 'http';
      source: SettingSource;
      url: string;
      /** valid: the server accepted the key; invalid: it refused it; unreachable: no answer. */
      key: 'valid' | 'invalid' | 'unreachable';
      user?: ValidatedKey;
      error?: string;
    }
  /** The configuration itself is unusable (unreadable file, a URL without a key…). */
  | { kind: 'misconfigured'; error: string };

export interface ProviderStatus {
  provider: string;
  displayName: string;
  detected: boolean;
  hooksInstalled: boolean | null;
  /** Programs confab's installed hooks run that are gone, or live in a cache that may be cleared. */
  brokenHooks: BrokenHook[];
  error?: string;
  runningDaemons: number;
}

export interface BrokenHook {
  program: string;
  problem: 'missing' | 'in-package-cache';
}

/** The hook programs that no longer run (or will stop running once a package cache is cleared). */
export function brokenHookPrograms(commands: readonly string[], env: NodeJS.ProcessEnv = process.env): BrokenHook[] {
  const broken: BrokenHook[] = [];
  for (const program of new Set(commands.map(commandProgram))) {
    if (!programResolves(program)) broken.push({ program, problem: 'missing' });
    else if (isInPackageCache(program, env)) broken.push({ program, problem: 'in-package-cache' });
  }
  return broken;
}

export interface StatusReport {
  configPath: string;
  configExists: boolean;
  backend: BackendStatus;
  redaction: boolean | null;
  providers: ProviderStatus[];
  daemons: { running: number; stale: number };
  /** Sessions whose daemon stopped with lines (or the session end) not yet on the backend. */
  pending: { provider: string; session: string; reason: string; since: string; attempts: number; sessionEndOwed: boolean }[];
}

/** Total size and session count of the embedded store (without creating it). */
async function storeUsage(dir: string): Promise<{ exists: boolean; sessions: number; sizeBytes: number }> {
  if (!existsSync(dir)) return { exists: false, sessions: 0, sizeBytes: 0 };
  let sizeBytes = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) sizeBytes += await stat(p).then((s) => s.size, () => 0);
    }
  };
  await walk(dir);
  // Dot entries are creations in progress, not sessions yet.
  const sessions = await readdir(join(dir, 'sessions')).then(
    (names) => names.filter((n) => !n.startsWith('.')).length,
    () => 0,
  );
  return { exists: true, sessions, sizeBytes };
}

/**
 * What `confab status` shows: where sessions go (and whether that works right now), whether
 * each agent is installed and hooked, and how many daemons run. The key is validated live
 * with a short timeout.
 */
export async function collectStatus(providers: readonly Provider[], opts: { cwd?: string; validateTimeoutMs?: number } = {}): Promise<StatusReport> {
  const configPath = userConfigPath();
  let backend: BackendStatus;
  let redaction: boolean | null = null;
  try {
    const settings = await resolveSettings({ cwd: opts.cwd ?? process.cwd() });
    redaction = settings.redaction.enabled;
    if (settings.backend.kind === 'local') {
      backend = { kind: 'local', source: settings.backendSource, storeDir: storeDir(), ...(await storeUsage(storeDir())) };
    } else {
      const { url, apiKey } = settings.backend;
      try {
        const user = await validateApiKey(url, apiKey, { timeoutMs: opts.validateTimeoutMs ?? 3_000 });
        backend = { kind: 'http', source: settings.backendSource, url, key: 'valid', user };
      } catch (err) {
        const key = isBackendError(err, 'unauthorized') ? 'invalid' : 'unreachable';
        backend = { kind: 'http', source: settings.backendSource, url, key, error: errorLine(err) };
      }
    }
  } catch (err) {
    backend = { kind: 'misconfigured', error: errorLine(err) };
  }

  const { daemons } = await listDaemonStatuses();
  const rows: ProviderStatus[] = [];
  for (const p of providers) {
    const row: ProviderStatus = {
      provider: p.name,
      displayName: p.displayName ?? p.name,
      detected: false,
      hooksInstalled: null,
      brokenHooks: [],
      runningDaemons: daemons.filter((d) => d.provider === p.name && d.running).length,
    };
    try {
      row.detected = (await p.detect?.()) ?? false;
      const installer = hookInstallerOf(p);
      row.hooksInstalled = installer ? await installer.isInstalled() : null;
      row.brokenHooks = brokenHookPrograms((await installer?.installedCommands?.()) ?? []);
    } catch (err) {
      row.error = errorLine(err);
    }
    rows.push(row);
  }
  return {
    configPath,
    configExists: existsSync(configPath),
    backend,
    redaction,
    providers: rows,
    daemons: { running: daemons.filter((d) => d.running).length, stale: daemons.filter((d) => !d.running).length },
    pending: listPending().map((p) => ({
      provider: p.provider,
      session: p.external_id,
      reason: p.reason,
      since: p.recorded_at,
      attempts: p.attempts,
      sessionEndOwed: Boolean(p.session_end),
    })),
  };
}
