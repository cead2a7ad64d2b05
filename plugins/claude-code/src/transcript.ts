/**
 * Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl` and the sub-agent
 * files under `<session>/subagents/`): typed lines, content blocks, and the metadata confab
 * extracts from them (summary, first user message, cwd, git branch, sub-agent ids).
 *
 * Parsing never modifies a line: a known line type is checked for the fields its type
 * promises and handed back as the very object `JSON.parse` produced; anything else (new line
 * types, malformed known ones) comes back as `unknown` with the object untouched, so a
 * renderer can show it raw. No Node APIs are used here: the web viewer runs this module too.
 *
 * ```ts
 * for (const entry of parseTranscript(text)) {
 *   switch (entry.kind) {
 *     case 'user': ...entry.line.message.content...; break;
 *     case 'assistant': for (const block of contentBlocks(entry.line.message)) ...; break;
 *     case 'unknown': ...entry.line...; break;
 *   }
 * }
 * ```
 */
import { sanitizeText, truncateUtf8 } from './text.js';

export { sanitizeText, truncateUtf8, utf8Length } from './text.js';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

// ─── Content blocks ────────────────────────────────────────────────────────────────────

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature?: string;
}

export interface RedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  /** `toolu_…`; the matching `tool_result` carries it as `tool_use_id`. */
  id: string;
  /** `Bash`, `Read`, `Edit`, `Task` (sub-agents), `mcp__<server>__<tool>`… */
  name: string;
  input: JsonObject;
}

export interface ImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } | JsonObject;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  /** A string, a list of text/image blocks, or (rarely) an object carrying `toolUseResult`. */
  content?: string | ContentBlock[] | JsonObject;
  is_error?: boolean;
}

/** A block whose `type` this module does not know (or whose fields did not check out). */
export interface UnknownBlock {
  type: 'unknown';
  /** The block exactly as it appeared in the line. */
  block: unknown;
}

export type ContentBlock = TextBlock | ThinkingBlock | RedactedThinkingBlock | ToolUseBlock | ToolResultBlock | ImageBlock | UnknownBlock;

// ─── Lines ─────────────────────────────────────────────────────────────────────────────

/** Fields shared by the conversation lines (user, assistant, system, progress). */
export interface ConversationLineFields {
  uuid?: string;
  /** The previous line of the conversation thread; `null` on the first. */
  parentUuid?: string | null;
  /** True in sub-agent transcripts. */
  isSidechain?: boolean;
  /** `external` for lines that came from the person at the keyboard. */
  userType?: string;
  cwd?: string;
  sessionId?: string;
  /** Claude Code version that wrote the line. */
  version?: string;
  /** `""` outside a git work tree. */
  gitBranch?: string;
  /** Sub-agent id, on the lines of `agent-<id>.jsonl`. */
  agentId?: string;
  /** RFC 3339. */
  timestamp?: string;
  [key: string]: unknown;
}

export interface UserMessage {
  role: 'user';
  content: string | ContentBlock[];
  [key: string]: unknown;
}

export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  [key: string]: unknown;
}

export interface AssistantMessage {
  id?: string;
  role: 'assistant';
  model?: string;
  content: ContentBlock[];
  stop_reason?: string | null;
  usage?: Usage;
  [key: string]: unknown;
}

export interface UserLine extends ConversationLineFields {
  type: 'user';
  message: UserMessage;
  /** Structured result of the tool call this line answers (`agentId` for `Task`). */
  toolUseResult?: unknown;
  /** Synthetic lines Claude Code adds (command caveats, expanded slash commands). */
  isMeta?: boolean;
  /** The summary Claude Code writes after compacting a conversation. */
  isCompactSummary?: boolean;
}

export interface AssistantLine extends ConversationLineFields {
  type: 'assistant';
  message: AssistantMessage;
  requestId?: string;
}

/**
 * A conversation title. Without `leafUuid` it names this session; with one, it names the
 * session whose last message has that uuid (Claude Code writes those when resuming).
 */
