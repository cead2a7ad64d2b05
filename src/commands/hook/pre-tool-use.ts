import { HOOK_CONTRACT, HookCommand } from './hook-command.js';

export default class HookPreToolUse extends HookCommand {
  static override hookEvent = 'pre-tool-use' as const;
  static override description = `Inspect a tool call before it runs (PreToolUse hook).\n\nA git commit or gh pr create without the session's link is refused with the command to run instead (Claude Code, Codex) or has the link added (Cursor), where the session has a web page. CONFAB_DISABLE_LINK_FROM_GITHUB=1 turns linking off.\n\n${HOOK_CONTRACT}`;
  static override examples = [`echo '{"session_id":"…","tool_name":"Bash","tool_input":{"command":"git commit -m fix"}}' | <%= config.bin %> hook pre-tool-use`];
}
