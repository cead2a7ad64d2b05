import { Flags } from '@oclif/core';
import { storeDir } from '../../paths.js';
import { ConfabCommand } from '../confab-command.js';

export default class Mcp extends ConfabCommand {
  static override description = `Run confab's MCP server on stdin/stdout, for an agent to search and read the sessions confab has stored.

Read-only: it answers from the embedded store (~/.confab/store) and its search index, and only what the store holds ever leaves (lines as synced, secrets redacted). Tools: search_sessions, list_sessions, get_session (paged, with a size budget), get_usage. Stdout carries the protocol only; diagnostics go to stderr.

An agent starts it itself: register it with \`confab mcp install\` (Claude Code), or add the command it prints to another agent's MCP settings.`;
  static override examples = ['<%= config.bin %> mcp install', '<%= config.bin %> mcp', '<%= config.bin %> mcp --store /srv/confab'];
  static override flags = {
    store: Flags.string({ description: 'the store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Mcp);
    // Loaded here, not at the top: the MCP SDK costs start-up time every other command would pay.
    const { runStdioServer } = await import('../../mcp/server.js');
    await runStdioServer({ storeDir: flags.store ?? storeDir() });
  }
}
