/**
 * `@confab/plugin-claude-code`: the Claude Code provider.
 *
 * This module is inlined into confab's hook fast path, which runs at every tool call, so
 * it only holds what a hook needs at once (payload validation, the answer, legacy state
 * paths, and the parent-process lookup every daemon spawn needs: a first `import()` from the
 * hook bundle costs ~13 ms, more than the lookup itself). Everything heavier — git, directory
 * walks, settings editing, the daemon's taps — lives in modules loaded on first use with
 * `import()`.
 *
 * The transcript parser is a separate entry: `@confab/plugin-claude-code/transcript`.
 */
import { defineProvider, toolCallFromPayload, type HookAnswer, type HookEvent, type HookInstallOptions, type LegacyStatePaths, type ProviderApplyContext, type RestoreRequest, type SessionScanOptions } from 'confab-cli/provider';
import { join } from 'node:path';
import type { ClaudeDaemonTaps } from './daemon-taps.js';
import { claudeDir, configDirOfTranscript } from './claude-dir.js';
import { checkTranscriptPath, parseHookInput } from './hook-payload.js';
import { findClaudeParentPid } from './parent-process.js';

export { parseHookInput, parseClaudeHookPayload, checkTranscriptPath } from './hook-payload.js';
export type {
  ClaudeHookPayload,
  ClaudeHookPayloadBase,
  ClaudeHookPayloads,
  PostToolUsePayload,
  PreToolUsePayload,
  SessionEndPayload,
  SessionStartPayload,
  UserPromptSubmitPayload,
} from './hook-payload.js';
export { claudeDir, configDirOfTranscript, projectsDir, settingsPath } from './claude-dir.js';
// Types only: the parser itself is the `@confab/plugin-claude-code/transcript` entry.
export type * from './transcript.js';

const NAME = 'claude-code';

/**
 * State written by confab before per-provider directories (and by the Go CLI up to
 * v0.15): `~/.confab/sync/<id>.json` and `<id>.inbox.jsonl`. Daemons started that way are
 * still found, stopped and reaped through these.
 */
export const legacyStatePaths: LegacyStatePaths = {
  statePath: (syncDir, externalId) => join(syncDir, `${externalId}.json`),
  inboxPath: (syncDir, externalId) => join(syncDir, `${externalId}.inbox.jsonl`),
};

/** Tap a daemon's hooks; the work is loaded on the first call of any tap. */
function applyClaudeCode(ctx: ProviderApplyContext): void {
  let taps: Promise<ClaudeDaemonTaps> | undefined;
  const load = (): Promise<ClaudeDaemonTaps> => (taps ??= import('./daemon-taps.js').then((m) => new m.ClaudeDaemonTaps()));
  ctx.hooks.initRequest.tapPromise(NAME, async (req, initCtx) => (await load()).initRequest(req, initCtx));
  ctx.hooks.discoverFiles.tapPromise(NAME, async (files, discoverCtx) => (await load()).discoverFiles(files, discoverCtx));
  ctx.hooks.chunk.tapPromise(NAME, async (req, chunkCtx) => (await load()).chunk(req, chunkCtx));
}

/** The tools confab's hooks are installed for: the shell, and the GitHub MCP server's PR tool. */
const CLAUDE_TOOLS = { shell: ['Bash'], pullRequest: ['mcp__github__create_pull_request'] };

/**
 * Claude Code's hook answer. A refused tool call is a PreToolUse `deny` with the reason
 * shown to the model; nothing else ever carries a permission decision, so Claude Code's own
 * permission rules keep deciding on every call confab lets through.
 */
export function claudeHookResponse(event: HookEvent, answer: HookAnswer): Record<string, unknown> {
  return {
    continue: true,
    stopReason: '',
    suppressOutput: answer.suppressOutput ?? false,
    ...(answer.systemMessage ? { systemMessage: answer.systemMessage } : {}),
    ...(event === 'pre-tool-use' && answer.denyToolUse
      ? { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: answer.denyToolUse } }
      : {}),
  };
}

export const claudeCode = defineProvider({
  name: NAME,
  displayName: 'Claude Code',
  legacyPaths: legacyStatePaths,

  parseHookInput,

  configDirs: { default: claudeDir, ofTranscript: configDirOfTranscript },

  hookResponse: claudeHookResponse,

  toolCall(_event, input) {
    return toolCallFromPayload(input.payload, CLAUDE_TOOLS);
  },

  /**
   * UserPromptSubmit payloads are parsed without the transcript check (they only need the
   * session id), yet they may start a daemon that uploads that file: refuse to spawn for a
   * path outside Claude Code's projects dir.
   */
  shouldSpawn(input) {
    try {
      checkTranscriptPath(input.transcriptPath);
      return true;
    } catch {
      return false;
    }
  },

  async findParentPid() {
    return findClaudeParentPid();
  },

  apply: applyClaudeCode,

  async detect() {
    return (await import('./detect.js')).detectClaudeCode();
  },

  hookInstaller: {
    async install(opts) {
      return (await import('./settings-hooks.js')).installHooks(opts);
    },
    async uninstall(opts) {
      return (await import('./settings-hooks.js')).uninstallHooks(opts);
    },
    async isInstalled(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./settings-hooks.js')).hooksInstalled(opts);
    },
    async installedCommands(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./settings-hooks.js')).installedHookCommands(opts);
    },
  },

  sessions: {
    async scan(opts?: SessionScanOptions) {
      return (await import('./session-scan.js')).scanClaudeSessions(opts);
    },
  },

  async restorePaths(req: RestoreRequest) {
    return (await import('./restore-paths.js')).claudeRestorePaths(req);
  },
});

export default claudeCode;
