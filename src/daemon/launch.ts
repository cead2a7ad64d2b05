/**
 * The `--bg-daemon` launch JSON, with the Go CLI's keys, so a daemon started by either CLI
 * can be read by the other's tooling.
 */
export interface LaunchInput {
  provider: string;
  external_id: string;
  transcript_path: string;
  cwd: string;
  parent_pid?: number;
  session_parent_id?: string;
  config_dir?: string;
  model?: string;
  /** confab only (the Go CLI ignores it): resume a pending session, then exit. */
  drain?: boolean;
  /**
   * confab only: a daemon that served this session before and is finishing it (its final
   * sync). The new daemon waits for it to exit before it starts, so the two never race.
   */
  predecessor_pid?: number;
  predecessor_start_time?: string;
}

export class LaunchInputError extends Error {
  constructor(problem: string) {
    super(`invalid --bg-daemon launch JSON: ${problem}`);
    this.name = 'LaunchInputError';
  }
}

export function encodeLaunchInput(input: LaunchInput): string {
  return JSON.stringify(input);
}

export function parseLaunchInput(text: string): LaunchInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new LaunchInputError('not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LaunchInputError('not an object');
  const r = raw as Record<string, unknown>;
  const str = (key: string, required: boolean): string | undefined => {
    const v = r[key];
    if (v === undefined || v === null || v === '') {
      if (required) throw new LaunchInputError(`"${key}" is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new LaunchInputError(`"${key}" must be a string`);
    return v;
  };
  const provider = (str('provider', false) ?? 'claude-code').trim().toLowerCase();
  const externalId = str('external_id', true) as string;
  if (!/^[A-Za-z0-9_-]+$/.test(externalId)) throw new LaunchInputError('"external_id" has unsafe characters');
  const parentPid = r.parent_pid;
  if (parentPid !== undefined && parentPid !== null && (typeof parentPid !== 'number' || !Number.isInteger(parentPid) || parentPid < 0)) {
    throw new LaunchInputError('"parent_pid" must be a non-negative integer');
  }
  const out: LaunchInput = {
    provider,
    external_id: externalId,
    transcript_path: str('transcript_path', false) ?? '',
    cwd: str('cwd', false) ?? '',
  };
  if (typeof parentPid === 'number' && parentPid > 0) out.parent_pid = parentPid;
  const predecessor = r.predecessor_pid;
  if (predecessor !== undefined && predecessor !== null) {
    if (typeof predecessor !== 'number' || !Number.isInteger(predecessor) || predecessor <= 0) throw new LaunchInputError('"predecessor_pid" must be a positive integer');
    out.predecessor_pid = predecessor;
    const start = str('predecessor_start_time', false);
    if (start !== undefined) out.predecessor_start_time = start;
  }
  if (r.drain === true) out.drain = true;
  for (const key of ['session_parent_id', 'config_dir', 'model'] as const) {
    const v = str(key, false);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
