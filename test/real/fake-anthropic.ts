import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerValue, listenLoopback, openEventStream, parseBody, pieces, refuse, sendJson, toolNamesOf, type LoopbackApi } from './loopback-http.js';

/**
 * A loopback stand-in for the Anthropic Messages API, good enough for the real Claude Code
 * CLI: `POST /v1/messages` answers with the real SSE event sequence (or a JSON message when
 * the request is not streamed), `POST /v1/messages/count_tokens` answers a token count, and
 * anything else gets a JSON 404 — every request is logged so a run shows what the CLI asked.
 * What the assistant says is decided by a `Script` from the request's messages alone, so the
 * same server answers the main thread, sub-agents and side requests (titles, summaries).
 */

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface Reply {
  content: ContentBlock[];
  stopReason: 'end_turn' | 'tool_use';
}

/** The parts of a Messages request a script reads. Validated from the wire at runtime. */
export interface MessagesRequest {
  model: string;
  stream: boolean;
  messages: WireMessage[];
  toolNames: string[];
}

export interface WireMessage {
  role: string;
  content: unknown;
}

/** A script decides the reply and names the step it took (the name goes to the log). */
export type Script = (req: MessagesRequest) => { step: string; reply: Reply };

export interface RequestLogEntry {
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  model?: string;
  stream?: boolean;
  /** Which script step answered, `count_tokens`, `not-found`, or `invalid`. */
  step: string;
  toolNames?: string[];
  messageCount?: number;
  userAgent?: string;
  sessionHeader?: string;
}

export type FakeAnthropic = LoopbackApi<RequestLogEntry>;

export interface FakeAnthropicOptions {
  /** Awaited before a scripted reply is sent, with the step that answers: lets a test hold a turn until something happened. */
  beforeReply?: (step: string) => Promise<void>;
}

export async function startFakeAnthropic(script: Script, opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: RequestLogEntry[] = [];
  let seq = 0;
  const server = await listenLoopback(
    async (req, res, body) => {
      requests.push(await handle(req, res, body, script, ++seq, opts));
    },
    (message) => apiError('api_error', message),
  );
  return { url: `http://127.0.0.1:${server.port}`, port: server.port, requests, close: server.close };
}

async function handle(req: IncomingMessage, res: ServerResponse, body: string, script: Script, seq: number, opts: FakeAnthropicOptions): Promise<RequestLogEntry> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const entry: RequestLogEntry = {
    seq,
    method: req.method ?? '',
    path: url.pathname,
    query: url.search,
    step: 'not-found',
    userAgent: headerValue(req, 'user-agent'),
    sessionHeader: headerValue(req, 'x-claude-code-session-id'),
  };
  if (req.method !== 'POST' || (url.pathname !== '/v1/messages' && url.pathname !== '/v1/messages/count_tokens')) {
    return refuse(res, entry, 404, 'not-found', apiError('not_found_error', `no route ${req.method} ${url.pathname}`));
  }
  const parsed = parseBody(body, (raw) => parseMessagesRequest(raw, url.pathname === '/v1/messages/count_tokens'));
  if (parsed instanceof Error) return refuse(res, entry, 400, 'invalid', apiError('invalid_request_error', parsed.message));
  entry.model = parsed.model;
  entry.stream = parsed.stream;
  entry.toolNames = parsed.toolNames;
  entry.messageCount = parsed.messages.length;
  if (url.pathname === '/v1/messages/count_tokens') {
    entry.step = 'count_tokens';
    sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(body.length / 4)) });
    return entry;
  }
  const { step, reply } = script(parsed);
  entry.step = step;
  await opts.beforeReply?.(step);
  const id = `msg_fake_${String(seq).padStart(4, '0')}`;
  if (parsed.stream) streamReply(res, id, parsed.model, reply);
  else sendJson(res, 200, messageBody(id, parsed.model, reply));
  return entry;
}

function parseMessagesRequest(raw: unknown, countOnly: boolean): MessagesRequest {
  if (typeof raw !== 'object' || raw === null) throw new Error('body is not a JSON object');
  const obj = raw as Record<string, unknown>;
  if (typeof obj.model !== 'string') throw new Error('model must be a string');
  if (!Array.isArray(obj.messages)) throw new Error('messages must be an array');
  const messages: WireMessage[] = obj.messages.map((m: unknown, i) => {
    if (typeof m !== 'object' || m === null) throw new Error(`messages[${i}] is not an object`);
    const msg = m as Record<string, unknown>;
    if (typeof msg.role !== 'string') throw new Error(`messages[${i}].role must be a string`);
    return { role: msg.role, content: msg.content };
  });
  return { model: obj.model, stream: !countOnly && obj.stream === true, messages, toolNames: toolNamesOf(obj.tools) };
}

function apiError(type: string, message: string): unknown {
  return { type: 'error', error: { type, message } };
}

function usage(outputTokens: number): Record<string, number> {
  return { input_tokens: 25, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

function messageBody(id: string, model: string, reply: Reply): unknown {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: reply.content,
    stop_reason: reply.stopReason,
    stop_sequence: null,
    usage: usage(outputTokensOf(reply)),
  };
}

function outputTokensOf(reply: Reply): number {
  return Math.max(1, Math.ceil(JSON.stringify(reply.content).length / 4));
}

function streamReply(res: ServerResponse, id: string, model: string, reply: Reply): void {
  const send = openEventStream(res);
  send('message_start', {
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(1) },
  });
  send('ping', {});
  reply.content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const text of pieces(block.text, 3)) send('content_block_delta', { index, delta: { type: 'text_delta', text } });
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      for (const partial_json of pieces(JSON.stringify(block.input), 3)) {
        send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
      }
    }
    send('content_block_stop', { index });
  });
  send('message_delta', {
    delta: { stop_reason: reply.stopReason, stop_sequence: null },
    usage: { output_tokens: outputTokensOf(reply) },
  });
  send('message_stop', {});
  res.end();
}

