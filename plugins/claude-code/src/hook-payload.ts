import { HookInputError, type HookEvent, type SessionHookInput } from 'confab/provider';
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { claudeDir, projectsDir } from './claude-dir.js';

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

const SESSION_ID = /^[A-Za-z0-9_-]+$/;
// State and inbox files are named after the id; keep `<id>.inbox.jsonl` under NAME_MAX.
const MAX_SESSION_ID = 200;
const MAX_PATH = 4096;

function fail(message: string): never {
  throw new HookInputError(`hook payload ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field; absent and `null` read as `""`, as Go's decoder does. */
function stringField(payload: Record<string, unknown>, key: string): string {
  const value = payload[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(`"${key}" must be a string`);
  return value;
}

function optionalObject(payload: Record<string, unknown>, key: string): void {
  const value = payload[key];
  if (value !== undefined && value !== null && !isObject(value)) fail(`"${key}" must be an object`);
}

interface ResolvedPath {
  path: string;
}

/**
 * Resolve symlinks in the longest existing prefix of `path` and append the rest lexically
 * (at SessionStart neither the transcript nor its project dir need exist yet). Undefined
 * when the path cannot be resolved: a dangling symlink (what it points at could appear
 * later), a loop, or a file used as a directory. This runs on every session hook, so it
 * avoids exceptions and Stats objects on the common paths (each costs a fraction of a
 * millisecond on a cold start) and uses the native realpath.
 */
function resolveExistingPrefix(path: string): ResolvedPath | undefined {
  const rest: string[] = [];
  let current = path;
  while (!existsSync(current)) {
    // existsSync follows links: a link to nowhere reads as absent, so look at it as is.
    try {
      if (lstatSync(current, { throwIfNoEntry: false }) !== undefined) return undefined;
    } catch {
      return undefined; // ENOTDIR and the like
    }
    const parent = dirname(current);
    if (parent === current) return { path };
    rest.push(basename(current));
    current = parent;
  }
  try {
    return { path: join(realpathSync.native(current), ...rest.reverse()) };
  } catch {
    return undefined;
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * Check that a transcript path from a hook is one Claude Code could have written: absolute,
 * no `..`, and, symlinks resolved, inside `<claude dir>/projects` (or inside
 * `CONFAB_CLAUDE_DIR` itself, where older layouts kept transcripts). Throws `HookInputError`.
 */
export function checkTranscriptPath(path: string, base = claudeDir()): void {
  if (path === '') fail('"transcript_path" is missing');
  if (path.includes('\0')) fail('"transcript_path" must not contain NUL bytes');
  if (path.length > MAX_PATH) fail(`"transcript_path" is longer than ${MAX_PATH} characters`);
  if (!isAbsolute(path)) fail('"transcript_path" must be an absolute path');
  if (path.split(/[\\/]/).includes('..')) fail('"transcript_path" must not contain ".."');
  const resolved = resolveExistingPrefix(path);
  if (!resolved) fail('"transcript_path" cannot be resolved (a dangling symlink, or a file where a directory should be)');
  const roots = [projectsDir(base)];
  if (process.env.CONFAB_CLAUDE_DIR) roots.push(process.env.CONFAB_CLAUDE_DIR);
  for (const root of roots) {
    const realRoot = resolveExistingPrefix(root)?.path ?? root;
    if (isInside(realRoot, resolved.path)) return;
  }
  fail(`"transcript_path" must be inside ${projectsDir(base)}`);
}

/**
 * Validate a Claude Code hook payload for `event`. `validateTranscript` is false for the
 * hooks that only need the session id (user-prompt-submit, tool hooks), as in the Go CLI.
 */
export function parseClaudeHookPayload<E extends HookEvent>(event: E, payload: unknown, opts: { validateTranscript: boolean }): ClaudeHookPayloads[E] {
  if (!isObject(payload)) fail('must be a JSON object');
  const sessionId = stringField(payload, 'session_id');
  if (sessionId === '') fail('"session_id" is missing');
  if (!SESSION_ID.test(sessionId)) fail('"session_id" must match ^[A-Za-z0-9_-]+$');
  if (sessionId.length > MAX_SESSION_ID) fail(`"session_id" is longer than ${MAX_SESSION_ID} characters`);
  const transcriptPath = stringField(payload, 'transcript_path');
  for (const key of ['cwd', 'hook_event_name', 'permission_mode']) stringField(payload, key);
  const parentPid = payload.parent_pid;
  if (parentPid !== undefined && parentPid !== null && !(Number.isSafeInteger(parentPid) && (parentPid as number) >= 0)) {
    fail('"parent_pid" must be a non-negative integer');
  }
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
      optionalObject(payload, 'tool_input');
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