export interface SummaryLine {
  type: 'summary';
  summary: string;
  leafUuid?: string;
  [key: string]: unknown;
}

export interface SystemLine extends ConversationLineFields {
  type: 'system';
  /** e.g. `compact_boundary`, `informational`. */
  subtype?: string;
  content?: string;
  level?: string;
  isMeta?: boolean;
}

/** Backups of files Claude Code edited, for undo. */
export interface FileHistorySnapshotLine {
  type: 'file-history-snapshot';
  messageId?: string;
  snapshot?: JsonObject;
  isSnapshotUpdate?: boolean;
  [key: string]: unknown;
}

/** Streaming progress of a tool or hook. */
export interface ProgressLine extends ConversationLineFields {
  type: 'progress';
  data?: unknown;
  toolUseID?: string;
  parentToolUseID?: string;
}

/** Prompts typed while Claude was busy (enqueue/dequeue/remove). */
export interface QueueOperationLine {
  type: 'queue-operation';
  operation?: string;
  timestamp?: string;
  sessionId?: string;
  content?: string;
  [key: string]: unknown;
}

export type KnownTranscriptLine =
  | UserLine
  | AssistantLine
  | SummaryLine
  | SystemLine
  | FileHistorySnapshotLine
  | ProgressLine
  | QueueOperationLine;

/**
 * One line of a transcript, discriminated by `kind` (not by the line's own `type`, so that
 * new line types Claude Code invents stay representable without breaking narrowing).
 */
export type TranscriptEntry =
  | { kind: 'user'; line: UserLine }
  | { kind: 'assistant'; line: AssistantLine }
  | { kind: 'summary'; line: SummaryLine }
  | { kind: 'system'; line: SystemLine }
  | { kind: 'file-history-snapshot'; line: FileHistorySnapshotLine }
  | { kind: 'progress'; line: ProgressLine }
  | { kind: 'queue-operation'; line: QueueOperationLine }
  /** A JSON object of another (or malformed known) type, untouched. */
  | { kind: 'unknown'; line: JsonObject }
  /** Not a JSON object at all (blank line, truncated write, array…). */
  | { kind: 'invalid'; text: string };

export type TranscriptLineKind = TranscriptEntry['kind'];

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(obj: JsonObject, key: string): boolean {
  return obj[key] === undefined || typeof obj[key] === 'string';
}

function conversationFieldsOk(obj: JsonObject): boolean {
  return (
    optionalString(obj, 'uuid') &&
    (obj.parentUuid === undefined || obj.parentUuid === null || typeof obj.parentUuid === 'string') &&
    (obj.isSidechain === undefined || typeof obj.isSidechain === 'boolean') &&
    optionalString(obj, 'cwd') &&
    optionalString(obj, 'sessionId') &&
    optionalString(obj, 'gitBranch') &&
    optionalString(obj, 'timestamp')
  );
}

function isContentArrayOrString(value: unknown): boolean {
  return typeof value === 'string' || Array.isArray(value);
}

/** Classify an already-parsed JSON value. The object is returned as is, never copied. */
export function classifyTranscriptValue(value: unknown, text = ''): TranscriptEntry {
  if (!isObject(value)) return { kind: 'invalid', text };
  switch (value.type) {
    case 'user':
      if (conversationFieldsOk(value) && isObject(value.message) && isContentArrayOrString(value.message.content)) {
        return { kind: 'user', line: value as UserLine };
      }
      break;
    case 'assistant':
      if (conversationFieldsOk(value) && isObject(value.message) && Array.isArray(value.message.content)) {
        return { kind: 'assistant', line: value as AssistantLine };
      }
      break;
    case 'summary':
      if (typeof value.summary === 'string' && optionalString(value, 'leafUuid')) return { kind: 'summary', line: value as SummaryLine };
      break;
    case 'system':
      if (conversationFieldsOk(value) && optionalString(value, 'subtype') && optionalString(value, 'content')) {
        return { kind: 'system', line: value as SystemLine };
      }
      break;
    case 'file-history-snapshot':
      if (optionalString(value, 'messageId') && (value.snapshot === undefined || isObject(value.snapshot))) {
        return { kind: 'file-history-snapshot', line: value as FileHistorySnapshotLine };
      }
      break;
    case 'progress':
      if (conversationFieldsOk(value)) return { kind: 'progress', line: value as ProgressLine };
      break;
    case 'queue-operation':
      if (optionalString(value, 'operation') && optionalString(value, 'content')) return { kind: 'queue-operation', line: value as QueueOperationLine };
      break;
  }
  return { kind: 'unknown', line: value };
}

