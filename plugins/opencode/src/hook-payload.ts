import {
  checkParentPid,
  isPlainObject,
  MAX_SESSION_ID_LENGTH,
  payloadError as fail,
  payloadString as stringField,
  SESSION_ID_PATTERN,
  type HookEvent,
  type SessionHookInput,
} from 'confab-cli/provider';
import { materializedPath } from './opencode-paths.js';

/**
 * What confab's OpenCode plugin pipes into `confab hook session-start|session-end --provider
 * opencode`: `{"session_id","cwd","parent_pid","parent_id"?}` (session-end: the id only).
 * OpenCode keeps no transcript file: the transcript is the file confab writes from the
 * database, so its path follows from the id.
 */
export interface OpencodeHookPayload {
  session_id: string;
  /** The session's directory; empty on reconcile events (read from the database then). */
  cwd?: string;
  parent_pid?: number;
  /** Set for child sessions (sub-agents). */
  parent_id?: string;
  [key: string]: unknown;
}

export function parseOpencodeHookPayload(payload: unknown): OpencodeHookPayload {
  if (!isPlainObject(payload)) fail('must be a JSON object');
  const sessionId = stringField(payload, 'session_id');
  if (sessionId === '') fail('"session_id" is required');
  if (sessionId.length > MAX_SESSION_ID_LENGTH || !SESSION_ID_PATTERN.test(sessionId)) fail('"session_id" must match ^[A-Za-z0-9_-]+$ (at most 200 characters)');
  stringField(payload, 'cwd');
  const parentId = stringField(payload, 'parent_id');
  if (parentId !== '' && (parentId.length > MAX_SESSION_ID_LENGTH || !SESSION_ID_PATTERN.test(parentId))) fail('"parent_id" must match ^[A-Za-z0-9_-]+$');
  checkParentPid(payload);
  return payload as OpencodeHookPayload;
}

/** `Provider.parseHookInput` for OpenCode. */
export function parseHookInput(_event: HookEvent, payload: unknown): SessionHookInput {
  const p = parseOpencodeHookPayload(payload);
  const input: SessionHookInput = { sessionId: p.session_id, transcriptPath: materializedPath(p.session_id), cwd: p.cwd ?? '', payload: p };
  if (typeof p.parent_pid === 'number' && p.parent_pid > 0) input.parentPid = p.parent_pid;
  return input;
}
