/**
 * What one stored transcript line contributes to the index: searchable entries (user prompts,
 * assistant text, tool calls, clipped tool results) and, for an API response, its token usage.
 * Reads the line shapes of Claude Code (and Cursor, which writes the same message shape) and of
 * Codex rollouts; any other line contributes nothing. Only what is stored is read, so only
 * redacted text is ever indexed.
 */

export type EntryRole = 'user' | 'assistant' | 'tool';

export interface LineEntry {
  role: EntryRole;
  /** A tool call's or result's tool name. */
  tool?: string;
  text: string;
}

export interface LineUsage {
  /** Identifies the API response: streaming writes one response on several lines, counted once. */
  key: string;
  model?: string;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

export interface LineFacts {
  /** ms since the epoch, when the line says. */
  time?: number;
  entries: LineEntry[];
  usage?: LineUsage;
  /** A model this line says the following responses come from (Codex turn context). */
  model?: string;
}

/** Tool results are clipped: their head is what people search for; the full text stays in the store. */
export const TOOL_RESULT_CLIP = 4_000;
/** Prompts and replies longer than this are clipped too (a pasted log is not a conversation). */
export const TEXT_CLIP = 32_000;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

function timeOf(o: Json): number | undefined {
  const t = str(o.timestamp);
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The text of a tool result's content: a string, or text blocks. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/** A tool call as people remember it: its name, then the string values of its input (the shell command, the path, the pattern). */
function callText(name: string, input: unknown): string {
  const parts = [name];
  const walk = (v: unknown, depth: number) => {
    if (typeof v === 'string') parts.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean') parts.push(String(v));
    else if (depth < 4 && Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (depth < 4 && isObj(v)) for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(input, 0);
  return clip(parts.join('\n'), TEXT_CLIP);
}

function push(entries: LineEntry[], role: EntryRole, text: string, tool?: string): void {
  const t = text.trim();
  if (t === '') return;
  entries.push(tool === undefined ? { role, text: t } : { role, tool, text: t });
}

/** Claude Code / Cursor: `{type: user|assistant, message: {role, content, usage, id, model}}`. */
function messageFacts(o: Json, facts: LineFacts, toolNames: Map<string, string>): void {
  const message = isObj(o.message) ? o.message : undefined;
  const role = str(o.type) ?? str(o.role) ?? str(message?.role);
  if (!message || (role !== 'user' && role !== 'assistant')) return;
  const content = message.content;
  if (typeof content === 'string') {
    push(facts.entries, role, clip(content, TEXT_CLIP));
  } else if (Array.isArray(content)) {
    for (const block of content) {
      if (!isObj(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string') push(facts.entries, role, clip(block.text, TEXT_CLIP));
      else if (block.type === 'thinking' && typeof block.thinking === 'string') push(facts.entries, 'assistant', clip(block.thinking, TEXT_CLIP));
      else if (block.type === 'tool_use' && typeof block.name === 'string') {
        if (typeof block.id === 'string') toolNames.set(block.id, block.name);
        push(facts.entries, 'tool', callText(block.name, block.input), block.name);
      } else if (block.type === 'tool_result') {
        const name = typeof block.tool_use_id === 'string' ? toolNames.get(block.tool_use_id) : undefined;
        push(facts.entries, 'tool', clip(resultText(block.content), TOOL_RESULT_CLIP), name);
      }
    }
  }
  const usage = isObj(message.usage) ? message.usage : undefined;
  if (role === 'assistant' && usage) {
    const id = str(message.id) ?? str(o.requestId) ?? str(o.uuid);
    if (id) {
      const u: LineUsage = {
        key: `${id}:${str(o.requestId) ?? ''}`,
        input: num(usage.input_tokens),
        output: num(usage.output_tokens),
        cacheCreation: num(usage.cache_creation_input_tokens),
        cacheRead: num(usage.cache_read_input_tokens),
      };
      const model = str(message.model);
      if (model && model !== '<synthetic>') u.model = model;
      facts.usage = u;
    }
  }
}

/** Codex rollout lines: `{timestamp, type, payload}`. Event messages repeat the response items, so only the latter are read. */
function codexFacts(o: Json, facts: LineFacts): void {
  const p = isObj(o.payload) ? o.payload : undefined;
  if (!p) return;
  if (o.type === 'turn_context' && typeof p.model === 'string') facts.model = p.model;
  if (o.type === 'token_usage_record' && isObj(p.usage)) {
    const key = str(p.response_id) ?? str(p.turn_id);
    if (!key) return;
    const u = p.usage;
    const cached = num(u.cached_input_tokens);
    const written = num(u.cache_write_input_tokens);
    // OpenAI counts cached input inside input_tokens; here input means uncached input, as for Anthropic.
    facts.usage = {
      key,
      input: Math.max(0, num(u.input_tokens) - cached - written),
      output: num(u.output_tokens),
      cacheCreation: written,
      cacheRead: cached,
    };
    if (typeof p.model === 'string') facts.usage.model = p.model;
    return;
  }
  if (o.type !== 'response_item') return;
  if (p.type === 'message' && (p.role === 'user' || p.role === 'assistant')) {
    const text = Array.isArray(p.content) ? p.content.map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : '')).join('\n') : '';
    push(facts.entries, p.role, clip(text, TEXT_CLIP));
  } else if ((p.type === 'function_call' || p.type === 'custom_tool_call') && typeof p.name === 'string') {
    let input: unknown = p.arguments ?? p.input;
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        // Free-form input (a patch): searched as it is.
      }
    }
    push(facts.entries, 'tool', callText(p.name, input), p.name);
  } else if (p.type === 'function_call_output' || p.type === 'custom_tool_call_output') {
    const out = p.output;
    const text = typeof out === 'string' ? out : isObj(out) && typeof out.content === 'string' ? out.content : resultText(out);
    push(facts.entries, 'tool', clip(text, TOOL_RESULT_CLIP));
  } else if (p.type === 'reasoning' && Array.isArray(p.summary)) {
    push(facts.entries, 'assistant', clip(resultText(p.summary), TEXT_CLIP));
  }
}

/**
 * The facts of one line. `toolNames` carries tool-use ids to names across the lines of one file,
 * so a result is labelled with its tool. A line that is not JSON contributes nothing.
 */
export function lineFacts(line: string, toolNames: Map<string, string> = new Map()): LineFacts {
  const facts: LineFacts = { entries: [] };
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return facts;
  }
  if (!isObj(o)) return facts;
  const t = timeOf(o);
  if (t !== undefined) facts.time = t;
  if ('payload' in o && typeof o.type === 'string') codexFacts(o, facts);
  else messageFacts(o, facts, toolNames);
  return facts;
}
