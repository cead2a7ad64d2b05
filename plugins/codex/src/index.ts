/**
 * `@confab/plugin-codex`: the OpenAI Codex provider.
 *
 * confab's hook fast path inlines this module and runs it at every tool call, so it only
 * holds what a hook needs at once (payload validation, the answer). Everything else —
 * rollout trees, config.toml editing, process lookup, git, the daemon's taps — is loaded
 * with `import()` on first use.
 */
import { defineProvider, toolCallFromPayload, type HookAnswer, type HookEvent, type HookInstallOptions, type ProviderApplyContext, type RestoreRequest } from 'confab-cli/provider';
import type { CodexDaemonTaps } from './daemon-taps.js';
import { parseHookInput } from './hook-payload.js';

export { parseHookInput, parseCodexHookPayload, checkRolloutPath, type CodexHookPayload } from './hook-payload.js';
export { codexDir, configPath, sessionsDir, CODEX_DIR_ENV } from './codex-dir.js';

const NAME = 'codex';

/**
 * Codex fires SessionStart for every thread (sub-agents included), PreToolUse, PostToolUse
 * and — since 0.171 — SessionEnd (at the end of `codex exec`, with `reason`). SessionEnd
 * stops the daemon as it does for Claude Code; Codex versions without it still end the sync
 * when the Codex process exits (the daemon watches it).
 */
export const CODEX_EVENTS: readonly HookEvent[] = ['session-start', 'session-end', 'user-prompt-submit', 'pre-tool-use', 'post-tool-use'];

/**
 * Codex's hook output: `{"continue":true,"stopReason"?,"systemMessage"?,"suppressOutput"?}`,
 * and for a refused tool call Claude Code's PreToolUse `deny` shape, which Codex reads too.
 */
export function codexHookResponse(event: HookEvent, answer: HookAnswer): Record<string, unknown> {
  const out: Record<string, unknown> = { continue: true };
  if (answer.suppressOutput) out.suppressOutput = true;
  if (answer.systemMessage) out.systemMessage = answer.systemMessage;
  if (event === 'pre-tool-use' && answer.denyToolUse) {
    out.hookSpecificOutput = { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: answer.denyToolUse };
  }
  return out;
}

/** Codex reports its shell tool as `Bash`; its output arrives as a bare string. */
const CODEX_TOOLS = { shell: ['Bash'] };

/** Tap a daemon's hooks; the work is loaded on the first call of any tap. */
function applyCodex(ctx: ProviderApplyContext): void {
  let taps: Promise<CodexDaemonTaps> | undefined;
  const load = (): Promise<CodexDaemonTaps> => (taps ??= import('./daemon-taps.js').then((m) => new m.CodexDaemonTaps()));
  ctx.hooks.initRequest.tapPromise(NAME, async (req, initCtx) => (await load()).initRequest(req, initCtx));
  ctx.hooks.discoverFiles.tapPromise(NAME, async (files, discoverCtx) => (await load()).discoverFiles(files, discoverCtx));
  ctx.hooks.chunk.tapPromise(NAME, async (req, chunkCtx) => (await load()).chunk(req, chunkCtx));
}

export const codex = defineProvider({
  name: NAME,
  displayName: 'Codex',
  events: CODEX_EVENTS,

  parseHookInput,
  hookResponse: codexHookResponse,

  toolCall(_event, input) {
    return toolCallFromPayload(input.payload, CODEX_TOOLS);
  },

  async resolveRoot(input) {
    return (await import('./resolve-root.js')).resolveRootInput(input);
  },

  async shouldSpawn(input) {
    return (await import('./resolve-root.js')).isUserRollout(input);
  },

  async findParentPid() {
    return (await import('./parent-process.js')).findCodexParentPid();
  },

  apply: applyCodex,

  async detect() {
    return (await import('./detect.js')).detectCodex();
  },

  hookInstaller: {
    async install(opts: HookInstallOptions) {
      return (await import('./config-hooks.js')).installCodexHooks(opts);
    },
    async uninstall(opts: Omit<HookInstallOptions, 'command'>) {
      return (await import('./config-hooks.js')).uninstallCodexHooks(opts);
    },
    async isInstalled(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./config-hooks.js')).codexHooksInstalled(opts);
    },
    async installedCommands(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./config-hooks.js')).codexHookCommands(opts);
    },
  },

  sessions: {
    async scan() {
      return (await import('./session-scan.js')).scanCodexSessions();
    },
  },

  async restorePaths(req: RestoreRequest) {
    return (await import('./restore-paths.js')).codexRestorePaths(req);
  },
});

export default codex;
