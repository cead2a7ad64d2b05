import { isPlainObject, linkShellCommand, mayTouchGithub, type HookAnswer, type SessionHookInput, type ToolUseContext } from 'confab-cli/provider';

/**
 * preToolUse for Cursor's Shell tool: when the command commits or opens a PR and the session
 * has a page on the backend, run it with the link added. Cursor replaces the tool input
 * wholesale, so the other keys (`cwd`, `timeout`) are passed back as they came.
 */
export async function cursorPreToolUse(input: SessionHookInput, ctx: ToolUseContext): Promise<HookAnswer> {
  const toolInput = input.payload.tool_input;
  if (input.payload.tool_name !== 'Shell' || !isPlainObject(toolInput) || typeof toolInput.command !== 'string') return {};
  if (!mayTouchGithub(toolInput.command)) return {};
  const url = await ctx.sessionUrl();
  if (!url) return {};
  const linked = linkShellCommand(toolInput.command, url);
  return linked.edits.length > 0 ? { updatedToolInput: { ...toolInput, command: linked.command } } : {};
}
