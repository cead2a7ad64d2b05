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
import { basename } from 'node:path';
import { sessionsDir } from './codex-dir.js';
import { threadIdOfRolloutName } from './rollout.js';

/**
 * The JSON Codex writes to a hook command's stdin: one shape for every event, with the
 * fields each event adds. Unknown keys are kept as received.
 */
export interface CodexHookPayload {
  session_id: string;
  /** The thread's rollout; `null` when Codex keeps none (ephemeral sessions). */
  transcript_path?: string | null;
  cwd?: string;
  hook_event_name?: string;
  model?: string;
  permission_mode?: string;
  /** SessionStart: `startup`, `resume`, `clear`. */
  source?: string;
  turn_id?: string;
  /** PreToolUse / PostToolUse. Codex reports its shell tool as `Bash`. */
  tool_name?: string;
  tool_input?: Record<string, unknown> | null;
  tool_use_id?: string;
  /** PostToolUse: a string for the shell tool, an object for others. */
  tool_response?: unknown;
  [key: string]: unknown;
}

const STRING_FIELDS = ['cwd', 'hook_event_name', 'model', 'permission_mode', 'source', 'turn_id', 'tool_name', 'tool_use_id'] as const;

/**
 * A rollout path a daemon may upload: absolute, no `..` or NUL, not a dangling link, named `rollout-<ts>-<uuid>.jsonl`
 * and inside Codex's sessions directory once symlinks are resolved. Returns the reason
 * when it is not.
 */
export function checkRolloutPath(path: string, sessions = sessionsDir()): string | undefined {
  if (path === '') return 'is required';
  const problem = lexicalPathProblem(path);
  if (problem) return problem;
  if (!threadIdOfRolloutName(basename(path))) return 'must name a Codex rollout (rollout-<timestamp>-<uuid>.jsonl)';
  const resolved = resolveExistingPrefix(path);
  if (!resolved) return 'cannot be resolved (a dangling symlink, or a file where a directory should be)';
  if (!isInsideDir(resolveExistingPrefix(sessions) ?? sessions, resolved)) {
    return `must be inside the Codex sessions directory (${sessions})`;
  }
  return undefined;
}

/** Validate a Codex hook payload; throws `HookInputError` with a one-line message. */
export function parseCodexHookPayload(payload: unknown, opts: { validateTranscript: boolean }): CodexHookPayload {
  if (!isPlainObject(payload)) fail('must be a JSON object');
  const sessionId = stringField(payload, 'session_id');
  if (sessionId === '') fail('"session_id" is required');
  if (sessionId.length > MAX_SESSION_ID_LENGTH || !SESSION_ID_PATTERN.test(sessionId)) fail('"session_id" must match ^[A-Za-z0-9_-]+$ (at most 200 characters)');
  for (const key of STRING_FIELDS) stringField(payload, key);
  const transcriptPath = stringField(payload, 'transcript_path');
  if (opts.validateTranscript) {
    const problem = checkRolloutPath(transcriptPath);
    if (problem) fail(`"transcript_path" ${problem}`);
  }
  checkOptionalObject(payload, 'tool_input');
  checkParentPid(payload);
  return payload as CodexHookPayload;
}

/** `Provider.parseHookInput` for Codex. */
export function parseHookInput(_event: HookEvent, payload: unknown, opts: { validateTranscript: boolean }): SessionHookInput {
  const p = parseCodexHookPayload(payload, opts);
  const input: SessionHookInput = {
    sessionId: p.session_id,
    transcriptPath: typeof p.transcript_path === 'string' ? p.transcript_path : '',
    cwd: p.cwd ?? '',
    payload: p,
  };
  if (p.hook_event_name) input.hookEventName = p.hook_event_name;
  if (typeof p.parent_pid === 'number' && p.parent_pid > 0) input.parentPid = p.parent_pid;
  return input;
}
