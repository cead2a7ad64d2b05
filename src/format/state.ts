/**
 * The daemon's state file format, shared with the Go CLI (its keys, order and indent).
 */
import { processStartTime } from '../process/liveness.js';
import { formatRfc3339, parseRfc3339 } from './rfc3339.js';

/**
 * A daemon's state file (`~/.confab/sync/<provider>/<external_id>.json`), in memory.
 * On disk it uses exactly the Go CLI's JSON keys (see encodeState/decodeState).
 */
export interface State {
  provider: string;
  externalId: string;
  transcriptPath: string;
  cwd: string;
  /** Daemon PID. */
  pid: number;
  /** Agent PID the daemon watches; 0 when monitoring is off. */
  parentPid: number;
  inboxPath: string;
  /** RFC 3339, as written (Go's nanosecond/offset form or JS's millisecond `Z` form). */
  startedAt: string;
  /** Backend session id, once init succeeded. */
  confabSessionId?: string;
  /**
   * Start time of the daemon process as the OS reports it, to tell a live daemon from an
   * unrelated process that reused its PID. An extra key the Go CLI ignores.
   */
  pidStartTime?: string;
  /** The file this state was read from; deleting the state removes that file. Not serialized. */
  loadedFrom?: string;
}

/**
 * Was this state written for one of our daemons (rather than a Go CLI daemon)? Ours record
 * `pid_start_time`, a key the Go CLI never writes; only ours write a ready marker and
 * remove their own pending record.
 */
export function writesReadyMarker(state: State): boolean {
  return Boolean(state.pidStartTime);
}

/** RFC 3339 as Go writes it (nanoseconds, numeric offset or Z) and as JS writes it (ms, Z). */
export function isRfc3339(value: string): boolean {
  return parseRfc3339(value) !== undefined;
}

export class StateFormatError extends Error {
  constructor(file: string, problem: string) {
    super(`invalid state file ${file}: ${problem}`);
    this.name = 'StateFormatError';
  }
}

/** Serialize with the Go CLI's keys, order and 2-space indent (no trailing newline, as Go's os.WriteFile of MarshalIndent). */
export function encodeState(state: State): string {
  const out: Record<string, unknown> = {};
  if (state.provider) out.provider = state.provider;
  out.external_id = state.externalId;
  out.transcript_path = state.transcriptPath;
  out.cwd = state.cwd;
  out.pid = state.pid;
  if (state.parentPid) out.parent_pid = state.parentPid;
  out.inbox_path = state.inboxPath;
  out.started_at = state.startedAt;
  if (state.confabSessionId) out.confab_session_id = state.confabSessionId;
  if (state.pidStartTime) out.pid_start_time = state.pidStartTime;
  return JSON.stringify(out, null, 2);
}

/**
 * Parse a state file (ours or the Go CLI's), validating every field it relies on. Unknown
 * keys are ignored, as Go does. `provider` may be absent (legacy files): the caller fills it.
 */
export function decodeState(text: string, file: string): State {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StateFormatError(file, 'not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new StateFormatError(file, 'not a JSON object');
  const r = raw as Record<string, unknown>;
  const str = (key: string, required: boolean): string => {
    const v = r[key];
    if (v === undefined || v === null) {
      if (required) throw new StateFormatError(file, `missing "${key}"`);
      return '';
    }
    if (typeof v !== 'string') throw new StateFormatError(file, `"${key}" must be a string`);
    return v;
  };
  const int = (key: string, required: boolean): number => {
    const v = r[key];
    if (v === undefined || v === null) {
      if (required) throw new StateFormatError(file, `missing "${key}"`);
      return 0;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new StateFormatError(file, `"${key}" must be a non-negative integer`);
    return v;
  };
  const startedAt = str('started_at', true);
  if (!isRfc3339(startedAt)) throw new StateFormatError(file, '"started_at" is not an RFC 3339 time');
  const externalId = str('external_id', true);
  if (!/^[A-Za-z0-9_-]+$/.test(externalId)) throw new StateFormatError(file, '"external_id" has unsafe characters');
  const state: State = {
    provider: str('provider', false),
    externalId,
    transcriptPath: str('transcript_path', false),
    cwd: str('cwd', false),
    pid: int('pid', true),
    parentPid: int('parent_pid', false),
    inboxPath: str('inbox_path', false),
    startedAt,
  };
  const sessionId = str('confab_session_id', false);
  if (sessionId) state.confabSessionId = sessionId;
  const startTime = str('pid_start_time', false);
  if (startTime) state.pidStartTime = startTime;
  return state;
}

/** A fresh state for the calling process (the daemon itself, or a spawner filling in the child's PID). */
export function newState(fields: {
  provider: string;
  externalId: string;
  transcriptPath: string;
  cwd: string;
  parentPid?: number;
  inboxPath: string;
  pid?: number;
}): State {
  const pid = fields.pid ?? process.pid;
  const startTime = processStartTime(pid);
  return {
    provider: fields.provider,
    externalId: fields.externalId,
    transcriptPath: fields.transcriptPath,
    cwd: fields.cwd,
    pid,
    parentPid: fields.parentPid ?? 0,
    inboxPath: fields.inboxPath,
    startedAt: formatRfc3339(Date.now()),
    ...(startTime ? { pidStartTime: startTime } : {}),
  };
}
