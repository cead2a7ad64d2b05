import { ensureDaemon } from '../daemon/spawn.js';
import { recordPending } from '../daemon/pending.js';
import { reapStaleStates } from '../daemon/reaper.js';
import { resumePendingSessions } from '../daemon/resume.js';
import { NoDaemonError, StaleDaemonError, stopDaemonForProvider } from '../daemon/stop.js';
import type { Logger } from '../log.js';
import { githubCommands, mayTouchGithub } from '../github/shell-link.js';
import type * as ToolLinks from './github-links.js';
import type { HookAnswer, Provider, SessionHookInput, ToolCall } from '../provider/contract.js';
import { sessionSettings } from './plugin-providers.js';
import { formatRfc3339 } from '../format/rfc3339.js';

export interface HookContext {
  provider: Provider;
  input: SessionHookInput;
  log: Logger;
  /** One-line notes for the agent's stderr (never payloads). */
  note(text: string): void;
}

/**
 * What the daemon will check when it starts, checked first here so a problem is one clear
 * line on the agent's stderr instead of a daemon that dies in its log: the settings resolve
 * (user config, project config, env), the project does not opt out (`enabled: false`), and
 * every plugin a config lists loads. A broken config starts no daemon: syncing with settings
 * the user did not intend is worse than not syncing.
 */
async function syncBlocker(ctx: HookContext, cwd: string): Promise<string | undefined> {
  try {
    const settings = await sessionSettings(cwd);
    if (!settings.enabled) {
      ctx.log.info('sync disabled by project config', { config: settings.projectFile });
      return `sync is disabled for this project by ${settings.projectFile}`;
    }
    if (settings.plugins.length > 0) {
      // Kept out of the hook bundle: the module loader loads only when plugins are configured.
      const { loadPlugins } = await import('../plugin/load.js');
      await loadPlugins(settings.plugins, (message) => ctx.log.warn(message));
    }
    return undefined;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    ctx.log.warn(`not starting a daemon: ${msg}`);
    return msg;
  }
}

