import {
  checkOptionalObject,
  checkParentPid,
  isInsideDir,
  isPlainObject,
  lexicalPathProblem,
  MAX_SESSION_ID_LENGTH,
  payloadError as fail,
  payloadString as stringField,
  resolveExistingPrefix,
  SESSION_ID_PATTERN,
  type HookEvent,
  type SessionHookInput,
} from 'confab-cli/provider';
import { agentConfigDir, claudeDir, projectsDir } from './claude-dir.js';

/**
 * The JSON Claude Code writes to a hook's stdin. One base shape for every event, plus the
 * fields each event adds. Keys confab does not know are kept (the SessionEnd payload is
 * forwarded verbatim as the `session_end` event).
 */
export interface ClaudeHookPayloadBase {
  session_id: string;
  /** Absolute; the file may not exist yet at SessionStart. `""` when Claude sent none. */
  transcript_path: string;
  cwd: string;
  hook_event_name?: string;
  /** `default`, `plan`, `acceptEdits`, `bypassPermissions`. */
  permission_mode?: string;
  /** Set by confab's own callers, never by Claude Code. */
  parent_pid?: number;
  [key: string]: unknown;
}

export interface SessionStartPayload extends ClaudeHookPayloadBase {
  source?: 'startup' | 'resume' | 'clear' | 'compact' | (string & {});
}

export interface SessionEndPayload extends ClaudeHookPayloadBase {
  reason?: 'clear' | 'logout' | 'prompt_input_exit' | 'exit' | 'other' | (string & {});
}

export interface UserPromptSubmitPayload extends ClaudeHookPayloadBase {
  prompt?: string;
}

export interface PreToolUsePayload extends ClaudeHookPayloadBase {
  tool_name: string;
  tool_input?: Record<string, unknown>;
  tool_use_id?: string;
}

export interface PostToolUsePayload extends PreToolUsePayload {
  /** Tool-specific: an object for most tools, a string or list for some MCP tools. */
  tool_response?: unknown;
}

/** The payload type of each confab hook command. */
export interface ClaudeHookPayloads {
  'session-start': SessionStartPayload;
  'session-end': SessionEndPayload;
  'user-prompt-submit': UserPromptSubmitPayload;
  'pre-tool-use': PreToolUsePayload;
  'post-tool-use': PostToolUsePayload;
}

export type ClaudeHookPayload = ClaudeHookPayloads[HookEvent];

/**
 * Check that a transcript path from a hook is one Claude Code could have written: absolute,
 * no `..`, and, symlinks resolved, inside `<claude dir>/projects`, or `$CLAUDE_CONFIG_DIR/projects`
 * when Claude Code runs from another config dir (or inside `CONFAB_CLAUDE_DIR` itself, where
 * older layouts kept transcripts). Throws `HookInputError`.
 */
export function checkTranscriptPath(path: string, base = claudeDir()): void {
  if (path === '') fail('"transcript_path" is missing');
  const problem = lexicalPathProblem(path);
  if (problem) fail(`"transcript_path" ${problem}`);
  const resolved = resolveExistingPrefix(path);
  if (!resolved) fail('"transcript_path" cannot be resolved (a dangling symlink, or a file where a directory should be)');
  const roots = [projectsDir(base)];
  if (process.env.CONFAB_CLAUDE_DIR) roots.push(process.env.CONFAB_CLAUDE_DIR);
  // Claude Code run with another config dir writes its transcripts there.
  const agentDir = agentConfigDir();
  if (agentDir) roots.push(projectsDir(agentDir));
  for (const root of roots) {
    const realRoot = resolveExistingPrefix(root) ?? root;
    if (isInsideDir(realRoot, resolved)) return;
  }
  fail(`"transcript_path" must be inside ${projectsDir(base)}`);
}

/**
 * Validate a Claude Code hook payload for `event`. `validateTranscript` is false for the
 * hooks that only need the session id (user-prompt-submit, tool hooks), as in the Go CLI.
 */
export function parseClaudeHookPayload<E extends HookEvent>(event: E, payload: unknown, opts: { validateTranscript: boolean }): ClaudeHookPayloads[E] {
  if (!isPlainObject(payload)) fail('must be a JSON object');
  const sessionId = stringField(payload, 'session_id');
  if (sessionId === '') fail('"session_id" is missing');
  if (!SESSION_ID_PATTERN.test(sessionId)) fail('"session_id" must match ^[A-Za-z0-9_-]+$');
  if (sessionId.length > MAX_SESSION_ID_LENGTH) fail(`"session_id" is longer than ${MAX_SESSION_ID_LENGTH} characters`);
  const transcriptPath = stringField(payload, 'transcript_path');
  for (const key of ['cwd', 'hook_event_name', 'permission_mode']) stringField(payload, key);
  checkParentPid(payload);
  switch (event) {
    case 'session-start':
      stringField(payload, 'source');
      break;
    case 'session-end':
      stringField(payload, 'reason');
      break;
    case 'user-prompt-submit':
      stringField(payload, 'prompt');
      break;
    case 'pre-tool-use':
    case 'post-tool-use':
      if (stringField(payload, 'tool_name') === '') fail('"tool_name" is missing');
      checkOptionalObject(payload, 'tool_input');
      stringField(payload, 'tool_use_id');
      break;
  }
  if (opts.validateTranscript) checkTranscriptPath(transcriptPath);
  return payload as ClaudeHookPayloads[E];
}

/** `Provider.parseHookInput` for Claude Code. */
export function parseHookInput(event: HookEvent, payload: unknown, opts: { validateTranscript: boolean }): SessionHookInput {
  const p = parseClaudeHookPayload(event, payload, opts);
  const parentPid = typeof p.parent_pid === 'number' && p.parent_pid > 0 ? p.parent_pid : undefined;
  return {
    sessionId: p.session_id,
    transcriptPath: typeof p.transcript_path === 'string' ? p.transcript_path : '',
    cwd: typeof p.cwd === 'string' ? p.cwd : '',
    ...(typeof p.hook_event_name === 'string' && p.hook_event_name !== '' ? { hookEventName: p.hook_event_name } : {}),
    ...(parentPid !== undefined ? { parentPid } : {}),
    payload: p,
  };
}
