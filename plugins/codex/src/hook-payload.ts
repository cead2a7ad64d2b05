import {
  checkOptionalObject,
  checkParentPid,
  isPlainObject,
  MAX_PAYLOAD_PATH,
  MAX_SESSION_ID_LENGTH,
  payloadError as fail,
  payloadString as stringField,
  SESSION_ID_PATTERN,
  type HookEvent,
  type SessionHookInput,
} from 'confab/provider';
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
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
 * Resolve symlinks in the longest existing prefix of `path` and append the rest as is: at
 * SessionStart the rollout (even its day directory) may not exist yet.
 */
function resolveExisting(path: string): string {
  const tail: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync(current), ...tail.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      tail.push(basename(current));
      current = parent;
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * A rollout path a daemon may upload: absolute, no `..`, named `rollout-<ts>-<uuid>.jsonl`
 * and inside Codex's sessions directory once symlinks are resolved. Returns the reason
 * when it is not.
 */
export function checkRolloutPath(path: string, sessions = sessionsDir()): string | undefined {
  if (path === '') return 'is required';
  if (path.length > MAX_PAYLOAD_PATH) return `is longer than ${MAX_PAYLOAD_PATH} characters`;
  if (!isAbsolute(path)) return 'must be an absolute path';
  if (path.split(/[\\/]/).includes('..')) return 'must not contain ".."';
  if (!threadIdOfRolloutName(basename(path))) return 'must name a Codex rollout (rollout-<timestamp>-<uuid>.jsonl)';
  if (!isInside(resolveExisting(path), resolveExisting(sessions))) {
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
