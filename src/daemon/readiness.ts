import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { getStatePathForProvider } from './state-store.js';

/**
 * A daemon is "ready" once it handles SIGTERM itself. Before that, Node's default action
 * kills it outright — and a short session (`claude -p`) can end ~1 s after it started, i.e.
 * while its daemon is still booting. So the daemon installs its handlers first thing and then
 * writes `<state>.ready` with its PID; `stopDaemon` waits (briefly) for that before signalling.
 */
export function readyPath(provider: string, externalId: string): string {
  return `${getStatePathForProvider(provider, externalId)}.ready`;
}

interface EarlySignalCatcher {
  signals: NodeJS.Signals[];
  listener: (sig: NodeJS.Signals) => void;
}

/**
 * Process-wide, not module-level: the hook bundle (CommonJS) installs the catcher and the
 * daemon modules (ESM, loaded later) read it — two copies of this module, one process.
 */
function catcher(): EarlySignalCatcher {
  const key = Symbol.for('confab.earlySignals');
  const g = globalThis as unknown as Record<symbol, EarlySignalCatcher | undefined>;
  let c = g[key];
  if (!c) {
    const signals: NodeJS.Signals[] = [];
    c = { signals, listener: (sig) => signals.push(sig) };
    g[key] = c;
  }
  return c;
}

/** Signals that arrived before the daemon object existed; it honours them once built. */
export function earlySignals(): readonly NodeJS.Signals[] {
  return catcher().signals;
}

/** First thing a daemon process does: catch SIGTERM/SIGINT, then announce readiness. */
export function becomeReady(provider: string, externalId: string, opts: { marker?: boolean } = {}): void {
  const { listener } = catcher();
  process.on('SIGTERM', listener);
  process.on('SIGINT', listener);
  process.on('SIGHUP', () => {});
  // A drain (a pending session finished in the background) owns no state, so nobody waits
  // for its marker, and writing one would shadow the marker of the session's own daemon.
  if (opts.marker === false) return;
  try {
    const path = readyPath(provider, externalId);
    ensurePrivateDirSync(dirname(path));
    writeFileSync(path, String(process.pid), { mode: PRIVATE_FILE_MODE });
  } catch {
    // Without the marker a stopper waits its short grace period, then signals anyway.
  }
}

/**
 * `becomeReady` for a daemon process, from its `--bg-daemon` launch JSON: the first thing it
 * does, before anything slow loads. A launch JSON it cannot read is left for the daemon to
 * report.
 */
export function announceDaemonLaunch(launchJson: string): void {
  try {
    const { provider, external_id, drain } = JSON.parse(launchJson) as { provider?: unknown; external_id?: unknown; drain?: unknown };
    if (typeof provider === 'string' && typeof external_id === 'string' && /^[A-Za-z0-9_-]+$/.test(external_id)) {
      becomeReady(provider.trim().toLowerCase() || 'claude-code', external_id, { marker: drain !== true });
    }
  } catch {
    // reported by the daemon
  }
}

/** Stop collecting early signals (the daemon's own handlers take over). */
export function releaseEarlySignals(): void {
  const { listener } = catcher();
  process.off('SIGTERM', listener);
  process.off('SIGINT', listener);
}

export function isReady(provider: string, externalId: string, pid: number): boolean {
  try {
    return readFileSync(readyPath(provider, externalId), 'utf8').trim() === String(pid);
  } catch {
    return false;
  }
}

/** Wait until the daemon `pid` is ready or `timeoutMs` passes (a Go daemon never writes the marker). */
export async function waitUntilReady(provider: string, externalId: string, pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!isReady(provider, externalId, pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

export function removeReadyMarker(provider: string, externalId: string, pid: number): void {
  if (isReady(provider, externalId, pid)) rmSync(readyPath(provider, externalId), { force: true });
}