async function startDaemonFor(ctx: HookContext): Promise<void> {
  const res = await ensureDaemon(ctx.provider, ctx.input, {
    // The hook exits right after: the daemon's start-up waits for that rather than slow it.
    afterExitOf: process.pid,
    beforeSpawn: (input) => syncBlocker(ctx, input.cwd),
    onWarning: (message) => {
      ctx.log.warn(message, { session: ctx.input.sessionId });
      ctx.note(`warning: ${message}`);
    },
  });
  const label = `${ctx.provider.displayName ?? ctx.provider.name} sync daemon`;
  switch (res.status) {
    case 'started':
      ctx.log.info('daemon started', { session: ctx.input.sessionId, pid: res.pid, parent_pid: res.parentPid });
      if (res.parentPid === 0) ctx.log.warn('agent process not found; parent monitoring disabled', { session: ctx.input.sessionId });
      if (res.replaced) ctx.log.info('daemon handed over', { session: ctx.input.sessionId, previous_pid: res.replaced.pid, why: res.replaced.reason });
      ctx.note(
        `${label} started in background (session ${ctx.input.sessionId.slice(0, 8)}…)${res.replaced ? `, taking over from pid ${res.replaced.pid} (${res.replaced.reason})` : ''}`,
      );
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

/**
 * SessionStart: reap dead daemons' files, then make sure this session has a daemon. Old
 * daemon logs are pruned by the daemon it starts, off the agent's path.
 */
export async function onSessionStart(ctx: HookContext): Promise<HookAnswer> {
  try {
    const reaped = await reapStaleStates();
    if (reaped.reaped.length) ctx.log.info('reaped stale states', { count: reaped.reaped.length });
    for (const path of reaped.setAside) ctx.log.warn('set aside a state file that cannot be decoded', { path });
  } catch (err) {
    ctx.log.debug(`reaper failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  await startDaemonFor(ctx);
  await resumePending(ctx);
  return {};
}

/**
 * Finish sessions left pending (backend down, daemons killed, a machine restart) in the
 * background: any session's hook does it, so a session is never silently dropped.
 */
async function resumePending(ctx: HookContext): Promise<void> {
  try {
    const resumed = await resumePendingSessions({ log: ctx.log, afterExitOf: process.pid });
    if (resumed.length) {
      // Why they were left behind (a full disk, a backend down) is what the user can act on.
      const failure = resumed.find((r) => r.last_error)?.last_error;
      ctx.note(`resuming ${resumed.length} pending session(s) in the background${failure ? ` (last failure: ${failure})` : ''}`);
    }
  } catch (err) {
    ctx.log.warn(`could not resume pending sessions: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** UserPromptSubmit: restart a daemon that died between turns (or never got a SessionStart). */
export async function onUserPromptSubmit(ctx: HookContext): Promise<HookAnswer> {
  await startDaemonFor(ctx);
  await resumePending(ctx);
  return { suppressOutput: true };
}

/**
 * SessionEnd: hand the payload to the daemon through its inbox and SIGTERM it; never wait.
 * A sub-agent's session ending (Codex) leaves its root's daemon alone: the root goes on.
 */
export async function onSessionEnd(ctx: HookContext): Promise<HookAnswer> {
  const root = ctx.provider.resolveRoot ? await ctx.provider.resolveRoot(ctx.input).catch(() => ctx.input) : ctx.input;
  if (root.sessionId !== ctx.input.sessionId) {
    ctx.log.info('a sub-agent session ended; its root session goes on', { session: ctx.input.sessionId, root: root.sessionId });
    await resumePending(ctx);
    return {};
  }
  try {
    const res = await stopDaemonForProvider(ctx.provider, ctx.input.sessionId, ctx.input.payload);
    ctx.log.info('daemon asked to stop', { session: ctx.input.sessionId, pid: res.pid });
  } catch (err) {
    if (err instanceof StaleDaemonError) {
      // The daemon died during the session (killed, crashed): what it did not upload, and
      // this SessionEnd, are still owed to the backend.
      recordPending({
        provider: ctx.provider.name,
        external_id: ctx.input.sessionId,
        transcript_path: ctx.input.transcriptPath,
        cwd: ctx.input.cwd,
        reason: 'daemon-died',
        session_end: { type: 'session_end', timestamp: formatRfc3339(Date.now()), hook_input: ctx.input.payload },
      });
      ctx.note('Note: the sync daemon had died; the session will be finished in the background');
    } else if (err instanceof NoDaemonError) ctx.note(`Note: ${err.message}`);
    else throw err;
  }
  await resumePending(ctx);
  return {};
}

/**
 * The tool call, when it may link the session to GitHub: a shell command that may commit,
 * push or open a PR, or a tool that opens one. Decided from the payload alone, so the many
 * tool calls that cannot are answered without loading anything more.
 */
function linkableCall(ctx: HookContext, event: 'pre-tool-use' | 'post-tool-use'): ToolCall | undefined {
  if (process.env.CONFAB_DISABLE_LINK_FROM_GITHUB) return undefined;
  const call = ctx.provider.toolCall?.(event, ctx.input);
  if (!call) return undefined;
  if (call.pullRequestBody !== undefined) return call;
  // The regular expression rules out most lines at once; the scanner the rest (`echo "git commit"`).
  if (call.command === undefined || !mayTouchGithub(call.command)) return undefined;
  const found = githubCommands(call.command);
  // Before the call only commits and PRs need the link; after it, a push links the commit too.
  return found.commit || found.prCreate || (found.push && event === 'post-tool-use') ? call : undefined;
}

// Kept out of the hook bundle (see scripts/bundle-hook.mjs): loaded only for linkable calls.
const toolLinks = (): Promise<typeof ToolLinks> => import('./github-links.js');

/**
 * PreToolUse: a provider that rewrites calls does so itself (Cursor adds the session's link to
 * commits and PRs); for the others, confab refuses a commit or PR that lacks the link, saying
 * how to add it.
 */
export async function onPreToolUse(ctx: HookContext): Promise<HookAnswer> {
  if (ctx.provider.preToolUse) {
    return ctx.provider.preToolUse(ctx.input, { sessionUrl: async () => (await toolLinks()).sessionWebUrl(ctx) });
  }
  const call = linkableCall(ctx, 'pre-tool-use');
  return call ? (await toolLinks()).preToolUseLink(ctx, call) : {};
}

/** PostToolUse: record the commit or pull request the call made on the session's backend. */
export async function onPostToolUse(ctx: HookContext): Promise<HookAnswer> {
  const call = linkableCall(ctx, 'post-tool-use');
  if (call) await (await toolLinks()).postToolUseLink(ctx, call);
  return {};
}
