import { escapeHtml } from './html.js';
import { isRecord, messageContent, rec, str, type TranscriptLine } from './transcript-lines.js';
import { agentIdOf, oneLine, TAGGED, toolBrief } from './transcript-render.js';

/**
 * A session's conversation as Markdown: user turns, assistant text, thinking, each tool
 * call with its input and result folded in `<details>`, and each sub-agent's transcript
 * inline under the call that started it. Lines that are not part of the conversation
 * (attachments, hook results, queue records…) are left out; the raw JSONL export has them.
 * Code fences are longer than any run of backticks in their content, so no content can
 * close them. Nothing in a line can make rendering throw.
 */

export interface MarkdownFile {
  fileName: string;
  lines: readonly TranscriptLine[];
}

export interface MarkdownSession {
  title: string;
  /** `key: value` facts listed under the title (provider, project, started…). */
  facts: readonly [string, string][];
}

/** The session as one Markdown document; `files[0]` is the main transcript. */
export function renderSessionMarkdown(session: MarkdownSession, files: readonly MarkdownFile[]): string {
  const out: string[] = [`# ${inlineText(session.title)}`, ''];
  for (const [k, v] of session.facts) out.push(`- ${k}: ${inlineText(v)}`);
  if (session.facts.length) out.push('');
  const [main] = files;
  if (!main) {
    out.push('_This session has no synced files yet._', '');
    return out.join('\n');
  }
  const byName = new Map(files.map((f) => [f.fileName, f]));
  const shown = new Set<string>([main.fileName]);
  renderFile(main, { depth: 0, byName, shown, out });
  // Files no tool call led to (a sub-agent whose call is not in the transcript, other logs).
  for (const f of files) {
    if (shown.has(f.fileName)) continue;
    shown.add(f.fileName);
    out.push(`## ${inlineText(f.fileName)}`, '');
    renderFile(f, { depth: 1, byName, shown, out });
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

interface Walk {
  depth: number;
  byName: ReadonlyMap<string, MarkdownFile>;
  /** Files already written (a sub-agent appears once, and never inside itself). */
  shown: Set<string>;
  out: string[];
}

interface Result {
  block: Record<string, unknown>;
  agentId: string | undefined;
  n: number;
}

function renderFile(file: MarkdownFile, walk: Walk): void {
  const results = new Map<string, Result>();
  for (const line of file.lines) {
    const v = line.value;
    if (v?.type !== 'user') continue;
    const content = messageContent(v);
    if (!Array.isArray(content)) continue;
    const blocks = content.filter((b) => b.type === 'tool_result' && typeof b.tool_use_id === 'string');
    const agentId = blocks.length === 1 ? agentIdOf(v) : undefined;
    for (const b of blocks) results.set(b.tool_use_id as string, { block: b, agentId, n: line.n });
  }
  const placed = new Set<string>();
  let lastMsgId: string | undefined;
  for (const line of file.lines) {
    const v = line.value;
    if (!v) continue;
    try {
      if (v.type === 'assistant') {
        const msgId = str(rec(v.message)?.id);
        const continued = msgId !== undefined && msgId === lastMsgId;
        lastMsgId = msgId;
        assistantTurn(line, v, continued, results, placed, walk);
      } else if (v.type === 'user') {
        lastMsgId = undefined;
        userTurn(line, v, placed, walk);
      }
    } catch {
      // An unexpected shape: the line is left out, as other non-conversation lines are.
    }
  }
}

function heading(walk: Walk, label: string, line: TranscriptLine): string {
  const ts = str(line.value?.timestamp);
  const when = ts && !Number.isNaN(Date.parse(ts)) ? ` · ${new Date(ts).toISOString().replace('T', ' ').slice(0, 19)}` : '';
  return `${'#'.repeat(Math.min(2 + walk.depth, 6))} ${label}${when}`;
}

function userTurn(line: TranscriptLine, v: Record<string, unknown>, placed: Set<string>, walk: Walk): void {
  const content = messageContent(v);
  if (content === undefined) return;
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  const body: string[] = [];
  for (const b of blocks) {
    if (b.type === 'tool_result') {
      if (typeof b.tool_use_id === 'string' && placed.has(b.tool_use_id)) continue;
      body.push(folded(`Tool result ${escapeHtml(str(b.tool_use_id) ?? '')}`, resultText(b)));
    } else if (b.type === 'text' && typeof b.text === 'string') {
      body.push(TAGGED.test(b.text) ? fence(b.text) : b.text);
    } else body.push(otherBlock(b));
  }
  if (body.length === 0) return;
  const out = walk.out;
  if (v.isCompactSummary === true || v.isMeta === true) {
    out.push(folded(v.isCompactSummary === true ? 'Conversation summary after compaction' : escapeHtml(oneLine(previewOf(blocks), 120) || 'Context'), body.join('\n\n')), '');
    return;
  }
  const onlyResults = blocks.every((b) => b.type === 'tool_result');
  out.push(heading(walk, onlyResults ? 'Tool result' : 'User', line), '', body.join('\n\n'), '');
}

function assistantTurn(line: TranscriptLine, v: Record<string, unknown>, continued: boolean, results: Map<string, Result>, placed: Set<string>, walk: Walk): void {
  const content = messageContent(v);
  if (content === undefined) return;
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  const out = walk.out;
  if (!continued) {
    const model = str(rec(v.message)?.model);
    out.push(heading(walk, model && model !== '<synthetic>' ? `Assistant (${model})` : 'Assistant', line), '');
  }
  for (const b of blocks) {
    if (b.type === 'text' && typeof b.text === 'string') out.push(b.text, '');
    else if (b.type === 'thinking') out.push(folded('Thinking', str(b.thinking) ?? ''), '');
    else if (b.type === 'redacted_thinking') out.push('_Thinking (encrypted by the model provider)_', '');
    else if ((b.type === 'tool_use' || b.type === 'server_tool_use') && typeof b.id === 'string') toolCall(b, line, results, placed, walk);
    else out.push(otherBlock(b), '');
  }
}

function toolCall(b: Record<string, unknown>, line: TranscriptLine, results: Map<string, Result>, placed: Set<string>, walk: Walk): void {
  const name = str(b.name) ?? 'tool';
  const input = rec(b.input);
  const found = results.get(b.id as string);
  const result = found && found.n > line.n ? found : undefined;
  if (result) placed.add(b.id as string);
  const status = result ? (result.block.is_error === true ? ' (error)' : '') : ' (no result yet)';
  const brief = oneLine(toolBrief(name, input), 120);
  const parts: string[] = [];
  const command = str(input?.command);
  if (command !== undefined) {
    parts.push(fence(command, 'sh'));
    const rest = Object.fromEntries(Object.entries(input ?? {}).filter(([k]) => k !== 'command'));
    if (Object.keys(rest).length) parts.push(fence(stringify(rest), 'json'));
  } else parts.push(fence(stringify(b.input), 'json'));
  if (result) parts.push('Result:', resultText(result.block));
  walk.out.push(folded(`<code>${escapeHtml(name)}</code>${brief ? ` ${escapeHtml(brief)}` : ''}${status}`, parts.join('\n\n')), '');
  if (result?.agentId) subAgent(result.agentId, walk);
}

function subAgent(agentId: string, walk: Walk): void {
  const wanted = `agent-${agentId}.jsonl`;
  const file = walk.byName.get(wanted) ?? [...walk.byName.values()].find((f) => f.fileName.endsWith(`/${wanted}`));
  if (!file) {
    walk.out.push(`_Sub-agent ${inlineText(wanted)}: not synced._`, '');
    return;
  }
  if (walk.shown.has(file.fileName)) return;
  walk.shown.add(file.fileName);
  const inner: string[] = [];
  renderFile(file, { ...walk, depth: walk.depth + 1, out: inner });
  walk.out.push(`<details>\n<summary>Sub-agent ${escapeHtml(file.fileName)} (${file.lines.length} lines)</summary>`, '', ...inner, '</details>', '');
}

function resultText(b: Record<string, unknown>): string {
  const content = b.content;
  const parts: string[] = [];
  if (typeof content === 'string') parts.push(fence(content));
  else if (Array.isArray(content)) {
    for (const c of content) {
      if (isRecord(c) && c.type === 'text' && typeof c.text === 'string') parts.push(fence(c.text));
      else if (isRecord(c) && c.type === 'image') parts.push('_[image]_');
      else parts.push(fence(stringify(c), 'json'));
    }
  } else if (content !== undefined) parts.push(fence(stringify(content), 'json'));
  else parts.push('_(no output)_');
  return parts.join('\n\n');
}

function otherBlock(b: Record<string, unknown>): string {
  if (b.type === 'image') return '_[image]_';
  return folded(escapeHtml(str(b.type) ?? 'block'), fence(stringify(b), 'json'));
}

function folded(summaryHtml: string, body: string): string {
  return `<details>\n<summary>${summaryHtml}</summary>\n\n${body}\n\n</details>`;
}

function previewOf(blocks: Record<string, unknown>[]): string {
  for (const b of blocks) if (b.type === 'text' && typeof b.text === 'string') return b.text;
  return '';
}

/**
 * A fenced code block no content can end early: its fence is one backtick longer than the
 * longest run of backticks in the content (at least three).
 */
export function fence(content: string, lang = ''): string {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < content.length; i++) {
    if (content.charCodeAt(i) === 0x60) longest = Math.max(longest, ++run);
    else run = 0;
  }
  const marks = '`'.repeat(Math.max(3, longest + 1));
  return `${marks}${lang}\n${content}${content.endsWith('\n') ? '' : '\n'}${marks}`;
}

/** One line of text for a heading or list item: whitespace flattened, HTML escaped. */
function inlineText(s: string): string {
  return escapeHtml(s.replace(/\s+/g, ' ').trim());
}

function stringify(v: unknown): string {
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}