/** Parse one JSONL line (a trailing `\r` is tolerated by JSON.parse as whitespace). */
export function parseTranscriptLine(text: string): TranscriptEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', text };
  }
  return classifyTranscriptValue(value, text);
}

/** Parse a whole transcript (or any list of its lines). A final line without `\n` is parsed too. */
export function* parseTranscript(source: string | Iterable<string>): Generator<TranscriptEntry> {
  if (typeof source !== 'string') {
    for (const line of source) yield parseTranscriptLine(line);
    return;
  }
  const lines = source.split('\n');
  // Text ending in "\n" leaves one empty piece after it, which is not a line.
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) yield parseTranscriptLine(line);
}

function contentBlock(value: unknown): ContentBlock {
  if (isObject(value)) {
    switch (value.type) {
      case 'text':
        if (typeof value.text === 'string') return value as unknown as TextBlock;
        break;
      case 'thinking':
        if (typeof value.thinking === 'string') return value as unknown as ThinkingBlock;
        break;
      case 'redacted_thinking':
        if (typeof value.data === 'string') return value as unknown as RedactedThinkingBlock;
        break;
      case 'tool_use':
        if (typeof value.id === 'string' && typeof value.name === 'string' && isObject(value.input)) return value as unknown as ToolUseBlock;
        break;
      case 'tool_result':
        if (typeof value.tool_use_id === 'string') return value as unknown as ToolResultBlock;
        break;
      case 'image':
        if (isObject(value.source)) return value as unknown as ImageBlock;
        break;
    }
  }
  return { type: 'unknown', block: value };
}

/**
 * The content of a message (or of a `tool_result` block) as typed blocks. A string becomes
 * one text block; known blocks are the original objects; others are wrapped as `unknown`.
 */
export function contentBlocks(source: { content?: unknown } | string | ContentBlock[] | undefined): ContentBlock[] {
  const content = typeof source === 'string' || Array.isArray(source) ? source : source?.content;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.map(contentBlock);
}

// ─── Extraction ───────────────────────────────────────────────────────────────────────

/** How many leading lines of a chunk or file metadata is taken from (as the Go CLI). */
export const METADATA_SCAN_LINES = 50;
/** `first_user_message` cap, bytes (UTF-8 safe, `...` included). */
export const FIRST_USER_MESSAGE_MAX_BYTES = 4096;
/** The backend rejects summaries over 2048 bytes. */
export const SUMMARY_MAX_BYTES = 2048;

const AGENT_ID = /^[A-Za-z0-9_-]{6,200}$/;

/** Is this a sub-agent id confab accepts (`a3eaf63159a07953f`, `acompact-…`, `aprompt_suggestion-…`)? */
export function isAgentId(value: unknown): value is string {
  return typeof value === 'string' && AGENT_ID.test(value);
}

/**
 * Sub-agent ids a line refers to: the `Task` result's `toolUseResult.agentId`, and the same
 * nested in a `tool_result` block whose content is an object. Only user lines carry them.
 */
