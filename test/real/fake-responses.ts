import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerValue, listenLoopback, openEventStream, parseBody, pieces, refuse, toolNamesOf, type LoopbackApi } from './loopback-http.js';

/**
 * A loopback stand-in for the OpenAI Responses API, good enough for the real Codex CLI
 * (a `model_providers` entry with `wire_api = "responses"` pointing here). `POST
 * <base>/responses` answers with the SSE event sequence the real API streams —
 * `response.created`, `response.output_item.added`, text deltas, `response.output_item.done`
 * per item, `response.completed` with usage — and anything else gets a JSON 404. Every
 * request is logged so a run shows what the CLI asked. What the model says is decided by a
 * `ResponsesScript` from the request's input items alone.
 */

export type OutputItem = { type: 'message'; text: string } | { type: 'function_call'; callId: string; name: string; arguments: Record<string, unknown> };

/** The parts of a Responses request a script reads. Validated from the wire at runtime. */
export interface ResponsesRequest {
  model: string;
  stream: boolean;
  input: InputItem[];
  toolNames: string[];
}

export interface InputItem {
  type: string;
  role?: string;
  call_id?: string;
  content?: unknown;
}

export type ResponsesScript = (req: ResponsesRequest) => { step: string; output: OutputItem[] };

export interface ResponsesLogEntry {
  seq: number;
  method: string;
  path: string;
  /** Which script step answered, `not-found`, or `invalid`. */
  step: string;
  model?: string;
  stream?: boolean;
  toolNames?: string[];
  inputTypes?: string[];
  userAgent?: string;
  originator?: string;
  /** The Authorization header's scheme and whether it carried the dummy key (never the value). */
  auth?: string;
}

export type FakeResponses = LoopbackApi<ResponsesLogEntry>;

export interface FakeResponsesOptions {
  /** The key the CLI must send as `Authorization: Bearer <key>` (logged as matching or not). */
  dummyKey: string;
  /** Awaited before a scripted reply is streamed, with the step that answers: lets a test hold a turn open. */
  beforeReply?: (step: string) => Promise<void>;
}

export async function startFakeResponses(script: ResponsesScript, opts: FakeResponsesOptions): Promise<FakeResponses> {
  const requests: ResponsesLogEntry[] = [];
  let seq = 0;
  const server = await listenLoopback(
    async (req, res, body) => {
      requests.push(await handle(req, res, body, script, ++seq, opts));
    },
    (message) => apiError('server_error', message),
  );
  return { url: `http://127.0.0.1:${server.port}/v1`, port: server.port, requests, close: server.close };
}

async function handle(req: IncomingMessage, res: ServerResponse, body: string, script: ResponsesScript, seq: number, opts: FakeResponsesOptions): Promise<ResponsesLogEntry> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const authHeader = headerValue(req, 'authorization');
  const entry: ResponsesLogEntry = {
    seq,
    method: req.method ?? '',
    path: url.pathname,
    step: 'not-found',
    userAgent: headerValue(req, 'user-agent'),
    originator: headerValue(req, 'originator'),
    auth: authHeader === undefined ? 'none' : authHeader === `Bearer ${opts.dummyKey}` ? 'bearer dummy key' : 'other',
  };
  if (req.method !== 'POST' || url.pathname !== '/v1/responses') {
    return refuse(res, entry, 404, 'not-found', apiError('not_found', `no route ${req.method} ${url.pathname}`));
  }
  const parsed = parseBody(body, parseResponsesRequest);
  if (parsed instanceof Error) return refuse(res, entry, 400, 'invalid', apiError('invalid_request_error', parsed.message));
  entry.model = parsed.model;
  entry.stream = parsed.stream;
  entry.toolNames = parsed.toolNames;
  entry.inputTypes = parsed.input.map((i) => (i.role ? `${i.type}:${i.role}` : i.type));
  if (!parsed.stream) return refuse(res, entry, 400, 'invalid', apiError('invalid_request_error', 'this stand-in only streams'));
  const { step, output } = script(parsed);
  entry.step = step;
  await opts.beforeReply?.(step);
  streamResponse(res, `resp_fake_${String(seq).padStart(4, '0')}`, parsed.model, output, seq);
  return entry;
}

function parseResponsesRequest(raw: unknown): ResponsesRequest {
  if (typeof raw !== 'object' || raw === null) throw new Error('body is not a JSON object');
  const obj = raw as Record<string, unknown>;
  if (typeof obj.model !== 'string') throw new Error('model must be a string');
  if (!Array.isArray(obj.input)) throw new Error('input must be an array');
  const input: InputItem[] = obj.input.map((it: unknown, i) => {
    if (typeof it !== 'object' || it === null) throw new Error(`input[${i}] is not an object`);
    const item = it as Record<string, unknown>;
    if (typeof item.type !== 'string') throw new Error(`input[${i}].type must be a string`);
    return {
      type: item.type,
      ...(typeof item.role === 'string' ? { role: item.role } : {}),
      ...(typeof item.call_id === 'string' ? { call_id: item.call_id } : {}),
      content: item.content,
    };
  });
  return { model: obj.model, stream: obj.stream === true, input, toolNames: toolNamesOf(obj.tools) };
}

function apiError(type: string, message: string): unknown {
  return { error: { type, message, code: null, param: null } };
}

