/**
 * What confab reads from Codex rollout lines. A rollout is JSONL with a top-level `type`:
 * `session_meta` (always the first line), `turn_context`, `response_item`, `event_msg`,
 * `compacted`, and types added by later Codex versions, which are skipped. Pure functions:
 * no file access here.
 */

/** `rollout-<timestamp>-<thread uuid>.jsonl`, as Codex names them under `sessions/YYYY/MM/DD/`. */
const ROLLOUT_NAME = /^rollout-(.+)-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.jsonl$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isUuid(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value);
}

/** The thread UUID in a rollout file name, or undefined when the name is not a rollout's. */
export function threadIdOfRolloutName(name: string): string | undefined {
  return ROLLOUT_NAME.exec(name)?.[2];
}

/** The `YYYY-MM-DD` a rollout file name starts with (Codex files rollouts under that day). */
export function dayOfRolloutName(name: string): string | undefined {
  const m = /^rollout-(\d{4})-(\d{2})-(\d{2})T/.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** A rollout's `session_meta`, reduced to what confab uses. Every field may be missing. */
export interface SessionMeta {
  /** The thread id (Codex writes the same UUID into the file name). */
  id?: string;
  cwd?: string;
  /** Older Codex versions record the model here; newer ones only in `turn_context`. */
  model?: string;
  /** `source` flattened: a string as is (`cli`, `exec`, `vscode`…), an object to its key (`subagent`). */
  source?: string;
  /** `user`, `subagent`, … (recent Codex versions). */
  threadSource?: string;
  /** The spawning thread, for sub-agents: `parent_thread_id`, or inside `source.subagent.thread_spawn`. */
  parentThreadId?: string;
  agentPath?: string;
  agentRole?: string;
  agentNickname?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Parse one JSONL line into an object, or undefined (blank, malformed, not an object). */
export function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Codex writes `source` as a bare string for sessions a person started and as a tagged
 * object (`{"subagent":{"thread_spawn":{…}}}`, `{"subagent":"review"}`) for spawned
 * ones. The backend keeps a short discriminator (≤ 64 chars): the string, or the tag.
 */
export function flattenSource(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw === '' ? undefined : raw;
  if (isObject(raw)) return Object.keys(raw)[0];
  return undefined;
}

function threadSpawnOf(source: unknown): Record<string, unknown> | undefined {
  if (!isObject(source)) return undefined;
  const sub = source.subagent;
  if (!isObject(sub)) return undefined;
  return isObject(sub.thread_spawn) ? sub.thread_spawn : undefined;
}

/** The `session_meta` carried by a line, or undefined when the line is something else. */
export function sessionMetaOfLine(line: string): SessionMeta | undefined {
  // Cheap test first: a session_meta line can be tens of KiB (it embeds instructions).
  if (!line.includes('"session_meta"')) return undefined;
  const obj = parseLine(line);
  if (!obj || obj.type !== 'session_meta' || !isObject(obj.payload)) return undefined;
  const p = obj.payload;
  const spawn = threadSpawnOf(p.source);
  const meta: SessionMeta = {};
  const set = <K extends keyof SessionMeta>(key: K, value: string | undefined): void => {
    if (value !== undefined) meta[key] = value;
  };
  set('id', str(p.id) ?? str(p.session_id));
  set('cwd', str(p.cwd));
  set('model', str(p.model));
  set('source', flattenSource(p.source));
  set('threadSource', str(p.thread_source));
  set('parentThreadId', str(p.parent_thread_id) ?? str(spawn?.parent_thread_id));
  set('agentPath', str(p.agent_path) ?? str(spawn?.agent_path));
  set('agentRole', str(p.agent_role) ?? str(spawn?.agent_role));
  set('agentNickname', str(p.agent_nickname) ?? str(spawn?.agent_nickname));
  return meta;
}

/**
 * A rollout a person started (not a sub-agent, review or memory thread). Anything that
 * names a parent, a non-user thread source, a tagged source or an agent identity is not.
 */
export function isUserSession(meta: SessionMeta): boolean {
  if (meta.parentThreadId !== undefined) return false;
  if (meta.threadSource !== undefined && meta.threadSource !== 'user') return false;
  if (meta.source === 'subagent') return false;
  return meta.agentPath === undefined && meta.agentRole === undefined && meta.agentNickname === undefined;
}

/** The model of a `turn_context` line (where recent Codex versions record it). */
export function turnContextModelOfLine(line: string): string | undefined {
  if (!line.includes('"turn_context"')) return undefined;
  const obj = parseLine(line);
  if (!obj || obj.type !== 'turn_context' || !isObject(obj.payload)) return undefined;
  return str(obj.payload.model);
}

/**
 * The text a person typed, from the `event_msg` stream only: the `response_item` user
 * messages also carry injected context (`<environment_context>`, AGENTS.md), never a
 * prompt worth a title. Two shapes, both still on disk:
 *   ≤ 0.130  `{"type":"event_msg","payload":{"type":"user_message","message":"…"}}`
 *   ≥ 0.149  `{"type":"event_msg","payload":{"type":"item_completed","item":{"type":"UserMessage","content":[{"type":"text","text":"…"}]}}}`
 * Undefined for any other line or an empty message.
 */
export function userMessageOfLine(line: string): string | undefined {
  if (!line.includes('"event_msg"') || !(line.includes('user_message') || line.includes('UserMessage'))) return undefined;
  const obj = parseLine(line);
  if (!obj || obj.type !== 'event_msg' || !isObject(obj.payload)) return undefined;
  const p = obj.payload;
  if (p.type === 'user_message') {
    const text = typeof p.message === 'string' ? p.message.trim() : '';
    return text === '' ? undefined : text;
  }
  if (p.type === 'item_completed' && isObject(p.item) && p.item.type === 'UserMessage' && Array.isArray(p.item.content)) {
    const parts: string[] = [];
    for (const part of p.item.content) {
      if (!isObject(part) || typeof part.type !== 'string' || part.type.toLowerCase() !== 'text') continue;
      const text = typeof part.text === 'string' ? part.text.trim() : '';
      if (text !== '') parts.push(text);
    }
    return parts.length > 0 ? parts.join('\n') : undefined;
  }
  return undefined;
}

/** The first person-typed message among `lines`, with its index. */
export function firstUserMessage(lines: readonly string[]): { index: number; text: string } | undefined {
  for (let i = 0; i < lines.length; i++) {
    const text = userMessageOfLine(lines[i] as string);
    if (text !== undefined) return { index: i, text };
  }
  return undefined;
}
