/**
 * Codex rollouts as Codex writes them (shapes from Codex 0.130–0.154 rollouts): a
 * session_meta first line, turn_context, response_item, event_msg, plus a top-level type
 * confab does not know. Built per test inside a temp Codex home.
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT_ID = '019e8c2a-41f0-7d63-9c1e-5b2f0a7d1e01';
export const CHILD_ID = '019e8c2b-0a11-7aa0-8c55-0f3e9d2b4c02';
export const GRANDCHILD_ID = '019e8c2b-77de-7f10-b0a4-2c6d8e1f5a03';
export const LATE_CHILD_ID = '019e8c31-5c02-7b9e-a2d3-6e4f1c0b9d04';
export const OTHER_ROOT_ID = '019e8c40-1111-7222-8333-944455556605';

export interface CodexHome {
  dir: string;
  sessions: string;
}

/** A fresh Codex home in a temp dir, announced through CONFAB_CODEX_DIR. */
export function makeCodexHome(): CodexHome {
  const dir = mkdtempSync(join(tmpdir(), 'confab-codex-home-'));
  process.env.CONFAB_CODEX_DIR = dir;
  return { dir, sessions: join(dir, 'sessions') };
}

const line = (obj: unknown): string => JSON.stringify(obj);

export interface MetaOptions {
  id: string;
  cwd?: string;
  timestamp?: string;
  /** Sub-agents: the spawning thread (written both top-level and in source.thread_spawn). */
  parent?: string;
  depth?: number;
  nickname?: string;
  role?: string;
  /** Older Codex versions put the model in session_meta. */
  model?: string;
  source?: unknown;
}

export function sessionMetaLine(o: MetaOptions): string {
  const ts = o.timestamp ?? '2026-06-21T06:06:38.051Z';
  const payload: Record<string, unknown> = {
    id: o.id,
    timestamp: ts,
    cwd: o.cwd ?? '/work/example',
    originator: 'codex_cli_rs',
    cli_version: '0.142.0',
    model_provider: 'openai',
    base_instructions: { text: 'You are Codex, a coding agent. '.repeat(200) },
    git: { commit_hash: '3f1c2a9', branch: 'main', repository_url: 'https://github.com/example/example.git' },
  };
  if (o.parent) {
    payload.parent_thread_id = o.parent;
    payload.source = o.source ?? {
      subagent: { thread_spawn: { parent_thread_id: o.parent, depth: o.depth ?? 1, agent_path: null, agent_nickname: o.nickname ?? 'Hubble', agent_role: o.role ?? 'explorer' } },
    };
    payload.thread_source = 'subagent';
    payload.agent_nickname = o.nickname ?? 'Hubble';
    payload.agent_role = o.role ?? 'explorer';
    payload.multi_agent_version = 'v1';
  } else {
    payload.source = o.source ?? 'cli';
    payload.thread_source = 'user';
  }
  if (o.model) payload.model = o.model;
  return line({ timestamp: ts, type: 'session_meta', payload });
}

export function turnContextLine(model = 'gpt-5.5', cwd = '/work/example'): string {
  return line({
    timestamp: '2026-06-21T06:06:38.300Z',
    type: 'turn_context',
    payload: { turn_id: '019e8c2a-5000-7000-8000-000000000001', cwd, approval_policy: 'on-request', sandbox_policy: { type: 'workspace-write' }, model, effort: 'medium' },
  });
}

/** Codex ≤ 0.130: the prompt as an event_msg user_message. */
export function userMessageEvent(text: string): string {
  return line({ timestamp: '2026-06-21T06:06:40.000Z', type: 'event_msg', payload: { type: 'user_message', message: text, images: [] } });
}

/** Codex ≥ 0.149: the prompt as an item_completed UserMessage. */
export function userItemCompleted(text: string): string {
  return line({
    timestamp: '2026-06-21T06:06:40.000Z',
    type: 'event_msg',
    payload: {
      type: 'item_completed',
      thread_id: ROOT_ID,
      turn_id: 't1',
      item: { type: 'UserMessage', id: 'u1', content: [{ type: 'text', text, text_elements: [] }] },
    },
  });
}

