import { hasProjectConfigCandidate } from '../config/project-config-files.js';
import { ensureDaemon } from '../daemon/spawn.js';
import { pruneDaemonLogs, reapStaleStates } from '../daemon/reaper.js';
import { NoDaemonError, StaleDaemonError, stopDaemonForProvider } from '../daemon/stop.js';
import type { Logger } from '../log.js';
import type { HookAnswer, Provider, SessionHookInput } from '../provider/contract.js';

export interface HookContext {
  provider: Provider;
  input: SessionHookInput;
  log: Logger;
  /** One-line notes for the agent's stderr (never payloads). */
  note(text: string): void;
}

/**
 * A project config can opt its repository out (`enabled: false`). Loading it needs
 * cosmiconfig and a TypeScript loader, so it is only done when a candidate file exists
 * from the session's cwd upwards. A broken config blocks the daemon (with a clear note):
 * syncing with settings the user did not intend is worse than not syncing.
 */
async function projectAllowsSync(ctx: HookContext): Promise<boolean> {
  if (!hasProjectConfigCandidate(ctx.input.cwd)) return true;
  // Kept out of the hook bundle: cosmiconfig and the TypeScript loader load only when needed.
  const { loadProjectConfig } = await import('../config/project-config.js');
  try {
    const loaded = await loadProjectConfig(ctx.input.cwd);
    if (loaded?.config.enabled === false) {
      ctx.note(`sync disabled for this project by ${loaded.filepath}`);
      ctx.log.info('sync disabled by project config', { config: loaded.filepath });
      return false;
    }
    return true;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    ctx.note(`not syncing this session: ${msg}`);
    ctx.log.warn(`project config error: ${msg}`);
    return false;
  }
}

async function startDaemonFor(ctx: HookContext): Promise<void> {
  if (!(await projectAllowsSync(ctx))) return;
  const res = await ensureDaemon(ctx.provider, ctx.input);
  const label = `${ctx.provider.displayName ?? ctx.provider.name} sync daemon`;
  switch (res.status) {
    case 'started':
      ctx.log.info('daemon started', { session: ctx.input.sessionId, pid: res.pid, parent_pid: res.parentPid });
      if (res.parentPid === 0) ctx.log.warn('agent process not found; parent monitoring disabled', { session: ctx.input.sessionId });
      ctx.note(`${label} started in background (session ${ctx.input.sessionId.slice(0, 8)}…)`);
      break;
    case 'running':
      ctx.note(`${label} already running (pid ${res.pid})`);
      break;
    case 'starting':
      ctx.note(`${label} is being started by another hook`);
      break;
    case 'skipped':
      ctx.note(`not starting a daemon: ${res.reason}`);
      break;
  }
}

/** SessionStart: reap dead daemons' files, then make sure this session has a daemon. */
export async function onSessionStart(ctx: HookContext): Promise<HookAnswer> {
  try {
    const reaped = await reapStaleStates();
    if (reaped.reaped.length) ctx.log.info('reaped stale states', { count: reaped.reaped.length });
    pruneDaemonLogs();
  } catch (err) {
    ctx.log.debug(`reaper failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  await startDaemonFor(ctx);
  return {};
}

/** UserPromptSubmit: restart a daemon that died between turns (or never got a SessionStart). */
export async function onUserPromptSubmit(ctx: HookContext): Promise<HookAnswer> {
  await startDaemonFor(ctx);
  return { suppressOutput: true };
}

/** SessionEnd: hand the payload to the daemon through its inbox and SIGTERM it; never wait. */
export async function onSessionEnd(ctx: HookContext): Promise<HookAnswer> {
  try {
    const res = await stopDaemonForProvider(ctx.provider, ctx.input.sessionId, ctx.input.payload);
    ctx.log.info('daemon asked to stop', { session: ctx.input.sessionId, pid: res.pid });
  } catch (err) {
    if (err instanceof NoDaemonError || err instanceof StaleDaemonError) ctx.note(`Note: ${err.message}`);
    else throw err;
  }
  return {};
}
