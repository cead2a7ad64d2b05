/**
 * `confab mcp`: a read-only MCP server on stdio over the embedded store. Only the command
 * imports this module (dynamically), so no other command loads the MCP SDK. Stdout carries
 * the protocol and nothing else; diagnostics go to stderr, which MCP clients keep as the
 * server's log.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { scrubSecrets } from '../log.js';
import { USAGE_GROUPS } from '../usage/report.js';
import { confabVersion } from '../version.js';
import { PAGE_DEFAULTS, StoreReader, ToolInputError } from './store-reader.js';

const when = (what: string) => z.string().max(64).optional().describe(`only ${what}: a duration back (30m, 12h, 5d, 2w) or a date (2026-11-01)`);
const project = z.string().min(1).max(4096).optional().describe('only sessions of this project (repository or directory name) or under this directory');
const provider = z.string().min(1).max(64).optional().describe('only sessions of this agent (claude-code, codex, cursor, opencode)');
const offset = z.number().int().min(0).max(1_000_000).optional().describe('skip this many first (the next_offset of the previous answer)');

export interface McpServerOptions {
  storeDir: string;
  /** Where diagnostics go (default: stderr). */
  log?: (line: string) => void;
}

/** The MCP server with confab's tools registered, not yet connected. */
export function createConfabMcpServer(opts: McpServerOptions): McpServer {
  const reader = new StoreReader(opts.storeDir);
  const log = opts.log ?? ((line: string) => process.stderr.write(`confab mcp: ${line}\n`));
  const server = new McpServer(
    { name: 'confab', version: confabVersion() },
    {
      instructions:
        'Read-only access to the coding-agent sessions confab has stored (prompts, replies, tool calls and results; secrets redacted). Find past work with search_sessions, browse with list_sessions, read a session with get_session (paged: follow `next`), token usage and cost with get_usage.',
    },
  );

  /** Every answer is JSON text; refusals are tool errors the agent can read, never a crash. */
  const answer =
    <A>(name: string, fn: (args: A) => Promise<unknown>) =>
    async (args: A): Promise<CallToolResult> => {
      try {
        return { content: [{ type: 'text', text: JSON.stringify(await fn(args)) }] };
      } catch (err) {
        const message = scrubSecrets(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
        if (!(err instanceof ToolInputError)) log(`${name} failed: ${message}`);
        return { isError: true, content: [{ type: 'text', text: err instanceof ToolInputError ? message : `${name} failed: ${message}` }] };
      }
    };
  const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  server.registerTool(
    'search_sessions',
    {
      title: 'Search stored sessions',
      description:
        'Full-text search over every stored session: prompts, replies, tool calls and tool results (sub-agents included). All words must match; "quoted phrases" match whole; word* matches a prefix. Best matches first; each hit has session_id, file_name and line (read around it with get_session) and a snippet with the match between « ».',
      inputSchema: {
        query: z.string().min(1).max(1000).describe('words, "a phrase", prefix*'),
        project,
        provider,
        since: when('lines at or after this'),
        until: when('lines before this'),
        role: z.enum(['user', 'assistant', 'tool']).optional().describe('only what the user wrote, what the assistant wrote, or tool calls and results'),
        limit: z.number().int().min(1).max(100).optional().describe('at most this many hits (default 10)'),
        offset,
      },
      annotations: { title: 'Search stored sessions', ...readOnly },
    },
    answer('search_sessions', (a) => reader.search(a)),
  );

  server.registerTool(
    'list_sessions',
    {
      title: 'List stored sessions',
      description: 'Stored sessions, most recent activity first: id, agent, project, title, model, first and last activity.',
      inputSchema: {
        project,
        provider,
        since: when('sessions active at or after this'),
        until: when('sessions that started before this'),
        limit: z.number().int().min(1).max(200).optional().describe('at most this many sessions (default 20)'),
        offset,
      },
      annotations: { title: 'List stored sessions', ...readOnly },
    },
    answer('list_sessions', (a) => reader.list(a)),
  );

  server.registerTool(
    'get_session',
    {
      title: 'Read a stored session',
      description: `A session's metadata and a page of one of its files (default: the transcript), as stored. A page holds whole lines from from_line up to max_lines (default ${PAGE_DEFAULTS.maxLines}) or max_chars of text (default ${PAGE_DEFAULTS.maxChars}); lines longer than line_max_chars (default ${PAGE_DEFAULTS.lineMaxChars}) are clipped and marked. Call again with the arguments in \`next\` for more; pass line=<n> to read one line in full (in pieces of max_chars, following next.char_offset).`,
      inputSchema: {
        session_id: z.string().min(1).max(200).describe('a session id or external id from search_sessions or list_sessions (a unique prefix works too)'),
        file: z.string().min(1).max(1024).optional().describe("one of the session's files (its metadata lists them); default: the transcript"),
        from_line: z.number().int().min(1).optional().describe('first line of the page (default 1)'),
        max_lines: z.number().int().min(1).max(PAGE_DEFAULTS.maxLinesCap).optional().describe(`at most this many lines (default ${PAGE_DEFAULTS.maxLines})`),
        max_chars: z.number().int().min(100).max(PAGE_DEFAULTS.maxCharsCap).optional().describe(`at most this many characters of line text (default ${PAGE_DEFAULTS.maxChars})`),
        line_max_chars: z.number().int().min(100).max(PAGE_DEFAULTS.maxCharsCap).optional().describe(`clip each line to this many characters (default ${PAGE_DEFAULTS.lineMaxChars})`),
        line: z.number().int().min(1).optional().describe('read only this line, in full (instead of a page)'),
        char_offset: z.number().int().min(0).optional().describe('with line: start at this character (next.char_offset of the previous answer)'),
      },
      annotations: { title: 'Read a stored session', ...readOnly },
    },
    answer('get_session', (a) => reader.session(a)),
  );

  server.registerTool(
    'get_usage',
    {
      title: 'Token usage and cost',
      description:
        "Tokens (input, output, cache write, cache read) and cost in USD of the stored sessions, grouped by day, week, month, session, project or model. Each API response counts once; models without a known price show tokens and a null cost. Periods are UTC.",
      inputSchema: {
        group: z.enum(USAGE_GROUPS).optional().describe('how to group the figures (default daily)'),
        since: when('responses at or after this'),
      },
      annotations: { title: 'Token usage and cost', ...readOnly },
    },
    answer('get_usage', (a) => reader.usage({ group: a.group ?? 'daily', ...(a.since !== undefined ? { since: a.since } : {}) })),
  );
  return server;
}

/** Serve on stdin/stdout until the client closes the connection. */
export async function runStdioServer(opts: McpServerOptions): Promise<void> {
  const server = createConfabMcpServer(opts);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await server.connect(transport);
  // A client may send its last requests and close stdin at once: answer every request already
  // read before closing, or the last answers are lost.
  let unanswered = 0;
  let settled: (() => void) | undefined;
  const receive = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && 'id' in message) unanswered++;
    receive?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    try {
      await send(message);
    } finally {
      if (!('method' in message) && 'id' in message && --unanswered <= 0) settled?.();
    }
  };
  await closed;
  if (unanswered > 0) await new Promise<void>((resolve) => (settled = resolve));
  await server.close();
}
