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
import { projectsDir, transcriptPathFor } from './cursor-dir.js';

/**
 * The JSON Cursor writes to a hook command's stdin. sessionStart has `transcript_path: null`
 * and the workspace roots; sessionEnd has the transcript and `reason`; the Shell tool hooks
 * add `tool_input` (and, after the call, `tool_output`). Unknown keys are kept as received.
 */
export interface CursorHookPayload {
  session_id: string;
  conversation_id?: string;
  generation_id?: string;
  model?: string;
  hook_event_name?: string;
  cursor_version?: string;
  workspace_roots?: string[];
  transcript_path?: string | null;
  cwd?: string;
  /** sessionEnd: `completed`, `aborted`, `error`, `window_close`, `user_close`. */
  reason?: string;
  tool_name?: string;
  tool_input?: Record<string, unknown> | null;
  tool_output?: Record<string, unknown> | null;
  [key: string]: unknown;
}

const STRING_FIELDS = ['conversation_id', 'generation_id', 'model', 'hook_event_name', 'cursor_version', 'cwd', 'reason', 'tool_name', 'tool_use_id'] as const;

/**
 * A transcript path a daemon may upload: absolute, no `..` or NUL, a `.jsonl` file, inside
 * Cursor's projects directory once symlinks are resolved. Returns the reason when it is not.
 */
export function checkTranscriptPath(path: string, projects = projectsDir()): string | undefined {
  if (path === '') return 'is required';
  const problem = lexicalPathProblem(path);
  if (problem) return problem;
  if (!path.endsWith('.jsonl')) return 'must name a .jsonl transcript';
  const resolved = resolveExistingPrefix(path);
  if (!resolved) return 'cannot be resolved (a dangling symlink, or a file where a directory should be)';
  if (!isInsideDir(resolveExistingPrefix(projects) ?? projects, resolved)) return `must be inside the Cursor projects directory (${projects})`;
  return undefined;
}

function workspaceRoots(payload: Record<string, unknown>): string[] {
  const value = payload.workspace_roots;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail('"workspace_roots" must be an array of strings');
  return value as string[];
}

/** Validate a Cursor hook payload; throws `HookInputError` with a one-line message. */
export function parseCursorHookPayload(payload: unknown): CursorHookPayload {
  if (!isPlainObject(payload)) fail('must be a JSON object');
  const sessionId = stringField(payload, 'session_id');
  if (sessionId === '') fail('"session_id" is required');
  if (sessionId.length > MAX_SESSION_ID_LENGTH || !SESSION_ID_PATTERN.test(sessionId)) fail('"session_id" must match ^[A-Za-z0-9_-]+$ (at most 200 characters)');
  for (const key of STRING_FIELDS) stringField(payload, key);
  stringField(payload, 'transcript_path');
  workspaceRoots(payload);
  checkOptionalObject(payload, 'tool_input');
  checkOptionalObject(payload, 'tool_output');
  checkParentPid(payload);
  return payload as CursorHookPayload;
}

/**
 * `Provider.parseHookInput` for Cursor. The session's cwd is its first workspace root. At
 * sessionStart Cursor sends no transcript path: it is derived from that root and the id
 * (a path in the payload wins). sessionEnd must name the transcript.
 */
export function parseHookInput(event: HookEvent, payload: unknown, opts: { validateTranscript: boolean }): SessionHookInput {
  const p = parseCursorHookPayload(payload);
  const roots = workspaceRoots(p);
  const cwd = roots[0] ?? p.cwd ?? '';
  let transcriptPath = p.transcript_path ?? '';
  if (transcriptPath === '' && event === 'session-start') {
    if (!roots[0]) fail('"workspace_roots" is required when "transcript_path" is null (the transcript is found from the first root)');
    transcriptPath = transcriptPathFor(roots[0], p.session_id);
  }
  if (opts.validateTranscript) {
    const problem = checkTranscriptPath(transcriptPath);
    if (problem) fail(`"transcript_path" ${problem}`);
  }
  const input: SessionHookInput = { sessionId: p.session_id, transcriptPath, cwd, payload: p };
  if (p.hook_event_name) input.hookEventName = p.hook_event_name;
  if (typeof p.parent_pid === 'number' && p.parent_pid > 0) input.parentPid = p.parent_pid;
  return input;
}