// ---------------------------------------------------------------------------------------
// Reading a conversation

interface Block {
  type: string;
  text?: string;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is Block => typeof b === 'object' && b !== null && typeof (b as Block).type === 'string');
}

/** The last message with role "user" (Claude Code interleaves "system" turns too). */
export function lastUserMessage(req: MessagesRequest): Block[] {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m?.role === 'user') return blocksOf(m.content);
  }
  return [];
}

/** Every text of the conversation, so a script can tell which thread a request belongs to. */
export function allText(req: MessagesRequest): string {
  return req.messages
    .flatMap((m) => blocksOf(m.content))
    .map((b) => (b.type === 'text' ? (b.text ?? '') : ''))
    .join('\n');
}

export function toolResultIds(blocks: readonly Block[]): string[] {
  return blocks.filter((b) => b.type === 'tool_result' && typeof b.tool_use_id === 'string').map((b) => b.tool_use_id as string);
}

/** A tool result as the client sent it back: whose call it answers, whether it is an error, and its text. */
export interface ToolResult {
  toolUseId: string;
  isError: boolean;
  text: string;
}

export function toolResults(blocks: readonly Block[]): ToolResult[] {
  return blocks
    .filter((b) => b.type === 'tool_result' && typeof b.tool_use_id === 'string')
    .map((b) => ({
      toolUseId: b.tool_use_id as string,
      isError: b.is_error === true,
      text: blocksOf(b.content)
        .map((c) => (c.type === 'text' ? (c.text ?? '') : ''))
        .join('\n'),
    }));
}

// ---------------------------------------------------------------------------------------
// The scripted session the real-client suite drives

export const MAIN_PROMPT = 'CONFAB-SCRIPT main: run echo hello, then delegate one task to a sub-agent.';
export const SUBAGENT_PROMPT = 'CONFAB-SCRIPT subagent: run one command and report.';
export const CONTINUE_PROMPT = 'CONFAB-SCRIPT continue: say goodbye.';
export const RESUME_PROMPT = 'CONFAB-SCRIPT resume: say hello again.';

export const TOOL_IDS = {
  mainBash: 'toolu_01ConfabMainBash0000000001',
  mainAgent: 'toolu_01ConfabMainAgent000000001',
  subBash: 'toolu_01ConfabSubBash00000000001',
} as const;

export const REPLIES = {
  subFinal: 'Sub-agent report: the command printed from-subagent.',
  mainFinal: 'All done: hello was echoed and the sub-agent reported back.',
  beforeBash: 'I will run the command first.',
  continued: 'Goodbye from the continued session.',
  resumed: 'Hello again from the resumed session.',
  side: 'Scripted session',
} as const;

/**
 * The conversation: main thread → Bash `echo hello` → a foreground sub-agent (tool `Agent`,
 * or `Task` in CLIs that still call it that) whose thread runs Bash `echo from-subagent` and
 * answers → final text. `--continue` and `--resume` turns answer text. Any other request (title, summary,
 * a side query with a small model) gets a short text, so the CLI never waits on us.
 */
export const scriptedSession: Script = (req) => {
  const last = lastUserMessage(req);
  const results = toolResultIds(last);
  const lastText = last.map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('\n');
  const text = (t: string): Reply => ({ content: [{ type: 'text', text: t }], stopReason: 'end_turn' });
  const tool = (id: string, name: string, input: Record<string, unknown>): Reply => ({
    content: [{ type: 'tool_use', id, name, input }],
    stopReason: 'tool_use',
  });

  if (results.includes(TOOL_IDS.subBash)) return { step: 'sub:final', reply: text(REPLIES.subFinal) };
  if (results.includes(TOOL_IDS.mainAgent)) return { step: 'main:final', reply: text(REPLIES.mainFinal) };
  if (results.includes(TOOL_IDS.mainBash)) {
    const agentTool = req.toolNames.includes('Agent') ? 'Agent' : 'Task';
    return {
      step: `main:${agentTool.toLowerCase()}`,
      reply: tool(TOOL_IDS.mainAgent, agentTool, {
        description: 'Run one command',
        prompt: SUBAGENT_PROMPT,
        subagent_type: 'general-purpose',
        // Current CLIs start agents in the background unless told otherwise; the scripted
        // session wants the sub-agent's whole life inside the main turn.
        ...(agentTool === 'Agent' ? { run_in_background: false } : {}),
      }),
    };
  }
  if (lastText.includes(SUBAGENT_PROMPT) && req.toolNames.includes('Bash')) {
    return {
      step: 'sub:bash',
      reply: tool(TOOL_IDS.subBash, 'Bash', { command: 'echo from-subagent', description: 'Print a marker' }),
    };
  }
  if (lastText.includes(MAIN_PROMPT) && req.toolNames.includes('Bash')) {
    // Text then a tool call in one message: the client writes one transcript line per block.
    return {
      step: 'main:bash',
      reply: {
        content: [
          { type: 'text', text: REPLIES.beforeBash },
          { type: 'tool_use', id: TOOL_IDS.mainBash, name: 'Bash', input: { command: 'echo hello', description: 'Print hello' } },
        ],
        stopReason: 'tool_use',
      },
    };
  }
  if (lastText.includes(CONTINUE_PROMPT)) return { step: 'continue:text', reply: text(REPLIES.continued) };
  if (lastText.includes(RESUME_PROMPT)) return { step: 'resume:text', reply: text(REPLIES.resumed) };
  return { step: 'side:text', reply: text(REPLIES.side) };
};