export function agentIdsOf(entry: TranscriptEntry): string[] {
  if (entry.kind !== 'user') return [];
  const ids: string[] = [];
  const add = (value: unknown): void => {
    if (isAgentId(value) && !ids.includes(value)) ids.push(value);
  };
  const top = entry.line.toolUseResult;
  if (isObject(top)) add(top.agentId);
  const content = entry.line.message.content;
  if (Array.isArray(content)) {
    for (const block of content) {
      if (isObject(block) && block.type === 'tool_result' && isObject(block.content) && isObject(block.content.toolUseResult)) {
        add(block.content.toolUseResult.agentId);
      }
    }
  }
  return ids;
}

/**
 * Sub-agent ids referenced anywhere in these lines, in order of first appearance. Raw lines
 * that cannot mention one are not parsed (chunks can be megabytes of tool output).
 */
export function extractAgentIds(lines: Iterable<string | TranscriptEntry>): string[] {
  const ids = new Set<string>();
  for (const line of lines) {
    if (typeof line === 'string' && !line.includes('"agentId"')) continue;
    for (const id of agentIdsOf(typeof line === 'string' ? parseTranscriptLine(line) : line)) ids.add(id);
  }
  return [...ids];
}

/** A summary line that titles an earlier session: the session holding `leafUuid`. */
export interface SummaryLink {
  leafUuid: string;
  /** Sanitized. */
  summary: string;
}

/** The session's own summary: the last `summary` line without `leafUuid`, sanitized and capped. */
export function extractSummary(entries: Iterable<TranscriptEntry>, maxBytes = SUMMARY_MAX_BYTES): string | undefined {
  let found: string | undefined;
  for (const entry of entries) {
    if (entry.kind === 'summary' && !entry.line.leafUuid) {
      const text = sanitizeText(entry.line.summary);
      if (text) found = text;
    }
  }
  return found === undefined ? undefined : truncateUtf8(found, maxBytes);
}

/** Summary lines pointing at another conversation's last message, in file order. */
export function extractSummaryLinks(entries: Iterable<TranscriptEntry>, maxBytes = SUMMARY_MAX_BYTES): SummaryLink[] {
  const links: SummaryLink[] = [];
  for (const entry of entries) {
    if (entry.kind === 'summary' && entry.line.leafUuid) {
      const summary = truncateUtf8(sanitizeText(entry.line.summary), maxBytes);
      if (summary) links.push({ leafUuid: entry.line.leafUuid, summary });
    }
  }
  return links;
}

// Elements Claude Code injects into user text that the person did not type.
const INJECTED_ELEMENT = /<(system-reminder|ide_opened_file|ide_selection|local-command-caveat)>[\s\S]*?<\/\1>/g;
const COMMAND_NAME = /<command-name>([\s\S]*?)<\/command-name>/;
const COMMAND_ARGS = /<command-args>([\s\S]*?)<\/command-args>/;
const SYNTHETIC_PREFIXES = ['<local-command-stdout>', '<local-command-stderr>', 'Caveat: The messages below were generated by the user', '[Request interrupted by user'];

/**
 * What the person typed in one user line, or undefined when the line is not a prompt:
 * tool results, Claude Code's synthetic lines (`isMeta`, compaction summaries, command
 * caveats and output, interruption markers) and slash commands given without arguments
 * (`/clear`, `/model`: they say nothing about the session). A slash command with arguments
 * reads as `/name args`. Not yet sanitized.
 */
export function userPromptText(line: UserLine): string | undefined {
  if (line.isMeta === true || line.isCompactSummary === true || line.isVisibleInTranscriptOnly === true) return undefined;
  const content = line.message.content;
  const texts = typeof content === 'string' ? [content] : content.filter((b): b is TextBlock => isObject(b) && b.type === 'text' && typeof b.text === 'string').map((b) => b.text);
  for (const raw of texts) {
    const text = raw.replace(INJECTED_ELEMENT, ' ').trim();
    if (!text) continue;
    if (SYNTHETIC_PREFIXES.some((p) => text.startsWith(p))) return undefined;
    const command = COMMAND_NAME.exec(text);
    if (command) {
      const args = (COMMAND_ARGS.exec(text)?.[1] ?? '').trim();
      if (!args) return undefined;
      const name = (command[1] ?? '').trim();
      return `${name.startsWith('/') ? name : `/${name}`} ${args}`;
    }
    return text;
  }
  return undefined;
}

