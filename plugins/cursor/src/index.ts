/**
 * `@confab/plugin-cursor`: the Cursor provider (the IDE and `cursor-agent`).
 *
 * confab's hook fast path inlines this module and runs it at every Shell call Cursor makes,
 * so it only holds what a hook needs at once (payload validation, the answer). hooks.json
 * editing, process lookup, transcript reading and the daemon's taps load with `import()`.
 */
import { defineProvider, isPlainObject, type HookAnswer, type HookEvent, type HookInstallOptions, type ProviderApplyContext } from 'confab-cli/provider';
import { parseHookInput } from './hook-payload.js';

export { parseHookInput, parseCursorHookPayload, checkTranscriptPath, type CursorHookPayload } from './hook-payload.js';
export { cursorDir, projectsDir, hooksPath, projectDirName, transcriptPathFor, CURSOR_DIR_ENV } from './cursor-dir.js';
export { linkShellCommand, prLinkLine, type LinkedCommand, type LinkEdit } from 'confab-cli/provider';

const NAME = 'cursor';

/**
 * The hooks confab installs: sessionStart starts the daemon (Cursor's sub-agents fire none
 * of their own), sessionEnd stops it, and the Shell tool hooks. Cursor has no per-prompt
 * hook confab uses.
 */
export const CURSOR_EVENTS: readonly HookEvent[] = ['session-start', 'session-end', 'pre-tool-use', 'post-tool-use'];

/**
 * Cursor reads `{}` as "nothing to say" for every event: a Shell call confab does not change
 * gets no `permission`, so Cursor's own approval of the command is left as it is. A rewritten
 * call is `{"permission":"allow","updated_input":{…}}`, the form Cursor applies.
 */
export function cursorHookResponse(event: HookEvent, answer: HookAnswer): Record<string, unknown> {
  if (event === 'pre-tool-use' && answer.updatedToolInput) return { permission: 'allow', updated_input: answer.updatedToolInput };
  return {};
}

function applyCursor(ctx: ProviderApplyContext): void {
  ctx.hooks.discoverFiles.tapPromise(NAME, async (files, discoverCtx) => (await import('./daemon-taps.js')).discoverFiles(files, discoverCtx));
  ctx.hooks.chunk.tapPromise(NAME, async (req, chunkCtx) => (await import('./daemon-taps.js')).chunk(req, chunkCtx));
}

export const cursor = defineProvider({
  name: NAME,
  displayName: 'Cursor',
  events: CURSOR_EVENTS,

  parseHookInput,
  hookResponse: cursorHookResponse,

  /** After a Shell call: its command, output and exit code (Cursor rewrites commands itself before). */
  toolCall(event, input) {
    const { tool_name: name, tool_input: toolInput, tool_output: out } = input.payload;
    if (event !== 'post-tool-use' || name !== 'Shell' || !isPlainObject(toolInput) || typeof toolInput.command !== 'string') return undefined;
    const output = isPlainObject(out) && typeof out.output === 'string' ? out.output : '';
    const exitCode = isPlainObject(out) ? out.exitCode : undefined;
    // The Shell call's own cwd, else the payload's: the session's cwd is only the first workspace root.
    const cwd = [toolInput.cwd, input.payload.cwd].find((c): c is string => typeof c === 'string' && c !== '');
    return {
      command: toolInput.command,
      output,
      ...(cwd ? { cwd } : {}),
      ...(typeof exitCode === 'number' && exitCode !== 0 ? { succeeded: false } : {}),
    };
  },

  async preToolUse(input, ctx) {
    const command = (input.payload.tool_input as { command?: unknown } | null | undefined)?.command;
    // Most Shell calls are neither commits nor PRs: answered without loading anything.
    if (typeof command !== 'string' || !/\bgit\b|\bgh\b/.test(command)) return {};
    return (await import('./tool-link.js')).cursorPreToolUse(input, ctx);
  },

  async findParentPid() {
    return (await import('./parent-process.js')).findCursorParentPid();
  },

  apply: applyCursor,

  async detect() {
    return (await import('./detect.js')).detectCursor();
  },

  hookInstaller: {
    async install(opts: HookInstallOptions) {
      return (await import('./hooks-json.js')).installCursorHooks(opts);
    },
    async uninstall(opts: Omit<HookInstallOptions, 'command'>) {
      return (await import('./hooks-json.js')).uninstallCursorHooks(opts);
    },
    async isInstalled(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./hooks-json.js')).cursorHooksInstalled(opts);
    },
    async installedCommands(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./hooks-json.js')).cursorHookCommands(opts);
    },
  },

  sessions: {
    async scan(opts) {
      return (await import('./session-scan.js')).scanCursorSessions(opts);
    },
  },
});

export default cursor;
