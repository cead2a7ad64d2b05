/**
 * Registering `confab mcp` with agents. Claude Code reads stdio servers from `mcpServers`:
 * at the top level of `~/.claude.json` for the user scope (what `claude mcp add --scope user`
 * writes) and in `.mcp.json` at the project root for the project scope. Other agents are
 * told what to add by hand.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { singleQuote } from '../github/shell-scan.js';
import { editAgentFile } from '../provider/file-edit.js';

export const SERVER_NAME = 'confab';
export const MCP_SCOPES = ['user', 'project'] as const;
export type McpScope = (typeof MCP_SCOPES)[number];

/** The permission rule that lets Claude Code call every confab tool without asking. */
export const CLAUDE_PERMISSION_RULE = `mcp__${SERVER_NAME}`;

export class McpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'McpConfigError';
  }
}

export interface ServerEntry {
  type: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The entry Claude Code keeps for a stdio server, as `claude mcp add` writes it. */
export function serverEntry(command: string): ServerEntry {
  return { type: 'stdio', command, args: ['mcp'], env: {} };
}

/** Claude Code's user config: `$CLAUDE_CONFIG_DIR/.claude.json` when that is set, else `~/.claude.json`. */
export function claudeUserConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAUDE_CONFIG_DIR ? join(resolve(env.CLAUDE_CONFIG_DIR), '.claude.json') : join(homedir(), '.claude.json');
}

export function configPathFor(scope: McpScope, projectDir: string = process.cwd()): string {
  return scope === 'user' ? claudeUserConfigPath() : join(resolve(projectDir), '.mcp.json');
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseConfig(text: string | undefined, path: string): JsonObject {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new McpConfigError(`${path} is not valid JSON (${(err as Error).message.split('\n')[0]}); fix it, confab left it unchanged`);
  }
  if (!isObject(value)) throw new McpConfigError(`${path} does not hold a JSON object; confab left it unchanged`);
  if (value.mcpServers !== undefined && !isObject(value.mcpServers)) throw new McpConfigError(`${path}: "mcpServers" is not an object; confab left it unchanged`);
  return value;
}

/** Claude Code writes its files with 2-space indentation; a trailing newline is kept if there was one. */
function render(value: JsonObject, before: string | undefined): string {
  return JSON.stringify(value, null, 2) + (before === undefined || before.endsWith('\n') ? '\n' : '');
}

function sameEntry(a: unknown, b: ServerEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface McpConfigChange {
  scope: McpScope;
  path: string;
  changed: boolean;
}

/** Add (or update) confab's server in the scope's file, keeping everything else; written atomically, 0600. */
export async function installMcpServer(scope: McpScope, command: string, projectDir?: string): Promise<McpConfigChange> {
  const path = configPathFor(scope, projectDir);
  const entry = serverEntry(command);
  const res = await editAgentFile(path, (text) => {
    const config = parseConfig(text, path);
    const servers = (config.mcpServers as JsonObject | undefined) ?? {};
    if (sameEntry(servers[SERVER_NAME], entry)) return undefined;
    config.mcpServers = { ...servers, [SERVER_NAME]: entry };
    return render(config, text);
  });
  return { scope, path, changed: res.changed };
}

/** Take confab's server out of the scope's file; a `.mcp.json` left with nothing else in it is deleted. */
export async function removeMcpServer(scope: McpScope, projectDir?: string): Promise<McpConfigChange> {
  const path = configPathFor(scope, projectDir);
  const res = await editAgentFile(path, (text) => {
    if (text === undefined) return undefined;
    const config = parseConfig(text, path);
    const servers = config.mcpServers as JsonObject | undefined;
    if (!servers || !(SERVER_NAME in servers)) return undefined;
    const { [SERVER_NAME]: _removed, ...rest } = servers;
    config.mcpServers = rest;
    if (scope === 'project' && Object.keys(rest).length === 0 && Object.keys(config).length === 1) return null;
    return render(config, text);
  });
  return { scope, path, changed: res.changed };
}

/** TOML basic string. */
const tomlString = (s: string) => JSON.stringify(s);

/** How to add the server to agents confab does not configure itself. */
export function manualInstructions(command: string): { agent: string; where: string; text: string }[] {
  return [
    { agent: 'Codex', where: '~/.codex/config.toml', text: `[mcp_servers.${SERVER_NAME}]\ncommand = ${tomlString(command)}\nargs = ["mcp"]` },
    { agent: 'Codex (command line)', where: 'a shell', text: `codex mcp add ${SERVER_NAME} -- ${shellWord(command)} mcp` },
    {
      agent: 'Cursor, Gemini CLI, Claude Desktop and other agents with an mcpServers file',
      where: '~/.cursor/mcp.json, ~/.gemini/settings.json, …',
      text: JSON.stringify({ mcpServers: { [SERVER_NAME]: { command, args: ['mcp'] } } }, null, 2),
    },
    { agent: 'any MCP client', where: 'its stdio server command', text: `${shellWord(command)} mcp` },
  ];
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : singleQuote(s);
}
