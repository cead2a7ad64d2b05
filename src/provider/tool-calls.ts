import type { ToolCall } from './contract.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Did a tool response say the call failed? A non-zero exit code, an interrupted command, or only stderr. */
function responseFailed(response: Record<string, unknown>): boolean {
  for (const key of ['exit_code', 'exitCode']) {
    const code = response[key];
    if (typeof code === 'number' && code !== 0) return true;
  }
  if (response.interrupted === true) return true;
  return typeof response.stderr === 'string' && response.stderr !== '' && !('stdout' in response);
}

export interface ToolNames {
  /** Tools that run a shell command line from `tool_input.command` (`Bash`). */
  shell: readonly string[];
  /** Tools that open a pull request with `tool_input.body` (`mcp__github__create_pull_request`). */
  pullRequest?: readonly string[];
}

/**
 * `Provider.toolCall` for tool hooks shaped like Claude Code's (Codex's too): `tool_name`,
 * `tool_input`, and after the call `tool_response` — an object (`stdout`, `stderr`,
 * `interrupted`, maybe an exit code) or a bare string (Codex's shell output).
 */
export function toolCallFromPayload(payload: Record<string, unknown>, tools: ToolNames): ToolCall | undefined {
  const name = payload.tool_name;
  const input = payload.tool_input;
  if (typeof name !== 'string' || !isObject(input)) return undefined;
  const response = payload.tool_response;
  const after: Pick<ToolCall, 'output' | 'succeeded'> = {};
  if (typeof response === 'string') after.output = response;
  else if (response !== undefined) {
    after.output = JSON.stringify(response) ?? '';
    if (isObject(response) && responseFailed(response)) after.succeeded = false;
  }
  if (tools.shell.includes(name)) return typeof input.command === 'string' ? { command: input.command, ...after } : undefined;
  if (tools.pullRequest?.includes(name)) return { pullRequestBody: typeof input.body === 'string' ? input.body : '', ...after };
  return undefined;
}