export function userResponseItem(text: string): string {
  return line({ timestamp: '2026-06-21T06:06:40.100Z', type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
}

export function assistantMessage(text: string): string {
  return line({ timestamp: '2026-06-21T06:06:50.000Z', type: 'response_item', payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }], phase: 'final' } });
}

export function spawnLines(childId: string, nickname: string, callId: string): string[] {
  return [
    line({ timestamp: '2026-06-21T06:06:42.000Z', type: 'response_item', payload: { type: 'function_call', name: 'spawn_agent', arguments: JSON.stringify({ agent_type: 'explorer', message: 'Survey the parser' }), call_id: callId } }),
    line({
      timestamp: '2026-06-21T06:06:42.200Z',
      type: 'event_msg',
      payload: { type: 'collab_agent_spawn_end', call_id: callId, sender_thread_id: ROOT_ID, new_thread_id: childId, new_agent_nickname: nickname, new_agent_role: 'explorer', prompt: 'Survey the parser', model: 'gpt-5.4-mini', status: 'pending_init' },
    }),
    line({ timestamp: '2026-06-21T06:06:42.300Z', type: 'response_item', payload: { type: 'function_call_output', call_id: callId, output: JSON.stringify({ agent_id: childId, nickname }) } }),
  ];
}

/** A whole root session: prompt, a spawned sub-agent, tokens, an unknown line type, answer. */
export function rootRolloutLines(prompt = 'Refactor the parser and add tests'): string[] {
  return [
    sessionMetaLine({ id: ROOT_ID }),
    line({ timestamp: '2026-06-21T06:06:38.100Z', type: 'response_item', payload: { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions instructions>workspace-write</permissions instructions>' }] } }),
    userResponseItem('<environment_context>\n  <cwd>/work/example</cwd>\n</environment_context>'),
    turnContextLine(),
    line({ timestamp: '2026-06-21T06:06:39.000Z', type: 'event_msg', payload: { type: 'task_started', turn_id: 't1', model_context_window: 258400 } }),
    userMessageEvent(prompt),
    userResponseItem(prompt),
    line({ timestamp: '2026-06-21T06:06:41.000Z', type: 'response_item', payload: { type: 'reasoning', summary: [], encrypted_content: 'gAAAAB' } }),
    ...spawnLines(CHILD_ID, 'Hubble', 'call_spawn_1'),
    line({ timestamp: '2026-06-21T06:06:45.000Z', type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: 12000, output_tokens: 900, total_tokens: 12900 } } } }),
    line({ timestamp: '2026-06-21T06:06:46.000Z', type: 'ghost_snapshot_v2', payload: { commit: 'abc', note: 'a line type from a later Codex' } }),
    assistantMessage('Refactored the parser; tests added.'),
    line({ timestamp: '2026-06-21T06:06:51.000Z', type: 'event_msg', payload: { type: 'task_complete', turn_id: 't1', duration_ms: 12000 } }),
  ];
}

export function childRolloutLines(id: string, parent: string, opts: { depth?: number; nickname?: string; cwd?: string } = {}): string[] {
  return [
    sessionMetaLine({ id, parent, depth: opts.depth ?? 1, nickname: opts.nickname ?? 'Hubble', cwd: opts.cwd }),
    turnContextLine('gpt-5.4-mini'),
    userResponseItem('Survey the parser'),
    assistantMessage('The parser has three stages.'),
  ];
}

/** `<sessions>/<YYYY>/<MM>/<DD>/rollout-<YYYY-MM-DD>T<hh-mm-ss>-<id>.jsonl` */
export function rolloutPath(sessions: string, id: string, day = '2026-06-21', time = '06-06-38'): string {
  const [y, m, d] = day.split('-') as [string, string, string];
  return join(sessions, y, m, d, `rollout-${day}T${time}-${id}.jsonl`);
}

export function writeRollout(sessions: string, id: string, lines: string[], day?: string, time?: string): string {
  const path = rolloutPath(sessions, id, day, time);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}

export function appendLines(path: string, lines: string[]): void {
  appendFileSync(path, lines.map((l) => `${l}\n`).join(''));
}