/**
 * The first thing the person typed, sanitized and capped at 4096 bytes (see
 * `userPromptText` for what is skipped).
 */
export function extractFirstUserMessage(entries: Iterable<TranscriptEntry>, maxBytes = FIRST_USER_MESSAGE_MAX_BYTES): string | undefined {
  for (const entry of entries) {
    if (entry.kind !== 'user') continue;
    const text = userPromptText(entry.line);
    if (text === undefined) continue;
    const clean = sanitizeText(text);
    if (clean) return truncateUtf8(clean, maxBytes);
  }
  return undefined;
}

function stringField(entry: TranscriptEntry, key: 'cwd' | 'gitBranch'): string | undefined {
  if (entry.kind === 'invalid') return undefined;
  const value = (entry.line as JsonObject)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The first non-empty `cwd` of any line. */
export function extractCwd(lines: Iterable<string | TranscriptEntry>): string | undefined {
  for (const line of lines) {
    if (typeof line === 'string' && !line.includes('"cwd"')) continue;
    const cwd = stringField(typeof line === 'string' ? parseTranscriptLine(line) : line, 'cwd');
    if (cwd) return cwd;
  }
  return undefined;
}

/**
 * The first line with a non-empty `gitBranch`: the branch, and that line's cwd. Raw lines
 * that do not mention the key are not parsed.
 */
export function extractGitBranch(lines: Iterable<string | TranscriptEntry>): { branch: string; cwd?: string } | undefined {
  for (const line of lines) {
    if (typeof line === 'string' && !line.includes('"gitBranch"')) continue;
    const entry = typeof line === 'string' ? parseTranscriptLine(line) : line;
    const branch = stringField(entry, 'gitBranch');
    if (branch) {
      const cwd = stringField(entry, 'cwd');
      return cwd ? { branch, cwd } : { branch };
    }
  }
  return undefined;
}

export interface TranscriptMetadata {
  summary?: string;
  firstUserMessage?: string;
  summaryLinks: SummaryLink[];
  cwd?: string;
  gitBranch?: { branch: string; cwd?: string };
}

export interface ExtractOptions {
  /** Lines looked at (default 50, as the Go CLI). */
  maxLines?: number;
  /** Caps in UTF-8 bytes; callers that redact first pass larger ones and cut afterwards. */
  summaryMaxBytes?: number;
  firstUserMessageMaxBytes?: number;
}

/**
 * Everything confab reads from the head of a transcript (or of a chunk). Accepts raw lines
 * or parsed entries.
 */
export function extractMetadata(lines: Iterable<string | TranscriptEntry>, opts: ExtractOptions = {}): TranscriptMetadata {
  const maxLines = opts.maxLines ?? METADATA_SCAN_LINES;
  const entries: TranscriptEntry[] = [];
  for (const line of lines) {
    if (entries.length >= maxLines) break;
    entries.push(typeof line === 'string' ? parseTranscriptLine(line) : line);
  }
  const summary = extractSummary(entries, opts.summaryMaxBytes);
  const firstUserMessage = extractFirstUserMessage(entries, opts.firstUserMessageMaxBytes);
  const cwd = extractCwd(entries);
  const gitBranch = extractGitBranch(entries);
  return {
    ...(summary !== undefined ? { summary } : {}),
    ...(firstUserMessage !== undefined ? { firstUserMessage } : {}),
    summaryLinks: extractSummaryLinks(entries, opts.summaryMaxBytes),
    ...(cwd !== undefined ? { cwd } : {}),
    ...(gitBranch !== undefined ? { gitBranch } : {}),
  };
}

/** A title for a session: its summary, else its first user message. */
export function sessionTitle(meta: Pick<TranscriptMetadata, 'summary' | 'firstUserMessage'>): string | undefined {
  return meta.summary ?? meta.firstUserMessage;
}
