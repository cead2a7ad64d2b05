import { HOOK_CONTRACT, HookCommand } from './hook-command.js';

export default class HookPreToolUse extends HookCommand {
  static override hookEvent = 'pre-tool-use' as const;
  static override description = `Inspect a tool call before it runs (PreToolUse hook).\n\n${HOOK_CONTRACT}`;
  static override examples = [`echo '{"session_id":"…","tool_name":"Bash","tool_input":{"command":"git status"}}' | <%= config.bin %> hook pre-tool-use`];
}
