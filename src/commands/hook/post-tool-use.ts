import { HOOK_CONTRACT, HookCommand } from './hook-command.js';

export default class HookPostToolUse extends HookCommand {
  static override hookEvent = 'post-tool-use' as const;
  static override description = `Record what a tool call produced (PostToolUse hook).\n\nAfter a git commit or git push, the commit (HEAD on a github.com origin), and after gh pr create or the GitHub MCP PR tool, the pull request, are linked to the session on its backend. CONFAB_DISABLE_LINK_FROM_GITHUB=1 turns linking off.\n\n${HOOK_CONTRACT}`;
  static override examples = [
    `echo '{"session_id":"…","tool_name":"Bash","tool_input":{"command":"gh pr create --fill"},"tool_response":{"stdout":"https://github.com/o/r/pull/1"}}' | <%= config.bin %> hook post-tool-use`,
  ];
}
