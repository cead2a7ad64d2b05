import { Flags } from '@oclif/core';
import { confabExecutable } from '../../cli/executable.js';
import { CLAUDE_PERMISSION_RULE, installMcpServer, manualInstructions, McpConfigError, MCP_SCOPES, type McpConfigChange, type McpScope } from '../../mcp/client-config.js';
import { CommandError, ConfabCommand } from '../confab-command.js';

export default class McpInstall extends ConfabCommand {
  static override description = `Register confab's MCP server (\`confab mcp\`) with Claude Code, keeping the rest of its settings; running it again changes nothing.

--scope user (the default) adds it to "mcpServers" in ~/.claude.json, for every project, as \`claude mcp add --scope user\` does; --scope project adds it to .mcp.json in the current directory, to share with the project (Claude Code asks once before using servers from there). The command registered is this confab's absolute path, so it works from any directory.

Claude Code asks before an agent calls a tool; to let it call confab's tools (all read-only) without asking, also in \`claude -p\`, add "${CLAUDE_PERMISSION_RULE}" to permissions.allow in ~/.claude/settings.json or pass --allowedTools ${CLAUDE_PERMISSION_RULE}. For other agents (Codex, Cursor, …) it prints what to add by hand.`;
  static override examples = ['<%= config.bin %> mcp install', '<%= config.bin %> mcp install --scope project', '<%= config.bin %> mcp install --json'];
  static override enableJsonFlag = true;
  static override flags = {
    scope: Flags.string({ description: 'user: ~/.claude.json, every project; project: .mcp.json in the current directory', options: [...MCP_SCOPES], default: 'user' }),
  };

  async run(): Promise<McpConfigChange & { command: string; manual: ReturnType<typeof manualInstructions> }> {
    const { flags } = await this.parse(McpInstall);
    const command = confabExecutable();
    let change: McpConfigChange;
    try {
      change = await installMcpServer(flags.scope as McpScope, command);
    } catch (err) {
      if (err instanceof McpConfigError) throw new CommandError(err.message);
      throw err;
    }
    const manual = manualInstructions(command);
    if (!this.jsonEnabled()) {
      this.log(`Claude Code: ${change.changed ? 'added the confab MCP server to' : 'the confab MCP server is already in'} ${change.path} (runs: ${command} mcp)`);
      this.log(`Let Claude Code call its tools without asking: add "${CLAUDE_PERMISSION_RULE}" to permissions.allow in ~/.claude/settings.json, or pass --allowedTools ${CLAUDE_PERMISSION_RULE}`);
      this.log('\nOther agents: add it by hand.');
      for (const m of manual) this.log(`\n${m.agent} (${m.where}):\n${m.text}`);
      this.logToStderr(`\nUndo with: confab mcp remove${flags.scope === 'user' ? '' : ` --scope ${flags.scope}`}`);
    }
    return { ...change, command, manual };
  }
}