function streamResponse(res: ServerResponse, id: string, model: string, output: OutputItem[], seq: number): void {
  const stream = openEventStream(res);
  let sequence = 0;
  const send = (type: string, data: Record<string, unknown>): void => stream(type, { sequence_number: sequence++, ...data });
  const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, output: [] as unknown[] };
  send('response.created', { response: { ...base, status: 'in_progress' } });
  send('response.in_progress', { response: { ...base, status: 'in_progress' } });
  const done: unknown[] = [];
  output.forEach((item, output_index) => {
    if (item.type === 'message') {
      const itemId = `msg_fake_${seq}_${output_index}`;
      send('response.output_item.added', { output_index, item: { type: 'message', id: itemId, role: 'assistant', status: 'in_progress', content: [] } });
      send('response.content_part.added', { output_index, item_id: itemId, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
      for (const delta of pieces(item.text, 3)) send('response.output_text.delta', { output_index, item_id: itemId, content_index: 0, delta });
      send('response.output_text.done', { output_index, item_id: itemId, content_index: 0, text: item.text });
      const part = { type: 'output_text', text: item.text, annotations: [] };
      send('response.content_part.done', { output_index, item_id: itemId, content_index: 0, part });
      const full = { type: 'message', id: itemId, role: 'assistant', status: 'completed', content: [part] };
      send('response.output_item.done', { output_index, item: full });
      done.push(full);
    } else {
      const itemId = `fc_fake_${seq}_${output_index}`;
      const args = JSON.stringify(item.arguments);
      const pending = { type: 'function_call', id: itemId, call_id: item.callId, name: item.name, arguments: '', status: 'in_progress' };
      send('response.output_item.added', { output_index, item: pending });
      for (const delta of pieces(args, 3)) send('response.function_call_arguments.delta', { output_index, item_id: itemId, delta });
      send('response.function_call_arguments.done', { output_index, item_id: itemId, arguments: args });
      const full = { ...pending, arguments: args, status: 'completed' };
      send('response.output_item.done', { output_index, item: full });
      done.push(full);
    }
  });
  const outputTokens = Math.max(1, Math.ceil(JSON.stringify(output).length / 4));
  send('response.completed', {
    response: {
      ...base,
      status: 'completed',
      output: done,
      usage: {
        input_tokens: 25,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 25 + outputTokens,
      },
    },
  });
  res.end();
}

// ---------------------------------------------------------------------------------------
// The scripted session the real-client suite drives

export const CODEX_MAIN_PROMPT = 'CONFAB-SCRIPT codex main: run echo hello, then say done.';
export const CODEX_RESUME_PROMPT = 'CONFAB-SCRIPT codex resume: say hello again.';
export const CODEX_CALL_ID = 'call_ConfabMainShell0000000001';

export const CODEX_REPLIES = {
  beforeShell: 'I will run the command first.',
  final: 'All done: hello was echoed.',
  resumed: 'Hello again from the resumed session.',
  side: 'Scripted session',
} as const;

/** The text of the last user message in the input. */
function lastUserText(req: ResponsesRequest): string {
  for (let i = req.input.length - 1; i >= 0; i--) {
    const item = req.input[i];
    if (item?.type !== 'message' || item.role !== 'user') continue;
    if (typeof item.content === 'string') return item.content;
    if (!Array.isArray(item.content)) return '';
    return item.content
      .map((c: unknown) => (typeof c === 'object' && c !== null && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : ''))
      .join('\n');
  }
  return '';
}

/** The shell tool the request offers and its arguments for `command`. */
function shellCall(req: ResponsesRequest, command: string): { name: string; arguments: Record<string, unknown> } | undefined {
  if (req.toolNames.includes('exec_command')) return { name: 'exec_command', arguments: { cmd: command } };
  if (req.toolNames.includes('shell_command')) return { name: 'shell_command', arguments: { command } };
  if (req.toolNames.includes('shell')) return { name: 'shell', arguments: { command: ['bash', '-lc', command] } };
  return undefined;
}

/**
 * The conversation: the main prompt → a text and a shell call `echo hello` in one response →
 * after its output, a final text. The resume prompt answers text. Anything else (titles,
 * summaries) gets a short text, so the CLI never waits on us.
 */
export const codexScript: ResponsesScript = (req) => {
  const last = req.input[req.input.length - 1];
  if (last?.type === 'function_call_output' && last.call_id === CODEX_CALL_ID) {
    return { step: 'main:final', output: [{ type: 'message', text: CODEX_REPLIES.final }] };
  }
  const text = lastUserText(req);
  if (text.includes(CODEX_RESUME_PROMPT)) return { step: 'resume:text', output: [{ type: 'message', text: CODEX_REPLIES.resumed }] };
  const shell = shellCall(req, 'echo hello');
  if (text.includes(CODEX_MAIN_PROMPT) && shell) {
    return {
      step: `main:${shell.name}`,
      output: [
        { type: 'message', text: CODEX_REPLIES.beforeShell },
        { type: 'function_call', callId: CODEX_CALL_ID, name: shell.name, arguments: shell.arguments },
      ],
    };
  }
  return { step: 'side:text', output: [{ type: 'message', text: CODEX_REPLIES.side }] };
};
