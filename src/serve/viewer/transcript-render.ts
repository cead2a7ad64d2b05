import { escapeHtml, html, joinHtml, text, trusted, type HtmlValue, type SafeHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { isRecord, messageContent, rec, str, type TranscriptLine } from './transcript-lines.js';
import { lineUrl, sessionHref } from './urls.js';

/**
 * Claude Code JSONL lines as a conversation: user and assistant turns, thinking and tool
 * calls collapsed (each tool call with its result when both are in the batch), sub-agent
 * files linked, everything else one compact row with its raw JSON. Unknown shapes degrade
 * to that compact row; nothing in a line can make rendering throw.
 */

export interface RenderContext {
  sessionId: string;
  fileName: string;
  /** The session's files, to link sub-agent transcripts. */
  files: readonly { file_name: string; last_synced_line: number }[];
  /** Where links point (default: the logged-in viewer's pages and API). */
  links?: TranscriptLinks;
  /** Put before each line's anchor (`L<n>`), for pages that hold several files. */
  anchorPrefix?: string;
}

/** The id of line n's anchor. */
const lineId = (ctx: RenderContext, n: number): string => `${ctx.anchorPrefix ?? ''}L${n}`;

/**
 * The URLs a rendering links to. The viewer, a shared link and an exported page each say
 * where another file of the session is and where a long raw line loads from.
 */
export interface TranscriptLinks {
  /** The view of another file of the session (a sub-agent's transcript). */
  file(fileName: string): string;
  /** Where a raw line too long to inline loads from; undefined: every raw line is inlined. */
  line?(fileName: string, n: number): string;
}

/** The logged-in viewer's links for a session. */
export function viewerLinks(sessionId: string): TranscriptLinks {
  return { file: (name) => sessionHref(sessionId, name), line: (name, n) => lineUrl(sessionId, name, n) };
}

const linksOf = (ctx: RenderContext): TranscriptLinks => ctx.links ?? viewerLinks(ctx.sessionId);

/** Longest text rendered from one block; the rest is in the raw line. */
export const MAX_TEXT_CHARS = 64 * 1024;
/** Raw lines up to this size are inlined in their collapsed row; longer ones load on demand. */
export const MAX_INLINE_RAW = 16 * 1024;

interface ToolResult {
  block: Record<string, unknown>;
  agentId: string | undefined;
  line: TranscriptLine;
}

interface Item {
  msgId?: string;
  head: SafeHtml;
  body: HtmlValue[];
  cls: string;
  n: number;
}

export function renderLines(lines: readonly TranscriptLine[], ctx: RenderContext): SafeHtml {
  const results = collectResults(lines);
  const placed = new Set<string>();
  const items: Item[] = [];
  for (const line of lines) {
    try {
      const item = renderLine(line, ctx, results, placed);
      if (!item) continue;
      const prev = items[items.length - 1];
      // A folded line keeps its #L<n> anchor where its content went, so links to it still land.
      if (item.msgId && prev?.msgId === item.msgId) prev.body.push(lineAnchor(item.n, ctx), ...item.body);
      else items.push(item);
    } catch {
      items.push(compactRow(line, ctx, 'unrenderable line'));
    }
  }
  return joinHtml(
    items.map(
      (it) =>
        html`<section class="${it.cls}"${anchoredLines.get(ctx)?.has(it.n) ? '' : trusted(` id="${escapeHtml(lineId(ctx, it.n))}"`)}${it.msgId ? trusted(` data-msg="${escapeHtml(it.msgId)}"`) : ''}>${it.head}<div class="body">${it.body}</div></section>`,
    ),
  );
}


const anchoredLines = new WeakMap<RenderContext, Set<number>>();

/** An anchor for line n inside another line's section (once per rendering). */
function lineAnchor(n: number, ctx: RenderContext): SafeHtml | '' {
  let done = anchoredLines.get(ctx);
  if (!done) anchoredLines.set(ctx, (done = new Set()));
  if (done.has(n)) return '';
  done.add(n);
  return html`<span class="anchor" id="${lineId(ctx, n)}"></span>`;
}

/** Tool results of the batch by tool_use_id, each with the sub-agent its line names. */
function collectResults(lines: readonly TranscriptLine[]): Map<string, ToolResult> {
  const out = new Map<string, ToolResult>();
  for (const line of lines) {
    const v = line.value;
    if (!v || v.type !== 'user') continue;
    const content = messageContent(v);
    if (!Array.isArray(content)) continue;
    const blocks = content.filter((b) => b.type === 'tool_result' && typeof b.tool_use_id === 'string');
    const agentId = blocks.length === 1 ? agentIdOf(v) : undefined;
    for (const b of blocks) out.set(b.tool_use_id as string, { block: b, agentId, line });
  }
  return out;
}

/** The sub-agent a tool result line names (`toolUseResult.agentId`), when it is a safe id. */
export function agentIdOf(line: Record<string, unknown>): string | undefined {
  const id = str(rec(line.toolUseResult)?.agentId);
  return id && /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : undefined;
}

function lineHead(line: TranscriptLine, ctx: RenderContext, label: HtmlValue, extra: HtmlValue = ''): SafeHtml {
  const ts = str(line.value?.timestamp);
  return html`<header><a class="ln" href="#${lineId(ctx, line.n)}" title="line ${line.n}">${line.n}</a><span class="role">${label}</span>${extra}${ts ? timeTag(ts) : ''}</header>`;
}

export function timeTag(iso: string): SafeHtml {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`<time>${iso}</time>`;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 19)}</time>`;
}

function renderLine(line: TranscriptLine, ctx: RenderContext, results: Map<string, ToolResult>, placed: Set<string>): Item | undefined {
  const v = line.value;
  if (!v) return compactRow(line, ctx, 'not a JSON object');
  switch (v.type) {
    case 'user':
      return userLine(line, v, ctx, results, placed);
    case 'assistant':
      return assistantLine(line, v, ctx, results, placed);
    case 'summary':
      if (typeof v.summary === 'string') {
        return { head: lineHead(line, ctx, 'summary'), body: [html`<p class="summary-text">${text(clip(v.summary))}</p>`], cls: 'line summary', n: line.n };
      }
      return compactRow(line, ctx);
    default:
      return compactRow(line, ctx);
  }
}

/** User text a client wrote as a tagged block (command output, reminders…), not typed by the user. */
export const TAGGED = /^\s*<(command-name|command-message|command-args|local-command-stdout|local-command-stderr|local-command-caveat|task-notification|system-reminder|bash-input|bash-stdout|bash-stderr|user-prompt-submit-hook)>/;

function userLine(line: TranscriptLine, v: Record<string, unknown>, ctx: RenderContext, results: Map<string, ToolResult>, placed: Set<string>): Item | undefined {
  const content = messageContent(v);
  if (content === undefined) return compactRow(line, ctx);
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  const body: HtmlValue[] = [];
  for (const b of blocks) {
    if (b.type === 'tool_result' && typeof b.tool_use_id === 'string' && placed.has(b.tool_use_id)) continue;
    if (b.type === 'tool_result') {
      body.push(standaloneResult(b, blocks.length === 1 ? agentIdOf(v) : undefined, ctx));
      continue;
    }
    if (b.type === 'text' && typeof b.text === 'string') {
      const tag = TAGGED.exec(b.text)?.[1];
      body.push(tag ? html`<div class="tagged"><span class="tag">${tag}</span><pre>${text(clip(b.text))}</pre></div>` : renderMarkdown(clip(b.text)));
      continue;
    }
    body.push(block(b));
  }
  if (body.length === 0) return undefined; // only tool results, shown with their calls
  const onlyResults = blocks.every((b) => b.type === 'tool_result');
  if (v.isCompactSummary === true) {
    return { head: lineHead(line, ctx, 'compacted'), body: [html`<details><summary>conversation summary after compaction</summary>${body}</details>`], cls: 'line meta-turn', n: line.n };
  }
  if (v.isMeta === true) {
    return { head: lineHead(line, ctx, 'user (meta)'), body: [html`<details><summary>${preview(blocks)}</summary>${body}</details>`], cls: 'line meta-turn', n: line.n };
  }
  return { head: lineHead(line, ctx, onlyResults ? 'tool result' : 'user'), body, cls: onlyResults ? 'turn results' : 'turn user', n: line.n };
}

function assistantLine(line: TranscriptLine, v: Record<string, unknown>, ctx: RenderContext, results: Map<string, ToolResult>, placed: Set<string>): Item {
  const content = messageContent(v);
  if (content === undefined) return compactRow(line, ctx);
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  const msg = rec(v.message);
  const model = str(msg?.model);
  const msgId = str(msg?.id);
  const body: HtmlValue[] = blocks.map((b) => {
    if (b.type === 'text' && typeof b.text === 'string') return renderMarkdown(clip(b.text));
    if (b.type === 'thinking') return thinking(str(b.thinking) ?? '');
    if (b.type === 'redacted_thinking') return html`<div class="thinking redacted-thinking">thinking (encrypted by the model provider)</div>`;
    if ((b.type === 'tool_use' || b.type === 'server_tool_use') && typeof b.id === 'string') {
      const result = results.get(b.id);
      if (result && result.line.n > line.n) placed.add(b.id);
      return toolCall(b, result && result.line.n > line.n ? result : undefined, ctx);
    }
    return block(b);
  });
  const cls = v.isApiErrorMessage === true ? 'turn assistant api-error' : 'turn assistant';
  const extra = model && model !== '<synthetic>' ? html`<span class="model">${model}</span>` : '';
  return { msgId, head: lineHead(line, ctx, 'assistant', extra), body, cls, n: line.n };
}

function thinking(content: string): SafeHtml {
  const first = content.trim().split('\n')[0] ?? '';
  return html`<details class="thinking"><summary>thinking <span class="dim">${oneLine(first, 120)}</span></summary>${renderMarkdown(clip(content))}</details>`;
}

/** A brief of a tool call for its collapsed row: the command, path, pattern or task. */
export function toolBrief(name: string, input: Record<string, unknown> | undefined): string {
  if (!input) return '';
  const pick = (...keys: string[]) => {
    for (const k of keys) {
      const v = input[k];
      if (typeof v === 'string' && v.trim()) return v;
    }
    return undefined;
  };
  if (name === 'Agent' || name === 'Task') {
    const kind = str(input.subagent_type);
    const desc = pick('description', 'prompt') ?? '';
    return kind ? `${kind}: ${desc}` : desc;
  }
  if (name === 'TodoWrite' && Array.isArray(input.todos)) return `${input.todos.length} todos`;
  const brief = pick('command', 'file_path', 'notebook_path', 'pattern', 'url', 'query', 'path', 'description', 'prompt');
  if (brief) return brief;
  const firstString = Object.values(input).find((x): x is string => typeof x === 'string');
  return firstString ?? '';
}

function toolCall(b: Record<string, unknown>, result: ToolResult | undefined, ctx: RenderContext): SafeHtml {
  const name = str(b.name) ?? 'tool';
  const id = b.id as string;
  const input = rec(b.input);
  const status = result ? resultStatus(result.block) : html`<span class="status pending" title="no result yet">…</span>`;
  const inputHtml = input ? toolInput(input) : html`<pre>${text(clip(safeStringify(b.input)))}</pre>`;
  const resultHtml = result ? html`${lineAnchor(result.line.n, ctx)}${resultBody(result.block)}` : '';
  const agent = result?.agentId ? agentLink(result.agentId, ctx) : '';
  return html`<div class="tool" data-tool-id="${id}"><details><summary><span class="tool-name">${name}</span> <span class="tool-brief">${text(oneLine(toolBrief(name, input), 200))}</span>${status}</summary><div class="tool-input">${inputHtml}</div><div class="result-slot">${resultHtml}</div></details>${agent}</div>`;
}

function toolInput(input: Record<string, unknown>): SafeHtml {
  return joinHtml(
    Object.entries(input).map(([k, v]) =>
      typeof v === 'string'
        ? html`<div class="kv"><div class="k">${k}</div><pre>${text(clip(v))}</pre></div>`
        : html`<div class="kv"><div class="k">${k}</div><pre>${text(clip(safeStringify(v, 2)))}</pre></div>`,
    ),
  );
}

function resultStatus(b: Record<string, unknown>): SafeHtml {
  return b.is_error === true ? html`<span class="status err" title="error">error</span>` : html`<span class="status ok" title="done">✓</span>`;
}

function resultBody(b: Record<string, unknown>): SafeHtml {
  const content = b.content;
  const parts: HtmlValue[] = [];
  if (typeof content === 'string') parts.push(html`<pre>${text(clip(content))}</pre>`);
  else if (Array.isArray(content)) {
    for (const c of content) {
      if (isRecord(c) && c.type === 'text' && typeof c.text === 'string') parts.push(html`<pre>${text(clip(c.text))}</pre>`);
      else if (isRecord(c) && c.type === 'image') parts.push(image(c));
      else parts.push(html`<pre>${text(clip(safeStringify(c, 2)))}</pre>`);
    }
  } else if (content !== undefined) parts.push(html`<pre>${text(clip(safeStringify(content, 2)))}</pre>`);
  else parts.push(html`<p class="dim">(no output)</p>`);
  return html`<div class="tool-result${b.is_error === true ? ' err' : ''}"><div class="k">result</div>${parts}</div>`;
}

/** A result whose call is not in this batch: the browser moves it under its call when it can. */
function standaloneResult(b: Record<string, unknown>, agentId: string | undefined, ctx: RenderContext): SafeHtml {
  const id = str(b.tool_use_id) ?? '';
  const agent = agentId ? agentLink(agentId, ctx) : '';
  return html`<div class="standalone-result" data-for="${id}"><details><summary>result ${resultStatus(b)} <span class="dim">${id}</span></summary>${resultBody(b)}</details>${agent}</div>`;
}

function agentLink(agentId: string, ctx: RenderContext): SafeHtml {
  const wanted = `agent-${agentId}.jsonl`;
  const file = ctx.files.find((f) => f.file_name === wanted) ?? ctx.files.find((f) => f.file_name.endsWith(`/${wanted}`));
  const name = file?.file_name ?? wanted;
  const lines = file ? html` <span class="dim">${file.last_synced_line} lines</span>` : html` <span class="dim">(not synced yet)</span>`;
  return html`<div class="agent">↳ sub-agent <a class="agent-link" href="${linksOf(ctx).file(name)}">${name}</a>${lines}</div>`;
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

function image(b: Record<string, unknown>): SafeHtml {
  const source = rec(b.source);
  const mediaType = str(source?.media_type);
  const data = str(source?.data);
  if (source?.type === 'base64' && mediaType && IMAGE_TYPES.has(mediaType) && data && data.length < 8 * 1024 * 1024 && /^[A-Za-z0-9+/=]+$/.test(data)) {
    return html`<img class="inline-image" alt="image" src="data:${mediaType};base64,${data}">`;
  }
  return html`<div class="dim">[image${mediaType ? ` ${mediaType}` : ''}]</div>`;
}

/** A content block the renderer has no view for: its type and collapsed JSON. */
function block(b: Record<string, unknown>): SafeHtml {
  if (b.type === 'image') return image(b);
  const type = str(b.type) ?? 'block';
  return html`<details class="block-raw"><summary>${type}</summary><pre>${text(clip(safeStringify(b, 2)))}</pre></details>`;
}

function preview(blocks: Record<string, unknown>[]): string {
  for (const b of blocks) if (b.type === 'text' && typeof b.text === 'string') return oneLine(b.text, 160);
  return '';
}

/** The compact row of a line with no conversational view: what it is, and its raw JSON collapsed. */
function compactRow(line: TranscriptLine, ctx: RenderContext, problem?: string): Item {
  const v = line.value;
  const kind: string[] = [];
  if (v) {
    kind.push(str(v.type) ?? '(no type)');
    const sub = str(v.subtype) ?? str(rec(v.attachment)?.type) ?? str(v.operation);
    if (sub) kind.push(sub);
    const hook = str(rec(v.attachment)?.hookName);
    if (hook) kind.push(hook);
  }
  const label = problem ?? kind.join(' · ');
  const note = v ? compactNote(v) : oneLine(line.raw, 120);
  const bytes = Buffer.byteLength(line.raw);
  const lazy = bytes > MAX_INLINE_RAW ? linksOf(ctx).line?.(ctx.fileName, line.n) : undefined;
  const raw =
    lazy === undefined
      ? html`<details class="raw"><summary>${label} <span class="dim">${note}</span></summary><pre>${text(v ? safeStringify(v, 2) : line.raw)}</pre></details>`
      : html`<details class="raw lazy" data-src="${lazy}"><summary>${label} <span class="dim">${note} (${formatBytes(bytes)})</span></summary><pre class="lazy-body"><a href="${lazy}">open the raw line</a></pre></details>`;
  const cls = problem ? 'line meta bad' : 'line meta';
  return { head: html`<header><a class="ln" href="#${lineId(ctx, line.n)}" title="line ${line.n}">${line.n}</a></header>`, body: [raw], cls, n: line.n };
}

/** A few words on a line that is not a turn (system messages carry readable text). */
function compactNote(v: Record<string, unknown>): string {
  const content = str(v.content) ?? str(rec(v.attachment)?.content) ?? str(v.lastPrompt);
  return content ? oneLine(content, 120) : '';
}

export function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function clip(s: string): string {
  return s.length > MAX_TEXT_CHARS ? `${s.slice(0, MAX_TEXT_CHARS)}\n… ${s.length - MAX_TEXT_CHARS} more characters (see the raw line)` : s;
}

function safeStringify(v: unknown, indent?: number): string {
  try {
    return JSON.stringify(v, null, indent) ?? String(v);
  } catch {
    return String(v);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

