import { Flags } from '@oclif/core';
import { McpConfigError, MCP_SCOPES, removeMcpServer, type McpConfigChange, type McpScope } from '../../mcp/client-config.js';
import { CommandError, ConfabCommand } from '../confab-command.js';

export default class McpRemove extends ConfabCommand {
  static override description =
    "Take confab's MCP server out of Claude Code's settings (~/.claude.json, or .mcp.json in the current directory with --scope project), keeping everything else. Nothing to remove is not an error.";
  static override examples = ['<%= config.bin %> mcp remove', '<%= config.bin %> mcp remove --scope project'];
  static override enableJsonFlag = true;
  static override flags = {
    scope: Flags.string({ description: 'user: ~/.claude.json; project: .mcp.json in the current directory', options: [...MCP_SCOPES], default: 'user' }),
  };

  async run(): Promise<McpConfigChange> {
    const { flags } = await this.parse(McpRemove);
    let change: McpConfigChange;
    try {
      change = await removeMcpServer(flags.scope as McpScope);
    } catch (err) {
      if (err instanceof McpConfigError) throw new CommandError(err.message);
      throw err;
    }
    if (!this.jsonEnabled()) this.log(`Claude Code: ${change.changed ? 'removed the confab MCP server from' : 'no confab MCP server in'} ${change.path}`);
    return change;
  }
}
